#!/usr/bin/env python3
"""Set zh translations from a JSON file {msgid: msgstr} and clear their fuzzy flags.

Usage: .venv/bin/python scripts/set-translations.py new.json (after scripts/update-translations.sh)
"""
import sys, json
from babel.messages.pofile import read_po, write_po
path = "translations/zh/LC_MESSAGES/messages.po"
mapping = json.load(open(sys.argv[1]))
with open(path, "rb") as f:
    cat = read_po(f, locale="zh")
missing = []
for msg in cat:
    if not msg.id: continue
    key = msg.id if isinstance(msg.id, str) else msg.id[0]
    if key in mapping:
        msg.string = mapping[key]
        if "fuzzy" in msg.flags: msg.flags.discard("fuzzy")
    elif (not msg.string) or msg.fuzzy:
        missing.append(key)
with open(path, "wb") as f:
    write_po(f, cat, width=0, omit_header=False, include_lineno=False)
print("still missing:", missing)

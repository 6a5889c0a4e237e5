#!/usr/bin/env bash
# Refresh the message catalogs from the code:
#   1. extract every message id of app/, views/ and forms/ (Python and Jinja templates,
#      mapped by babel.cfg) into translations/messages.pot;
#   2. merge it into translations/<lang>/LC_MESSAGES/messages.po for zh and en, creating
#      a catalog that does not exist yet.
# Then translate what it lists for zh (empty or fuzzy entries) and run `make translations`.
#
# Safe to run any number of times: translations are kept, a changed message id gets a
# fuzzy guess from the old one (review it and remove the fuzzy flag), message ids gone
# from the code are dropped, and when the code's messages did not change no file changes
# (not even the creation date). Compiled .mo files are not written here and never
# committed. tests/test_translations.py uses the same directories and keywords.
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
POT=translations/messages.pot
LANGS=(zh en)
INPUT_DIRS=(app views forms)
KEYWORDS=(-k _l -k lazy_gettext -k gettext -k _ -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2)

mkdir -p translations
tmp_pot=$(mktemp translations/.messages.pot.XXXXXX)
trap 'rm -f "$tmp_pot"' EXIT

"$PYBABEL" -q extract -F babel.cfg "${KEYWORDS[@]}" \
    --add-comments=TRANSLATORS: --add-location=file \
    --project="工程能力评价系统" --version=1.0 \
    --header-comment="# Message ids of 工程能力评价系统, extracted by scripts/update-translations.sh." \
    -o "$tmp_pot" "${INPUT_DIRS[@]}"

# Keep the old template when only its creation date differs, so that a re-run changes
# nothing and the catalogs' POT-Creation-Date moves only with their content.
without_date() { grep -v '^"POT-Creation-Date: ' "$1"; }
if [[ -f $POT ]] && cmp -s <(without_date "$POT") <(without_date "$tmp_pot"); then
    echo "$POT: no change"
else
    chmod 644 "$tmp_pot"
    mv "$tmp_pot" "$POT"
    echo "$POT: written"
fi

for lang in "${LANGS[@]}"; do
    po=translations/$lang/LC_MESSAGES/messages.po
    if [[ -f $po ]]; then
        "$PYBABEL" -q update -i "$POT" -d translations -D messages -l "$lang" --ignore-obsolete
    else
        "$PYBABEL" -q init -i "$POT" -d translations -D messages -l "$lang"
        echo "$po: created"
    fi
done

# What is left to translate in the default language.
"$PYTHON" - <<'EOF'
from babel.messages.pofile import read_po

path = "translations/zh/LC_MESSAGES/messages.po"
with open(path, "rb") as file:
    catalog = read_po(file)
todo = []
for message in catalog:
    if not message.id:
        continue
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy or not all(strings):
        todo.append(("fuzzy" if message.fuzzy else "empty", message.id))
print(f"{path}: {len(catalog)} messages, {len(todo)} to translate")
for state, msgid in todo:
    print(f"  [{state}] {msgid!r}")
EOF

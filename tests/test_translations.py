"""The message catalogs: Chinese complete, in step with the code, placeholders intact.

No app and no database: the catalogs are read from translations/ and the code's message
ids are extracted in-process with Babel, the way scripts/update-translations.sh does.
When a test here fails, run scripts/update-translations.sh, translate what it lists in
translations/zh/LC_MESSAGES/messages.po, and run `make translations`.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# The same directories and keywords as scripts/update-translations.sh.
INPUT_DIRS = ("app", "views", "forms")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


def _strings(value) -> tuple[str, ...]:
    """A message id or translation as a tuple (plural forms have several)."""
    return value if isinstance(value, tuple) else (value,)


def _extracted() -> dict[tuple[str, str | None], str]:
    """{(message id, context): 'path:line'} of every message the code marks."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = {}
    for directory in INPUT_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT / directory), method_map, options_map, keywords=KEYWORDS
        ):
            msgid = _strings(message)[0]
            if msgid:
                found.setdefault((msgid, context), f"{directory}/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def zh():
    return _catalog("zh")


def test_zh_catalog_has_no_empty_or_fuzzy_translation(zh):
    untranslated = [
        message.id
        for message in zh
        if message.id and (message.fuzzy or not all(_strings(message.string)))
    ]

    assert untranslated == [], "Chinese missing or fuzzy for:\n" + "\n".join(
        map(repr, untranslated)
    )


def test_zh_catalog_holds_every_message_of_the_code(zh):
    extracted = _extracted()

    missing = [
        f"{where}: {msgid!r}"
        for (msgid, context), where in extracted.items()
        if zh.get(msgid, context=context) is None
    ]

    assert len(extracted) > 100, "extraction found almost nothing: check babel.cfg"
    assert missing == [], (
        "not in translations/zh (run scripts/update-translations.sh and translate):\n"
        + "\n".join(missing)
    )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_translations_keep_the_placeholders_of_their_message_id(language):
    catalog = _catalog(language)
    wrong = []

    for message in catalog:
        if not message.id:
            continue
        msgids = _strings(message.id)
        expected = {p for msgid in msgids for p in _placeholders(msgid)}
        for string in filter(None, _strings(message.string)):
            found = _placeholders(string)
            if found != expected:
                wrong.append(
                    f"{message.id!r}: {sorted(expected)} but {sorted(found)} in {string!r}"
                )
            elif all(map(_formats, msgids)) and not _formats(string):
                # Templates format every message, so a lone % breaks the page.
                wrong.append(f"{message.id!r}: a lone % in {string!r} (write %%)")

    assert wrong == [], "placeholders differ:\n" + "\n".join(wrong)


def _placeholders(string: str) -> set[str]:
    """The named placeholders such as %(name)s and %(count)d."""
    return {match.group(0) for match in PLACEHOLDER.finditer(string)}


class _AnyKey(dict):
    """A mapping that has every key, for trying a format string."""

    def __missing__(self, key):
        return 1


def _formats(string: str) -> bool:
    """True when ``string % mapping`` works, as gettext's callers do."""
    try:
        string % _AnyKey()
    except (ValueError, TypeError):
        return False
    return True


def test_en_catalog_exists_with_the_same_messages_as_zh(zh):
    en = _catalog("en")

    assert {m.id for m in en if m.id} == {m.id for m in zh if m.id}

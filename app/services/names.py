"""姓名拼音 of the member application (SPEC §4, 基本情况): the suggestion and the rule.

The rule: upper-case letters A-Z only, exactly two parts (surname, given name)
separated by one space, at most 35 characters, e.g. ``ZHANG SANFENG``.

What the form does with what is typed (``normalize_pinyin``): surrounding whitespace
is dropped and lower case becomes upper case without a word (``zhang san`` is stored
as ``ZHANG SAN``), because case carries no meaning here and the form shows the stored
value. Anything else is refused, not repaired: full-width letters or the ideographic
space (ＺＨＡＮＧ, ``ZHANG　SAN``) get their own message, as full-width digits do for
mobile numbers in app/validation.py, so what is stored is what the user confirmed.

ü follows the passport rule of the Ministry of Public Security's exit-entry
administration (2012, based on GB/T 28039-2011 《中国人名汉语拼音字母拼写规则》, which
allows YU for a capital Ü where Ü cannot be printed): lü and nü become LYU and NYU
(吕 LYU, 女 NYU); lüe and nüe become LUE and NUE (略 LUE, 虐 NUE), since LUE and NUE
are otherwise no syllables. V is never written for ü.

The suggestion reads the surname from the tables below (``COMPOUND_SURNAMES`` first,
then ``SURNAMES``: single surnames whose surname reading differs from the character's
usual one; any other surname is read by pypinyin) and the given name from pypinyin. It returns "" when the name cannot be read as a
whole: fewer than two characters, or any character without a reading (Latin letters,
digits, the middle dot of names such as 买买提·艾力, or a rare character such as 𠀋
that pypinyin has no reading for), or when the result would be longer than the rule
allows, so the user types the pinyin instead of receiving a wrong or partial one. A
suggestion always passes ``pinyin_problem``.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin

from app.errors import DomainError

PINYIN_MAX = 35
PINYIN_RE = re.compile(r"[A-Z]+ [A-Z]+")

# Compound surnames (复姓), taken when the name has at least one character after them.
COMPOUND_SURNAMES = {
    "欧阳": "OUYANG",
    "司马": "SIMA",
    "诸葛": "ZHUGE",
    "上官": "SHANGGUAN",
    "东方": "DONGFANG",
    "皇甫": "HUANGFU",
    "令狐": "LINGHU",
    "慕容": "MURONG",
    "夏侯": "XIAHOU",
    "尉迟": "YUCHI",
    "长孙": "ZHANGSUN",
    "宇文": "YUWEN",
    "司徒": "SITU",
    "端木": "DUANMU",
    "公孙": "GONGSUN",
    "万俟": "MOQI",
    "澹台": "TANTAI",
}

# Single surnames read differently as a surname (单 is SHAN, not DAN). 任 is read
# the same either way and stays listed so that a pypinyin data change cannot move it.
SURNAMES = {
    "单": "SHAN",
    "曾": "ZENG",
    "区": "OU",
    "解": "XIE",
    "仇": "QIU",
    "查": "ZHA",
    "朴": "PIAO",
    "覃": "QIN",
    "乐": "YUE",
    "繁": "PO",
    "盖": "GE",
    "黑": "HE",
    "任": "REN",
    "秘": "BI",
    "召": "SHAO",
    "缪": "MIAO",
    "翟": "ZHAI",
    "种": "CHONG",
    "员": "YUN",
    "能": "NAI",
    "薄": "BO",
    "隗": "WEI",
    "句": "GOU",
    "阚": "KAN",
    "佴": "NAI",
    "祭": "ZHAI",
}

# pypinyin writes ü as v; the passport rule above.
_PASSPORT_U = {"lv": "lyu", "nv": "nyu", "lve": "lue", "nve": "nue"}


def _read(text: str) -> str | None:
    """The passport-style upper-case pinyin of ``text`` joined, or None when a
    character has no reading."""
    unread = []
    syllables = lazy_pinyin(
        text, style=Style.NORMAL, errors=lambda chars: unread.append(chars) or []
    )
    if unread:
        return None
    joined = "".join(_PASSPORT_U.get(syllable, syllable) for syllable in syllables)
    if not re.fullmatch(r"[a-z]+", joined):
        return None
    return joined.upper()


def suggest_pinyin(chinese_name: str | None) -> str:
    """``SURNAME GIVENNAME`` for a Chinese name (张三丰 → ZHANG SANFENG), or ""."""
    name = (chinese_name or "").strip()
    compound = next(
        (s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)),
        None,
    )
    if compound:
        surname, given = COMPOUND_SURNAMES[compound], name[len(compound) :]
    elif len(name) >= 2:
        surname, given = SURNAMES.get(name[0]) or _read(name[0]), name[1:]
    else:
        return ""

    given_pinyin = _read(given)
    if not surname or not given_pinyin:
        return ""
    suggestion = f"{surname} {given_pinyin}"
    return suggestion if len(suggestion) <= PINYIN_MAX else ""


def normalize_pinyin(value: str | None) -> str:
    """The value as stored: surrounding whitespace removed, a-z upper-cased."""
    text = (value or "").strip()
    return "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)


def pinyin_problem(value: str | None):
    """None when ``value`` (after ``normalize_pinyin``) follows the rule, else the message."""
    text = normalize_pinyin(value)
    if not text:
        return _l("Enter the name in pinyin.")
    if any(unicodedata.east_asian_width(ch) == "F" for ch in text):
        return _l(
            "Use half-width letters and spaces for the pinyin, not full-width ones."
        )
    if any(ch in "ÜüǕǗǙǛǖǘǚǜ" for ch in text):
        return _l("Write ü as on a passport: LYU, NYU, LUE, NUE.")
    if any(not ("A" <= ch <= "Z" or ch == " ") for ch in text):
        return _l("The pinyin may contain only the letters A to Z and one space.")
    if len(text) > PINYIN_MAX:
        return _l(
            "The pinyin may have at most %(maximum)d characters (now %(length)d).",
            maximum=PINYIN_MAX,
            length=len(text),
        )
    if not PINYIN_RE.fullmatch(text):
        return _l(
            "Write the surname and the given name separated by one space, for example ZHANG SAN."
        )
    return None


def check_pinyin(value: str | None, *, field: str | None = "name_pinyin") -> str:
    """Return the normalised pinyin, or raise with the reason."""
    problem = pinyin_problem(value)
    if problem is not None:
        raise DomainError(problem, field=field)
    return normalize_pinyin(value)

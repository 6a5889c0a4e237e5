"""证件类型 and 证件号码 of the member application (SPEC §4, 基本情况).

A number is normalised before it is checked and stored: surrounding whitespace is
dropped and a-z become A-Z (a resident ID's final x becomes X). Spaces inside and
full-width characters are refused with their own message, as for mobile numbers.

Resident ID (居民身份证, GB 11643-1999), 18 characters: a 6-digit region code whose
first two digits are a mainland province (app/divisions.py), the birth date
YYYYMMDD (a real date, from 1900-01-01 to today), a 3-digit sequence whose last digit
is odd for men, and the ISO 7064 MOD 11-2 check character (0-9 or X). When the form's
出生日期 is given, it must be the date in the number.

港澳台居民居住证 numbers are built the same way with the region code 810000 (Hong Kong),
820000 (Macao) or 830000 (Taiwan) and are checked the same way.

The other kinds are checked against a plausible pattern only (their issuers publish no
check algorithm this rule could rely on):
- 护照: 5 to 17 letters and digits (a foreign passport too; ICAO 9303 numbers have 9
  characters, longer national numbers exist);
- 港澳居民来往内地通行证: H (Hong Kong) or M (Macao) and 8 digits, or 10 digits on the
  older permits;
- 台湾居民来往大陆通行证: 8 digits (the card issued since 2015);
- 外国人永久居留身份证: 3 letters (the holder's country) and 12 digits on the 2017 card,
  or 18 digits starting with 9 on the 2023 card.
"""

import datetime as dt
import enum
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from app.divisions import province_of_id_region
from app.errors import DomainError
from app.times import LOCAL_ZONE


class IdKind(enum.StrEnum):
    """证件类型: the codes stored with a number (this system's own codes)."""

    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"


ID_KINDS: tuple[tuple[str, str], ...] = (
    (IdKind.RESIDENT_ID, "居民身份证"),
    (IdKind.PASSPORT, "护照"),
    (IdKind.HK_MACAO_PERMIT, "港澳居民来往内地通行证"),
    (IdKind.TAIWAN_PERMIT, "台湾居民来往大陆通行证"),
    (IdKind.FOREIGN_PERMANENT_RESIDENT, "外国人永久居留身份证"),
    (IdKind.HMT_RESIDENCE_PERMIT, "港澳台居民居住证"),
)

ID_KIND_TITLES = {
    IdKind.RESIDENT_ID: lazy_pgettext("ID type", "Resident identity card"),
    IdKind.PASSPORT: lazy_pgettext("ID type", "Passport"),
    IdKind.HK_MACAO_PERMIT: lazy_pgettext(
        "ID type", "Mainland travel permit for Hong Kong and Macao residents"
    ),
    IdKind.TAIWAN_PERMIT: lazy_pgettext(
        "ID type", "Mainland travel permit for Taiwan residents"
    ),
    IdKind.FOREIGN_PERMANENT_RESIDENT: lazy_pgettext(
        "ID type", "Foreign permanent resident ID card"
    ),
    IdKind.HMT_RESIDENCE_PERMIT: lazy_pgettext(
        "ID type", "Residence permit for Hong Kong, Macao and Taiwan residents"
    ),
}

# The kinds built like a resident ID (region, birth date, sequence, check character).
CHECKED_KINDS = {IdKind.RESIDENT_ID, IdKind.HMT_RESIDENCE_PERMIT}
RESIDENCE_PERMIT_REGIONS = ("810000", "820000", "830000")
NOT_MAINLAND = {"710000", "810000", "820000"}
EARLIEST_BIRTH = dt.date(1900, 1, 1)

_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_CHECK_CHARACTERS = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")

PATTERNS = {
    IdKind.PASSPORT: (
        re.compile(r"[A-Z0-9]{5,17}"),
        _l("A passport number has 5 to 17 letters (A-Z) and digits."),
    ),
    IdKind.HK_MACAO_PERMIT: (
        re.compile(r"[HM][0-9]{8}([0-9]{2})?"),
        _l(
            "A Mainland travel permit number for Hong Kong and Macao residents is H or M followed by 8 or 10 digits."
        ),
    ),
    IdKind.TAIWAN_PERMIT: (
        re.compile(r"[0-9]{8}"),
        _l("A Mainland travel permit number for Taiwan residents has 8 digits."),
    ),
    IdKind.FOREIGN_PERMANENT_RESIDENT: (
        re.compile(r"[A-Z]{3}[0-9]{12}|9[0-9]{17}"),
        _l(
            "A foreign permanent resident ID card number is 3 letters and 12 digits (2017 card) or 18 digits starting with 9 (2023 card)."
        ),
    ),
}


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)
    )
    return _CHECK_CHARACTERS[total % 11]


def normalize_id_number(number: str | None) -> str:
    """The number as stored: surrounding whitespace removed, a-z upper-cased."""
    text = (number or "").strip()
    return "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)


def birth_date_from_id(number: str | None) -> dt.date | None:
    """The birth date in an 18-character number (digits 7 to 14), None when impossible."""
    digits = normalize_id_number(number)[6:14]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def gender_from_id(number: str | None) -> str | None:
    """性别 code (GB/T 2261.1: 1 男, 2 女) from the 17th digit, None without one."""
    text = normalize_id_number(number)
    if len(text) != 18 or not text[16].isascii() or not text[16].isdigit():
        return None
    return "1" if int(text[16]) % 2 else "2"


def _checked_problem(kind: str, text: str, birth_date: dt.date | None, today: dt.date):
    """The problem of a number built like a resident ID, or None."""
    if len(text) != 18:
        return _l(
            "This ID number has 18 characters (now %(length)d).", length=len(text)
        )
    if not _ID_RE.fullmatch(text):
        return _l("This ID number is 17 digits followed by a digit or X.")
    if kind == IdKind.HMT_RESIDENCE_PERMIT:
        if text[:6] not in RESIDENCE_PERMIT_REGIONS:
            return _l(
                "A residence permit number of Hong Kong, Macao or Taiwan residents starts with 810000, 820000 or 830000."
            )
    elif province_of_id_region(text[:6]) in NOT_MAINLAND | {None}:
        return _l("The first two digits of the ID number are not a province code.")

    born = birth_date_from_id(text)
    if born is None or not EARLIEST_BIRTH <= born <= today:
        return _l(
            "The birth date in the ID number (digits 7 to 14) is not a possible date."
        )
    if check_character(text[:17]) != text[17]:
        return _l(
            "The check digit of the ID number is not correct. Please check the number."
        )
    if birth_date is not None and born != birth_date:
        return _l(
            "The birth date in the ID number (%(id_date)s) differs from the date of birth (%(birth_date)s).",
            id_date=born.isoformat(),
            birth_date=birth_date.isoformat(),
        )
    return None


def id_number_problem(
    kind: str | None,
    number: str | None,
    birth_date: dt.date | None = None,
    *,
    today: dt.date | None = None,
):
    """None when ``number`` (after ``normalize_id_number``) is a plausible number of
    ``kind``, else the message. ``birth_date`` is compared with a checked number's date."""
    if kind not in set(IdKind):
        return _l("Choose the type of the ID document.")
    text = normalize_id_number(number)
    if not text:
        return _l("Enter the ID number.")
    if any(ch.isspace() for ch in text):
        return _l("The ID number must not contain spaces.")
    if any(unicodedata.east_asian_width(ch) == "F" for ch in text):
        return _l("Use half-width digits and letters for the ID number.")

    if kind in CHECKED_KINDS:
        today = today or dt.datetime.now(LOCAL_ZONE).date()
        return _checked_problem(kind, text, birth_date, today)
    pattern, message = PATTERNS[IdKind(kind)]
    return None if pattern.fullmatch(text) else message


def check_id_number(
    kind: str | None,
    number: str | None,
    *,
    birth_date: dt.date | None = None,
    field: str | None = "id_number",
) -> str:
    """Return the normalised number, or raise with the reason."""
    problem = id_number_problem(kind, number, birth_date)
    if problem is not None:
        raise DomainError(problem, field=field)
    return normalize_id_number(number)


def mask_id_number(number: str | None) -> str:
    """110*************2X: the first 3 and last 2 characters, for logs and lists.

    The length is kept; a number shorter than 6 characters is masked whole."""
    text = number or ""
    if len(text) < 6:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 5)}{text[-2:]}"

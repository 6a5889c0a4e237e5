"""Shared input rules: mainland mobile numbers, e-mail addresses and text length.

These are the rules the backend and the applicant site both use, so that a value
accepted in one place is accepted everywhere.

Mobile numbers (one documented rule): the value must be exactly eleven ASCII
digits ``1[3-9]\\d{9}``. Nothing is silently repaired: full-width digits, spaces,
hyphens, a ``+86`` prefix and line breaks are refused with a message that says
which of them was found, so that what is stored is what the user confirmed.

Text length: one Unicode code point is one character (𠀋 counts 1); CRLF and CR
become LF first; leading and trailing whitespace is not counted and not stored.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from app.errors import DomainError

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
EMAIL_MAX = 320


def normalize_text(value: str | None) -> str:
    """Newlines as LF, surrounding whitespace removed: the text that is stored."""
    if value is None:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


# Letters and marks that show as nothing (Hangul fillers, the Braille blank, the
# combining grapheme joiner): a text of them looks empty but is not.
BLANK_LOOKING = frozenset("\u3164\u115f\u1160\uffa0\u2800\u034f")


def hidden_characters_problem(value: str | None, *, multiline: bool = True):
    """A message when the text holds control characters (other than line breaks and
    tabs in multi-line text) or invisible formatting characters (zero-width spaces,
    direction overrides): a reason or remark that shows nothing, or shows something
    else than it holds, is refused; None when the text is clean."""
    if any(is_hidden_character(ch, multiline=multiline) for ch in value or ""):
        return _l("Control characters and invisible formatting characters are not allowed here.")
    return None


def is_hidden_character(ch: str, *, multiline: bool = True) -> bool:
    """A character that shows as nothing or changes how the rest shows: a control
    character (line breaks and tabs allowed in multi-line text), a formatting character
    (zero-width space, direction override), a blank-looking letter or a variation
    selector."""
    category = unicodedata.category(ch)
    return (
        (category == "Cc" and not (multiline and ch in "\n\t"))
        or category == "Cf"
        or ch in BLANK_LOOKING
        or 0xFE00 <= ord(ch) <= 0xFE0F
        or 0xE0100 <= ord(ch) <= 0xE01EF
    )


def count_chars(value: str | None) -> int:
    """Length as SPEC §3 counts it: code points of the normalised text."""
    return len(normalize_text(value))


def check_text(value: str | None, *, minimum: int, maximum: int, field: str | None = None) -> str:
    """Return the normalised text, or raise with the allowed range."""
    text = normalize_text(value)
    length = len(text)
    if minimum > 0 and length == 0:
        raise DomainError(_l("This field is required."), field=field)
    if length < minimum or length > maximum:
        raise DomainError(
            _l(
                "Enter %(minimum)d to %(maximum)d characters (now %(length)d).",
                minimum=minimum,
                maximum=maximum,
                length=length,
            ),
            field=field,
        )
    return text


def mobile_problem(value: str | None):
    """None when ``value`` is a mainland mobile number, else the message to show."""
    if value is None or value == "":
        return _l("Enter a mobile number.")
    if any(ch.isspace() for ch in value):
        return _l("The mobile number must not contain spaces or line breaks.")
    if value.startswith("+") or value.startswith("86") and len(value) == 13:
        return _l("Enter the 11-digit number without +86.")
    if any(unicodedata.east_asian_width(ch) == "F" for ch in value):
        return _l("Use half-width digits (0-9) for the mobile number.")
    if not value.isascii() or not value.isdigit():
        return _l("The mobile number may contain digits only.")
    if len(value) != 11:
        return _l("A mobile number has 11 digits (now %(length)d).", length=len(value))
    if not MOBILE_RE.fullmatch(value):
        return _l("This is not a mainland China mobile number (it starts with 13 to 19).")
    return None


def check_mobile(value: str | None, *, field: str | None = "mobile") -> str:
    """Return the number unchanged, or raise with the reason."""
    problem = mobile_problem(value)
    if problem is not None:
        raise DomainError(problem, field=field)
    return value


def email_problem(value: str | None):
    """None when ``value`` looks like a deliverable address, else the message."""
    if not value:
        return _l("Enter an e-mail address.")
    if (
        len(value) > EMAIL_MAX
        or not EMAIL_RE.fullmatch(value)
        or value != value.strip()
        or hidden_characters_problem(value, multiline=False) is not None
    ):
        return _l("Enter a valid e-mail address, for example name@example.com.")
    return None


def mask_mobile(value: str | None) -> str:
    """139****1111: how a mobile number is shown where the full number is not needed."""
    if not value or len(value) != 11:
        return value or ""
    return f"{value[:3]}****{value[7:]}"

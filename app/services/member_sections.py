"""The sections of 《工程会员申请表》 and their rules (SPEC §4, 注册工程会员申请).

``check_section(key, raw)`` reads what was typed and returns the values to store (what
was typed, normalised, so that nothing is lost whatever the errors) and the errors by
field. A section is complete when it has no error. The rules of 基本情况 are those of
app/services/names.py, app/services/id_numbers.py, app/dictionaries.py,
app/divisions.py and app/validation.py; this module only chains them.

基本情况 (``basic``), field names and limits (one character is one code point of the
normalised text, as app/validation.count_chars counts):

    name 姓名 ≤25 · name_pinyin 姓名拼音 (names.pinyin_problem) · sex 性别 (GB/T 2261.1) ·
    birth_date 出生日期 (YYYY-MM-DD, a real date from 1900-01-01 to yesterday) ·
    political_status 政治面貌 (GB/T 4762) · ethnic_group 民族 (GB/T 3304) ·
    native_province + native_city 籍贯 (divisions.is_division) · id_type 证件类型 +
    id_number 证件号码 (id_numbers.id_number_problem, whose birth date must equal
    出生日期; a resident ID's sex digit must also match 性别) · employer 工作单位 ≤50
    (as in the prospective application) · position 职务 ≤50 · title 专业技术职称 ≤50 ·
    address 通讯地址 ≤100 · mobile 手机 (validation.mobile_problem) · email 邮箱
    (validation.email_problem, required) · photo 照片: present when the application has
    a ``photo_key`` (the upload and its checks are app/services/photos.py).

Repeatable sections: ``{"rows": [{field: text}, ...]}``; a row whose every field is
empty is dropped (an added but unused row); at most ``MAX_ROWS`` rows; at least one for
教育经历, 工作经历 and 工程实践经历. Periods are months ``YYYY-MM`` (an ``<input
type="month">``), not after the current month (Asia/Shanghai); an end before its start
is refused at that row's end. An empty end means 至今 where ``ROW_FIELDS`` allows it.
Row errors are keyed ``rows-<index>-<field>`` (the index in the stored rows, which is
WTForms' FieldList naming), errors of the whole list ``rows``.

诚信承诺 (``declaration``): ``{"accepted": "1"}``; complete when accepted.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.dictionaries import ETHNIC_GROUP, ID_TYPE, POLITICAL_STATUS, SEX
from app.divisions import divisions_under, is_division, is_province
from app.models.members import NAME_MAX, SECTION_KEYS
from app.services.id_numbers import (
    CHECKED_KINDS,
    EARLIEST_BIRTH,
    gender_from_id,
    id_number_problem,
    normalize_id_number,
)
from app.services.names import normalize_pinyin, pinyin_problem
from app.times import LOCAL_ZONE
from app.validation import (
    count_chars,
    email_problem,
    hidden_characters_problem,
    mobile_problem,
    normalize_text,
)

SECTION_TITLES = {
    "basic": _l("Basic information"),
    "education": _l("Education"),
    "work": _l("Work experience"),
    "practice": _l("Engineering practice"),
    "awards": _l("Awards and achievements"),
    "development": _l("Continuing professional development"),
    "declaration": _l("Integrity declaration"),
}

# Column titles of the repeatable sections, by section and field: the form, the preview,
# the PDF copy and the backend show the same words.
ROW_LABELS = {
    "education": {
        "school": _l("School or university"),
        "major": _l("Major studied"),
        "degree": _l("Degree or diploma"),
        "start": _l("From (month)"),
        "end": _l("To (month)"),
    },
    "work": {
        "employer": _l("Work unit"),
        "position": _l("Position"),
        "start": _l("From (month)"),
        "end": _l("To (month)"),
    },
    "practice": {
        "project": _l("Project name"),
        "start": _l("From (month)"),
        "end": _l("To (month)"),
        "role": _l("Your role in the project"),
        "contribution": _l("Your own contribution"),
    },
    "awards": {
        "title": _l("Award or achievement"),
        "date": _l("Month obtained"),
        "issuer": _l("Awarded by"),
        "description": _l("Notes on the award"),
    },
    "development": {
        "activity": _l("Development activity"),
        "organiser": _l("Organised by"),
        "start": _l("From (month)"),
        "end": _l("To (month)"),
        "hours": _l("Hours"),
    },
}
REPEATABLE = ("education", "work", "practice", "awards", "development")
ROWS_REQUIRED = ("education", "work", "practice")
# Sections with nothing required: left empty they validate, so they are complete before
# they are ever saved (选填 in the progress list).
OPTIONAL = tuple(key for key in REPEATABLE if key not in ROWS_REQUIRED)
MAX_ROWS = 20
# What a save keeps at most, whatever is posted: the limits above are far below these.
STORED_TEXT_MAX = 2000
STORED_ROWS_MAX = 2 * MAX_ROWS

EMPLOYER_MAX = 50
POSITION_MAX = 50
TITLE_MAX = 50
ADDRESS_MAX = 100
CONTRIBUTION_MAX = 500
HOURS_MAX = 2000
TRUE_VALUES = ("1", "true", "on", "yes", True)
# 出生日期 as a date field sends it: 1985-06-15 (not an ISO week date like 1985-W24-6).
BIRTH_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

BASIC_FIELDS = (
    "name",
    "name_pinyin",
    "sex",
    "birth_date",
    "political_status",
    "ethnic_group",
    "native_province",
    "native_city",
    "id_type",
    "id_number",
    "employer",
    "position",
    "title",
    "address",
    "mobile",
    "email",
)


@dataclass(frozen=True)
class RowField:
    """One column of a repeatable row: its kind (text, month, hours), whether it is
    required, its length limit and whether line breaks are allowed."""

    name: str
    kind: str = "text"
    required: bool = True
    maximum: int = 0
    multiline: bool = False


ROW_FIELDS: dict[str, tuple[RowField, ...]] = {
    "education": (
        RowField("school", maximum=100),
        RowField("major", maximum=50),
        RowField("degree", maximum=30),
        RowField("start", "month"),
        RowField("end", "month"),
    ),
    "work": (
        RowField("employer", maximum=EMPLOYER_MAX),
        RowField("position", maximum=POSITION_MAX),
        RowField("start", "month"),
        RowField("end", "month", required=False),
    ),
    "practice": (
        RowField("project", maximum=200),
        RowField("start", "month"),
        RowField("end", "month", required=False),
        RowField("role", maximum=50),
        RowField("contribution", maximum=CONTRIBUTION_MAX, multiline=True),
    ),
    "awards": (
        RowField("title", maximum=200),
        RowField("date", "month"),
        RowField("issuer", required=False, maximum=100),
        RowField("description", required=False, maximum=300, multiline=True),
    ),
    "development": (
        RowField("activity", maximum=200),
        RowField("organiser", required=False, maximum=100),
        RowField("start", "month"),
        RowField("end", "month"),
        RowField("hours", "hours", required=False),
    ),
}

# Required-field messages of 基本情况.
_REQUIRED = {
    "name": _l("Enter your name."),
    "sex": _l("Choose your sex."),
    "birth_date": _l("Enter your date of birth."),
    "political_status": _l("Choose your political status."),
    "ethnic_group": _l("Choose your ethnic group."),
    "native_province": _l("Choose the province of your native place."),
    "native_city": _l("Choose the city of your native place."),
    "employer": _l("Enter your work unit."),
    "position": _l("Enter your position."),
    "title": _l("Enter your professional title."),
    "address": _l("Enter your postal address."),
}


class _Result:
    def __init__(self) -> None:
        self.values: dict = {}
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message) -> None:
        self.errors.setdefault(name, str(message))


def section_title(key: str) -> str:
    """The section's title in the current language."""
    return str(SECTION_TITLES[key])


def empty_data(key: str) -> dict:
    """What an unsaved section shows."""
    if key == "basic":
        return {name: "" for name in BASIC_FIELDS}
    if key == "declaration":
        return {"accepted": False}
    return {"rows": []}


def check_section(key: str, raw: dict, *, application=None) -> tuple[dict, dict]:
    """Check one section as typed; return (values to store, errors by field name).

    ``raw``: for ``basic`` a mapping field → string; for the repeatable sections
    ``{"rows": [{field: string}, ...]}``; for ``declaration`` ``{"accepted": "1"}``.
    The photo rule of ``basic`` reads ``application.photo_key`` (no application: no
    photo). Unknown keys of ``raw`` are ignored.
    """
    if key not in SECTION_KEYS:
        raise KeyError(key)
    raw = raw if isinstance(raw, dict) else {}
    result = _Result()
    if key == "basic":
        _check_basic(raw, result, application)
    elif key == "declaration":
        accepted = _flag(raw.get("accepted"))
        result.values["accepted"] = accepted
        if not accepted:
            result.fail("accepted", _l("Read and accept the integrity declaration."))
    else:
        _check_rows(key, raw, result)
    return result.values, result.errors


# --- reading -----------------------------------------------------------------------


def _text(raw: dict, name: str) -> str:
    value = raw.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return normalize_text(value)[:STORED_TEXT_MAX] if isinstance(value, str) else ""


def _flag(value) -> bool:
    return (value.strip().lower() if isinstance(value, str) else value) in TRUE_VALUES


def _has_control(value: str, multiline: bool) -> bool:
    """Control characters, or in one-line text any line break (U+2028 and U+2029
    included)."""
    allowed = "\n\t" if multiline else ""
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in allowed)
        or (not multiline and unicodedata.category(ch) in ("Zl", "Zp"))
        for ch in value
    )


def _text_problem(value: str, multiline: bool):
    """Why a typed text cannot be kept as it is: line breaks or control characters where
    they are not allowed, or invisible formatting characters (zero-width spaces,
    direction overrides) that would make a name show other than it is held."""
    if _has_control(value, multiline):
        return _l("Line breaks and control characters are not allowed here.")
    return hidden_characters_problem(value, multiline=multiline)


def _length_message(maximum: int, length: int):
    return _l(
        "Enter %(minimum)d to %(maximum)d characters (now %(length)d).",
        minimum=1,
        maximum=maximum,
        length=length,
    )


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_ZONE).date()


# --- 基本情况 -----------------------------------------------------------------------


def _check_basic(raw: dict, result: _Result, application) -> None:
    values = result.values
    for name in BASIC_FIELDS:
        values[name] = _text(raw, name)

    _line(result, "name", NAME_MAX)
    values["name_pinyin"] = normalize_pinyin(values["name_pinyin"])[:STORED_TEXT_MAX]
    problem = pinyin_problem(values["name_pinyin"])
    if problem is not None:
        result.fail("name_pinyin", problem)

    _choice(result, "sex", SEX)
    birth_date = _birth_date(result)
    _choice(result, "political_status", POLITICAL_STATUS)
    _choice(result, "ethnic_group", ETHNIC_GROUP)
    _native_place(result)
    _id_document(result, birth_date)

    _line(result, "employer", EMPLOYER_MAX)
    _line(result, "position", POSITION_MAX)
    _line(result, "title", TITLE_MAX)
    _line(result, "address", ADDRESS_MAX)

    # The mobile number is taken as typed: nothing is silently repaired.
    mobile = raw.get("mobile") if isinstance(raw.get("mobile"), str) else ""
    values["mobile"] = mobile[:STORED_TEXT_MAX]
    problem = mobile_problem(mobile)
    if problem is not None:
        result.fail("mobile", problem)
    problem = email_problem(values["email"])
    if problem is not None:
        result.fail("email", problem)

    if application is None or not getattr(application, "photo_key", None):
        result.fail("photo", _l("Upload your photo."))


def _line(result: _Result, name: str, maximum: int) -> None:
    value = result.values[name]
    if not value:
        result.fail(name, _REQUIRED[name])
    elif problem := _text_problem(value, False):
        result.fail(name, problem)
    elif count_chars(value) > maximum:
        result.fail(name, _length_message(maximum, count_chars(value)))


def _choice(result: _Result, name: str, dictionary) -> None:
    value = result.values[name]
    if not value:
        result.fail(name, _REQUIRED[name])
    elif value not in dictionary:
        result.fail(name, _l("Choose a value from the list."))


def _birth_date(result: _Result) -> dt.date | None:
    value = result.values["birth_date"]
    if not value:
        result.fail("birth_date", _REQUIRED["birth_date"])
        return None
    try:
        if not BIRTH_DATE_RE.fullmatch(value):
            raise ValueError(value)
        born = dt.date.fromisoformat(value)
    except ValueError:
        result.fail("birth_date", _l("Enter a date as YYYY-MM-DD."))
        return None
    if not EARLIEST_BIRTH <= born < _today():
        result.fail(
            "birth_date",
            _l("The date of birth must be a past date from 1900-01-01 on."),
        )
        return None
    return born


def _native_place(result: _Result) -> None:
    province, city = result.values["native_province"], result.values["native_city"]
    if not province:
        result.fail("native_province", _REQUIRED["native_province"])
        return
    if not is_province(province):
        result.fail("native_province", _l("Choose a value from the list."))
        return
    if not city and divisions_under(province):
        result.fail("native_city", _REQUIRED["native_city"])
    elif not is_division(province, city):
        result.fail("native_city", _l("Choose a city of the chosen province."))


def _id_document(result: _Result, birth_date: dt.date | None) -> None:
    values = result.values
    kind = values["id_type"]
    if kind not in ID_TYPE:
        result.fail(
            "id_type",
            id_number_problem(None, values["id_number"])
            if not kind
            else _l("Choose a value from the list."),
        )
        return
    values["id_number"] = normalize_id_number(values["id_number"])[:STORED_TEXT_MAX]
    problem = id_number_problem(kind, values["id_number"], birth_date)
    if problem is not None:
        result.fail("id_number", problem)
        return
    if kind in CHECKED_KINDS and values["sex"] in SEX:
        if gender_from_id(values["id_number"]) != values["sex"]:
            result.fail("sex", _l("The sex differs from the one in the ID number."))


# --- repeatable rows ---------------------------------------------------------------


def _check_rows(key: str, raw: dict, result: _Result) -> None:
    fields = ROW_FIELDS[key]
    typed = raw.get("rows")
    typed = typed if isinstance(typed, list | tuple) else []
    rows = []
    for item in typed:
        item = item if isinstance(item, dict) else {}
        row = {spec.name: _text(item, spec.name) for spec in fields}
        if any(row.values()):
            rows.append(row)
    rows = rows[:STORED_ROWS_MAX]
    result.values["rows"] = rows

    if not rows and key in ROWS_REQUIRED:
        result.fail("rows", _l("Add at least one entry."))
    if len(rows) > MAX_ROWS:
        result.fail("rows", _l("Add at most %(maximum)d entries.", maximum=MAX_ROWS))
    this_month = _today().replace(day=1)
    for index, row in enumerate(rows):
        months = {}
        for spec in fields:
            name = f"rows-{index}-{spec.name}"
            value = row[spec.name]
            if not value:
                if spec.required:
                    result.fail(name, _l("This field is required."))
                continue
            if spec.kind == "month":
                month = _month(value)
                if month is None:
                    result.fail(name, _l("Enter a month as YYYY-MM."))
                elif month > this_month:
                    result.fail(name, _l("This month has not come yet."))
                elif month < EARLIEST_BIRTH:
                    result.fail(name, _l("Enter a month from 1900-01 on."))
                else:
                    row[spec.name] = month.strftime("%Y-%m")
                    months[spec.name] = month
            elif spec.kind == "hours":
                if not (value.isascii() and value.isdigit()) or not (
                    1 <= int(value) <= HOURS_MAX
                ):
                    result.fail(
                        name,
                        _l(
                            "Enter whole hours from 1 to %(maximum)d.",
                            maximum=HOURS_MAX,
                        ),
                    )
            elif problem := _text_problem(value, spec.multiline):
                result.fail(name, problem)
            elif count_chars(value) > spec.maximum:
                result.fail(name, _length_message(spec.maximum, count_chars(value)))
        if "start" in months and "end" in months and months["end"] < months["start"]:
            result.fail(f"rows-{index}-end", _l("The end cannot be before the start."))


def _month(value: str) -> dt.date | None:
    """2024-03 (or 2024-3) as the first day of that month, None when it is not one."""
    parts = value.split("-")
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    if len(parts[0]) != 4 or not 1 <= len(parts[1]) <= 2:
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), 1)
    except ValueError:
        return None

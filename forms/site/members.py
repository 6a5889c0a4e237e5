"""The forms of 注册工程会员申请 (SPEC §4) on the applicant site.

Like forms/site/applications.py, a form only carries what was typed, exactly as typed,
and the CSRF token: every rule is app/services/members.py's (and member_sections.py's),
which names each refused field. Choice fields keep any posted string, so a value forced
into the request comes back unselected with the service's message at the field.

The repeatable sections (教育经历, 工作经历, ...) are posted as ``rows-<index>-<field>``
(WTForms' FieldList naming); ``read_rows`` turns them into the list the service reads,
in the order of their indices (rows added in the page get the next free index).
"""

import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, StringField

from app.services.member_sections import (
    ADDRESS_MAX,
    BASIC_FIELDS,
    EMPLOYER_MAX,
    MAX_ROWS,
    NAME_MAX,
    POSITION_MAX,
    ROW_FIELDS,
    TITLE_MAX,
)
from app.services.names import PINYIN_MAX

# The labels of 基本情况, as 《工程会员申请表》 names them.
BASIC_LABELS = {
    "name": _l("Name"),
    "name_pinyin": _l("Name in pinyin"),
    "photo": _l("Photo"),
    "sex": _l("Sex"),
    "birth_date": _l("Date of birth"),
    "political_status": _l("Political status"),
    "native_province": _l("Native place"),
    "native_city": _l("City of the native place"),
    "ethnic_group": _l("Ethnic group"),
    "id_type": _l("ID type"),
    "id_number": _l("ID number"),
    "employer": _l("Work unit"),
    "position": _l("Position"),
    "title": _l("Professional title"),
    "address": _l("Postal address"),
    "mobile": _l("Mobile"),
    "email": _l("E-mail"),
}

# The fields of 基本情况 with an ``n / max`` counter, and their maximum.
BASIC_LIMITS = {
    "name": NAME_MAX,
    "name_pinyin": PINYIN_MAX,
    "employer": EMPLOYER_MAX,
    "position": POSITION_MAX,
    "title": TITLE_MAX,
    "address": ADDRESS_MAX,
}

# Index of a posted row: FieldList's ``rows-<index>-<field>``, at most 4 digits.
_ROW_KEY = re.compile(r"rows-(\d{1,4})-([a-z_]{1,32})")
# What a post may carry at most, whatever is sent: the service keeps fewer.
_POSTED_ROWS_MAX = 4 * MAX_ROWS


class MemberForm(FlaskForm):
    """A bare form: the CSRF token of a POST button or of a page that reads its
    fields itself."""

    def csrf_valid(self) -> bool:
        """Check the CSRF token only (the view calls the service for the rest)."""
        token = self._fields.get("csrf_token")
        return token is None or token.validate(self)


class SpecialtyForm(MemberForm):
    """选择领域及专业."""

    field_id = StringField(_l("Field"))
    specialty_id = StringField(_l("Specialty"))


class LevelForm(MemberForm):
    """选择申请级别."""

    level = StringField(_l("Level applied for"))


class BasicForm(MemberForm):
    """基本情况: every field a string as typed, and the photo file."""

    name = StringField(BASIC_LABELS["name"])
    name_pinyin = StringField(BASIC_LABELS["name_pinyin"])
    photo = FileField(BASIC_LABELS["photo"])
    sex = StringField(BASIC_LABELS["sex"])
    birth_date = StringField(BASIC_LABELS["birth_date"])
    political_status = StringField(BASIC_LABELS["political_status"])
    native_province = StringField(BASIC_LABELS["native_province"])
    native_city = StringField(BASIC_LABELS["native_city"])
    ethnic_group = StringField(BASIC_LABELS["ethnic_group"])
    id_type = StringField(BASIC_LABELS["id_type"])
    id_number = StringField(BASIC_LABELS["id_number"])
    employer = StringField(BASIC_LABELS["employer"])
    position = StringField(BASIC_LABELS["position"])
    title = StringField(BASIC_LABELS["title"])
    address = StringField(BASIC_LABELS["address"])
    mobile = StringField(BASIC_LABELS["mobile"])
    email = StringField(BASIC_LABELS["email"])

    def raw(self) -> dict[str, str]:
        """What was posted, field name → string, for the service."""
        return {
            name: self[name].data if isinstance(self[name].data, str) else ""
            for name in BASIC_FIELDS
        }

    def attach(self, errors: Mapping[str, str]) -> list[str]:
        """Put the service's messages at their fields; return those with no field of
        this form (shown above it)."""
        rest = []
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None or name == "csrf_token":
                rest.append(message)
            else:
                field.errors = [*(field.errors or ()), message]
        return rest


class RowsForm(MemberForm):
    """A repeatable section: the rows are read from the request by ``read_rows``;
    ``extra`` is how many empty rows the page showed (the page without JavaScript
    adds one each time 添加一行 is chosen)."""

    extra = HiddenField()


class DeclarationForm(MemberForm):
    """诚信承诺."""

    accepted = StringField(_l("Integrity declaration"))


def read_rows(key: str, formdata: Mapping) -> list[dict[str, str]]:
    """The rows of section ``key`` as posted, in the order of their indices, each a
    mapping of the section's fields to the strings typed (missing ones empty)."""
    names = [spec.name for spec in ROW_FIELDS[key]]
    rows: dict[int, dict[str, str]] = {}
    for posted in formdata.keys():
        match = _ROW_KEY.fullmatch(posted)
        if match is None or match.group(2) not in names:
            continue
        index = int(match.group(1))
        if index not in rows and len(rows) >= _POSTED_ROWS_MAX:
            continue
        value = formdata.get(posted)
        rows.setdefault(index, {})[match.group(2)] = (
            value if isinstance(value, str) else ""
        )
    return [
        {name: rows[index].get(name, "") for name in names} for index in sorted(rows)
    ]


def empty_row(key: str) -> dict[str, str]:
    """A row of section ``key`` with every field empty."""
    return {spec.name: "" for spec in ROW_FIELDS[key]}

"""The query-string reading the backend queues share: 学会审核 (app/services/reviews.py)
and 注册工程会员申请 (app/services/members.py).

Each queue keeps its filters in its own dataclass with ``typed`` (what was typed,
shown again in the form), ``errors`` (filter → the message shown at it; that filter is
not applied) and the applied values. A date filter is a local (Asia/Shanghai) day,
typed as YYYY-MM-DD; ``from``/``to`` are refused together when the end is before the
start, and applied as the naive UTC times stored (``submitted_clauses``).
"""

import datetime as dt
from collections.abc import Callable, Mapping

from flask_babel import gettext as _

from app.services.applications import DB_INT_MAX
from app.times import utc_start_of_day
from app.validation import normalize_text

FILTER_TEXT_MAX = 50


def text_reader(args: Mapping, typed: dict) -> Callable[[str], str]:
    """``text(key)``: the parameter's text, normalized and cut to FILTER_TEXT_MAX,
    kept in ``typed``."""

    def text(key: str) -> str:
        value = args.get(key) or ""
        value = normalize_text(value if isinstance(value, str) else "")[
            :FILTER_TEXT_MAX
        ]
        typed[key] = value
        return value

    return text


def read_id(value, invalid: int | None = None) -> int | None:
    """An id from a URL, a form or a filter: None when empty, ``invalid`` when it is
    not a usable id (letters, zero, out of the database's integer range)."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        return invalid
    number = int(text)
    return number if 0 < number <= DB_INT_MAX else invalid


def read_mobile(filters, text: Callable[[str], str]) -> None:
    """手机号: digits (the start of the number)."""
    mobile = text("mobile")
    if mobile and not (mobile.isascii() and mobile.isdigit()):
        filters.errors["mobile"] = _("Enter digits of the mobile number.")
    else:
        filters.mobile = mobile


def read_state(filters, text: Callable[[str], str], states, all_states: str) -> None:
    """A state of the queue's ``states``, or ``all_states``."""
    state = text("state")
    if state:
        if state in {s.value for s in states} | {all_states}:
            filters.state = state
        else:
            filters.errors["state"] = _("Choose a state from the list.")


def read_level(filters, text: Callable[[str], str], levels) -> None:
    """A level applied for, one of ``levels``."""
    level = text("level")
    if level:
        if level in levels:
            filters.level = level
        else:
            filters.errors["level"] = _("Choose a level from the list.")


def read_dates(filters, text: Callable[[str], str]) -> None:
    """提交日期 ``from`` / ``to`` (local days): neither is applied when one is refused
    or when the end is before the start."""
    start = _day(filters, "from", text("from"))
    end = _day(filters, "to", text("to"))
    if start and end and end < start:
        filters.errors["to"] = _("The end date cannot be before the start date.")
    elif "from" not in filters.errors and "to" not in filters.errors:
        filters.start, filters.end = start, end


def _day(filters, key: str, value: str) -> dt.date | None:
    """A date filter typed as YYYY-MM-DD; refused at its filter otherwise."""
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        filters.errors[key] = _("Enter a date as YYYY-MM-DD.")
        return None


def person_clauses(model, filters) -> list:
    """姓名 (contains) and 手机号 (starts with) of the queue's rows."""
    clauses = []
    if filters.name:
        clauses.append(model.name.contains(filters.name, autoescape=True))
    if filters.mobile:
        clauses.append(model.mobile.startswith(filters.mobile, autoescape=True))
    return clauses


def submitted_clauses(column, filters) -> list:
    """``column`` (a naive UTC time) within the local days ``start`` to ``end``."""
    clauses = []
    if filters.start is not None:
        clauses.append(column >= utc_start_of_day(filters.start))
    if filters.end is not None:
        clauses.append(column < utc_start_of_day(filters.end + dt.timedelta(days=1)))
    return clauses

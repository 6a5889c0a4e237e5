"""The overviews of SPEC §5: 拟参加工程能力评价人员总览 and 工程能力评价人员总览.

Which applications an identity sees (``application_clause``, the one rule):

- platform admin: every application;
- society channel contact: those that came through its society's channel tree (the
  society's own channel and every enterprise under it);
- enterprise channel contact: those of its own channel and, for a level-1 enterprise,
  of its level-2 enterprises (never a sibling's);
- society super-admin: those addressed to its society as 意向评价学会, plus those
  recommended through its society's channel tree: the society's staff follow both
  what they will assess and what their own channels brought in.

Drafts never appear. Who sees a full mobile number is ``full_mobile_clause``.

Filters arrive as strings (``read_filters``): a value that cannot be applied is not
applied and gets a message at its filter; an argument the overview does not offer is
ignored and named; a sort key outside the allowlist falls back to the default order.
"""

import datetime as dt
import enum
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, true

from app.extensions import db
from app.models import (
    Channel,
    Field,
    Identity,
    IdentityKind,
    ProspectiveApplication,
    ProspectiveState,
    Society,
)
from app.models.applications import MEMBER_LEVEL_TITLES
from app.scoping import scope_for
from app.services import channels, consultations, members
from app.services.queue_filters import read_id
from app.times import utc_start_of_day
from app.validation import mask_mobile

logger = logging.getLogger(__name__)

# Above this many channels in the identity's tree, the channel filter is a name field
# instead of a select (a select of thousands of options would weigh more than the page).
CHANNEL_SELECT_MAX = 300
TEXT_FILTER_MAX = 50

A = ProspectiveApplication


class OverviewKind(enum.StrEnum):
    """The two overviews."""

    PROSPECT = "prospect"
    ASSESSMENT = "assessment"

    @property
    def title(self) -> str:
        return str(OVERVIEW_TITLES[self])


OVERVIEW_TITLES = {
    OverviewKind.PROSPECT: _l("Overview of prospective assessment applicants"),
    OverviewKind.ASSESSMENT: _l("Overview of assessment applicants"),
}

# Member-stage steps of 工程能力评价人员总览, in order.
MEMBER_STAGES = ("applied", "accepted", "passed", "registered")
STAGE_TITLES = {
    "applied": _l("Application submitted"),
    "accepted": _l("Accepted"),
    "passed": _l("Passed assessment"),
    "registered": _l("Registered"),
}
STAGE_DATE_TITLES = {
    "applied": _l("Application submitted at"),
    "accepted": _l("Accepted at"),
    "passed": _l("Passed at"),
    "registered": _l("Registered at"),
}

FILTER_LABELS = {
    "name": _l("Name"),
    "mobile": _l("Mobile number"),
    "field": _l("Field"),
    "channel": _l("Recommending channel"),
    "channel_name": _l("Recommending channel"),
    "level": _l("Level applied for"),
    "state": _l("State"),
    "consultation": _l("Consultation"),
    "submitted_from": _l("Submitted from"),
    "submitted_to": _l("Submitted until"),
    **STAGE_TITLES,
}

# In the order of the filter form (and of the export's 筛选条件 line).
_WHO = ("name", "mobile", "field", "channel", "channel_name", "level")
_WHEN = ("submitted_from", "submitted_to")
OFFERED_FILTERS = {
    OverviewKind.PROSPECT: (*_WHO, "state", "consultation", *_WHEN),
    OverviewKind.ASSESSMENT: (*_WHO, "consultation", *MEMBER_STAGES, *_WHEN),
}
# Arguments that are not filters: paging, order, FAB's language switch, the form token.
CONTROL_ARGS = frozenset({"page", "sort", "dir", "_l_", "csrf_token"})
YES_NO = {"yes": True, "no": False}
DEFAULT_SORT = ("submitted", "desc")
# The states an overview shows, filters and counts: every state but the draft.
SHOWN_STATES = tuple(s for s in ProspectiveState if s != ProspectiveState.DRAFT)


# --------------------------------------------------------------------------------------
# Who sees what
# --------------------------------------------------------------------------------------


def _kind(identity: Identity) -> IdentityKind:
    return IdentityKind(identity.kind)


def application_clause(identity: Identity):
    """The applications the identity's overviews show (see the module docstring)."""
    kind = _kind(identity)
    if kind == IdentityKind.PLATFORM_ADMIN:
        return true()
    if kind == IdentityKind.SOCIETY_ADMIN:
        return or_(
            A.assessing_society_id == identity.society_id,
            A.channel_id.in_(
                select(Channel.id).where(Channel.society_id == identity.society_id)
            ),
        )
    return A.channel_id.in_(scope_for(identity).channel_ids())


def channel_clause(identity: Identity):
    """The channels the identity's channel filter offers: its own tree."""
    kind = _kind(identity)
    if kind == IdentityKind.PLATFORM_ADMIN:
        return true()
    if kind == IdentityKind.SOCIETY_ADMIN:
        return Channel.society_id == identity.society_id
    return scope_for(identity).channel_clause(Channel)


def full_mobile_clause(identity: Identity):
    """Where the identity sees an applicant's full mobile number; elsewhere it sees
    139****1111 (on the page and in the export alike).

    The rule: the platform admin sees every number; a society super-admin the numbers
    of applicants addressed to its society (it arranges their consultation by phone);
    a channel contact those of its own channel only: an enterprise contact the people
    who used its own codes, a society contact the people who chose the society itself.
    So a level-1 enterprise sees its level-2 enterprises' applicants masked, and a
    society contact its enterprises' applicants.
    """
    kind = _kind(identity)
    if kind == IdentityKind.PLATFORM_ADMIN:
        return true()
    if kind == IdentityKind.SOCIETY_ADMIN:
        return A.assessing_society_id == identity.society_id
    if kind == IdentityKind.SOCIETY_CONTACT:
        root = select(Channel.id).where(
            Channel.society_id == identity.society_id, Channel.level == 0
        )
        return A.channel_id == root.scalar_subquery()
    return A.channel_id == identity.channel_id


def _unscoped(identity: Identity) -> bool:
    """True when the statement must bypass the ORM row scope (app/scoping.py): a
    society super-admin's scope there is the review queue's (the applications
    addressed to its society), narrower than this overview's, so for that identity
    ``application_clause`` alone scopes the overview."""
    return _kind(identity) == IdentityKind.SOCIETY_ADMIN


def _run(identity: Identity, statement):
    return db.session.execute(
        statement, execution_options={"unscoped": True} if _unscoped(identity) else {}
    )


# --------------------------------------------------------------------------------------
# Columns read from other parts of the product
# --------------------------------------------------------------------------------------


def member_stage_columns() -> dict[str, object]:
    """SQL expressions of the member-application steps of one prospective application,
    by step (``MEMBER_STAGES``): the time the step happened, NULL while it has not.

    They are correlated subqueries on the member application opened by the
    prospective application (``app.services.members.stage_columns``, issue 5); the
    overview's columns, filters (yes/no), sort and export read only these expressions.
    """
    return members.stage_columns(A.id)


def consultation_labels(application_ids: list[int]) -> dict[int, str]:
    """The consultation arrangement (咨询指导安排) of each application, by id
    (``app.services.consultations.status_for``)."""
    if not application_ids:
        return {}
    return {
        key: str(label)
        for key, label in consultations.status_for(application_ids).items()
    }


# --------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------


@dataclass
class Filters:
    """Filters read from a request: what was typed (to show again and to carry into the
    export), what is applied, the messages of what is not, and what was ignored."""

    kind: OverviewKind
    values: dict[str, str] = field(default_factory=dict)
    applied: dict[str, object] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)
    # The names of the chosen field and channel, for the export's 筛选条件 line.
    labels: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    sort: str = DEFAULT_SORT[0]
    direction: str = DEFAULT_SORT[1]

    @property
    def ok(self) -> bool:
        return not self.errors

    def args(self) -> dict[str, str]:
        """The query arguments that reproduce these filters and this order."""
        result = {key: value for key, value in self.values.items() if value}
        if (self.sort, self.direction) != DEFAULT_SORT:
            result.update(sort=self.sort, dir=self.direction)
        return result

    def described(self) -> list[tuple[str, str]]:
        """(label, value) of each applied filter, as the export file and the audit log
        state them; a full mobile number typed as a filter is written masked."""
        result = []
        for key in OFFERED_FILTERS[self.kind]:
            if key not in self.applied:
                continue
            value = self.values[key]
            if key == "mobile":
                value = mask_mobile(value)
            elif key in self.labels:
                value = self.labels[key]
            elif key == "level":
                value = str(MEMBER_LEVEL_TITLES[value])
            elif key == "state":
                value = ProspectiveState(value).title
            elif key in YES_NO_FILTERS:
                value = str(_l("Yes") if self.applied[key] else _l("No"))
            result.append((str(FILTER_LABELS[key]), value))
        return result


YES_NO_FILTERS = ("consultation", *MEMBER_STAGES)


def _local_date(text: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD, within years that convert to UTC and back."""
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
    return day if day is not None and 1900 <= day.year <= 9000 else None


def read_filters(
    identity: Identity, kind: OverviewKind, raw: Mapping[str, str]
) -> Filters:
    """Check the filter arguments of an overview (query string or export form)."""
    result = Filters(kind=kind)
    offered = OFFERED_FILTERS[kind]
    for key in raw:
        if key not in offered and key not in CONTROL_ARGS:
            result.ignored.append(key[:30])
    result.ignored = sorted(set(result.ignored))[:5]
    values = {key: (raw.get(key) or "").strip() for key in offered}
    result.values = values

    for key in ("name", "channel_name"):
        if values[key]:
            if len(values[key]) > TEXT_FILTER_MAX:
                result.errors[key] = _l(
                    "Enter at most %(maximum)d characters.", maximum=TEXT_FILTER_MAX
                )
            else:
                result.applied[key] = values[key]
    mobile = values["mobile"]
    if mobile:
        if not (mobile.isascii() and mobile.isdigit()) or len(mobile) > 11:
            result.errors["mobile"] = _l(
                "Search the mobile number by its digits (up to 11)."
            )
        else:
            result.applied["mobile"] = mobile

    _read_field(values, result)
    _read_channel(identity, values, result)
    _read_choice(values, result, "level", set(MEMBER_LEVEL_TITLES))
    if "state" in offered:
        _read_choice(values, result, "state", {s.value for s in SHOWN_STATES})
    for key in YES_NO_FILTERS:
        if key in offered and values[key]:
            if values[key] in YES_NO:
                result.applied[key] = YES_NO[values[key]]
            else:
                result.errors[key] = _l("Choose one of the listed options.")
    _read_dates(values, result)

    sort, direction = (raw.get("sort") or ""), (raw.get("dir") or "")
    if sort in sort_columns(kind):
        result.sort = sort
        result.direction = direction if direction in ("asc", "desc") else "asc"
    return result


def _read_choice(values: dict, result: Filters, key: str, allowed: set[str]) -> None:
    if values[key]:
        if values[key] in allowed:
            result.applied[key] = values[key]
        else:
            result.errors[key] = _l("Choose one of the listed options.")


def _read_field(values: dict, result: Filters) -> None:
    text = values["field"]
    if not text:
        return
    row = None
    if (pk := read_id(text)) is not None:
        row = db.session.execute(
            select(Field.id, Field.name).where(Field.id == pk)
        ).first()
    if row is None:
        result.errors["field"] = _l("Choose one of the listed options.")
        return
    result.applied["field"] = row.id
    result.labels["field"] = row.name


def _read_channel(identity: Identity, values: dict, result: Filters) -> None:
    """A channel id is applied only when it lies in the identity's own tree; any other
    id (another organisation's, or none at all) gets the same message."""
    text = values["channel"]
    if not text:
        return
    row = None
    if (pk := read_id(text)) is not None:
        statement = select(Channel.id, Channel.name).where(
            Channel.id == pk, channel_clause(identity)
        )
        row = _run(identity, statement).first()
    if row is None:
        result.errors["channel"] = _l(
            "This channel is not one of the channels you can see."
        )
        return
    result.applied["channel"] = row.id
    result.labels["channel"] = row.name


def _read_dates(values: dict, result: Filters) -> None:
    days = {}
    for key in ("submitted_from", "submitted_to"):
        if values[key]:
            days[key] = _local_date(values[key])
            if days[key] is None:
                result.errors[key] = _l(
                    "Enter a date as year-month-day, for example 2026-03-01."
                )
    start, end = days.get("submitted_from"), days.get("submitted_to")
    if start is not None and end is not None and end < start:
        result.errors["submitted_to"] = _l(
            "The end date cannot be before the start date."
        )
        return
    if start is not None:
        result.applied["submitted_from"] = utc_start_of_day(start)
    if end is not None:
        result.applied["submitted_to"] = utc_start_of_day(end + dt.timedelta(days=1))


# --------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------


def sort_columns(kind: OverviewKind) -> dict[str, object]:
    """The allowlist of sort keys and their expressions (no sort on the mobile number:
    its order would tell the masked digits)."""
    columns = {
        "name": A.name,
        "field": Field.name,
        "channel": Channel.name,
        "society": Society.name,
        "level": A.level,
        "consultation": A.wants_consultation,
        "submitted": A.submitted_at,
    }
    if kind == OverviewKind.PROSPECT:
        columns["state"] = A.state
    else:
        columns.update(member_stage_columns())
    return columns


def _conditions(identity: Identity, filters: Filters) -> list:
    applied = filters.applied
    conditions = [
        application_clause(identity),
        A.channel_id.is_not(None),
        A.state != ProspectiveState.DRAFT.value,
    ]
    if filters.kind == OverviewKind.ASSESSMENT:
        conditions.append(A.state == ProspectiveState.APPROVED.value)
    if "name" in applied:
        conditions.append(A.name.icontains(applied["name"], autoescape=True))
    if "mobile" in applied:
        # Digits anywhere in a number the identity sees in full; a masked number is
        # found by its complete 11 digits only (else the filter would reveal it).
        mobile = applied["mobile"]
        conditions.append(
            or_(
                and_(
                    full_mobile_clause(identity),
                    A.mobile.contains(mobile, autoescape=True),
                ),
                A.mobile == mobile,
            )
        )
    if "field" in applied:
        conditions.append(A.field_id == applied["field"])
    if "channel" in applied:
        conditions.append(A.channel_id == applied["channel"])
    if "channel_name" in applied:
        conditions.append(
            Channel.name.icontains(applied["channel_name"], autoescape=True)
        )
    if "level" in applied:
        conditions.append(A.level == applied["level"])
    if "state" in applied:
        conditions.append(A.state == applied["state"])
    if "consultation" in applied:
        conditions.append(A.wants_consultation.is_(applied["consultation"]))
    if "submitted_from" in applied:
        conditions.append(A.submitted_at >= applied["submitted_from"])
    if "submitted_to" in applied:
        conditions.append(A.submitted_at < applied["submitted_to"])
    stages = member_stage_columns()
    for stage in MEMBER_STAGES:
        if stage in applied:
            conditions.append(
                stages[stage].is_not(None)
                if applied[stage]
                else stages[stage].is_(None)
            )
    return conditions


def _joined(statement: Select) -> Select:
    return (
        statement.select_from(A)
        .join(Channel, Channel.id == A.channel_id)
        .outerjoin(Field, Field.id == A.field_id)
        .outerjoin(Society, Society.id == A.assessing_society_id)
    )


def _order(filters: Filters) -> list:
    order = sort_columns(filters.kind)[filters.sort]
    order = order.desc() if filters.direction == "desc" else order.asc()
    tie = A.id.desc() if filters.direction == "desc" else A.id.asc()
    return [order.nulls_last(), tie]


def rows_query(identity: Identity, filters: Filters) -> Select:
    """The overview's rows, filtered and in order, as plain columns (no ORM objects:
    a page and a 100,000-row export alike hold only the rows they are handling)."""
    columns = [
        A.id,
        A.name,
        A.mobile,
        full_mobile_clause(identity).label("mobile_visible"),
        Field.name.label("field"),
        Channel.name.label("channel"),
        Society.name.label("society"),
        A.level,
        A.wants_consultation,
        A.state,
        A.submitted_at,
    ]
    if filters.kind == OverviewKind.ASSESSMENT:
        columns += [
            expression.label(f"{stage}_at")
            for stage, expression in member_stage_columns().items()
        ]
    return (
        _joined(select(*columns))
        .where(*_conditions(identity, filters))
        .order_by(*_order(filters))
    )


def _narrow(statement: Select, filters: Filters) -> Select:
    """``statement`` on the applications with only the joins that the filters and the
    sort key need (each join costs a lookup per row of a 100,000-row scan)."""
    statement = statement.select_from(A)
    if "channel_name" in filters.applied or filters.sort == "channel":
        statement = statement.join(Channel, Channel.id == A.channel_id)
    if filters.sort == "field":
        statement = statement.outerjoin(Field, Field.id == A.field_id)
    if filters.sort == "society":
        statement = statement.outerjoin(Society, Society.id == A.assessing_society_id)
    return statement


def count_rows(identity: Identity, filters: Filters) -> int:
    statement = _narrow(select(func.count(A.id)), filters)
    statement = statement.where(*_conditions(identity, filters))
    return int(_run(identity, statement).scalar_one())


@dataclass
class OverviewRow:
    """One line of an overview, with the mobile number as the identity may see it."""

    id: int
    name: str
    mobile: str
    field: str
    channel: str
    society: str
    level: str | None
    wants_consultation: bool
    consultation: str
    state: str
    submitted_at: dt.datetime | None
    stages: dict[str, dt.datetime | None]

    @property
    def level_title(self) -> str:
        return str(MEMBER_LEVEL_TITLES.get(self.level or "", ""))

    @property
    def state_title(self) -> str:
        return ProspectiveState(self.state).title


def _rows(kind: OverviewKind, results) -> list[OverviewRow]:
    results = list(results)
    labels = consultation_labels([row.id for row in results])
    return [
        OverviewRow(
            id=row.id,
            name=row.name,
            mobile=row.mobile if row.mobile_visible else mask_mobile(row.mobile),
            field=row.field or "",
            channel=row.channel or "",
            society=row.society or "",
            level=row.level,
            wants_consultation=bool(row.wants_consultation),
            consultation=labels.get(row.id, ""),
            state=row.state,
            submitted_at=row.submitted_at,
            stages={stage: getattr(row, f"{stage}_at") for stage in MEMBER_STAGES}
            if kind == OverviewKind.ASSESSMENT
            else {},
        )
        for row in results
    ]


@dataclass
class OverviewPage:
    rows: list[OverviewRow]
    total: int


def page_of(
    identity: Identity, filters: Filters, page: int, per_page: int
) -> OverviewPage:
    """One page of the overview and the number of rows of all pages.

    The page's ids are chosen first with the sort key alone (a narrow sort), then its
    rows are read with their joined names."""
    total = count_rows(identity, filters)
    ids_query = (
        _narrow(select(A.id), filters)
        .where(*_conditions(identity, filters))
        .order_by(*_order(filters))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    ids = list(_run(identity, ids_query).scalars())
    if not ids:
        return OverviewPage(rows=[], total=total)
    position = {pk: index for index, pk in enumerate(ids)}
    rows = _run(identity, rows_query(identity, filters).where(A.id.in_(ids))).all()
    rows.sort(key=lambda row: position[row.id])
    return OverviewPage(rows=_rows(filters.kind, rows), total=total)


def iter_rows(
    identity: Identity, filters: Filters, chunk: int = 1000
) -> Iterator[OverviewRow]:
    """Every row of the filtered overview, read from the database ``chunk`` at a time
    (a server-side cursor on PostgreSQL)."""
    statement = rows_query(identity, filters).execution_options(yield_per=chunk)
    result = _run(identity, statement)
    for partition in result.partitions(chunk):
        yield from _rows(filters.kind, partition)


# --------------------------------------------------------------------------------------
# Choices and header figures
# --------------------------------------------------------------------------------------


def field_choices() -> list[tuple[int, str]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(Field.id, Field.name).order_by(Field.position, Field.id)
        )
    ]


def channel_choices(identity: Identity) -> list[tuple[int, str]] | None:
    """The channels of the identity's tree in tree order, labelled by level; None when
    there are more than CHANNEL_SELECT_MAX (the page then filters by channel name)."""
    statement = (
        select(Channel.id, Channel.parent_id, Channel.level, Channel.name)
        .where(channel_clause(identity))
        .order_by(Channel.society_id, Channel.level, Channel.name, Channel.id)
        .limit(CHANNEL_SELECT_MAX + 1)
    )
    rows = _run(identity, statement).all()
    if len(rows) > CHANNEL_SELECT_MAX:
        return None
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ids = {row.id for row in rows}
    result: list[tuple[int, str]] = []

    def walk(row) -> None:
        result.append((row.id, "\u3000" * row.level + row.name))
        for child in children.get(row.id, []):
            walk(child)

    for row in rows:
        if row.parent_id is None or row.parent_id not in ids:
            walk(row)
    return result


@dataclass
class HeaderFigures:
    """The figures above an overview."""

    total: int
    counts: list[tuple[str, str, int]]  # (key, title, number)
    codes: channels.Figures | None = None


def header_figures(identity: Identity, kind: OverviewKind) -> HeaderFigures:
    """Enterprise contacts: 被分配推荐码数量 / 已使用推荐码数量 of their own channel;
    everyone: the overview's people by state (拟参加) or by member-stage step."""
    codes = None
    if (
        _kind(identity) == IdentityKind.ENTERPRISE_CONTACT
        and identity.channel is not None
    ):
        codes = channels.figures(identity.channel)
    # The overview's own rows: the same conditions, without filters.
    conditions = _conditions(identity, Filters(kind=kind))
    if kind == OverviewKind.PROSPECT:
        statement = select(A.state, func.count()).where(*conditions).group_by(A.state)
        by_state = dict(_run(identity, statement).all())
        counts = [
            (s.value, s.title, int(by_state.get(s.value, 0))) for s in SHOWN_STATES
        ]
        return HeaderFigures(
            total=sum(number for _key, _title, number in counts),
            counts=counts,
            codes=codes,
        )
    stages = member_stage_columns()
    statement = select(
        func.count(A.id), *[func.count(stages[stage]) for stage in MEMBER_STAGES]
    ).where(*conditions)
    total, *numbers = _run(identity, statement).one()
    counts = [
        (stage, str(STAGE_TITLES[stage]), int(number or 0))
        for stage, number in zip(MEMBER_STAGES, numbers, strict=True)
    ]
    return HeaderFigures(total=int(total), counts=counts, codes=codes)

"""学会审核: a society super-admin's review of the prospective applications addressed to
the society (意向评价学会), SPEC §4 and issue 4.

The state machine is ``app.services.applications.transition``; this module decides
which applications an identity may see and decide, builds the queue with its filters
and ages, turns a refused decision into a message saying who decided and when, runs
bulk decisions row by row, and keeps the society's reusable reason texts (常用理由).

A society super-admin decides for its own society only. The platform admin sees every
society's queue read-only (SPEC §1: the operator sees everything, read-only).
"""

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.db import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import (
    Account,
    ApplicationEvent,
    Channel,
    Field,
    Identity,
    IdentityKind,
    ProspectiveApplication,
    ProspectiveState,
    ReviewReason,
    Society,
    SocietyKind,
)
from app.models.base import utcnow
from app.models.reviews import REVIEW_REASON_MAX
from app.services import applications, audit, queue_filters
from app.times import format_local
from app.validation import hidden_characters_problem, normalize_text

logger = logging.getLogger(__name__)

S = ProspectiveState
A = ProspectiveApplication

DECISIONS = ("approve", "return", "reject")
BULK_DECISIONS = ("approve", "return")
QUEUE_STATES = (S.SUBMITTED, S.APPROVED, S.RETURNED, S.REJECTED, S.WITHDRAWN)
ALL_STATES = "all"
ROUTE_TITLES = {
    "society": _l("National society / local engineering society"),
    "enterprise": _l("Enterprise"),
}
DECISION_TITLES = {
    "approve": _l("Approve"),
    "return": _l("Return for changes"),
    "reject": _l("Do not approve"),
}
# The confirmation shown after a decision taken (one by one and per bulk line).
DECISION_DONE = {
    "approve": _l("Approved; the member application is open to the applicant."),
    "return": _l("Returned for changes."),
    "reject": _l("Not approved."),
}
# The query-string parameters the queue offers; anything else is reported, not applied.
OFFERED_FILTERS = (
    "name",
    "mobile",
    "field",
    "level",
    "state",
    "route",
    "channel",
    "from",
    "to",
    "overdue",
    "society",
    "page",
)
BULK_MAX = 100
REASONS_MAX = 50


class ReviewError(DomainError):
    """A decision or a reason text that cannot be taken; the message says why."""


class NotInQueue(ReviewError):
    """The application (or reason text) is not the identity's to see: a 404."""

    def __init__(self) -> None:
        super().__init__(_l("This application is not in your review queue."))


class DecisionForbidden(ReviewError):
    """The identity may look at the queue but not decide: a 403."""

    def __init__(self) -> None:
        super().__init__(_l("Only the society super-administrator can decide."))


# --- who may do what ---------------------------------------------------------------


def can_view_queue(identity: Identity | None) -> bool:
    """A society super-admin (its society) and the platform admin (all, read-only)."""
    return identity is not None and (can_decide(identity) or is_platform(identity))


def can_decide(identity: Identity | None) -> bool:
    """Only a society super-admin decides, for its own society."""
    return (
        identity is not None
        and identity.kind == IdentityKind.SOCIETY_ADMIN
        and identity.society_id is not None
    )


def is_platform(identity: Identity | None) -> bool:
    return identity is not None and identity.kind == IdentityKind.PLATFORM_ADMIN


def _visible(identity: Identity) -> list:
    """Where-clauses of the applications the identity sees in the review pages: those
    that were submitted at least once (never a draft), addressed to its society."""
    clauses = [A.submitted_at.is_not(None), A.state != S.DRAFT.value]
    if can_decide(identity):
        clauses.append(A.assessing_society_id == identity.society_id)
    elif not is_platform(identity):
        clauses.append(false())
    return clauses


# --- ages --------------------------------------------------------------------------


def overdue_days() -> int:
    """REVIEW_OVERDUE_DAYS: an application waiting longer than this is overdue."""
    return int(current_app.config.get("REVIEW_OVERDUE_DAYS", 7))


def waiting_days(
    application: ProspectiveApplication, now: dt.datetime | None = None
) -> int | None:
    """Whole days a submitted application has waited since its (last) submission."""
    if application.state != S.SUBMITTED or application.submitted_at is None:
        return None
    return max(0, ((now or utcnow()) - application.submitted_at).days)


def is_overdue(
    application: ProspectiveApplication, now: dt.datetime | None = None
) -> bool:
    """Submitted and waiting more than REVIEW_OVERDUE_DAYS days."""
    if application.state != S.SUBMITTED or application.submitted_at is None:
        return False
    return (now or utcnow()) - application.submitted_at > dt.timedelta(
        days=overdue_days()
    )


# --- the queue ---------------------------------------------------------------------


@dataclass
class QueueFilters:
    """The queue's filters as typed (``typed``, shown again in the form) and as applied;
    ``errors`` maps a filter to the message shown at it (that filter is not applied),
    ``ignored`` lists parameters the queue does not offer."""

    typed: dict = field(default_factory=dict)
    name: str = ""
    mobile: str = ""
    channel: str = ""
    field_id: int | None = None
    level: str | None = None
    state: str = S.SUBMITTED.value
    route: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    overdue: bool = False
    society_id: int | None = None
    errors: dict = field(default_factory=dict)
    ignored: list = field(default_factory=list)


def field_options(identity: Identity) -> list[Field]:
    """Fields offered in the filter: the ones the society assesses (all for the admin)."""
    statement = select(Field).order_by(Field.position, Field.id)
    if can_decide(identity):
        statement = statement.where(
            Field.societies.any(Society.id == identity.society_id)
        )
    return db.session.scalars(statement).all()


def society_options(identity: Identity) -> list[Society]:
    """Societies offered in the platform admin's filter: the national (assessing) ones."""
    if not is_platform(identity):
        return []
    return db.session.scalars(
        select(Society)
        .where(Society.kind == SocietyKind.NATIONAL.value)
        .order_by(Society.id)
    ).all()


def read_filters(args: Mapping, identity: Identity) -> QueueFilters:
    """Read the queue's query string. A value that is not offered is refused at its
    filter and not applied; a parameter that is not offered is listed and ignored."""
    filters = QueueFilters()
    filters.ignored = sorted({key[:30] for key in args if key not in OFFERED_FILTERS})

    text = queue_filters.text_reader(args, filters.typed)
    filters.name = text("name")
    queue_filters.read_mobile(filters, text)
    filters.channel = text("channel")

    field_id = text("field")
    if field_id:
        offered = {str(item.id): item.id for item in field_options(identity)}
        if field_id in offered:
            filters.field_id = offered[field_id]
        else:
            filters.errors["field"] = _("Choose a field from the list.")

    queue_filters.read_level(filters, text, applications.LEVELS)
    queue_filters.read_state(filters, text, QUEUE_STATES, ALL_STATES)

    route = text("route")
    if route:
        if route in applications.ROUTES:
            filters.route = route
        else:
            filters.errors["route"] = _("Choose a recommendation route from the list.")

    queue_filters.read_dates(filters, text)

    overdue = text("overdue")
    if overdue:
        if overdue == "1":
            filters.overdue = True
        else:
            filters.errors["overdue"] = _("Choose a value from the list.")

    society_id = text("society")
    if society_id:
        offered = {str(item.id): item.id for item in society_options(identity)}
        if society_id in offered:
            filters.society_id = offered[society_id]
        else:
            filters.errors["society"] = _("Choose a society from the list.")
    return filters


def queue_query(identity: Identity, filters: QueueFilters):
    """The identity's review queue with the filters applied (not yet ordered)."""
    statement = select(A).where(*_visible(identity))
    if filters.state != ALL_STATES:
        statement = statement.where(A.state == filters.state)
    statement = statement.where(*queue_filters.person_clauses(A, filters))
    if filters.field_id is not None:
        statement = statement.where(A.field_id == filters.field_id)
    if filters.level is not None:
        statement = statement.where(A.level == filters.level)
    if filters.route is not None:
        statement = statement.where(A.route == filters.route)
    if filters.channel:
        statement = statement.where(
            A.channel_id.in_(
                select(Channel.id).where(
                    Channel.name.contains(filters.channel, autoescape=True)
                )
            )
        )
    statement = statement.where(
        *queue_filters.submitted_clauses(A.submitted_at, filters)
    )
    if filters.overdue:
        statement = statement.where(
            A.state == S.SUBMITTED.value,
            A.submitted_at < utcnow() - dt.timedelta(days=overdue_days()),
        )
    if filters.society_id is not None:
        statement = statement.where(A.assessing_society_id == filters.society_id)
    return statement


@dataclass
class QueueRow:
    """One line of the queue: the application, its age, whether it is overdue and
    whether the identity may decide it (selectable for bulk)."""

    application: ProspectiveApplication
    waiting_days: int | None
    overdue: bool
    decidable: bool


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int


def queue_page(
    identity: Identity, filters: QueueFilters, page: int, per_page: int
) -> QueuePage:
    """One page of the queue, the longest waiting first."""
    statement = queue_query(identity, filters)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    applications_ = db.session.scalars(
        # Related rows in separate small queries on the page's ids: the page query
        # stays an index scan with a top-N sort, whatever the society's size.
        statement.options(
            selectinload(A.field),
            selectinload(A.channel),
            selectinload(A.assessing_society),
        )
        .order_by(A.submitted_at, A.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    now = utcnow()
    rows = [
        QueueRow(
            item,
            waiting_days(item, now),
            is_overdue(item, now),
            is_decidable(identity, item),
        )
        for item in applications_
    ]
    return QueuePage(rows=rows, total=total)


@dataclass
class QueueSummary:
    """The figures of a super-admin's backend home: waiting and overdue applications."""

    waiting: int
    overdue: int
    overdue_days: int


def queue_summary(identity: Identity | None) -> QueueSummary | None:
    """For the backend home page (views/admin/home.py): how many applications wait for
    the society super-admin's decision, and how many of them are overdue; None for
    identities that do not review."""
    if not can_decide(identity):
        return None
    days = overdue_days()
    waiting, overdue = db.session.execute(
        select(
            func.count(),
            func.count().filter(A.submitted_at < utcnow() - dt.timedelta(days=days)),
        ).where(*_visible(identity), A.state == S.SUBMITTED.value)
    ).one()
    return QueueSummary(waiting=waiting, overdue=overdue, overdue_days=days)


# --- one application ---------------------------------------------------------------


def application_for(identity: Identity, application_id) -> ProspectiveApplication:
    """The application if it is in the identity's queue; NotInQueue otherwise."""
    number = queue_filters.read_id(application_id)
    application = (
        db.session.scalar(select(A).where(A.id == number, *_visible(identity)))
        if number is not None
        else None
    )
    if application is None:
        raise NotInQueue()
    return application


# A super-admin who is also an applicant of their own society never decides their own
# application (nor, in app/services/members.py, their member application).
OWN_APPLICATION = _l(
    "You cannot handle your own application: another super-admin of the society decides it."
)


def is_own(identity: Identity | None, application) -> bool:
    """The application (prospective or member) is the identity's account's own."""
    return identity is not None and application.applicant_id == identity.account_id


def is_decidable(
    identity: Identity | None, application: ProspectiveApplication
) -> bool:
    """The identity may decide and the state machine still takes a decision (the
    decision buttons and the bulk selection show then)."""
    return (
        can_decide(identity)
        and not is_own(identity, application)
        and applications.allows(application, "approve")
    )


@dataclass
class HistoryLine:
    """One event of the application's history as the review page shows it."""

    event: ApplicationEvent
    who: str


def history(application: ProspectiveApplication) -> list[HistoryLine]:
    """The whole history (every state change with who, identity, when and reason)."""
    events = applications.history(application)
    return [HistoryLine(event, _who(event, application)) for event in events]


def _who(event: ApplicationEvent, application: ProspectiveApplication) -> str:
    """The actor of an event with the identity it acted as (the applicant as such)."""
    actor = db.session.get(Account, event.actor_id) if event.actor_id else None
    name = actor.display_name if actor is not None else _("System")
    if event.identity_id:
        identity = db.session.get(Identity, event.identity_id)
        if identity is not None:
            return _("%(name)s (%(identity)s)", name=name, identity=str(identity))
    if event.actor_id is not None and event.actor_id == application.applicant_id:
        # The name on the application: the account of one who registered by e-mail
        # has only the e-mail's first part as its name.
        return _("%(name)s (applicant)", name=application.name or name)
    return name


def decided_message(application: ProspectiveApplication):
    """What the reviewer is told when the application left the submitted state: the
    decision, who took it, as which identity, and when."""
    event = db.session.scalar(
        select(ApplicationEvent)
        .where(
            ApplicationEvent.application_id == application.id,
            ApplicationEvent.to_state == application.state,
        )
        .order_by(ApplicationEvent.id.desc())
        .limit(1)
    )
    state = S(application.state).title
    if event is None:
        return _(
            "This application is already %(state)s; the action was not taken.",
            state=state,
        )
    return _(
        "This application was already handled (%(state)s) by %(who)s at %(when)s; your action was not taken.",
        state=state,
        who=_who(event, application),
        when=format_local(event.at),
    )


def decide(
    identity: Identity, application_id, action: str, reason: str | None = None
) -> ProspectiveApplication:
    """通过 / 退回修改 / 不通过 one application of the identity's society.

    The transition itself (conditional UPDATE, history, 消息中心 and outbox notices) is
    ``applications.transition``; the audit entry is written in the same transaction.
    Refused with a message when the application was decided meanwhile (another tab,
    another colleague), naming who decided and when.
    """
    if action not in DECISIONS:
        raise ReviewError(_l("This action does not exist."))
    if not can_decide(identity):
        raise DecisionForbidden()
    application = application_for(identity, application_id)
    if is_own(identity, application):
        raise ReviewError(OWN_APPLICATION)
    if not applications.allows(application, action):
        raise ReviewError(decided_message(application))

    from_state = application.state
    try:
        with write_transaction():
            application = applications.transition(
                application,
                action,
                actor_id=identity.account_id,
                identity_id=identity.id,
                reason=reason,
            )
            audit.record_change(
                f"application.{action}",
                application,
                actor=identity,
                before={"state": from_state},
                after={
                    "state": application.state,
                    "reason": normalize_text(reason) or None,
                },
            )
    except DomainError as error:
        if error.field == "reason":
            raise
        # Decided by someone else between the page and this request: say by whom.
        current = db.session.scalar(
            select(A)
            .where(A.id == application.id)
            .execution_options(populate_existing=True)
        )
        if current is not None and current.state != S.SUBMITTED:
            raise ReviewError(decided_message(current)) from None
        raise
    logger.info(
        "application %s %s by account %s as identity %s (society %s)",
        application.id,
        action,
        identity.account_id,
        identity.id,
        identity.society_id,
    )
    return application


def chosen_reason(identity: Identity, reason: str | None, reason_id: str | None) -> str:
    """The reason of a decision: what was typed, or else the 常用理由 chosen from the
    list (which must be one of the society's)."""
    reason = normalize_text(reason)
    if not reason_id:
        return reason
    try:
        row = reason_for(identity, reason_id)
    except NotInQueue:
        raise ReviewError(
            _l("Choose a reason from the list."), field="reason_id"
        ) from None
    return reason or row.text


@dataclass
class BulkLine:
    """What happened to one selected application in a bulk decision."""

    application_id: int
    name: str
    done: bool
    message: str


def decide_many(
    identity: Identity, application_ids: list, action: str, reason: str | None = None
) -> list[BulkLine]:
    """Bulk 通过 / 退回修改: every selected row must be in the identity's queue (else the
    whole request is refused and nothing changes); then each row is decided on its
    own, with the same checks as one by one, and reported."""
    if action not in BULK_DECISIONS:
        raise ReviewError(_l("This action does not exist."))
    if not can_decide(identity):
        raise DecisionForbidden()
    if not application_ids:
        raise ReviewError(_l("Select at least one application."))
    if len(application_ids) > BULK_MAX:
        raise ReviewError(
            _l("Select at most %(count)d applications at a time.", count=BULK_MAX)
        )
    selected = []
    for value in dict.fromkeys(application_ids):
        selected.append(application_for(identity, value))
    reason = normalize_text(reason)
    if hidden_characters_problem(reason):
        raise ReviewError(hidden_characters_problem(reason), field="reason")
    if action in applications.REASON_REQUIRED and not reason:
        raise ReviewError(_l("Enter the reason."), field="reason")
    if len(reason) > applications.REASON_MAX:
        raise ReviewError(_l("The reason has at most 500 characters."), field="reason")

    lines = []
    for application in selected:
        name = application.name
        try:
            decide(identity, application.id, action, reason)
        except DomainError as error:
            if error.field == "reason":
                raise
            lines.append(BulkLine(application.id, name, False, str(error.message)))
        else:
            lines.append(BulkLine(application.id, name, True, decision_done(action)))
    logger.info(
        "bulk %s of %d applications by account %s as identity %s: %d done",
        action,
        len(lines),
        identity.account_id,
        identity.id,
        sum(line.done for line in lines),
    )
    return lines


def decision_done(action: str) -> str:
    """The confirmation shown after a decision."""
    return str(DECISION_DONE[action])


# --- 常用理由: the society's reason texts --------------------------------------------


def reasons(identity: Identity) -> list[ReviewReason]:
    """The society's reason texts, in their order (none for other identities)."""
    if not can_decide(identity):
        return []
    return db.session.scalars(
        select(ReviewReason)
        .where(ReviewReason.society_id == identity.society_id)
        .order_by(ReviewReason.position, ReviewReason.id)
    ).all()


def reason_for(identity: Identity, reason_id) -> ReviewReason:
    """One of the society's reason texts; NotInQueue (a 404) for any other."""
    number = queue_filters.read_id(reason_id)
    row = (
        db.session.scalar(
            select(ReviewReason).where(
                ReviewReason.id == number,
                ReviewReason.society_id == identity.society_id,
            )
        )
        if number is not None and can_decide(identity)
        else None
    )
    if row is None:
        raise NotInQueue()
    return row


def _clean_reason(value: str | None) -> str:
    text = normalize_text(value)
    if hidden_characters_problem(text):
        raise ReviewError(hidden_characters_problem(text), field="text")
    if not text:
        raise ReviewError(_l("Enter the reason text."), field="text")
    if len(text) > REVIEW_REASON_MAX:
        raise ReviewError(
            _l(
                "Enter at most %(maximum)d characters (now %(length)d).",
                maximum=REVIEW_REASON_MAX,
                length=len(text),
            ),
            field="text",
        )
    return text


def _duplicate() -> ReviewError:
    return ReviewError(_l("Your society already has this reason text."), field="text")


def create_reason(identity: Identity, text: str | None) -> ReviewReason:
    """新增 a reason text for the identity's society."""
    if not can_decide(identity):
        raise DecisionForbidden()
    text = _clean_reason(text)
    try:
        with write_transaction():
            count, last = db.session.execute(
                select(func.count(), func.max(ReviewReason.position)).where(
                    ReviewReason.society_id == identity.society_id
                )
            ).one()
            if count >= REASONS_MAX:
                raise ReviewError(
                    _l(
                        "A society keeps at most %(count)d reason texts.",
                        count=REASONS_MAX,
                    )
                )
            if _exists(identity.society_id, text):
                raise _duplicate()
            row = ReviewReason(
                society_id=identity.society_id, text=text, position=(last or 0) + 1
            )
            db.session.add(row)
            audit.record_change(
                "review_reason.create", row, actor=identity, after={"text": text}
            )
    except IntegrityError:
        raise _duplicate() from None
    logger.info("review reason %s created by account %s", row.id, identity.account_id)
    return row


def update_reason(identity: Identity, reason_id, text: str | None) -> ReviewReason:
    """编辑 one of the society's reason texts."""
    row = reason_for(identity, reason_id)
    text = _clean_reason(text)
    before = row.text
    try:
        with write_transaction():
            row = reason_for(identity, reason_id)
            if text != row.text and _exists(identity.society_id, text):
                raise _duplicate()
            row.text = text
            audit.record_change(
                "review_reason.update",
                row,
                actor=identity,
                before={"text": before},
                after={"text": text},
            )
    except IntegrityError:
        raise _duplicate() from None
    logger.info("review reason %s edited by account %s", row.id, identity.account_id)
    return row


def delete_reason(identity: Identity, reason_id) -> None:
    """删除 one of the society's reason texts (decisions keep their own copy)."""
    row = reason_for(identity, reason_id)
    with write_transaction():
        row = reason_for(identity, reason_id)
        audit.record_change(
            "review_reason.delete", row, actor=identity, before={"text": row.text}
        )
        db.session.delete(row)
    logger.info(
        "review reason %s deleted by account %s", reason_id, identity.account_id
    )


def _exists(society_id: int, text: str) -> bool:
    return (
        db.session.scalar(
            select(ReviewReason.id).where(
                ReviewReason.society_id == society_id, ReviewReason.text == text
            )
        )
        is not None
    )

"""Consultation (咨询指导): the one state machine of an applicant's consultation.

requested → assigned (专家姓名, contact) → scheduled (电话 or 在线会议, a time, a meeting
address or number) → held (notes); requested, assigned or scheduled → cancelled.
The expert may be changed while the consultation is assigned, and the time while it
is scheduled (the applicant is told again).

Who: the 学会-超级管理员 of the application's 意向评价学会. The consultation of an
application that wants one starts in ``requested`` without a row; the first step
creates the row (decided so that the applicant's submit, in app/services/
applications.py, stays untouched, and an application that is returned and submitted
again without consultation leaves nothing behind).

Every step is a conditional UPDATE on the expected steps and on the ``version`` the
form was opened with: of two tabs sending the same step, one wins and the other is
refused with a message. Each step is recorded (ConsultationEvent: account, identity,
time, what was set) and shown with the application's history.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.db import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import (
    ApplicationEvent,
    Consultation,
    ConsultationEvent,
    ConsultationMethod,
    ConsultationStep,
    Identity,
    IdentityKind,
    ProspectiveApplication,
    ProspectiveState,
)
from app.models.base import utcnow
from app.models.consultations import (
    EXPERT_CONTACT_MAX,
    EXPERT_NAME_MAX,
    MEETING_MAX,
    NOTES_MAX,
    REASON_MAX,
)
from app.services import messages, outbox
from app.times import LOCAL_ZONE, format_local, to_local
from app.validation import normalize_text

logger = logging.getLogger(__name__)

C = ConsultationStep
S = ProspectiveState

# action: (steps it may start from, step it leads to)
TRANSITIONS: dict[str, tuple[frozenset, ConsultationStep]] = {
    "assign": (frozenset({C.REQUESTED, C.ASSIGNED}), C.ASSIGNED),
    "schedule": (frozenset({C.ASSIGNED, C.SCHEDULED}), C.SCHEDULED),
    "hold": (frozenset({C.SCHEDULED}), C.HELD),
    "cancel": (frozenset({C.REQUESTED, C.ASSIGNED, C.SCHEDULED}), C.CANCELLED),
}

# Phrased to follow "cannot" in the refusal below ("…，不能指派专家。").
ACTION_TITLES = {
    "assign": _l("assign an expert"),
    "schedule": _l("schedule the consultation"),
    "hold": _l("record the consultation as held"),
    "cancel": _l("cancel the consultation"),
}

# Applications whose consultation can still be arranged; any submitted one can be
# cancelled (an applicant may withdraw after the time was set).
ARRANGEABLE_STATES = frozenset({S.SUBMITTED, S.RETURNED, S.APPROVED})
SCHEDULE_AHEAD_MAX = dt.timedelta(days=366)
LOCAL_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


class ConsultationError(DomainError):
    """A consultation step that cannot be taken; the message says why."""


@dataclass
class ConsultationPage:
    """One page of a society's consultations: (application, consultation or None)."""

    rows: list
    total: int


# --- reading -----------------------------------------------------------------------


def step_of(consultation: Consultation | None) -> ConsultationStep:
    """The step of an application's consultation (no row yet: requested)."""
    return (
        ConsultationStep(consultation.step) if consultation is not None else C.REQUESTED
    )


def _manages(identity: Identity | None) -> int | None:
    """The society whose consultations the identity arranges, or None."""
    if (
        identity is None
        or identity.kind != IdentityKind.SOCIETY_ADMIN
        or not identity.active
    ):
        return None
    return identity.society_id


def _listed_where(society_id: int) -> tuple:
    """Applications addressed to the society that have a consultation, or want one and
    can still have it arranged (with Consultation outer-joined)."""
    return (
        ProspectiveApplication.assessing_society_id == society_id,
        ProspectiveApplication.state != S.DRAFT.value,
        or_(
            Consultation.id.is_not(None),
            ProspectiveApplication.wants_consultation.is_(True)
            & ProspectiveApplication.state.in_([s.value for s in ARRANGEABLE_STATES]),
        ),
    )


def _listed(society_id: int):
    return (
        select(ProspectiveApplication, Consultation)
        .outerjoin(
            Consultation, Consultation.application_id == ProspectiveApplication.id
        )
        .where(*_listed_where(society_id))
    )


def count_by_step(identity: Identity) -> dict[str, int]:
    """The identity's consultations by step, every step present (one query)."""
    counts = {s.value: 0 for s in ConsultationStep}
    society_id = _manages(identity)
    if society_id is None:
        return counts
    step = func.coalesce(Consultation.step, C.REQUESTED.value)
    rows = db.session.execute(
        select(step, func.count())
        .select_from(ProspectiveApplication)
        .outerjoin(
            Consultation, Consultation.application_id == ProspectiveApplication.id
        )
        .where(*_listed_where(society_id))
        .group_by(step)
    )
    counts.update({key: int(number) for key, number in rows})
    return counts


def list_for_society(
    identity: Identity,
    *,
    step: str = "",
    name: str = "",
    page: int = 1,
    per_page: int = 20,
) -> ConsultationPage:
    """The consultations the identity arranges, filtered by step and applicant name,
    newest submission first."""
    society_id = _manages(identity)
    if society_id is None:
        return ConsultationPage(rows=[], total=0)
    query = _listed(society_id)
    if step == C.REQUESTED:
        query = query.where(or_(Consultation.id.is_(None), Consultation.step == step))
    elif step in {s.value for s in ConsultationStep}:
        query = query.where(Consultation.step == step)
    name = normalize_text(name)
    if name:
        query = query.where(ProspectiveApplication.name.contains(name, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(
            ProspectiveApplication.submitted_at.desc(), ProspectiveApplication.id.desc()
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ConsultationPage(rows=[tuple(row) for row in rows], total=total)


def get_for_society(
    identity: Identity, application_id: int
) -> tuple[ProspectiveApplication, Consultation | None] | None:
    """The application and its consultation when the identity arranges it, else None."""
    society_id = _manages(identity)
    if society_id is None:
        return None
    row = db.session.execute(
        _listed(society_id).where(ProspectiveApplication.id == application_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def timeline(
    application: ProspectiveApplication, consultation: Consultation | None
) -> list:
    """The application's history and its consultation's steps, oldest first, as
    (time, kind, event) with kind "application" or "consultation"."""
    entries = [
        (event.at, "application", event)
        for event in db.session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.id)
        )
    ]
    if consultation is not None:
        entries += [
            (event.at, "consultation", event)
            for event in db.session.scalars(
                select(ConsultationEvent)
                .where(ConsultationEvent.consultation_id == consultation.id)
                .order_by(ConsultationEvent.id)
            )
        ]
    return sorted(entries, key=lambda entry: entry[0])


def describe(event: ConsultationEvent) -> str:
    """What one step set, in a line for the history."""
    details = event.details or {}
    if event.action == "assign":
        return _(
            "Expert %(name)s, contact %(contact)s",
            name=details.get("expert_name", ""),
            contact=details.get("expert_contact", ""),
        )
    if event.action == "schedule":
        moment = details.get("scheduled_at")
        when = format_local(dt.datetime.fromisoformat(moment)) if moment else ""
        method = details.get("method")
        method_title = ConsultationMethod(method).title if method else ""
        if details.get("meeting"):
            return _(
                "%(method)s at %(time)s (Beijing time), meeting %(meeting)s",
                method=method_title,
                time=when,
                meeting=details["meeting"],
            )
        return _(
            "%(method)s at %(time)s (Beijing time)", method=method_title, time=when
        )
    if event.action == "hold":
        return details.get("notes", "")
    return details.get("cancel_reason", "")


def status_for(application_ids) -> dict[int, str]:
    """The consultation step of each application that has a consultation, or wants one
    and is under review or approved, as its translated label (other ids are absent),
    in one query. Rows outside the active
    identity's scope are not read (app/scoping.py), so the caller may pass any ids."""
    ids = [int(pk) for pk in application_ids]
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            ProspectiveApplication.id,
            ProspectiveApplication.wants_consultation,
            ProspectiveApplication.state,
            Consultation.step,
        )
        .outerjoin(
            Consultation, Consultation.application_id == ProspectiveApplication.id
        )
        .where(ProspectiveApplication.id.in_(ids))
    )
    result = {}
    for application_id, wants, state, step in rows:
        if step is not None:
            result[application_id] = ConsultationStep(step).title
        elif wants and state in ARRANGEABLE_STATES:
            result[application_id] = C.REQUESTED.title
    return result


def for_applicant(account_id: int, applications) -> dict[int, Consultation | None]:
    """个人中心: for each of the applicant's own applications that has a consultation, the
    row; for each that wants one and can still have it arranged, None (requested)."""
    own = [row for row in applications if row.applicant_id == account_id]
    if not own:
        return {}
    rows = db.session.scalars(
        select(Consultation)
        .join(
            ProspectiveApplication,
            Consultation.application_id == ProspectiveApplication.id,
        )
        .where(
            ProspectiveApplication.applicant_id == account_id,
            Consultation.application_id.in_([row.id for row in own]),
        )
    )
    result: dict[int, Consultation | None] = {row.application_id: row for row in rows}
    for row in own:
        if (
            row.id not in result
            and row.wants_consultation
            and row.state in ARRANGEABLE_STATES
        ):
            result[row.id] = None
    return result


def allowed_actions(
    application: ProspectiveApplication, consultation: Consultation | None
) -> list[str]:
    """The steps the state machine allows now, in their order (for the page's forms)."""
    step = step_of(consultation)
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if step in sources
        and (action == "cancel" or application.state in ARRANGEABLE_STATES)
    ]


# --- checking what was typed -----------------------------------------------------


def _checked_text(
    value, maximum: int, field: str, required, *, one_line: bool = False
) -> str:
    """The typed text, normalised, required, within ``maximum`` and, with
    ``one_line``, without line breaks or control characters."""
    text = normalize_text(value if isinstance(value, str) else "")
    if not text:
        raise ConsultationError(required, field=field)
    if one_line and ("\n" in text or any(ord(ch) < 32 for ch in text)):
        raise ConsultationError(_l("Enter this on one line."), field=field)
    if len(text) > maximum:
        raise ConsultationError(
            _l(
                "Enter at most %(maximum)d characters (now %(length)d).",
                maximum=maximum,
                length=len(text),
            ),
            field=field,
        )
    return text


def parse_local_time(value) -> dt.datetime:
    """A time typed in Asia/Shanghai (``2026-03-05T14:30``) as naive UTC, or a refusal."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ConsultationError(
            _l("Enter the time of the consultation."), field="scheduled_at"
        )
    for pattern in LOCAL_INPUT_FORMATS:
        try:
            local = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        aware = local.replace(tzinfo=LOCAL_ZONE)
        return aware.astimezone(dt.UTC).replace(tzinfo=None)
    raise ConsultationError(
        _l("Enter the time as year-month-day hour:minute, e.g. 2026-03-05 14:30."),
        field="scheduled_at",
    )


def check_future(moment: dt.datetime, now: dt.datetime) -> None:
    """A consultation is scheduled after now and within a year."""
    if moment <= now:
        raise ConsultationError(
            _l("The consultation time must be in the future."), field="scheduled_at"
        )
    if moment - now > SCHEDULE_AHEAD_MAX:
        raise ConsultationError(
            _l("The consultation time must be within one year from now."),
            field="scheduled_at",
        )


def local_input(moment: dt.datetime | None) -> str:
    """A stored UTC time as the Asia/Shanghai value of a datetime-local field."""
    if moment is None:
        return ""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


# --- the steps ---------------------------------------------------------------------


def assign_expert(
    application_id: int,
    *,
    expert_name,
    expert_contact,
    actor: Identity,
    seen_version: int | None = None,
) -> Consultation:
    """指派专家: name the expert and how to reach them (again while assigned)."""
    name = _checked_text(
        expert_name,
        EXPERT_NAME_MAX,
        "expert_name",
        _l("Enter the expert's name."),
        one_line=True,
    )
    contact = _checked_text(
        expert_contact,
        EXPERT_CONTACT_MAX,
        "expert_contact",
        _l("Enter how to reach the expert (phone or e-mail)."),
        one_line=True,
    )
    return _advance(
        application_id,
        "assign",
        {"expert_name": name, "expert_contact": contact},
        actor=actor,
        seen_version=seen_version,
    )


def schedule(
    application_id: int,
    *,
    method,
    scheduled_at,
    meeting=None,
    actor: Identity,
    seen_version: int | None = None,
) -> Consultation:
    """安排咨询: by phone or online meeting, at a future time (typed in Asia/Shanghai);
    an online meeting needs its address or number. The applicant is told."""
    if method not in {m.value for m in ConsultationMethod}:
        raise ConsultationError(_l("Choose phone or online meeting."), field="method")
    moment = (
        parse_local_time(scheduled_at)
        if not isinstance(scheduled_at, dt.datetime)
        else scheduled_at
    )
    check_future(moment, utcnow())
    meeting_text = None
    if method == ConsultationMethod.ONLINE:
        meeting_text = _checked_text(
            meeting,
            MEETING_MAX,
            "meeting",
            _l("Enter the meeting address or number of the online meeting."),
            one_line=True,
        )
    return _advance(
        application_id,
        "schedule",
        {"method": method, "scheduled_at": moment, "meeting": meeting_text},
        actor=actor,
        seen_version=seen_version,
        now_check=moment,
    )


def record_held(
    application_id: int, *, notes, actor: Identity, seen_version: int | None = None
) -> Consultation:
    """记录咨询结果: the consultation took place; the notes are shown to the applicant."""
    text = _checked_text(
        notes, NOTES_MAX, "notes", _l("Enter the notes of the consultation.")
    )
    return _advance(
        application_id, "hold", {"notes": text}, actor=actor, seen_version=seen_version
    )


def cancel(
    application_id: int, *, reason, actor: Identity, seen_version: int | None = None
) -> Consultation:
    """取消咨询, with the reason the applicant reads."""
    text = _checked_text(reason, REASON_MAX, "reason", _l("Enter the reason."))
    return _advance(
        application_id,
        "cancel",
        {"cancel_reason": text},
        actor=actor,
        seen_version=seen_version,
    )


def _insert_ignoring_duplicate(application_id: int) -> None:
    """Create the application's consultation row in ``requested`` unless it exists."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    db.session.execute(
        dialect.insert(Consultation)
        .values(
            application_id=application_id,
            step=C.REQUESTED.value,
            version=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["application_id"])
    )


def _refusal(
    action: str, current: ConsultationStep, *, stale: bool
) -> ConsultationError:
    if stale:
        return ConsultationError(
            _l(
                "Someone else changed this consultation meanwhile (it is now %(step)s); nothing was done. Check it and try again.",
                step=current.title,
            )
        )
    return ConsultationError(
        _l(
            "The consultation is %(step)s; you cannot %(action)s now.",
            step=current.title,
            action=ACTION_TITLES[action],
        )
    )


def _advance(
    application_id: int,
    action: str,
    values: dict,
    *,
    actor: Identity,
    seen_version: int | None,
    now_check: dt.datetime | None = None,
) -> Consultation:
    """Check, write, record and notify one step, in one transaction."""
    sources, target = TRANSITIONS[action]
    society_id = _manages(actor)

    with write_transaction():
        application = db.session.scalar(
            select(ProspectiveApplication)
            .where(ProspectiveApplication.id == application_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if (
            application is None
            or society_id is None
            or application.assessing_society_id != society_id
            or application.state == S.DRAFT
        ):
            raise ConsultationError(
                _l("This consultation is not one your society arranges.")
            )
        existing = db.session.scalar(
            select(Consultation).where(Consultation.application_id == application.id)
        )
        if existing is None and not application.wants_consultation:
            raise ConsultationError(_l("This applicant did not ask for consultation."))
        if action != "cancel" and application.state not in ARRANGEABLE_STATES:
            raise ConsultationError(
                _l(
                    "The application is %(state)s; its consultation can only be cancelled.",
                    state=application.state_title,
                )
            )
        if now_check is not None:
            check_future(now_check, utcnow())  # the clock moved while the form was open

        from_step = step_of(existing)
        _insert_ignoring_duplicate(application.id)
        conditions = [
            Consultation.application_id == application.id,
            Consultation.step.in_([s.value for s in sources]),
        ]
        if seen_version is not None:
            conditions.append(Consultation.version == seen_version)
        result = db.session.execute(
            update(Consultation)
            .where(*conditions)
            .values(
                step=target.value,
                version=Consultation.version + 1,
                updated_at=utcnow(),
                **values,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            step, version = db.session.execute(
                select(Consultation.step, Consultation.version).where(
                    Consultation.application_id == application.id
                )
            ).one()
            current = ConsultationStep(step)
            raise _refusal(
                action,
                current,
                stale=current in sources
                and seen_version is not None
                and version != seen_version,
            )

        consultation = db.session.scalar(
            select(Consultation)
            .where(Consultation.application_id == application.id)
            .execution_options(populate_existing=True)
        )
        db.session.add(
            ConsultationEvent(
                consultation_id=consultation.id,
                action=action,
                from_step=from_step.value,
                to_step=target.value,
                actor_id=actor.account_id,
                identity_id=actor.id,
                details=_details(values),
                at=utcnow(),
            )
        )
        if action in ("schedule", "cancel"):
            _notify(application, consultation, action)

    logger.info(
        "consultation %s of application %s %s→%s by identity %s",
        consultation.id,
        application.id,
        from_step.value,
        target.value,
        actor.id,
    )
    return consultation


def _details(values: dict) -> dict:
    """What a step set, as stored in its event (times as ISO text, UTC)."""
    return {
        key: value.isoformat() if isinstance(value, dt.datetime) else value
        for key, value in values.items()
        if value is not None
    }


def arrangement_text(consultation: Consultation) -> str:
    """The arrangement in one sentence, as the applicant is told it."""
    when = format_local(consultation.scheduled_at)
    if consultation.method == ConsultationMethod.ONLINE:
        return _(
            "Consultation by online meeting at %(time)s (Beijing time) with expert %(expert)s. Meeting address or number: %(meeting)s",
            time=when,
            expert=consultation.expert_name,
            meeting=consultation.meeting,
        )
    return _(
        "Consultation by phone at %(time)s (Beijing time) with expert %(expert)s.",
        time=when,
        expert=consultation.expert_name,
    )


def _notify(
    application: ProspectiveApplication, consultation: Consultation, action: str
) -> None:
    """消息中心 (and an SMS through the outbox) when the consultation is scheduled or
    cancelled."""
    if action == "schedule":
        title = _("Your consultation has been scheduled")
        body = arrangement_text(consultation)
    else:
        title = _("Your consultation has been cancelled")
        body = _(
            "%(title)s Reason: %(reason)s",
            title=title,
            reason=consultation.cancel_reason,
        )
    messages.send_message(application.applicant_id, title, body)
    if application.mobile:
        outbox.queue_sms(
            application.mobile,
            _("[Engineering capability assessment] %(text)s", text=body),
        )

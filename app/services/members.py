"""注册工程会员申请 (SPEC §4, issue 5): opening, choosing, the sections, the state
machine, the society super-admin's queue and the bulk import of results.

Approval of the prospective application opens the member application
(``applications.member_permission``); ``open_for`` creates it the first time the
applicant opens it, prefilled from the prospective application (to be confirmed). The
applicant chooses 领域及专业 (the society's fields and their specialties) and the level
(专业/资深; 见习 never), confirms 《填写说明》 (我已阅读: permitted → draft), fills the
sections (app/services/member_sections.py holds their rules; every save keeps what was
typed) and submits once every section is complete.

Every state change goes through ``transition()`` and the one table ``TRANSITIONS``: a
conditional UPDATE on the expected states (two tabs cannot both win: the second is told
who decided and when), an event in the history, an audit entry for backend decisions,
a 消息中心 message, and for backend decisions an SMS and an e-mail through the outbox.

退回 comes from submitted (not accepted at once) and from accepted (the assessment found
something to complete; the acceptance is undone). A returned application goes back to
submitted when the applicant submits it again (``resubmit``). 未通过 and 已注册 end it.

会员编号 (member number) on 注册: given by the society (the bulk import's 会员编号) or
allocated here as ``<society id, 3 digits>-<P|S>-<year>-<5-digit sequence>`` (see
app/models/members.py), with an atomic upsert of the society's, level's and year's
counter in the registering transaction: a rolled-back registration gives its number
back, concurrent ones queue on the counter row, and a number already taken by a given
one is skipped.
"""

import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from babel.lists import format_list
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, false, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.db import lock_rows, write_transaction
from app.dictionaries import MEMBER_LEVEL
from app.errors import DomainError
from app.extensions import db
from app.models import (
    Account,
    Field,
    Identity,
    MemberApplication,
    MemberEvent,
    MemberNumberSequence,
    MemberSection,
    MemberState,
    ProspectiveApplication,
    Society,
    Specialty,
)
from app.models.base import utcnow
from app.models.members import (
    ACTIVE_MEMBER_STATES,
    MEMBER_NUMBER_MAX,
    PHOTO_NAME_MAX,
    REASON_MAX,
)
from app.services import audit, messages, outbox, queue_filters, reviews, uploads
from app.services.applications import LEVELS, member_permission
from app.services.member_sections import (  # noqa: F401  (the public section API)
    MAX_ROWS,
    OPTIONAL,
    REPEATABLE,
    ROW_FIELDS,
    SECTION_KEYS,
    SECTION_TITLES,
    check_section,
    empty_data,
    section_title,
)
from app.services.names import suggest_pinyin
from app.services.photos import HEIGHT, WIDTH
from app.times import LOCAL_ZONE
from app.validation import (
    hidden_characters_problem,
    is_hidden_character,
    normalize_text,
)

logger = logging.getLogger(__name__)

S = MemberState
M = MemberApplication

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset, MemberState]] = {
    "start": (frozenset({S.PERMITTED}), S.DRAFT),
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED),
    "resubmit": (frozenset({S.RETURNED}), S.SUBMITTED),
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "return": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.RETURNED),
    "pass": (frozenset({S.ACCEPTED}), S.PASSED),
    "fail": (frozenset({S.ACCEPTED}), S.FAILED),
    "register": (frozenset({S.PASSED}), S.REGISTERED),
}
APPLICANT_ACTIONS = ("start", "submit", "resubmit")
BACKEND_ACTIONS = ("accept", "return", "pass", "fail", "register")
REASON_REQUIRED = {"return"}
CHOOSING_STATES = frozenset({S.PERMITTED, S.DRAFT, S.RETURNED})
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})
ASSOCIATE = "associate"  # 见习工程会员: assessed separately, never offered here
LEVEL_LETTERS = {"professional": "P", "senior": "S"}
MEMBER_NUMBER_RE = re.compile(r"[A-Z0-9][A-Z0-9-]*")
PHOTO_TYPES = ("image/jpeg", "image/png")

ACTION_TITLES = {
    "accept": _l("Accept application"),
    "return": _l("Return application"),
    "pass": _l("Record as passed"),
    "fail": _l("Record as not passed"),
    "register": _l("Register as member"),
}
NOTICE_TITLES = {
    "submit": _l("Your member application was submitted"),
    "resubmit": _l("Your member application was submitted"),
    "accept": _l("Your member application was accepted"),
    "return": _l("Your member application was returned for changes"),
    "pass": _l("Your member application passed the assessment"),
    "fail": _l("Your member application did not pass the assessment"),
    "register": _l("You are registered as an engineering member"),
}
# The audit log's names of these decisions (app/services/audit.py reads this mapping).
audit.ACTION_TITLES.update(
    {
        "member.accept": _l("Member application accepted"),
        "member.return": _l("Member application returned"),
        "member.pass": _l("Member application passed"),
        "member.fail": _l("Member application not passed"),
        "member.register": _l("Member registered"),
    }
)


class MemberError(DomainError):
    """A refused step of the member application; ``errors`` maps fields to messages,
    ``incomplete`` lists the section keys a refused submit names."""

    def __init__(
        self, message, *, field: str | None = None, errors=None, incomplete=()
    ):
        super().__init__(message, field=field)
        self.errors = dict(errors or ({field: str(message)} if field else {}))
        self.incomplete = list(incomplete)


class NotInMemberQueue(MemberError):
    """The application is not in the identity's queue: a 404."""

    def __init__(self) -> None:
        super().__init__(_l("This member application is not in your queue."))


class MemberForbidden(MemberError):
    """The identity may not decide member applications: a 403."""

    def __init__(self) -> None:
        super().__init__(_l("Only the society super-administrator can decide."))


@dataclass(frozen=True)
class SectionProgress:
    """One line of the progress list."""

    key: str
    title: str
    complete: bool
    optional: bool = False


@dataclass
class SectionResult:
    """A saved section: what is stored, the errors at their fields, and whether it is
    complete."""

    section: MemberSection
    values: dict
    errors: dict
    complete: bool


@dataclass(frozen=True)
class MemberStatus:
    """The member stage of one prospective application, for the overviews."""

    state: str | None = None
    member_number: str | None = None
    applied_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    passed_at: dt.datetime | None = None
    registered_at: dt.datetime | None = None

    @property
    def applied(self) -> bool:  # 是否提交申请
        return self.applied_at is not None

    @property
    def accepted(self) -> bool:  # 是否被受理
        return self.accepted_at is not None

    @property
    def passed(self) -> bool:  # 是否通过评价
        return self.passed_at is not None

    @property
    def registered(self) -> bool:  # 是否注册
        return self.registered_at is not None


# --- the applicant's application ---------------------------------------------------


def application_of(account_id: int) -> MemberApplication | None:
    """The applicant's active member application, else the latest ended one, or None."""
    return db.session.scalar(
        select(M)
        .where(M.applicant_id == account_id)
        .order_by(M.state.in_(ACTIVE_MEMBER_STATES).desc(), M.id.desc())
        .limit(1)
    )


def open_for(account_id: int) -> MemberApplication | None:
    """The applicant's member application, created the first time it is opened when
    ``member_permission`` allows it; None without permission or application.

    A new application is ``permitted`` for the permission's society and level, with the
    prospective application's field when the society assesses it, and 基本情况 and
    工程实践经历 prefilled (name, its pinyin suggestion, mobile, e-mail, employer; the
    practice text as a first row): shown for the applicant to confirm, not complete.
    """
    permission = member_permission(account_id)
    if permission is None:
        return application_of(account_id)
    existing = db.session.scalar(
        select(M).where(M.prospective_application_id == permission.application_id)
    )
    if existing is not None:
        return existing
    current = application_of(account_id)
    if current is not None and current.state in ACTIVE_MEMBER_STATES:
        return current
    try:
        with write_transaction():
            application = _create(account_id, permission)
    except IntegrityError:
        # Another tab opened it at the same moment.
        db.session.rollback()
        return application_of(account_id)
    logger.info(
        "member application %s opened for account %s (society %s, %s)",
        application.id,
        account_id,
        permission.society_id,
        permission.level,
    )
    return application


def _create(account_id: int, permission) -> MemberApplication:
    prospective = db.session.get(ProspectiveApplication, permission.application_id)
    account = db.session.get(Account, account_id)
    society = db.session.get(Society, permission.society_id)
    field_id = prospective.field_id
    if field_id not in {item.id for item in society.fields}:
        field_id = None
    # The section keeps the whole name (the prospective application allows 50
    # characters), so that 基本情况 shows it and asks for at most 25 at the field; the
    # row's column holds what fits until the section is saved valid.
    full_name = prospective.name or ""
    name = full_name[:25]
    email = prospective.email or (account.email if account is not None else None)
    application = M(
        applicant_id=account_id,
        prospective_application_id=prospective.id,
        society_id=society.id,
        level=permission.level,
        field_id=field_id,
        state=S.PERMITTED.value,
        name=name,
        mobile=prospective.mobile or None,
        email=email,
    )
    db.session.add(application)
    db.session.flush()
    basic = empty_data("basic")
    basic.update(
        name=full_name,
        name_pinyin=suggest_pinyin(full_name),
        mobile=prospective.mobile or "",
        email=email or "",
        employer=prospective.employer or "",
    )
    db.session.add(
        MemberSection(application_id=application.id, key="basic", data=basic)
    )
    if prospective.practice:
        row = {spec.name: "" for spec in ROW_FIELDS["practice"]}
        row["contribution"] = prospective.practice
        db.session.add(
            MemberSection(
                application_id=application.id, key="practice", data={"rows": [row]}
            )
        )
    db.session.flush()
    return application


def _own_for_update(account_id: int, states: frozenset) -> MemberApplication:
    """Inside a write transaction: the applicant's active application, locked, in one
    of ``states``; refused with the reason otherwise."""
    application = db.session.scalar(
        lock_rows(
            select(M).where(
                M.applicant_id == account_id, M.state.in_(ACTIVE_MEMBER_STATES)
            )
        ).execution_options(populate_existing=True)
    )
    if application is None:
        raise MemberError(_l("You have no member application open."))
    if S(application.state) not in states:
        if application.state == S.PERMITTED:
            raise MemberError(_l("Read the instructions and confirm first."))
        raise MemberError(
            _l(
                "Your member application is %(state)s and cannot be changed now.",
                state=application.state_title,
            )
        )
    return application


def field_choices(
    application: MemberApplication,
) -> list[tuple[Field, list[Specialty]]]:
    """领域及专业: the society's fields (in their order) with their specialties."""
    fields = db.session.scalars(
        select(Field)
        .where(Field.societies.any(Society.id == application.society_id))
        .order_by(Field.position, Field.id)
    ).all()
    return [(item, list(item.specialties)) for item in fields]


def level_choices() -> list[tuple[str, object]]:
    """(code, title) of 专业/资深工程会员: the levels offered (见习 never)."""
    return MEMBER_LEVEL.choices()


def _id(value) -> int | None:
    """An id typed or posted; None when empty, -1 when not a usable id."""
    return queue_filters.read_id(value, invalid=-1)


def choose_specialty(account_id: int, field_id, specialty_id) -> MemberApplication:
    """选择领域及专业: one of the society's fields and one specialty of that field."""
    errors = {}
    with write_transaction():
        application = _own_for_update(account_id, CHOOSING_STATES)
        offered = dict(field_choices(application))
        by_id = {item.id: item for item in offered}
        chosen_field = by_id.get(_id(field_id))
        if _id(field_id) is None:
            errors["field_id"] = str(_l("Choose your field."))
        elif chosen_field is None:
            errors["field_id"] = str(_l("Choose one of the society's fields."))
        number = _id(specialty_id)
        if number is None:
            errors["specialty_id"] = str(_l("Choose your specialty."))
        elif chosen_field is not None and number not in {
            item.id for item in offered[chosen_field]
        }:
            errors["specialty_id"] = str(_l("Choose a specialty of the chosen field."))
        if errors:
            raise MemberError(_l("Some fields need attention."), errors=errors)
        application.field_id = chosen_field.id
        application.specialty_id = number
    logger.info(
        "member application %s field %s specialty %s by account %s",
        application.id,
        application.field_id,
        application.specialty_id,
        account_id,
    )
    return application


def level_problem(level) -> object | None:
    """None for 专业/资深; the message for anything else, 见习 with its own."""
    value = level.strip() if isinstance(level, str) else ""
    if not value:
        return _l("Choose the level you apply for.")
    if value == ASSOCIATE:
        return _l(
            "Associate engineering members are assessed separately for engineering graduates; choose Professional or Senior engineering member."
        )
    if value not in LEVELS:
        return _l("Choose Professional or Senior engineering member.")
    return None


def choose_level(account_id: int, level) -> MemberApplication:
    """选择申请级别: 专业 or 资深 (the permission's level is the default)."""
    problem = level_problem(level)
    if problem is not None:
        raise MemberError(problem, field="level")
    with write_transaction():
        application = _own_for_update(account_id, CHOOSING_STATES)
        application.level = level.strip()
    logger.info(
        "member application %s level %s by account %s",
        application.id,
        application.level,
        account_id,
    )
    return application


def confirm_instructions(account_id: int) -> MemberApplication:
    """我已阅读 《填写说明》: permitted → draft, once field, specialty and level are
    chosen. Idempotent for an application already past it."""
    current = application_of(account_id)
    if current is not None and current.state != S.PERMITTED:
        return current
    with write_transaction():
        application = _own_for_update(account_id, frozenset({S.PERMITTED}))
        if application.field_id is None or application.specialty_id is None:
            raise MemberError(
                _l("Choose your field and specialty first."), field="specialty_id"
            )
        application.instructions_read_at = utcnow()
        db.session.flush()
        _move(application, "start", actor_id=account_id, identity_id=None)
    return application


# --- the photo and the sections ----------------------------------------------------


def set_photo(
    account_id: int,
    key: str,
    *,
    content_type: str,
    width: int,
    height: int,
    size: int,
    name: str | None = None,
) -> str | None:
    """Keep a checked photo (``uploads.store``'s key and its metadata) as 照片; return
    the key it replaces (the caller may delete that file), None when there was none."""
    if not uploads.is_key(key) or content_type not in PHOTO_TYPES:
        raise MemberError(_l("Upload the photo again."), field="photo")
    if (width, height) != (WIDTH, HEIGHT):
        raise MemberError(
            _l(
                "The photo must be %(width)d×%(height)d px.", width=WIDTH, height=HEIGHT
            ),
            field="photo",
        )
    with write_transaction():
        application = _own_for_update(account_id, EDITABLE_STATES)
        previous = application.photo_key
        application.photo_key = key
        application.photo_content_type = content_type
        application.photo_width, application.photo_height = width, height
        application.photo_bytes = size
        application.photo_name = _file_name(name)
        application.photo_uploaded_at = utcnow()
        _recheck_basic(application)
    logger.info(
        "member application %s photo set by account %s", application.id, account_id
    )
    return previous


def _photo_file_kept(application: MemberApplication) -> bool:
    """The photo the application names is still stored (a file lost since is not a
    photo: 基本情况 is incomplete until another is uploaded)."""
    key = application.photo_key
    return not key or (uploads.is_key(key) and uploads.exists(key))


def set_photo_offer(account_id: int, offer: dict) -> str | None:
    """Keep a scaled or cropped preview waiting for 确认 (``offer`` holds its ``key``),
    in place of any earlier one; return the key of the one it replaces (the caller
    deletes that file), None when there was none."""
    if not uploads.is_key(offer.get("key")):
        raise MemberError(_l("Upload the photo again."), field="photo")
    with write_transaction():
        application = _own_for_update(account_id, EDITABLE_STATES)
        previous = (application.photo_offer or {}).get("key")
        application.photo_offer = {**offer, "name": _file_name(offer.get("name"))}
    return previous if previous not in (offer["key"], application.photo_key) else None


def take_photo_offer(account_id: int) -> dict | None:
    """The preview waiting for 确认, no longer waiting (for 确认 or 取消, or before
    another upload); None when there was none."""
    with write_transaction():
        application = _own_for_update(account_id, EDITABLE_STATES)
        offer = application.photo_offer
        application.photo_offer = None
    if not isinstance(offer, dict) or offer.get("key") == application.photo_key:
        return None
    return offer


def _file_name(name: str | None) -> str | None:
    """The uploaded file's name as kept (metadata only): without control or invisible
    characters, at most 255 characters."""
    kept = "".join(
        ch for ch in (name or "") if not is_hidden_character(ch, multiline=False)
    )
    return kept.strip()[:PHOTO_NAME_MAX] or None


def clear_photo(account_id: int) -> str | None:
    """Remove 照片; return the key it had (the caller may delete the file)."""
    with write_transaction():
        application = _own_for_update(account_id, EDITABLE_STATES)
        previous = application.photo_key
        application.photo_key = None
        application.photo_content_type = application.photo_name = None
        application.photo_width = application.photo_height = None
        application.photo_bytes = application.photo_uploaded_at = None
        _recheck_basic(application)
    logger.info(
        "member application %s photo removed by account %s", application.id, account_id
    )
    return previous


def photo_keys() -> set[str]:
    """The stored files that applications name as their 照片 (``uploads.sweep`` keeps
    them)."""
    return set(
        db.session.scalars(
            select(MemberApplication.photo_key).where(
                MemberApplication.photo_key.is_not(None)
            )
        )
    )


def _recheck_basic(application: MemberApplication) -> None:
    """基本情况's completeness follows the photo."""
    section = _section(application.id, "basic")
    if section is not None:
        _values, errors = check_section("basic", section.data, application=application)
        section.complete = not errors


def _section(application_id: int, key: str) -> MemberSection | None:
    return db.session.scalar(
        select(MemberSection).where(
            MemberSection.application_id == application_id, MemberSection.key == key
        )
    )


def sections(application: MemberApplication) -> dict[str, MemberSection]:
    """The saved sections by key."""
    rows = db.session.scalars(
        select(MemberSection).where(MemberSection.application_id == application.id)
    ).all()
    return {row.key: row for row in rows}


def section_data(application: MemberApplication, key: str) -> dict:
    """What the section's form shows: the stored data, or an empty section."""
    if key not in SECTION_KEYS:
        raise KeyError(key)
    section = _section(application.id, key)
    return dict(section.data) if section is not None else empty_data(key)


# The 基本情况 values the application row repeats, for the queue and the import.
_COPIED = {"name": "name", "mobile": "mobile", "email": "email", "id_type": "id_type"}


def save_section(account_id: int, key: str, raw: dict) -> SectionResult:
    """保存 one section: what was typed is always stored; the section is complete only
    when it has no error; the errors are returned at their fields."""
    if key not in SECTION_KEYS:
        raise MemberError(_l("This section does not exist."))
    with write_transaction():
        application = _own_for_update(account_id, EDITABLE_STATES)
        values, errors = check_section(key, raw, application=application)
        section = _section(application.id, key)
        if section is None:
            section = MemberSection(application_id=application.id, key=key)
            db.session.add(section)
        section.data = values
        section.complete = not errors
        section.updated_at = utcnow()
        if key == "basic":
            for name, column in _COPIED.items():
                if name not in errors and values.get(name):
                    setattr(application, column, values[name])
            if "id_number" not in errors and "id_type" not in errors:
                application.id_number = values.get("id_number") or None
        db.session.flush()
    logger.info(
        "member application %s section %s saved by account %s (%s)",
        application.id,
        key,
        account_id,
        "complete" if not errors else f"{len(errors)} errors",
    )
    return SectionResult(section, values, errors, not errors)


def progress(application: MemberApplication) -> list[SectionProgress]:
    """The progress list: every section in order, with its title and completeness."""
    saved = sections(application)
    return [
        SectionProgress(
            key,
            section_title(key),
            saved[key].complete if key in saved else key in OPTIONAL,
            optional=key in OPTIONAL,
        )
        for key in SECTION_KEYS
    ]


def submit(account_id: int) -> MemberApplication:
    """提交: a draft or returned application goes to the society once every section
    is complete; otherwise refused with a message naming the incomplete sections.

    Each stored section is checked again (a photo removed, a date that was the future
    when saved), so that what is submitted passes the rules now."""
    with write_transaction():
        application = _own_for_update(account_id, EDITABLE_STATES)
        saved = sections(application)
        incomplete = []
        for key in SECTION_KEYS:
            section = saved.get(key)
            if section is None:
                if key not in OPTIONAL:
                    incomplete.append(key)
                continue
            _values, errors = check_section(key, section.data, application=application)
            if key == "basic" and not _photo_file_kept(application):
                errors["photo"] = _l("Upload your photo.")
            section.complete = not errors
            if errors:
                incomplete.append(key)
        if application.field_id is None or application.specialty_id is None:
            raise MemberError(
                _l("Choose your field and specialty first."), field="specialty_id"
            )
        if incomplete:
            db.session.flush()
            titles = format_list(
                [section_title(key) for key in incomplete], locale=get_locale() or "zh"
            )
            error = MemberError(
                _l(
                    "Complete these sections before submitting: %(sections)s.",
                    sections=titles,
                ),
                incomplete=incomplete,
            )
        else:
            error = None
            action = "resubmit" if application.state == S.RETURNED else "submit"
            _move(application, action, actor_id=account_id, identity_id=None)
    # The completeness flags are kept even when the submit is refused.
    if error is not None:
        raise error
    logger.info(
        "member application %s %s by account %s to society %s",
        application.id,
        action,
        account_id,
        application.society_id,
    )
    return application


# --- the state machine -------------------------------------------------------------


def allows(application: MemberApplication, action: str) -> bool:
    """Whether ``TRANSITIONS`` lets ``action`` start from the application's state."""
    return action in TRANSITIONS and S(application.state) in TRANSITIONS[action][0]


def actions_for(identity: Identity | None, application: MemberApplication) -> list[str]:
    """The decisions the identity may take on the application now, in button order
    (none for a look-only identity)."""
    if not can_decide(identity) or reviews.is_own(identity, application):
        return []
    return [action for action in BACKEND_ACTIONS if allows(application, action)]


def transition(
    application: MemberApplication,
    action: str,
    *,
    actor_id: int | None,
    identity_id: int | None = None,
    reason: str | None = None,
    member_number: str | None = None,
    expected_state: str | None = None,
) -> MemberApplication:
    """Move an application along ``TRANSITIONS`` in one write transaction.

    Backend decisions (accept, return, pass, fail, register) pass the acting identity:
    the audit entry names it. ``return`` needs a reason; ``register`` takes the given
    member number or allocates one. With ``expected_state`` (the state the decider's
    page showed) the move happens only from that state. A refused move says what
    happened instead (who decided, when)."""
    if action not in TRANSITIONS:
        raise MemberError(_l("This action does not exist."))
    reason = normalize_text(reason) or None
    if hidden_characters_problem(reason):
        raise MemberError(hidden_characters_problem(reason), field="reason")
    if action in REASON_REQUIRED and not reason:
        raise MemberError(_l("Enter the reason."), field="reason")
    if reason and len(reason) > REASON_MAX:
        raise MemberError(_l("The reason has at most 500 characters."), field="reason")
    if member_number is not None and action != "register":
        raise MemberError(
            _l("A member number is given only for registration."),
            field="member_number",
        )
    number = normalize_member_number(member_number)
    if member_number is not None and number is None:
        raise MemberError(member_number_message(), field="member_number")

    try:
        with write_transaction():
            current = db.session.scalar(
                lock_rows(select(M).where(M.id == application.id)).execution_options(
                    populate_existing=True
                )
            )
            if current is None:
                raise MemberError(_l("This member application no longer exists."))
            _move(
                current,
                action,
                actor_id=actor_id,
                identity_id=identity_id,
                reason=reason,
                member_number=number,
                expected_state=expected_state,
            )
    except IntegrityError:
        # The given member number was taken by another registration meanwhile.
        raise MemberError(
            _l("This member number is already in use."), field="member_number"
        ) from None
    return current


def _move(
    application: MemberApplication,
    action: str,
    *,
    actor_id: int | None,
    identity_id: int | None,
    reason: str | None = None,
    member_number: str | None = None,
    expected_state: str | None = None,
) -> None:
    """Inside a write transaction: the conditional UPDATE, the event, the audit entry
    and the notices of one transition (only from ``expected_state`` when given)."""
    sources, target = TRANSITIONS[action]
    if expected_state is not None:
        sources = frozenset(s for s in sources if s.value == expected_state)
    from_state = S(application.state)
    now = utcnow()
    values = {"state": target.value, "updated_at": now}
    if target == S.SUBMITTED:
        values.update(submitted_at=now, return_reason=None)
    elif target == S.ACCEPTED:
        values["accepted_at"] = now
    elif target == S.RETURNED:
        values.update(return_reason=reason, accepted_at=None)
    elif target in (S.PASSED, S.FAILED):
        values["decided_at"] = now
    elif target == S.REGISTERED:
        if S(application.state) in sources:
            member_number = _member_number(application, member_number)
        values.update(registered_at=now, member_number=member_number)

    result = db.session.execute(
        update(M)
        .where(M.id == application.id, M.state.in_([s.value for s in sources]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(application)
        raise MemberError(decided_message(application))
    db.session.refresh(application)

    db.session.add(
        MemberEvent(
            application_id=application.id,
            action=action,
            from_state=from_state.value,
            to_state=target.value,
            actor_id=actor_id,
            identity_id=identity_id,
            reason=reason,
        )
    )
    if identity_id is not None:
        audit.record_change(
            f"member.{action}",
            application,
            actor=db.session.get(Identity, identity_id),
            before={"state": from_state.value},
            after={
                "state": target.value,
                "reason": reason,
                "member_number": application.member_number,
            },
        )
    if action in NOTICE_TITLES:
        _notify(application, action, reason=reason, by_sms=action in BACKEND_ACTIONS)
    logger.info(
        "member application %s %s→%s by account %s",
        application.id,
        from_state.value,
        target.value,
        actor_id,
    )


def _notify(
    application: MemberApplication, action: str, *, reason, by_sms: bool
) -> None:
    """消息中心 always; with ``by_sms`` an SMS to the application's mobile and an
    e-mail to its address (or the account's) through the outbox."""
    title = str(NOTICE_TITLES[action])
    if action == "register":
        body = _(
            "%(title)s Member number: %(number)s.",
            title=title,
            number=application.member_number,
        )
    elif reason:
        body = _("%(title)s Reason: %(reason)s", title=title, reason=reason)
    else:
        body = title
    messages.send_message(application.applicant_id, title, body)
    if not by_sms:
        return
    if application.mobile:
        outbox.queue_sms(
            application.mobile,
            _("[Engineering capability assessment] %(text)s", text=body),
        )
    applicant = db.session.get(Account, application.applicant_id)
    email = application.email or (applicant.email if applicant is not None else None)
    if email:
        outbox.queue_email(
            email, _("[Engineering capability assessment] %(text)s", text=title), body
        )


def history(application: MemberApplication) -> list[MemberEvent]:
    """The application's state changes, oldest first."""
    return db.session.scalars(
        select(MemberEvent)
        .where(MemberEvent.application_id == application.id)
        .order_by(MemberEvent.id)
    ).all()


def who(event: MemberEvent, application: MemberApplication) -> str:
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


def decided_message(application: MemberApplication) -> str:
    """Why an action was not taken: the state, who moved it there and when."""
    event = db.session.scalar(
        select(MemberEvent)
        .where(
            MemberEvent.application_id == application.id,
            MemberEvent.to_state == application.state,
        )
        .order_by(MemberEvent.id.desc())
        .limit(1)
    )
    state = application.state_title
    if event is None:
        return _(
            "This application is already %(state)s; the action was not taken.",
            state=state,
        )
    return _(
        "This application was already handled (%(state)s) by %(who)s at %(when)s; your action was not taken.",
        state=state,
        who=who(event, application),
        when=format_datetime(event.at.replace(tzinfo=dt.UTC), "yyyy-MM-dd HH:mm"),
    )


# How far along each state is: an action refused from a state as far as its target or
# further was taken (or overtaken) already; from an earlier one it is not possible yet.
_PROGRESS = {
    S.PERMITTED: 0,
    S.DRAFT: 1,
    S.SUBMITTED: 2,
    S.RETURNED: 2,
    S.ACCEPTED: 3,
    S.PASSED: 4,
    S.FAILED: 4,
    S.REGISTERED: 5,
}


def refused_message(application: MemberApplication, action: str) -> str:
    """Why ``action`` is not possible on the application now: who handled it and when
    when it is past that point, else that its state does not allow it (注册 on an
    application 已受理 but not yet 通过评价)."""
    target = TRANSITIONS[action][1]
    if _PROGRESS[S(application.state)] >= _PROGRESS[target]:
        return decided_message(application)
    return _(
        "This application is %(state)s: %(action)s is not possible from that state; the action was not taken.",
        state=application.state_title,
        action=ACTION_TITLES[action],
    )


# --- member numbers ----------------------------------------------------------------


def normalize_member_number(value: str | None) -> str | None:
    """A given member number as stored (upper case), None when empty or malformed."""
    text = (value or "").strip().upper()
    if (
        not text
        or len(text) > MEMBER_NUMBER_MAX
        or not MEMBER_NUMBER_RE.fullmatch(text)
    ):
        return None
    return text


def member_number_message():
    return _l(
        "A member number has at most %(maximum)d letters (A-Z), digits and hyphens.",
        maximum=MEMBER_NUMBER_MAX,
    )


def format_member_number(society_id: int, level: str, year: int, sequence: int) -> str:
    """``007-P-2026-00001``."""
    return f"{society_id:03d}-{LEVEL_LETTERS[level]}-{year}-{sequence:05d}"


def _number_taken(number: str, application_id: int | None = None) -> bool:
    statement = select(M.id).where(M.member_number == number)
    if application_id is not None:
        statement = statement.where(M.id != application_id)
    return db.session.scalar(statement.limit(1)) is not None


def _member_number(application: MemberApplication, given: str | None) -> str:
    """The given number when free, else the next of the society's, level's and year's
    sequence (numbers already given by the society are skipped)."""
    if given is not None:
        if _number_taken(given, application.id):
            raise MemberError(
                _l("This member number is already in use."), field="member_number"
            )
        return given
    year = dt.datetime.now(LOCAL_ZONE).year
    while True:
        number = format_member_number(
            application.society_id,
            application.level,
            year,
            _next_sequence(application, year),
        )
        if not _number_taken(number):
            return number


def _next_sequence(application: MemberApplication, year: int) -> int:
    """Atomically add one to the counter row (created at 1) and return it."""
    table = MemberNumberSequence.__table__
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values(
            society_id=application.society_id,
            level=application.level,
            year=year,
            last_value=1,
        )
        .on_conflict_do_update(
            index_elements=[table.c.society_id, table.c.level, table.c.year],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    return int(db.session.execute(statement).scalar_one())


# --- the overviews -----------------------------------------------------------------

MEMBER_STAGES = ("applied", "accepted", "passed", "registered")
_PASSED_STATES = (S.PASSED.value, S.REGISTERED.value)


def _stage_expressions() -> dict:
    """Per stage, the time it happened as an expression on ``MemberApplication``."""
    return {
        "applied": M.submitted_at,
        "accepted": M.accepted_at,
        "passed": case((M.state.in_(_PASSED_STATES), M.decided_at)),
        "registered": M.registered_at,
    }


def stage_columns(prospective_id_column) -> dict[str, object]:
    """Correlated subqueries for the overviews (app/services/overviews.py): per stage
    (是否提交申请 / 是否被受理 / 是否通过评价 / 是否注册) the time it happened for the
    member application of the prospective application ``prospective_id_column``, NULL
    while it has not. An acceptance undone by 退回 is NULL again."""
    return {
        stage: select(expression)
        .where(M.prospective_application_id == prospective_id_column)
        .correlate_except(M)
        .scalar_subquery()
        for stage, expression in _stage_expressions().items()
    }


def status_for(prospective_application_ids: Iterable[int]) -> dict[int, MemberStatus]:
    """The member stage of each prospective application (an empty status for one that
    has no member application), with the same meaning as ``stage_columns``."""
    ids = list(dict.fromkeys(prospective_application_ids))
    result = {pk: MemberStatus() for pk in ids}
    expressions = _stage_expressions()
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(
                M.prospective_application_id,
                M.state,
                M.member_number,
                *[expressions[stage] for stage in MEMBER_STAGES],
            ).where(M.prospective_application_id.in_(ids[start : start + 500]))
        ).all()
        for pk, state, number, *times in rows:
            result[pk] = MemberStatus(state, number, *times)
    return result


# --- the society super-admin's queue -----------------------------------------------


# Who decides and who looks is the same as in 学会审核: a society super-admin decides
# for its own society, the platform admin sees every society's queue read-only.
can_decide = reviews.can_decide
can_view_queue = reviews.can_view_queue


def _visible(identity: Identity | None) -> list:
    """Applications submitted at least once, of the identity's society."""
    clauses = [M.submitted_at.is_not(None)]
    if can_decide(identity):
        clauses.append(M.society_id == identity.society_id)
    elif not can_view_queue(identity):
        clauses.append(false())
    return clauses


QUEUE_STATES = (S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.PASSED, S.FAILED, S.REGISTERED)
ALL_STATES = "all"


@dataclass
class MemberQueueFilters:
    """The queue's filters as applied; ``errors`` maps a refused filter to its message
    (that filter is not applied). ``state`` is a state or ``all``."""

    state: str = ALL_STATES
    name: str = ""
    mobile: str = ""
    id_number: str = ""
    level: str | None = None
    field_id: int | None = None
    specialty_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    typed: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def read_queue_filters(args: Mapping) -> MemberQueueFilters:
    """The queue's query string (state, name, mobile, id_number, level, field,
    specialty, from, to: the submission dates); a value that is not offered is refused
    at its filter."""
    filters = MemberQueueFilters()
    text = queue_filters.text_reader(args, filters.typed)
    queue_filters.read_state(filters, text, QUEUE_STATES, ALL_STATES)
    filters.name = text("name")
    queue_filters.read_mobile(filters, text)
    filters.id_number = text("id_number").upper()
    queue_filters.read_level(filters, text, LEVELS)
    for key, attribute in (("field", "field_id"), ("specialty", "specialty_id")):
        number = _id(text(key))
        if number is not None and number < 0:
            filters.errors[key] = _("Choose a value from the list.")
        else:
            setattr(filters, attribute, number)
    # 提交日期 from / to (local days); neither is applied when one is refused.
    queue_filters.read_dates(filters, text)
    return filters


def queue_query(identity: Identity, filters: MemberQueueFilters | None = None):
    """The identity's member applications (never another society's), filtered, the
    longest waiting first."""
    filters = filters or MemberQueueFilters()
    statement = select(M).where(*_visible(identity))
    if filters.state != ALL_STATES:
        statement = statement.where(M.state == filters.state)
    statement = statement.where(*queue_filters.person_clauses(M, filters))
    if filters.id_number:
        statement = statement.where(M.id_number == filters.id_number)
    if filters.level is not None:
        statement = statement.where(M.level == filters.level)
    if filters.field_id is not None:
        statement = statement.where(M.field_id == filters.field_id)
    if filters.specialty_id is not None:
        statement = statement.where(M.specialty_id == filters.specialty_id)
    statement = statement.where(
        *queue_filters.submitted_clauses(M.submitted_at, filters)
    )
    return statement.order_by(M.submitted_at, M.id)


def application_for(identity: Identity, application_id) -> MemberApplication:
    """The application if it is in the identity's queue; NotInMemberQueue otherwise."""
    number = _id(application_id)
    application = (
        db.session.scalar(select(M).where(M.id == number, *_visible(identity)))
        if number is not None and number > 0
        else None
    )
    if application is None:
        raise NotInMemberQueue()
    return application


def decide(
    identity: Identity,
    application_id,
    action: str,
    reason: str | None = None,
    member_number: str | None = None,
    expected_state: str | None = None,
) -> MemberApplication:
    """受理 / 退回 / 通过评价 / 未通过 / 注册 one application of the identity's society,
    audited; refused with who decided and when if another tab was first.

    ``expected_state`` is the state the decider's page showed: an application moved
    since (a colleague, another tab) is refused even where the action would still be
    allowed from its new state (退回 from 已受理 after a 受理 meanwhile). It is checked
    in the same conditional UPDATE as the move, so no decision slips in between."""
    if action not in BACKEND_ACTIONS:
        raise MemberError(_l("This action does not exist."))
    if not can_decide(identity):
        raise MemberForbidden()
    application = application_for(identity, application_id)
    if reviews.is_own(identity, application):
        raise MemberError(reviews.OWN_APPLICATION)
    if expected_state not in (None, application.state):
        raise MemberError(decided_message(application))
    if not allows(application, action):
        raise MemberError(refused_message(application, action))
    application = transition(
        application,
        action,
        actor_id=identity.account_id,
        identity_id=identity.id,
        reason=reason,
        member_number=member_number,
        expected_state=expected_state,
    )
    logger.info(
        "member application %s %s by account %s as identity %s (society %s)",
        application.id,
        action,
        identity.account_id,
        identity.id,
        identity.society_id,
    )
    return application


# --- bulk import of results --------------------------------------------------------

IMPORT_MAX_ROWS = 2000
# What is read of the first sheet: its first columns (the template has five) and its
# first rows (the data rows, the header and room for blank lines between them).
IMPORT_MAX_COLUMNS = 26
IMPORT_MAX_SHEET_ROWS = IMPORT_MAX_ROWS + 200
ROW_NUMBER = "_row"
# Column titles (as in the template, and in English) → what they hold.
COLUMNS = {
    "申请编号": "application",
    "application number": "application",
    "证件号码": "id_number",
    "id number": "id_number",
    "结果": "result",
    "result": "result",
    "会员编号": "member_number",
    "member number": "member_number",
}
RESULTS = {
    "通过": "pass",
    "通过评价": "pass",
    "passed": "pass",
    "pass": "pass",
    "未通过": "fail",
    "not passed": "fail",
    "fail": "fail",
    "注册": "register",
    "已注册": "register",
    "registered": "register",
    "register": "register",
}
IMPORT_ACTIONS = ("pass", "fail", "register")


class JudgedRow:
    """A row of an import as judged (``ResultRow``, and the dry run's kept
    ``member_imports.PlanRow``): ``problem`` keeps it from being applied, or is None."""

    problem: str | None

    @property
    def valid(self) -> bool:
        return self.problem is None


@dataclass
class ResultRow(JudgedRow):
    """One row of an import as understood: the application it names, the action, the
    member number given, and the problem that keeps it from being applied (or None)."""

    row_no: int
    application: MemberApplication | None
    action: str | None
    member_number: str | None
    problem: str | None


@dataclass
class ResultLine:
    """What applying one row did."""

    row_no: int
    application_id: int | None
    done: bool
    message: str


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return normalize_text(str(value))


def read_workbook(stream) -> list[dict]:
    """The rows of an .xlsx workbook (first sheet; the first non-empty row names the
    columns) as dicts of column → text, with the sheet's row number at ``_row``."""
    from openpyxl import load_workbook  # only the import reads spreadsheets

    data = stream.read() if hasattr(stream, "read") else stream
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: not a workbook
        logger.info("member results import: not a readable workbook")
        raise MemberError(
            _l("This file is not an Excel workbook (.xlsx)."), field="file"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # The size the file declares is not trusted (a stale one would hide rows): the
        # rows are read as they are, and counted below.
        sheet.reset_dimensions()
        header: dict[int, str] | None = None
        rows = []
        cells_read = sheet.iter_rows(max_col=IMPORT_MAX_COLUMNS, values_only=True)
        for row_no, cells in enumerate(cells_read, start=1):
            if row_no > IMPORT_MAX_SHEET_ROWS:
                # A sheet may declare a million rows in a few bytes: reading stops here.
                raise MemberError(
                    _l(
                        "Import at most %(count)d rows at a time.",
                        count=IMPORT_MAX_ROWS,
                    ),
                    field="file",
                )
            texts = [_cell(value) for value in cells]
            if not any(texts):
                continue
            if header is None:
                header = {
                    index: COLUMNS[text.casefold()]
                    for index, text in enumerate(texts)
                    if text.casefold() in COLUMNS
                }
                if "result" not in header.values() or not (
                    {"application", "id_number"} & set(header.values())
                ):
                    raise MemberError(
                        _l(
                            "The first row must name the columns 申请编号 or 证件号码, and 结果."
                        ),
                        field="file",
                    )
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                raise MemberError(
                    _l(
                        "Import at most %(count)d rows at a time.",
                        count=IMPORT_MAX_ROWS,
                    ),
                    field="file",
                )
            row = {ROW_NUMBER: row_no}
            for index, name in header.items():
                row[name] = texts[index] if index < len(texts) else ""
            rows.append(row)
    finally:
        workbook.close()
    if header is None:
        raise MemberError(_l("The workbook is empty."), field="file")
    return rows


def parse_results(identity: Identity, rows: list[Mapping]) -> list[ResultRow]:
    """Dry run: what each row would do, and why a row cannot be applied. Reads only;
    rows are dicts with ``application`` (申请编号), ``id_number`` (证件号码), ``result``
    (结果: 通过 / 未通过 / 注册) and ``member_number`` (会员编号, optional)."""
    if not can_decide(identity):
        raise MemberForbidden()
    parsed = []
    seen_applications: set[int] = set()
    seen_numbers: set[str] = set()
    for index, row in enumerate(rows):
        row_no = int(row.get(ROW_NUMBER) or index + 2)
        application, action, number, problem = _parse_row(identity, row)
        if problem is None and application.id in seen_applications:
            problem = _("This application is in an earlier row too.")
        if problem is None and number is not None and number in seen_numbers:
            problem = _("This member number is in an earlier row too.")
        if application is not None:
            seen_applications.add(application.id)
        if number is not None:
            seen_numbers.add(number)
        parsed.append(ResultRow(row_no, application, action, number, problem))
    return parsed


def _parse_row(identity: Identity, row: Mapping):
    """(application, action, member number, problem) of one row."""
    application, problem = _row_application(identity, row)
    result = _cell(row.get("result")).casefold()
    action = RESULTS.get(result)
    number_text = _cell(row.get("member_number"))
    number = normalize_member_number(number_text) if number_text else None
    if problem is not None:
        return application, action, number, problem
    if action is None:
        return (
            application,
            None,
            number,
            _("The result must be one of: %(choices)s.", choices="通过, 未通过, 注册"),
        )
    if number_text and action != "register":
        return (
            application,
            action,
            number,
            str(_l("A member number is given only for registration.")),
        )
    if number_text and number is None:
        return application, action, None, str(member_number_message())
    if not allows(application, action):
        return (
            application,
            action,
            number,
            _(
                "This application is %(state)s; %(result)s cannot be recorded.",
                state=application.state_title,
                result=str(ACTION_TITLES[action]),
            ),
        )
    if number is not None and _number_taken(number, application.id):
        return (
            application,
            action,
            number,
            str(_l("This member number is already in use.")),
        )
    return application, action, number, None


def _row_application(identity: Identity, row: Mapping):
    """The application a row names by 申请编号 and/or 证件号码, or the problem."""
    typed_id = _cell(row.get("application"))
    typed_number = _cell(row.get("id_number")).upper()
    by_id = by_number = None
    if not typed_id and not typed_number:
        return None, _("Give the application number or the ID number.")
    if typed_id:
        try:
            by_id = application_for(identity, typed_id)
        except NotInMemberQueue:
            return None, _("No application with this number is in your queue.")
    if typed_number:
        matches = db.session.scalars(
            select(M)
            .where(M.id_number == typed_number, *_visible(identity))
            .order_by(M.id.desc())
            .limit(2)
        ).all()
        if not matches:
            return by_id, _("No application with this ID number is in your queue.")
        if len(matches) > 1 and by_id is None:
            return None, _(
                "Several applications have this ID number; give the application number."
            )
        by_number = (
            matches[0]
            if by_id is None
            else next((item for item in matches if item.id == by_id.id), matches[0])
        )
    if by_id is not None and by_number is not None and by_id.id != by_number.id:
        return by_id, _(
            "The application number and the ID number are not of the same application."
        )
    return by_id or by_number, None


def apply_results(identity: Identity, parsed: list[ResultRow]) -> list[ResultLine]:
    """Apply the valid rows of ``parse_results``, each in its own transaction through
    ``decide`` (event, audit entry, notices); a row refused now (decided meanwhile, a
    member number taken) is reported and the others go on."""
    if not can_decide(identity):
        raise MemberForbidden()
    lines = []
    for row in parsed:
        application_id = row.application.id if row.application is not None else None
        if row.problem is not None:
            lines.append(ResultLine(row.row_no, application_id, False, row.problem))
            continue
        try:
            decide(
                identity,
                application_id,
                row.action,
                member_number=row.member_number,
            )
        except MemberError as error:
            db.session.rollback()
            lines.append(
                ResultLine(row.row_no, application_id, False, str(error.message))
            )
        else:
            lines.append(
                ResultLine(
                    row.row_no, application_id, True, str(ACTION_TITLES[row.action])
                )
            )
    logger.info(
        "member results import of %d rows by account %s as identity %s: %d applied",
        len(lines),
        identity.account_id,
        identity.id,
        sum(line.done for line in lines),
    )
    return lines

"""The prospective application (拟参加工程能力评价申请): its rules (SPEC §3), its state
machine (SPEC §4, first half) and the atomic claim of the referral code at submit.

Every rule of the form lives here; the applicant site's views only pass what was
typed (a mapping of field name to string) and show the messages they get back.

Every transition goes through ``transition()`` (``submit()`` for the first step): a
conditional UPDATE on the expected states (so two tabs deciding at once cannot both
win), an event in the history, and a notice to the applicant.
"""

import logging
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.db import write_transaction
from app.errors import CodeError, DomainError
from app.extensions import db
from app.models import (
    ApplicationEvent,
    Channel,
    Field,
    Project,
    ProspectiveApplication,
    ProspectiveState,
    ReferralCode,
    Society,
    SocietyKind,
)
from app.models.applications import MEMBER_LEVEL_TITLES
from app.models.base import utcnow
from app.places import is_country
from app.services import codes, messages, outbox
from app.validation import (
    email_problem,
    hidden_characters_problem,
    mobile_problem,
    normalize_text,
)

logger = logging.getLogger(__name__)

S = ProspectiveState
ACTIVE_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED})
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})
LEVELS = ("professional", "senior")
ROUTES = ("society", "enterprise")
TRUE_VALUES = ("1", "true", "on", "yes", True)

NAME_MAX = 50
MOBILE_MAX = 11
EMAIL_MAX = 320
EMPLOYER_MAX = 50
OVERSEAS_PROJECT_MAX = 200
PRACTICE_MIN, PRACTICE_MAX = 100, 300
MULTILINE = ("practice",)
CODE_INPUT_MAX = 20  # the draft_code column; a longer input is no code anyway
PROJECT_QUERY_MAX = 50
PROJECT_MATCHES_SHOWN = 10  # without JavaScript, the matches listed to choose from
DB_INT_MAX = 2**31 - 1  # PostgreSQL integer: a larger id in a request is simply wrong

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset, ProspectiveState]] = {
    "submit": (EDITABLE_STATES, S.SUBMITTED),
    "withdraw": (frozenset({S.DRAFT, S.SUBMITTED}), S.WITHDRAWN),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
}
REASON_REQUIRED = {"return", "reject"}
REASON_MAX = 500

NOTICE_TITLES = {
    "submit": _l("Your application was submitted"),
    "withdraw": _l("Your application was withdrawn"),
    "approve": _l("Your application was approved"),
    "return": _l("Your application was returned for changes"),
    "reject": _l("Your application was not approved"),
}


class ApplicationError(DomainError):
    """A save or submit that cannot be done; ``errors`` maps form fields to messages."""

    def __init__(
        self, message, *, errors: dict | None = None, field: str | None = None
    ):
        super().__init__(message, field=field)
        self.errors = errors or ({field: str(message)} if field else {})


@dataclass
class Checked:
    """The cleaned values and the field errors of one validation."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def fail(self, name: str, message) -> None:
        self.errors.setdefault(name, str(message))


# --- reading the request -----------------------------------------------------------


def _text(raw: dict, name: str) -> str:
    value = raw.get(name)
    return normalize_text(value) if isinstance(value, str) else ""


def _choice(raw: dict, name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(raw: dict, name: str) -> int | None:
    """None when empty, -1 when not a usable id (letters, negative, out of range)."""
    value = _choice(raw, name)
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        return -1
    number = int(value)
    return number if 0 < number <= DB_INT_MAX else -1


def _flag(raw: dict, name: str) -> bool:
    value = raw.get(name)
    return (value.strip().lower() if isinstance(value, str) else value) in TRUE_VALUES


def _length_message(minimum: int, maximum: int, length: int):
    return _l(
        "Enter %(minimum)d to %(maximum)d characters (now %(length)d).",
        minimum=minimum,
        maximum=maximum,
        length=length,
    )


# --- the rules ---------------------------------------------------------------------


def check_application(
    raw: dict, *, complete: bool, existing: ProspectiveApplication | None = None
) -> Checked:
    """Validate what was typed (``raw``: field name → string).

    With ``complete`` every rule applies (submit); without, only what a draft must
    satisfy to be stored: any subset of fields, each within its limit and choices.
    Whether the domestic or the overseas fields apply is decided here from
    ``overseas``, whatever else the request carries.
    """
    result = Checked()
    values = result.values

    values["route"] = _route(raw, existing)
    if values["route"] not in ROUTES:
        result.fail("route", _l("Choose how you were recommended."))

    _check_text(raw, result, "name", 1, NAME_MAX, _l("Enter your name."), complete)
    _check_contact(raw, result, complete)

    values["overseas"] = _flag(raw, "overseas")
    _check_field(raw, result, complete)
    _check_country(
        raw,
        result,
        "country",
        complete,
        _l("Choose the country or region where you are now."),
    )
    if values["overseas"]:
        values["employer"] = None
        _check_text(
            raw,
            result,
            "overseas_project_name",
            1,
            OVERSEAS_PROJECT_MAX,
            _l("Enter the overseas engineering project you take part in."),
            complete,
        )
        _check_country(
            raw,
            result,
            "project_country",
            complete,
            _l("Choose the country or region of the project."),
        )
    else:
        values["overseas_project_name"] = None
        values["project_country"] = None
        _check_text(
            raw,
            result,
            "employer",
            1,
            EMPLOYER_MAX,
            _l("Enter your employer."),
            complete,
        )

    _check_assessing_society(raw, result, complete)
    _check_level(raw, result, complete)
    _check_text(
        raw,
        result,
        "practice",
        PRACTICE_MIN,
        PRACTICE_MAX,
        _l("Describe your engineering practice (at least 100 characters)."),
        complete,
    )
    values["wants_consultation"] = _flag(raw, "wants_consultation")

    if values["route"] == "society":
        _check_society_route(raw, result, complete, existing)
    elif values["route"] == "enterprise":
        _check_enterprise_route(raw, result, complete, existing)
    return result


def can_change_route(application: ProspectiveApplication) -> bool:
    """Only a draft that never claimed a code can change how it was recommended."""
    return application.state == S.DRAFT and not application.referral_code_id


def allows(application: ProspectiveApplication, action: str) -> bool:
    """Whether the state machine lets ``action`` start from the application's state."""
    return action in TRANSITIONS and ProspectiveState(application.state) in TRANSITIONS[action][0]


def _route(raw: dict, existing: ProspectiveApplication | None) -> str:
    """The route typed, except that an application that was ever submitted keeps its
    route (and its code)."""
    if existing is not None and not can_change_route(existing):
        return existing.route
    return _choice(raw, "route") or (existing.route if existing is not None else "")


def _check_text(
    raw,
    result: Checked,
    name: str,
    minimum: int,
    maximum: int,
    required,
    complete: bool,
) -> None:
    value = _text(raw, name)
    result.values[name] = value or None
    if not value:
        if complete:
            result.fail(name, required)
        return
    allowed = "\n\t" if name in MULTILINE else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        result.fail(
            name, _l("Line breaks and control characters are not allowed here.")
        )
        return
    if len(value) > maximum or (complete and len(value) < minimum):
        result.fail(name, _length_message(minimum, maximum, len(value)))


def _check_contact(raw, result: Checked, complete: bool) -> None:
    # The mobile number is taken exactly as typed: nothing is silently repaired.
    mobile = raw.get("mobile") if isinstance(raw.get("mobile"), str) else ""
    result.values["mobile"] = mobile or None
    if complete or len(mobile) > MOBILE_MAX:
        problem = mobile_problem(mobile)
        if problem is not None:
            result.fail("mobile", problem)

    email = _text(raw, "email")
    result.values["email"] = email or None
    if email and (complete or len(email) > EMAIL_MAX):
        problem = email_problem(email)
        if problem is not None:
            result.fail("email", problem)


def _check_field(raw, result: Checked, complete: bool) -> None:
    field_id = _int(raw, "field_id")
    result.values["field_id"] = None
    if field_id is None:
        if complete:
            result.fail("field_id", _l("Choose your field."))
    elif field_id < 0 or db.session.get(Field, field_id) is None:
        result.fail("field_id", _l("Choose a field from the list."))
    else:
        result.values["field_id"] = field_id


def _check_country(raw, result: Checked, name: str, complete: bool, required) -> None:
    country = _choice(raw, name).upper()
    result.values[name] = None
    if not country:
        if complete:
            result.fail(name, required)
    elif not is_country(country):
        result.fail(name, _l("Choose a country or region from the list."))
    else:
        result.values[name] = country


def _check_assessing_society(raw, result: Checked, complete: bool) -> None:
    society_id = _int(raw, "assessing_society_id")
    result.values["assessing_society_id"] = None
    if society_id is None:
        if complete:
            result.fail(
                "assessing_society_id",
                _l("Choose the society you intend to be assessed by."),
            )
        return
    field_id = result.values.get("field_id")
    allowed = (
        {society.id for society in assessing_societies(field_id)} if field_id else set()
    )
    if society_id not in allowed:
        result.fail(
            "assessing_society_id",
            _l("Choose a national society that assesses your field."),
        )
    else:
        result.values["assessing_society_id"] = society_id


def _check_level(raw, result: Checked, complete: bool) -> None:
    # 见习工程会员 is never offered, whatever a request carries.
    level = _choice(raw, "level")
    result.values["level"] = None
    if not level:
        if complete:
            result.fail("level", _l("Choose the level you apply for."))
    elif level not in LEVELS:
        result.fail("level", _l("Choose Professional or Senior engineering member."))
    else:
        result.values["level"] = level


def _check_society_route(raw, result: Checked, complete: bool, existing) -> None:
    values = result.values
    values.update(referral_code=None, project_id=None, channel_id=None)
    kind = _choice(raw, "society_kind")
    if kind and kind not in (SocietyKind.NATIONAL, SocietyKind.LOCAL):
        result.fail("society_kind", _l("Choose national or local society."))
        kind = ""

    society_id = _int(raw, "recommending_society_id")
    if society_id is None:
        if complete:
            result.fail(
                "recommending_society_id", _l("Choose the recommending society.")
            )
        return
    society = db.session.get(Society, society_id) if society_id > 0 else None
    if society is None or not society.active or (kind and society.kind != kind):
        result.fail("recommending_society_id", _l("Choose a society from the list."))
        return
    root = db.session.scalar(
        select(Channel).where(Channel.society_id == society.id, Channel.level == 0)
    )
    # A returned application keeps the channel it was recommended through, even when
    # that channel was disabled since (SPEC §2: existing applications are untouched);
    # only new applications are refused, as a disabled enterprise's codes are.
    kept = (
        existing is not None
        and existing.state == S.RETURNED.value
        and root is not None
        and existing.channel_id == root.id
    )
    if root is None or not (root.enabled or kept):
        result.fail(
            "recommending_society_id",
            _l("This society takes no applications at present."),
        )
        return
    values["channel_id"] = root.id


def _check_enterprise_route(raw, result: Checked, complete: bool, existing) -> None:
    values = result.values
    bound = (
        existing.referral_code
        if existing is not None and existing.referral_code_id
        else None
    )
    if bound is not None:
        # Once a submit claimed the code it stays with the application.
        values["referral_code"] = bound.code
        values["channel_id"] = bound.channel_id
        code = bound
        problem = None
    else:
        typed = codes.normalize_code(
            raw.get("referral_code")
            if isinstance(raw.get("referral_code"), str)
            else ""
        )
        typed = typed[:CODE_INPUT_MAX]
        values["referral_code"] = typed or None
        values["channel_id"] = None
        code = codes.find_code(typed) if typed else None
        problem = codes.code_problem(code) if typed else None
        if not typed:
            if complete:
                result.fail(
                    "referral_code", _l("Enter the referral code from your enterprise.")
                )
        elif problem is not None:
            # A draft may keep a code that cannot be used yet; submit refuses it.
            if complete:
                result.fail("referral_code", problem)
        else:
            values["channel_id"] = code.channel_id

    project_id = _int(raw, "project_id")
    values["project_id"] = None
    if project_id is None:
        typed_project = normalize_text(
            raw.get("project_name") if isinstance(raw.get("project_name"), str) else ""
        )
        if typed_project:
            # Only a usable (or the application's own) code shows its enterprise's projects.
            usable = code if bound is not None or problem is None else None
            _resolve_project(typed_project, usable, result)
        return
    project = db.session.get(Project, project_id) if project_id > 0 else None
    if (
        project is None
        or code is None
        or not project.active
        or project.channel_id not in project_channel_ids(code.channel)
    ):
        result.fail(
            "project_id",
            _l("Choose a project of your enterprise from the suggestions."),
        )
    else:
        values["project_id"] = project.id


def _resolve_project(typed: str, code: ReferralCode | None, result: Checked) -> None:
    """A project name typed without picking a suggestion (no JavaScript, or typed in
    full): the one project of the code's enterprise it names, or a message saying to
    choose among the matches (the page lists them) or that none matches."""
    if code is None:
        result.fail(
            "project_name",
            _l("Enter a usable referral code first: the projects are those of its enterprise."),
        )
        return
    matches = matching_projects(code, typed, limit=PROJECT_MATCHES_SHOWN + 1)
    exact = [p for p in matches if p.name.casefold() == typed.casefold()]
    chosen = exact if exact else matches
    if len(chosen) == 1:
        result.values["project_id"] = chosen[0].id
    elif not chosen:
        result.fail(
            "project_name",
            _l(
                "No project of your enterprise is named like “%(name)s”. Check the name, or leave it empty.",
                name=typed[:PROJECT_QUERY_MAX],
            ),
        )
    else:
        result.fail(
            "project_name",
            _l("Several projects match “%(name)s”. Choose yours below.", name=typed[:PROJECT_QUERY_MAX]),
        )


# --- lists for the form ------------------------------------------------------------


def project_channel_ids(channel: Channel) -> set[int]:
    """The enterprise and, for a level-2 enterprise, its parent: whose projects its
    applicants may pick."""
    ids = {channel.id}
    if channel.parent is not None and channel.parent.level > 0:
        ids.add(channel.parent.id)
    return ids


def usable_code(
    value: str | None, account_id: int
) -> tuple[ReferralCode | None, object]:
    """The code the applicant may use, or None and the message saying why not.

    A code already bound to the applicant's own application counts as usable (a
    returned application keeps its code)."""
    typed = codes.normalize_code(value)[:CODE_INPUT_MAX]
    if not typed:
        return None, _l("Enter the referral code from your enterprise.")
    code = codes.find_code(typed)
    own = active_application(account_id)
    if code is not None and own is not None and own.referral_code_id == code.id:
        return code, None
    problem = codes.code_problem(code)
    return (code, None) if problem is None else (None, problem)


def projects_for_code(
    code_value: str | None, query: str | None, *, account_id: int, limit: int = 10
) -> list[Project]:
    """Autocomplete: active projects of the code's enterprise and its parent whose
    name contains ``query``; nothing for a code the applicant cannot use."""
    code, _problem = usable_code(code_value, account_id)
    if code is None:
        return []
    return matching_projects(code, query, limit=limit)


def matching_projects(code: ReferralCode, query: str | None, *, limit: int) -> list[Project]:
    """Active projects of the code's enterprise and its parent whose name contains
    ``query`` (all of them for an empty query), by name."""
    statement = select(Project).where(
        Project.channel_id.in_(project_channel_ids(code.channel)),
        Project.active.is_(True),
    )
    query = normalize_text(query)[:PROJECT_QUERY_MAX]
    if query:
        statement = statement.where(Project.name.icontains(query, autoescape=True))
    return db.session.scalars(
        statement.order_by(Project.name, Project.id).limit(limit)
    ).all()


def assessing_societies(field_id: int | None) -> list[Society]:
    """National, active societies that assess the field (意向评价学会)."""
    if not field_id:
        return []
    return db.session.scalars(
        select(Society)
        .where(
            Society.kind == SocietyKind.NATIONAL.value,
            Society.active.is_(True),
            Society.fields.any(Field.id == field_id),
        )
        .order_by(Society.id)
    ).all()


def recommending_societies(kind: str | None = None) -> list[Society]:
    """Active societies (of one kind, or all), for the society route."""
    statement = select(Society).where(Society.active.is_(True))
    if kind:
        statement = statement.where(Society.kind == kind)
    return db.session.scalars(statement.order_by(Society.kind, Society.id)).all()


def field_choices() -> list[Field]:
    """The field dictionary (所在领域) in its configured order."""
    return db.session.scalars(select(Field).order_by(Field.position, Field.id)).all()


# --- reading applications ----------------------------------------------------------


def active_application(account_id: int) -> ProspectiveApplication | None:
    """The applicant's one draft, submitted, returned or approved application."""
    return db.session.scalar(
        select(ProspectiveApplication).where(
            ProspectiveApplication.applicant_id == account_id,
            ProspectiveApplication.state.in_([s.value for s in ACTIVE_STATES]),
        )
    )


@dataclass(frozen=True)
class MemberPermission:
    """开通注册工程会员申请权限: the society the account may apply to, at which level."""

    application_id: int
    society_id: int
    society_name: str
    level: str

    @property
    def level_title(self) -> str:
        return str(MEMBER_LEVEL_TITLES.get(self.level, ""))


def member_permission(account_id: int) -> MemberPermission | None:
    """May this account file the member application, to which society, at which level?

    Approval of the prospective application opens it (SPEC §4): for the approving
    (intended assessing) society, at the level the applicant asked for. It is read
    from the approved application itself, so it can never disagree with it; an
    applicant has at most one active application, hence at most one permission.
    """
    row = db.session.execute(
        select(
            ProspectiveApplication.id,
            ProspectiveApplication.level,
            Society.id,
            Society.name,
        )
        .join(Society, Society.id == ProspectiveApplication.assessing_society_id)
        .where(
            ProspectiveApplication.applicant_id == account_id,
            ProspectiveApplication.state == S.APPROVED.value,
            ProspectiveApplication.level.in_(LEVELS),
            Society.active.is_(True),
        )
        .order_by(ProspectiveApplication.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    application_id, level, society_id, society_name = row
    return MemberPermission(application_id, society_id, society_name, level)


def has_member_permission(account_id: int) -> bool:
    """Whether ``member_permission`` opens the member application for the account."""
    return member_permission(account_id) is not None


def form_data(application: ProspectiveApplication) -> dict[str, str]:
    """The stored application as the strings its form shows."""

    def text(value) -> str:
        return "" if value is None else str(value)

    data = {
        "route": application.route,
        "name": text(application.name),
        "mobile": text(application.mobile),
        "email": text(application.email),
        "overseas": "1" if application.overseas else "0",
        "field_id": text(application.field_id),
        "country": text(application.country),
        "employer": text(application.employer),
        "overseas_project_name": text(application.overseas_project_name),
        "project_country": text(application.project_country),
        "assessing_society_id": text(application.assessing_society_id),
        "level": text(application.level),
        "practice": text(application.practice),
        "wants_consultation": "1" if application.wants_consultation else "0",
        "society_kind": "",
        "recommending_society_id": "",
        "referral_code": "",
        "project_id": "",
        "project_name": "",
    }
    channel = application.channel
    if application.route == "society" and channel is not None and channel.level == 0:
        data["society_kind"] = channel.society.kind
        data["recommending_society_id"] = str(channel.society_id)
    if application.route == "enterprise":
        code = application.referral_code
        data["referral_code"] = (
            code.code if code is not None else text(application.draft_code)
        )
        if application.project is not None:
            data["project_id"] = str(application.project_id)
            data["project_name"] = application.project.name
    return data


def history(application: ProspectiveApplication) -> list[ApplicationEvent]:
    """The application's state changes, oldest first."""
    return db.session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.id)
    ).all()


# --- writing -----------------------------------------------------------------------

_STORED = (
    "route",
    "name",
    "mobile",
    "email",
    "overseas",
    "field_id",
    "country",
    "employer",
    "overseas_project_name",
    "project_country",
    "assessing_society_id",
    "level",
    "practice",
    "wants_consultation",
    "project_id",
)
# Columns a draft may leave empty but the table does not allow NULL in.
_NOT_NULL_TEXT = ("name", "mobile")


def _apply(application: ProspectiveApplication, values: dict) -> None:
    for name in _STORED:
        if name in values:
            value = values[name]
            if value is None and name in _NOT_NULL_TEXT:
                value = ""
            setattr(application, name, value)
    if values.get("channel_id") or (
        "channel_id" in values and application.state == S.DRAFT
    ):
        application.channel_id = values["channel_id"]
    if application.referral_code_id is None and "referral_code" in values:
        application.draft_code = values["referral_code"]


def _not_editable(state: str) -> ApplicationError:
    if state == S.APPROVED:
        return ApplicationError(
            _l("Your application has been approved; it cannot be changed.")
        )
    if state in (S.WITHDRAWN, S.REJECTED):
        return ApplicationError(
            _l("This application is closed; start a new one if you wish.")
        )
    return ApplicationError(
        _l("Your application has been submitted and cannot be changed now.")
    )


def _load_for_update(application_id: int) -> ProspectiveApplication | None:
    return db.session.scalar(
        select(ProspectiveApplication)
        .where(ProspectiveApplication.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _editable_for_update(
    account_id: int, existing: ProspectiveApplication | None
) -> ProspectiveApplication:
    """Inside the write transaction: the applicant's editable application, locked, or
    a new draft. Raises when it was submitted or withdrawn meanwhile (another tab)."""
    if existing is None:
        application = ProspectiveApplication(
            applicant_id=account_id, state=S.DRAFT.value, name="", mobile=""
        )
        db.session.add(application)
        return application
    application = _load_for_update(existing.id)
    if application is None or application.state not in EDITABLE_STATES:
        raise _not_editable(
            application.state if application is not None else S.WITHDRAWN
        )
    return application


def _in_progress_error() -> ApplicationError:
    return ApplicationError(
        _l("You already have an application in progress; open it from My centre.")
    )


def save_draft(account_id: int, raw: dict) -> ProspectiveApplication:
    """保存: keep what was typed as a draft (any subset of fields within their limits)."""
    existing = active_application(account_id)
    if existing is not None and existing.state not in EDITABLE_STATES:
        raise _not_editable(existing.state)
    checked = check_application(raw, complete=False, existing=existing)
    if checked.errors:
        raise ApplicationError(_l("Some fields need attention."), errors=checked.errors)
    application = _write_draft(account_id, existing, checked.values)
    logger.info("application %s draft saved by account %s", application.id, account_id)
    return application


def _write_draft(account_id: int, existing, values: dict) -> ProspectiveApplication:
    try:
        with write_transaction():
            application = _editable_for_update(account_id, existing)
            _apply(application, values)
            db.session.flush()
    except IntegrityError:
        # Another tab created the applicant's application at the same moment.
        raise _in_progress_error() from None
    return application


def _keep_draft(account_id: int, raw: dict) -> None:
    """After a refused submit, store what was typed that is valid for a draft; a field
    that is not keeps its previous value. The caller re-shows the form as typed."""
    existing = active_application(account_id)
    if existing is not None and existing.state not in EDITABLE_STATES:
        return
    checked = check_application(raw, complete=False, existing=existing)
    if checked.values.get("route") not in ROUTES:
        return
    values = {
        name: value
        for name, value in checked.values.items()
        if name not in checked.errors
    }
    try:
        application = _write_draft(account_id, existing, values)
    except DomainError:
        return
    logger.info(
        "application %s draft kept after a refused submit by account %s",
        application.id,
        account_id,
    )


def submit(account_id: int, raw: dict) -> ProspectiveApplication:
    """提交审核: validate everything, claim the code atomically and send the application
    to the intended society's queue, all in one transaction.

    On any refusal nothing is submitted and no code is taken; what was typed is kept
    as the draft, and the error names each field and why.
    """
    existing = active_application(account_id)
    if existing is not None and existing.state not in EDITABLE_STATES:
        raise _not_editable(existing.state)
    checked = check_application(raw, complete=True, existing=existing)
    if checked.errors:
        _keep_draft(account_id, raw)
        raise ApplicationError(_l("Some fields need attention."), errors=checked.errors)

    values = checked.values
    try:
        with write_transaction():
            application = _editable_for_update(account_id, existing)
            from_state = ProspectiveState(application.state)
            _apply(application, values)
            if (
                application.route == "enterprise"
                and application.referral_code_id is None
            ):
                code = codes.claim_code(values["referral_code"])
                application.referral_code_id = code.id
                application.channel_id = code.channel_id
            if application.channel_id is None:
                field_name = (
                    "referral_code"
                    if application.route == "enterprise"
                    else "recommending_society_id"
                )
                raise ApplicationError(
                    _l("Choose how you were recommended."), field=field_name
                )
            application.draft_code = None
            application.state = S.SUBMITTED.value
            application.submitted_at = utcnow()
            db.session.flush()
            _record(
                application,
                from_state,
                S.SUBMITTED,
                actor_id=account_id,
                identity_id=None,
                reason=None,
            )
            _notify(application, "submit", reason=None, by_sms=False)
    except CodeError as error:
        # Used, withdrawn or disabled between the check and the claim (another
        # applicant won the same code in the same moment): the draft stays.
        _keep_draft(account_id, raw)
        raise ApplicationError(error.message, field="referral_code") from None
    except IntegrityError:
        raise _in_progress_error() from None
    logger.info(
        "application %s submitted by account %s to society %s",
        application.id,
        account_id,
        application.assessing_society_id,
    )
    return application


def transition(
    application: ProspectiveApplication,
    action: str,
    *,
    actor_id: int | None,
    identity_id: int | None = None,
    reason: str | None = None,
) -> ProspectiveApplication:
    """Move an application along the state machine (withdraw, approve, return, reject)."""
    if action not in TRANSITIONS or action == "submit":
        raise DomainError(_l("This action does not exist."))
    sources, target = TRANSITIONS[action]
    reason = normalize_text(reason) or None
    hidden = hidden_characters_problem(reason)
    if hidden:
        raise DomainError(hidden, field="reason")
    if action in REASON_REQUIRED and not reason:
        raise DomainError(_l("Enter the reason."), field="reason")
    if reason and len(reason) > REASON_MAX:
        raise DomainError(_l("The reason has at most 500 characters."), field="reason")

    with write_transaction():
        current = _load_for_update(application.id)
        if current is None:
            raise DomainError(_l("This application no longer exists."))
        from_state = ProspectiveState(current.state)
        result = db.session.execute(
            update(ProspectiveApplication)
            .where(
                ProspectiveApplication.id == current.id,
                ProspectiveApplication.state.in_([s.value for s in sources]),
            )
            .values(state=target.value, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise DomainError(
                _l(
                    "This application is already %(state)s; the action was not taken.",
                    state=from_state.title,
                )
            )
        db.session.refresh(current)
        if action == "withdraw" and current.referral_code_id is not None:
            # The code goes back to its enterprise for someone else.
            codes.release_code(current.referral_code_id)
            current.referral_code_id = None
        _record(
            current,
            from_state,
            target,
            actor_id=actor_id,
            identity_id=identity_id,
            reason=reason,
        )
        _notify(
            current,
            action,
            reason=reason,
            by_sms=action in ("approve", "return", "reject"),
        )
    logger.info(
        "application %s %s→%s by account %s",
        current.id,
        from_state.value,
        target.value,
        actor_id,
    )
    return current


def _record(
    application, from_state, to_state, *, actor_id, identity_id, reason
) -> None:
    db.session.add(
        ApplicationEvent(
            application_id=application.id,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            actor_id=actor_id,
            identity_id=identity_id,
            reason=reason,
        )
    )


def _notice_body(application, action: str, title: str, reason: str | None) -> str:
    if action == "approve" and application.assessing_society is not None:
        return _(
            "%(title)s Your registered engineering member application is open: "
            "%(society)s, %(level)s. Start it from the home page of the applicant site.",
            title=title,
            society=application.assessing_society.name,
            level=application.level_title,
        )
    if action == "submit" and application.assessing_society is not None:
        return _(
            "%(title)s It was sent to %(society)s for review (%(level)s). You can follow it in the personal center.",
            title=title,
            society=application.assessing_society.name,
            level=application.level_title,
        )
    if reason:
        return _("%(title)s Reason: %(reason)s", title=title, reason=reason)
    return title


def _notify(application, action: str, *, reason: str | None, by_sms: bool) -> None:
    """消息中心 always; with ``by_sms``, also an SMS to the application's mobile and an
    e-mail to its address (or the account's) through the outbox."""
    title = str(NOTICE_TITLES[action])
    body = _notice_body(application, action, title, reason)
    messages.send_message(application.applicant_id, title, body)
    if not by_sms:
        return
    if application.mobile:
        outbox.queue_sms(
            application.mobile,
            _("[Engineering capability assessment] %(text)s", text=body),
        )
    applicant = application.applicant
    email = application.email or (applicant.email if applicant is not None else None)
    if email:
        outbox.queue_email(
            email, _("[Engineering capability assessment] %(text)s", text=title), body
        )

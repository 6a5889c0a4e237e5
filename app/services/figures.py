"""The figures of each identity's backend home page, read from the database.

Three figure groups, one query each:

- codes: allocated (the quota of the scope's top channels, i.e. every code of the
  subtree that is not revoked), shared by SMS (not revoked), used, available;
- applications by state (drafts are the applicant's own and are not counted);
- consultations by step (a society super-admin only: the work waiting for them).

Whose rows (app/scoping.py):

- enterprise contact: its channel, and for a level-1 enterprise its level-2 children;
- society channel contact: every channel of its society;
- society super-admin: the codes of its society's channels, and the applications
  addressed to its society (意向评价学会), whatever channel they came through;
- platform admin: everything.

The funnel (分配推荐码 → 已分享 → 已使用/已提交 → 已通过 → 已注册) is drawn from the first two
groups: "used/submitted" counts the applications submitted and not withdrawn (a
society-route application has no code; a withdrawn one gave its code back), "approved"
those approved, "registered" those whose member application was registered (注册,
app/services/members.py), counted in the applications' query.
"""

from dataclasses import dataclass

from flask_babel import lazy_pgettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    Channel,
    CodeState,
    Identity,
    IdentityKind,
    MemberApplication,
    MemberState,
    ProspectiveApplication,
    ProspectiveState,
    ReferralCode,
)
from app.scoping import ChannelScope, scope_for
from app.services import consultations

S = ProspectiveState

# States counted as "submitted" in the funnel: everything sent to a society and not
# taken back.
SUBMITTED_STATES = (S.SUBMITTED, S.RETURNED, S.APPROVED, S.REJECTED)
SHOWN_STATES = (S.SUBMITTED, S.RETURNED, S.APPROVED, S.REJECTED, S.WITHDRAWN)

FUNNEL_TITLES = {
    "allocated": lazy_pgettext("funnel", "Codes allocated"),
    "shared": lazy_pgettext("funnel", "Shared"),
    "submitted": lazy_pgettext("funnel", "Used / submitted"),
    "approved": lazy_pgettext("funnel", "Approved"),
    "registered": lazy_pgettext("funnel", "Registered"),
}


@dataclass(frozen=True)
class CodeCounts:
    """Referral codes of a scope by what became of them."""

    allocated: int = 0
    shared: int = 0
    used: int = 0
    available: int = 0


@dataclass(frozen=True)
class FunnelStage:
    key: str
    title: str
    value: int
    percent: float  # of the widest stage, 0–100


@dataclass
class HomeFigures:
    """Everything the home page shows for one identity."""

    codes: CodeCounts
    states: dict[str, int]
    funnel: list[FunnelStage]
    consultations: dict[str, int] | None = None

    def state_rows(self) -> list[tuple[str, str, int]]:
        """(state, title, count) in the order of the state machine."""
        return [(s.value, s.title, self.states.get(s.value, 0)) for s in SHOWN_STATES]


def _code_scope(identity: Identity) -> tuple[ChannelScope | None, object, bool]:
    """The channels whose codes are counted, the clause naming the top channels of that
    scope (whose quotas add up to the codes allocated), and whether the query must run
    outside the request's row scope (a super-admin's own scope shows no code at all)."""
    kind = IdentityKind(identity.kind)
    if kind == IdentityKind.ENTERPRISE_CONTACT:
        return scope_for(identity), Channel.id == identity.channel_id, False
    if kind == IdentityKind.PLATFORM_ADMIN:
        return None, Channel.level == 1, False
    tops = (Channel.society_id == identity.society_id) & (Channel.level == 1)
    if kind == IdentityKind.SOCIETY_ADMIN:
        return ChannelScope(society_id=identity.society_id), tops, True
    return scope_for(identity), tops, False


def code_counts(identity: Identity) -> CodeCounts:
    """Codes allocated, shared, used and available in the identity's scope (one query).

    Allocated is the sum of the top channels' quotas, which app/services/channels.py
    keeps equal to the codes of their subtrees that are not revoked (available + used);
    so only the used and the shared codes are counted, through the index on
    (channel, state), instead of reading every code of a society (300,000 at
    national scale)."""
    scope, tops, unscoped = _code_scope(identity)
    in_scope = (
        [ReferralCode.channel_id.in_(scope.channel_ids())] if scope is not None else []
    )
    query = select(
        select(func.coalesce(func.sum(Channel.quota), 0)).where(tops).scalar_subquery(),
        select(func.count())
        .select_from(ReferralCode)
        .where(*in_scope, ReferralCode.state == CodeState.USED.value)
        .scalar_subquery(),
        select(func.count())
        .select_from(ReferralCode)
        .where(
            *in_scope,
            ReferralCode.state != CodeState.REVOKED.value,
            ReferralCode.shared_at.is_not(None),
        )
        .scalar_subquery(),
    )
    if unscoped:
        query = query.execution_options(unscoped=True)
    allocated, used, shared = (
        int(value or 0) for value in db.session.execute(query).one()
    )
    return CodeCounts(
        allocated=allocated,
        shared=shared,
        used=used,
        available=allocated - used,
    )


def _applications_where(identity: Identity) -> list:
    kind = IdentityKind(identity.kind)
    conditions = [ProspectiveApplication.state != S.DRAFT.value]
    if kind == IdentityKind.SOCIETY_ADMIN:
        conditions.append(
            ProspectiveApplication.assessing_society_id == identity.society_id
        )
        return conditions
    scope = scope_for(identity)
    if scope is not None:
        conditions.append(ProspectiveApplication.channel_id.in_(scope.channel_ids()))
    return conditions


def application_counts(identity: Identity) -> tuple[dict[str, int], int]:
    """Submitted applications in the identity's scope by state, and how many of them
    became registered members (one query)."""
    registered = aliased(MemberApplication)
    rows = db.session.execute(
        select(
            ProspectiveApplication.state, func.count(), func.count(registered.id)
        )
        .outerjoin(
            registered,
            and_(
                registered.prospective_application_id == ProspectiveApplication.id,
                registered.state == MemberState.REGISTERED.value,
            ),
        )
        .where(*_applications_where(identity))
        .group_by(ProspectiveApplication.state)
    ).all()
    states = {state: int(number) for state, number, _members in rows}
    return states, sum(int(members) for _state, _number, members in rows)


def funnel(
    codes: CodeCounts, states: dict[str, int], registered: int
) -> list[FunnelStage]:
    """The stages from codes to registered members, each with its share of the widest."""
    values = {
        "allocated": codes.allocated,
        "shared": codes.shared,
        "submitted": sum(states.get(s.value, 0) for s in SUBMITTED_STATES),
        "approved": states.get(S.APPROVED.value, 0),
        "registered": registered,
    }
    widest = max(values.values()) or 1
    return [
        FunnelStage(
            key=key,
            title=str(FUNNEL_TITLES[key]),
            value=value,
            percent=100.0 * value / widest,
        )
        for key, value in values.items()
    ]


def home_figures(identity: Identity) -> HomeFigures:
    """The figures of the identity's home page: two queries, three for a super-admin."""
    codes = code_counts(identity)
    states, registered = application_counts(identity)
    result = HomeFigures(
        codes=codes, states=states, funnel=funnel(codes, states, registered)
    )
    if identity.kind == IdentityKind.SOCIETY_ADMIN:
        result.consultations = consultations.count_by_step(identity)
    return result

"""The channel overviews of SPEC §5: the queries behind 拟参加工程能力评价人员总览 and
工程能力评价人员总览, always within the identity's channel subtree."""

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, Identity, IdentityKind, ProspectiveApplication, ProspectiveState
from app.scoping import scope_for

FILTERABLE = ("name", "mobile", "state", "channel_id")


@dataclass
class OverviewPage:
    rows: list
    total: int


def visible_channel_ids(identity: Identity):
    """A subquery of the channels whose applicants the identity sees."""
    scope = scope_for(identity)
    if scope is None:
        return select(Channel.id)
    return scope.channel_ids()


def prospect_query(identity: Identity, filters: dict):
    """Prospective applications (not drafts) of the identity's subtree, filtered."""
    query = select(ProspectiveApplication).where(
        ProspectiveApplication.channel_id.in_(visible_channel_ids(identity)),
        ProspectiveApplication.state != ProspectiveState.DRAFT.value,
    )
    name = (filters.get("name") or "").strip()
    if name:
        query = query.where(ProspectiveApplication.name.contains(name, autoescape=True))
    mobile = (filters.get("mobile") or "").strip()
    if mobile:
        query = query.where(ProspectiveApplication.mobile.startswith(mobile, autoescape=True))
    state = filters.get("state") or ""
    if state in {s.value for s in ProspectiveState}:
        query = query.where(ProspectiveApplication.state == state)
    return query


def assessment_query(identity: Identity, filters: dict):
    """The people in the member stage (approved prospective applications)."""
    filters = {**filters, "state": ProspectiveState.APPROVED.value}
    return prospect_query(identity, filters)


def page_of(query, page: int, per_page: int) -> OverviewPage:
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(ProspectiveApplication.submitted_at.desc(), ProspectiveApplication.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return OverviewPage(rows=rows, total=total)


def header_counts(identity: Identity) -> dict[str, int]:
    """Applications by state in the identity's subtree."""
    rows = db.session.execute(
        select(ProspectiveApplication.state, func.count())
        .where(ProspectiveApplication.channel_id.in_(visible_channel_ids(identity)))
        .group_by(ProspectiveApplication.state)
    )
    return dict(rows.all())


def is_enterprise(identity: Identity) -> bool:
    return identity.kind == IdentityKind.ENTERPRISE_CONTACT

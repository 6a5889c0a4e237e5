"""Row scoping at the ORM level, the safety net under every view's own filters.

Once the active identity of a backend request is known, ``enable_scope`` stores its
scope in the session; every ORM SELECT, UPDATE and DELETE then carries criteria on
``Channel`` and on every ``ChannelScoped`` model, so a row of another organisation is
never loaded, whatever path (list, show, edit, action, related field, export) asks.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event, exists, false, inspect, or_, select
from sqlalchemy.orm import Session, aliased, with_loader_criteria

from app.models import Channel, Identity, IdentityKind, Project, ProspectiveApplication
from app.models.base import ChannelScoped

_SCOPE_KEY = "channel_scope"


@dataclass(frozen=True)
class ChannelScope:
    """Which channels an identity sees: a whole society's tree, a subtree, nothing, or
    (a society super-admin) the applications addressed to one assessing society."""

    society_id: int | None = None
    channel_id: int | None = None
    with_children: bool = False
    nothing: bool = False
    assessing_society_id: int | None = None

    def channel_clause(self, cls):
        if self.nothing:
            return false()
        if self.assessing_society_id is not None:
            return cls.id.in_(_assessed(self.assessing_society_id, ProspectiveApplication.channel_id))
        if self.society_id is not None:
            return cls.society_id == self.society_id
        if self.with_children:
            return or_(cls.id == self.channel_id, cls.parent_id == self.channel_id)
        return cls.id == self.channel_id

    def channel_ids(self):
        """A subquery of the visible channel ids."""
        return select(Channel.id).where(self.channel_clause(Channel))

    def allows(self, channel: Channel) -> bool:
        """``channel_clause`` for a channel already in memory, read without loading
        anything (an expired channel is not allowed: it is loaded again if needed)."""
        values = inspect(channel).dict
        if self.nothing or self.assessing_society_id is not None or "id" not in values:
            # (Which channels a super-admin sees depends on the applications: reload.)
            return False
        if self.society_id is not None:
            return values.get("society_id") == self.society_id
        if self.with_children:
            return self.channel_id in (values["id"], values.get("parent_id"))
        return values["id"] == self.channel_id


def scope_for(identity: Identity) -> ChannelScope | None:
    """The scope of an identity; None for identities that see every channel (admin)."""
    kind = IdentityKind(identity.kind)
    if kind == IdentityKind.PLATFORM_ADMIN:
        return None
    if kind == IdentityKind.SOCIETY_CONTACT:
        return ChannelScope(society_id=identity.society_id)
    if kind == IdentityKind.ENTERPRISE_CONTACT:
        channel = identity.channel
        return ChannelScope(channel_id=identity.channel_id, with_children=channel is not None and channel.level == 1)
    if kind == IdentityKind.SOCIETY_ADMIN and identity.society_id is not None:
        # Society super-admins review the applications addressed to their society
        # (意向评价学会), whatever channel they came through; they configure no channel.
        return ChannelScope(assessing_society_id=identity.society_id)
    return ChannelScope(nothing=True)


def _assessed(society_id: int, column):
    """``column`` of the prospective applications addressed to the society."""
    return select(column).where(ProspectiveApplication.assessing_society_id == society_id)


def enable_scope(session: Session, scope: ChannelScope | None) -> None:
    """Scope every later ORM statement of the session, and drop from the session what
    was loaded before and lies outside the scope: ``session.get()`` and many-to-one
    lazy loads answer from the identity map without a statement, so an object left
    there would bypass the criteria."""
    if scope is None:
        session.info.pop(_SCOPE_KEY, None)
    else:
        session.info[_SCOPE_KEY] = scope
        _evict(session, scope, list(session.identity_map.values()))


def disable_scope(session: Session) -> None:
    session.info.pop(_SCOPE_KEY, None)


def current_scope(session: Session) -> ChannelScope | None:
    return session.info.get(_SCOPE_KEY)


@contextmanager
def suspended(session: Session) -> Iterator[None]:
    """Run the body unscoped (the identity switch reads the account's other identities
    and their channels); what it loaded outside the scope is dropped afterwards."""
    scope = current_scope(session)
    if scope is None:
        yield
        return
    before = set(session.identity_map.keys())
    disable_scope(session)
    try:
        yield
    finally:
        session.info[_SCOPE_KEY] = scope
        loaded = [obj for key, obj in list(session.identity_map.items()) if key not in before]
        _evict(session, scope, loaded)


def _evict(session: Session, scope: ChannelScope, objects) -> None:
    """Expunge the channels the scope does not allow, and every channel-scoped row that
    was loaded unscoped (one in scope is loaded again, through the criteria)."""
    for obj in objects:
        if isinstance(obj, Channel):
            if not scope.allows(obj):
                session.expunge(obj)
        elif isinstance(obj, ChannelScoped):
            session.expunge(obj)


_ASSESSED = aliased(ProspectiveApplication, name="assessed")


def _review_options(society_id: int) -> list:
    """A society super-admin's loader criteria: its society's applications, and the
    channels and projects those name (shown on the review pages); every other
    channel-scoped model (referral codes, and any added later) shows nothing."""
    # Correlated EXISTS on an alias: a probe of the few rows shown, where an IN list of
    # the society's applications would be built for every statement.
    specific = {
        ProspectiveApplication: lambda cls: cls.assessing_society_id == society_id,
        Project: lambda cls: exists().where(
            _ASSESSED.project_id == cls.id, _ASSESSED.assessing_society_id == society_id
        ),
    }
    options = [
        with_loader_criteria(
            Channel,
            lambda cls: exists().where(
                _ASSESSED.channel_id == cls.id, _ASSESSED.assessing_society_id == society_id
            ),
            include_aliases=True,
        )
    ]
    for model in ChannelScoped.__subclasses__():
        criteria = specific.get(model, lambda cls: false())
        options.append(with_loader_criteria(model, criteria, include_aliases=True))
    return options


def _criteria(scope: ChannelScope):
    """Loader criteria for Channel and for ChannelScoped models. The lambdas close over
    plain ids only, so SQLAlchemy caches one statement shape and binds the values."""
    # Channel criteria are lambdas too: a plain expression names the ``channels`` table
    # and breaks any statement that joins Channel under an alias (FAB's joins do).
    if scope.nothing:
        return (lambda cls: false()), lambda cls: false()
    if scope.society_id is not None:
        society_id = scope.society_id
        return (lambda cls: cls.society_id == society_id), lambda cls: cls.channel_id.in_(
            select(Channel.id).where(Channel.society_id == society_id)
        )
    channel_id = scope.channel_id
    if scope.with_children:
        return (lambda cls: or_(cls.id == channel_id, cls.parent_id == channel_id)), lambda cls: cls.channel_id.in_(
            select(Channel.id).where(or_(Channel.id == channel_id, Channel.parent_id == channel_id))
        )
    return (lambda cls: cls.id == channel_id), lambda cls: cls.channel_id == channel_id


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state) -> None:
    scope: ChannelScope | None = state.session.info.get(_SCOPE_KEY)
    if scope is None or state.is_column_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("unscoped"):
        return
    if scope.assessing_society_id is not None:
        state.statement = state.statement.options(*_review_options(scope.assessing_society_id))
        return
    channel_criteria, scoped_criteria = _criteria(scope)
    state.statement = state.statement.options(
        with_loader_criteria(Channel, channel_criteria, include_aliases=True),
        with_loader_criteria(ChannelScoped, scoped_criteria, include_aliases=True),
    )

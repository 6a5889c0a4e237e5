"""Row scoping at the ORM level, the safety net under every view's own filters.

Once the active identity of a backend request is known, ``enable_scope`` stores its
scope in the session; every ORM SELECT, UPDATE and DELETE then carries criteria on
``Channel`` and on every ``ChannelScoped`` model, so a row of another organisation is
never loaded, whatever path (list, show, edit, action, related field, export) asks.
"""

from dataclasses import dataclass

from sqlalchemy import event, false, or_, select
from sqlalchemy.orm import Session, with_loader_criteria

from app.models import Channel, Identity, IdentityKind
from app.models.base import ChannelScoped

_SCOPE_KEY = "channel_scope"


@dataclass(frozen=True)
class ChannelScope:
    """Which channels an identity sees: a whole society's tree, a subtree, or nothing."""

    society_id: int | None = None
    channel_id: int | None = None
    with_children: bool = False
    nothing: bool = False

    def channel_clause(self, cls):
        if self.nothing:
            return false()
        if self.society_id is not None:
            return cls.society_id == self.society_id
        if self.with_children:
            return or_(cls.id == self.channel_id, cls.parent_id == self.channel_id)
        return cls.id == self.channel_id

    def channel_ids(self):
        """A subquery of the visible channel ids."""
        return select(Channel.id).where(self.channel_clause(Channel))


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
    # Society super-admins work on applications addressed to their society (issue 4),
    # not on channels.
    return ChannelScope(nothing=True)


def enable_scope(session: Session, scope: ChannelScope | None) -> None:
    if scope is None:
        session.info.pop(_SCOPE_KEY, None)
    else:
        session.info[_SCOPE_KEY] = scope


def disable_scope(session: Session) -> None:
    session.info.pop(_SCOPE_KEY, None)


def current_scope(session: Session) -> ChannelScope | None:
    return session.info.get(_SCOPE_KEY)


def _criteria(scope: ChannelScope):
    """Loader criteria for Channel and for ChannelScoped models. The lambdas close over
    plain ids only, so SQLAlchemy caches one statement shape and binds the values."""
    if scope.nothing:
        return false(), lambda cls: false()
    if scope.society_id is not None:
        society_id = scope.society_id
        return Channel.society_id == society_id, lambda cls: cls.channel_id.in_(
            select(Channel.id).where(Channel.society_id == society_id)
        )
    channel_id = scope.channel_id
    if scope.with_children:
        return or_(Channel.id == channel_id, Channel.parent_id == channel_id), lambda cls: cls.channel_id.in_(
            select(Channel.id).where(or_(Channel.id == channel_id, Channel.parent_id == channel_id))
        )
    return Channel.id == channel_id, lambda cls: cls.channel_id == channel_id


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state) -> None:
    scope: ChannelScope | None = state.session.info.get(_SCOPE_KEY)
    if scope is None or state.is_column_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("unscoped"):
        return
    channel_criteria, scoped_criteria = _criteria(scope)
    state.statement = state.statement.options(
        with_loader_criteria(Channel, channel_criteria, include_aliases=True),
        with_loader_criteria(ChannelScoped, scoped_criteria, include_aliases=True),
    )

"""The active identity of a backend request: chosen after login, kept in the session,
re-checked on every request against the account and its channel."""

import logging

from flask import g, session
from sqlalchemy import select

from app.extensions import db
from app.models import Identity, IdentityKind
from app.scoping import suspended
from app.services.codes import channel_chain_enabled

logger = logging.getLogger(__name__)

SESSION_KEY = "identity_id"


def usable_identities(account_id: int) -> list[Identity]:
    """Identities the account may act as now (active, and its channel chain enabled).

    Read outside the active identity's row scope: the account's other identities and
    their channels lie outside it by nature (app/scoping.py drops them afterwards)."""
    with suspended(db.session):
        rows = db.session.scalars(
            select(Identity).where(Identity.account_id == account_id, Identity.active.is_(True)).order_by(Identity.id)
        ).all()
        return [identity for identity in rows if is_usable(identity)]


def is_usable(identity: Identity) -> bool:
    """A disabled channel's contact cannot act for it."""
    if not identity.active:
        return False
    if IdentityKind(identity.kind) == IdentityKind.ENTERPRISE_CONTACT:
        return identity.channel is not None and channel_chain_enabled(identity.channel)
    return True


def resolve_active_identity(account_id: int) -> Identity | None:
    """The identity stored in the session when it still belongs to the account and is
    usable; the only identity when there is exactly one; else None (the user chooses)."""
    identity_id = session.get(SESSION_KEY)
    if identity_id is not None:
        identity = db.session.get(Identity, identity_id)
        if identity is not None and identity.account_id == account_id and is_usable(identity):
            return identity
        session.pop(SESSION_KEY, None)
    choices = usable_identities(account_id)
    if len(choices) == 1:
        session[SESSION_KEY] = choices[0].id
        return choices[0]
    return None


def choose_identity(account_id: int, identity_id: int) -> Identity | None:
    """Make one of the account's usable identities the active one."""
    with suspended(db.session):
        identity = db.session.get(Identity, identity_id)
        if identity is None or identity.account_id != account_id or not is_usable(identity):
            return None
    session[SESSION_KEY] = identity.id
    logger.info("account %s acts as identity %s", account_id, identity.id)
    return identity


def clear_identity() -> None:
    session.pop(SESSION_KEY, None)


def current_identity() -> Identity | None:
    """The identity of this request, resolved by the before-request hook."""
    return g.get("identity")

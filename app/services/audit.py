"""Recording changes in the audit log, inside the caller's transaction."""

import logging

from app.extensions import db
from app.models import AuditEntry, Identity

logger = logging.getLogger(__name__)


def record_change(
    action: str,
    target,
    *,
    actor: Identity | None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``target`` (a model instance)."""
    db.session.flush()
    entry = AuditEntry(
        actor_id=actor.account_id if actor is not None else None,
        identity_id=actor.id if actor is not None else None,
        action=action,
        target_type=target.__tablename__,
        target_id=target.id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry

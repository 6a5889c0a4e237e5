"""Recording changes in the audit log, inside the caller's transaction."""

import logging

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AuditEntry, Identity

logger = logging.getLogger(__name__)

ACTION_TITLES = {
    "channel.create": _l("Enterprise channel created"),
    "channel.quota": _l("Code quota changed"),
    "channel.rename": _l("Enterprise renamed"),
    "channel.disable": _l("Channel disabled"),
    "channel.enable": _l("Channel enabled"),
    "channel.contact": _l("Contact set"),
    "channel.contact_removed": _l("Contact removed"),
    "code.share": _l("Code shared by SMS"),
    "project.create": _l("Project added"),
    "project.update": _l("Project edited"),
    "project.stop": _l("Project stopped"),
    "project.resume": _l("Project resumed"),
    "society.create": _l("Society created"),
    "site_content.update": _l("Site content changed"),
    "application.approve": _l("Application approved"),
    "application.return": _l("Application returned for changes"),
    "application.reject": _l("Application not approved"),
    "review_reason.create": _l("Common reason added"),
    "review_reason.update": _l("Common reason edited"),
    "review_reason.delete": _l("Common reason deleted"),
    "export.prospects": _l("Prospective applicants exported"),
    "export.assessments": _l("Assessment applicants exported"),
    "export.codes": _l("Referral codes exported"),
}


def action_title(action: str) -> str:
    """The readable name of an audit action (the code itself when unknown)."""
    title = ACTION_TITLES.get(action)
    return str(title) if title is not None else action


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

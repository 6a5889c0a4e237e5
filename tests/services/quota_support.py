"""Helpers shared by the quota tests (SPEC §2): reading codes, snapshots, messages."""

import re

from flask import current_app
from sqlalchemy import func, select

from app.db import write_transaction
from app.extensions import db
from app.models import AuditEntry, Channel, CodeState, ReferralCode
from app.services import codes


def text_of(message) -> str:
    """A (lazy) message as the user reads it: rendered in a request with the default zh locale."""
    with current_app.test_request_context():
        return str(message)


def numbers_in(message) -> list[int]:
    """The figures a message names, sorted: the same in every locale."""
    return sorted(int(number) for number in re.findall(r"\d+", text_of(message)))


def claim(code_string: str) -> ReferralCode:
    """Claim a code the way submitting an application does: in a write transaction."""
    with write_transaction():
        return codes.claim_code(code_string)


def code_strings(channel_id: int, state: CodeState | None = None) -> set[str]:
    query = select(ReferralCode.code).where(ReferralCode.channel_id == channel_id)
    if state is not None:
        query = query.where(ReferralCode.state == state.value)
    db.session.commit()  # end any read transaction: see what other transactions committed
    return set(db.session.scalars(query))


def owner_of_codes() -> dict[str, int]:
    """Every code string in the database and the channel that owns it."""
    db.session.commit()
    return dict(db.session.execute(select(ReferralCode.code, ReferralCode.channel_id)).all())


def available_codes(channel_id: int) -> list[str]:
    """Available code strings of a channel, oldest row first."""
    db.session.commit()
    return list(
        db.session.scalars(
            select(ReferralCode.code)
            .where(ReferralCode.channel_id == channel_id, ReferralCode.state == CodeState.AVAILABLE.value)
            .order_by(ReferralCode.id)
        )
    )


def snapshot(society_id: int | None = None) -> dict:
    """Everything a quota operation may touch: channels, codes and the audit log
    (of one society's channels and codes when ``society_id`` is given)."""
    db.session.commit()
    channel_query = select(Channel.id, Channel.parent_id, Channel.level, Channel.name, Channel.quota, Channel.enabled)
    code_query = select(
        ReferralCode.id,
        ReferralCode.code,
        ReferralCode.channel_id,
        ReferralCode.state,
        ReferralCode.shared_at,
        ReferralCode.used_at,
        ReferralCode.revoked_at,
    )
    if society_id is not None:
        channel_query = channel_query.where(Channel.society_id == society_id)
        code_query = code_query.join(Channel, Channel.id == ReferralCode.channel_id).where(Channel.society_id == society_id)
    channels = db.session.execute(channel_query.order_by(Channel.id)).all()
    code_rows = db.session.execute(code_query.order_by(ReferralCode.id)).all()
    audit = db.session.execute(select(func.count(AuditEntry.id), func.max(AuditEntry.id))).one()
    return {"channels": [tuple(row) for row in channels], "codes": [tuple(row) for row in code_rows], "audit": tuple(audit)}


def audit_entries(channel_id: int) -> list[AuditEntry]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == "channels", AuditEntry.target_id == channel_id)
            .order_by(AuditEntry.id)
        )
    )

"""Referral codes: generation, revocation order, claiming and sharing."""

import logging
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.db import lock_rows, write_transaction
from app.errors import CodeError
from app.extensions import db
from app.models import Channel, CodeState, Identity, ReferralCode
from app.models.base import utcnow
from app.models.channels import CODE_LENGTH
from app.services import outbox
from app.services.audit import record_change
from app.validation import check_mobile

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: nothing a reader can confuse. 31 symbols, 12 places: about 59 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code_string() -> str:
    """A fresh code from the operating system's CSPRNG."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value: str | None) -> str:
    """Codes are case-insensitive on input; spaces and hyphens a user typed are dropped."""
    if not value:
        return ""
    return "".join(ch for ch in value.upper() if ch not in " -\t\r\n")


def create_codes(channel_id: int, count: int) -> None:
    """Insert ``count`` new available codes for a channel (caller holds the transaction)."""
    if count <= 0:
        return
    now = utcnow()
    remaining = count
    while remaining:
        batch = {new_code_string() for _ in range(min(remaining, 5000))}
        taken = set(
            db.session.scalars(select(ReferralCode.code).where(ReferralCode.code.in_(batch)))
        )
        rows = [
            {"code": code, "channel_id": channel_id, "state": CodeState.AVAILABLE.value, "created_at": now}
            for code in batch - taken
        ]
        db.session.execute(ReferralCode.__table__.insert(), rows)
        remaining -= len(rows)


def revoke_codes(channel_id: int, count: int) -> int:
    """Revoke ``count`` available codes of a channel: never shared first, newest first,
    codes already shared by SMS last. Returns how many were revoked, which is less than
    ``count`` only when applicants claimed codes meanwhile (the caller refuses then).
    """
    if count <= 0:
        return 0
    ids = list(
        db.session.scalars(
            lock_rows(
                select(ReferralCode.id)
                .where(
                    ReferralCode.channel_id == channel_id,
                    ReferralCode.state == CodeState.AVAILABLE.value,
                )
                .order_by(ReferralCode.shared_at.is_not(None), ReferralCode.id.desc())
                .limit(count)
            )
        )
    )
    if not ids:
        return 0
    result = db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.id.in_(ids), ReferralCode.state == CodeState.AVAILABLE.value)
        .values(state=CodeState.REVOKED.value, revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def channel_chain_enabled(channel: Channel) -> bool:
    """A channel can take applications when it and every ancestor are enabled."""
    node = channel
    while node is not None:
        if not node.enabled:
            return False
        node = node.parent
    return True


def find_code(value: str | None) -> ReferralCode | None:
    code = normalize_code(value)
    if not code:
        return None
    return db.session.scalar(select(ReferralCode).where(ReferralCode.code == code))


def code_problem(code: ReferralCode | None):
    """None when the code can be claimed now, else the message saying why not."""
    if code is None:
        return _l("This referral code does not exist. Check it with your enterprise.")
    if code.state == CodeState.USED:
        return _l("This referral code has already been used.")
    if code.state == CodeState.REVOKED:
        return _l("This referral code has been withdrawn by its enterprise.")
    if not channel_chain_enabled(code.channel):
        return _l("The channel of this referral code is disabled; it cannot be used now.")
    return None


def claim_code(value: str) -> ReferralCode:
    """Mark a code used, atomically: of two simultaneous claims exactly one wins.

    Runs inside the caller's write transaction (the application that binds the code
    is written in the same one).
    """
    code = find_code(value)
    problem = code_problem(code)
    if problem is not None:
        raise CodeError(problem, field="referral_code")

    result = db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.id == code.id, ReferralCode.state == CodeState.AVAILABLE.value)
        .values(state=CodeState.USED.value, used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Another transaction changed it between the read and the update (PostgreSQL
        # waits on the row, then skips it): say what it became, used or withdrawn.
        db.session.refresh(code)
        problem = code_problem(code) or _l("This referral code has already been used.")
        raise CodeError(problem, field="referral_code")
    db.session.refresh(code)
    logger.info("referral code %s of channel %s claimed", code.id, code.channel_id)
    return code


def release_code(code_id: int) -> None:
    """Give a used code back (its application was withdrawn)."""
    db.session.execute(
        update(ReferralCode)
        .where(ReferralCode.id == code_id, ReferralCode.state == CodeState.USED.value)
        .values(state=CodeState.AVAILABLE.value, used_at=None)
        .execution_options(synchronize_session=False)
    )


def share_code(code: ReferralCode, mobile: str, *, actor: Identity | None) -> ReferralCode:
    """Send a code by SMS through the outbox and record where and when it went."""
    check_mobile(mobile)
    with write_transaction() as session:
        code = session.scalar(lock_rows(select(ReferralCode).where(ReferralCode.id == code.id)))
        if code.state != CodeState.AVAILABLE:
            raise CodeError(_l("Only an available code can be shared."), field="mobile")
        channel = code.channel
        link = f"{current_app.config['APPLY_BASE_URL'].rstrip('/')}/apply/code/{code.code}"
        body = _(
            "[Engineering capability assessment] %(enterprise)s recommends you. "
            "Your referral code is %(code)s. Apply at %(link)s",
            enterprise=channel.name,
            code=code.code,
            link=link,
        )
        before = {"shared_to": code.shared_to, "shared_at": _iso(code.shared_at)}
        code.shared_to = mobile
        code.shared_at = utcnow()
        message = outbox.queue_sms(mobile, body)
        record_change(
            "code.share",
            code,
            actor=actor,
            before=before,
            after={"shared_to": mobile, "shared_at": _iso(code.shared_at), "outbox_id": message.id},
        )
    logger.info("referral code %s shared by identity %s", code.id, actor.id if actor else None)
    return code


def count_codes(channel_id: int) -> dict[str, int]:
    """Codes of one channel by state."""
    rows = db.session.execute(
        select(ReferralCode.state, func.count())
        .where(ReferralCode.channel_id == channel_id)
        .group_by(ReferralCode.state)
    )
    counts = {state.value: 0 for state in CodeState}
    counts.update({state: number for state, number in rows})
    return counts


def _iso(value) -> str | None:
    return value.isoformat() if value else None

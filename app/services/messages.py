"""消息中心: in-site messages to applicants, with an unread count."""

import logging

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Message
from app.models.base import utcnow

logger = logging.getLogger(__name__)


def send_message(account_id: int, title: str, body: str) -> Message:
    """Add a message for an account in the caller's transaction."""
    message = Message(account_id=account_id, title=title[:200], body=body)
    db.session.add(message)
    db.session.flush()
    logger.info("message %s for account %s", message.id, account_id)
    return message


def unread_count(account_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Message.account_id == account_id, Message.read_at.is_(None))
    )


def list_messages(account_id: int, limit: int = 100) -> list[Message]:
    return db.session.scalars(
        select(Message).where(Message.account_id == account_id).order_by(Message.id.desc()).limit(limit)
    ).all()


def mark_all_read(account_id: int) -> None:
    """Mark the account's messages read (caller's write transaction)."""
    db.session.execute(
        update(Message)
        .where(Message.account_id == account_id, Message.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )

"""The outbox: SMS and e-mail rows, and the senders that deliver them.

A service queues a message inside its own transaction; once that transaction has
committed, the queued rows are handed to the configured sender. A sender that fails
marks the row failed with its error and the attempt count; the user's action stands.
"""

import logging
from typing import Protocol

from flask import current_app

from app.db import on_commit, write_transaction
from app.extensions import db
from app.models import OutboxMessage, OutboxState
from app.models.base import utcnow
from app.validation import mask_mobile

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_PENDING_KEY = "pending_outbox"


class Sender(Protocol):
    """Delivers one message or raises."""

    def send(self, message: OutboxMessage) -> None: ...


class OutboxOnlySender:
    """The default sender: the message stays in the outbox table and is logged."""

    def send(self, message: OutboxMessage) -> None:
        recipient = mask_mobile(message.recipient) if message.channel == "sms" else message.recipient.split("@")[-1]
        logger.info("outbox message %s (%s) to %s kept for reading", message.id, message.channel, recipient)


class FailingSender:
    """A sender that always fails; used to show and test the failure path."""

    def send(self, message: OutboxMessage) -> None:
        raise RuntimeError("sender unavailable")


SENDERS: dict[str, type] = {"outbox": OutboxOnlySender, "failing": FailingSender}


def get_sender() -> Sender:
    name = current_app.config.get("MESSAGE_SENDER", "outbox")
    return SENDERS[name]()


def queue_sms(mobile: str, body: str) -> OutboxMessage:
    """Queue an SMS in the current transaction."""
    return _queue("sms", mobile, None, body)


def queue_email(address: str, subject: str, body: str) -> OutboxMessage:
    """Queue an e-mail in the current transaction."""
    return _queue("email", address, subject, body)


def _queue(channel: str, recipient: str, subject: str | None, body: str) -> OutboxMessage:
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append(message.id)
    return message


def deliver(message_ids: list[int]) -> None:
    """Hand queued messages to the sender, one short transaction each."""
    sender = get_sender()
    for message_id in message_ids:
        with write_transaction() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.state == OutboxState.SENT:
                continue
            message.attempts += 1
            try:
                sender.send(message)
            except Exception as exc:  # the sender's failure is recorded, not raised
                message.state = OutboxState.FAILED.value
                message.error = str(exc)[:500]
                logger.warning("outbox message %s failed (attempt %s)", message.id, message.attempts)
            else:
                message.state = OutboxState.SENT.value
                message.sent_at = utcnow()
                message.error = None


def retry_failed() -> int:
    """Try again every failed message below the attempt limit; returns how many."""
    ids = [
        row.id
        for row in db.session.query(OutboxMessage.id).filter(
            OutboxMessage.state == OutboxState.FAILED.value,
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
    ]
    deliver(ids)
    return len(ids)


def _deliver_after_commit(session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if pending:
        deliver(pending)


on_commit(_deliver_after_commit)

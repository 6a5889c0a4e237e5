"""The outbox: queued in the action's transaction, delivered after commit, failures kept."""

from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import OutboxMessage
from app.services import outbox


def test_message_is_sent_after_commit_by_outbox_sender(app):
    with write_transaction():
        message = outbox.queue_sms("13900001111", "测试短信")
    row = db.session.get(OutboxMessage, message.id)

    assert row.state == "sent"
    assert row.attempts == 1
    assert row.error is None and row.sent_at is not None


def test_rolled_back_action_sends_nothing(app):
    try:
        with write_transaction():
            outbox.queue_sms("13900001111", "不会发送")
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass

    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_failing_sender_never_fails_the_action_and_is_retried(app):
    app.config["MESSAGE_SENDER"] = "failing"
    with write_transaction():
        message = outbox.queue_email("user@example.com", "主题", "正文")
    failed = db.session.get(OutboxMessage, message.id)
    state_after_failure, attempts_after_failure = failed.state, failed.attempts

    app.config["MESSAGE_SENDER"] = "outbox"
    retried = outbox.retry_failed()

    assert (state_after_failure, attempts_after_failure) == ("failed", 1)
    assert db.session.get(OutboxMessage, message.id).error is None
    assert retried == 1
    row = db.session.get(OutboxMessage, message.id)
    assert (row.state, row.attempts) == ("sent", 2)

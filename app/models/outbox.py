"""Outgoing SMS and email, kept as rows until a sender delivers them."""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow


class OutboxState(enum.StrEnum):
    """Delivery states of a message."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return str(OUTBOX_STATE_TITLES[self])


OUTBOX_STATE_TITLES = {
    OutboxState.QUEUED: _l("Queued"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Failed"),
}


class OutboxMessage(Model):
    """An SMS or email on its way out."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'email')", name="ck_outbox_channel"),
        CheckConstraint("state IN ('queued', 'sent', 'failed')", name="ck_outbox_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(8), default=OutboxState.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def state_title(self) -> str:
        return OutboxState(self.state).title

"""Applicant-site support: verification codes, in-site messages, editable site content."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class VerificationCode(Model):
    """A 6-digit code sent to an e-mail address or mobile; only its hash is kept."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        CheckConstraint("purpose IN ('register', 'login', 'reset')", name="ck_verification_purpose"),
        Index("ix_verification_target", "target", "purpose", "created_at"),
        Index("ix_verification_ip", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Message(Model):
    """An in-site message (站内消息) to one account."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SiteContent(Model):
    """Content the platform admin edits: agreement, privacy policy, contact page,
    introduction videos and the guide (as an address or an uploaded file)."""

    __tablename__ = "site_contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    # up to SITE_FILE_MAX_BYTES: loaded only when the file itself is served
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ApplicationEvent(Model):
    """One step in a prospective application's history (state change, with reason)."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("prospective_applications.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("Account")

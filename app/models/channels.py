"""The channel tree (society root, level-1 and level-2 enterprises) and referral codes."""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ChannelScoped, TimestampMixin

CHANNEL_NAME_MAX = 50
CODE_LENGTH = 12


class Channel(TimestampMixin, Model):
    """A recommendation channel: level 0 is a society's own, 1 and 2 are enterprises.

    ``quota`` counts the codes allocated to the channel including what it passes to
    its children; the codes it owns are ``quota - sum(children quota)`` rows in the
    available or used state. app/services/channels.py keeps that true.
    """

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_channels_parent_name"),
        CheckConstraint("level IN (0, 1, 2)", name="ck_channels_level"),
        CheckConstraint("quota >= 0", name="ck_channels_quota"),
        CheckConstraint(
            "(level = 0 AND parent_id IS NULL) OR (level > 0 AND parent_id IS NOT NULL)",
            name="ck_channels_parent",
        ),
        Index("ix_channels_society_level", "society_id", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    society_id: Mapped[int] = mapped_column(ForeignKey("societies.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(CHANNEL_NAME_MAX))
    quota: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    society = relationship("Society")
    parent: Mapped["Channel | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Channel"]] = relationship(back_populates="parent")

    @property
    def is_enterprise(self) -> bool:
        return self.level > 0

    def __str__(self) -> str:
        return self.name


class CodeState(enum.StrEnum):
    """States of a referral code."""

    AVAILABLE = "available"
    USED = "used"
    REVOKED = "revoked"

    @property
    def title(self) -> str:
        return str(CODE_STATE_TITLES[self])


CODE_STATE_TITLES = {
    CodeState.AVAILABLE: _l("Available"),
    CodeState.USED: _l("Used"),
    CodeState.REVOKED: _l("Revoked"),
}


class ReferralCode(ChannelScoped, Model):
    """A single-use referral code (推荐码) owned by exactly one enterprise channel."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        CheckConstraint(
            "state IN ('available', 'used', 'revoked')", name="ck_referral_codes_state"
        ),
        CheckConstraint(
            "(state = 'used') = (used_at IS NOT NULL)", name="ck_referral_codes_used"
        ),
        Index("ix_referral_codes_channel_state", "channel_id", "state"),
        # The home page figures (app/services/figures.py) count used and shared codes
        # of a whole society without reading its available ones.
        Index(
            "ix_referral_codes_used",
            "channel_id",
            sqlite_where=text("state = 'used'"),
            postgresql_where=text("state = 'used'"),
        ),
        Index(
            "ix_referral_codes_shared",
            "channel_id",
            sqlite_where=text("shared_at IS NOT NULL AND state != 'revoked'"),
            postgresql_where=text("shared_at IS NOT NULL AND state != 'revoked'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=CodeState.AVAILABLE.value)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    shared_to: Mapped[str | None] = mapped_column(String(11))
    shared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    channel: Mapped[Channel] = relationship()
    application = relationship(
        "ProspectiveApplication", back_populates="referral_code", uselist=False
    )

    @property
    def state_title(self) -> str:
        return CodeState(self.state).title

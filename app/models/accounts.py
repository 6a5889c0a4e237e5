"""Accounts (the platform account), their identities and one-time password links."""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


# Accounts made for a channel contact by mobile number may have no e-mail address; the
# migration makes the column nullable and the model says the same.
User.__table__.c.email.nullable = True


class Account(User):
    """The platform account: Flask-AppBuilder's user with a mainland mobile number."""

    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    mobile: Mapped[str | None] = mapped_column(String(11), unique=True)
    terms_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    identities: Mapped[list["Identity"]] = relationship(
        back_populates="account", order_by="Identity.id"
    )

    @property
    def mobile_masked(self) -> str:
        from app.validation import mask_mobile

        return mask_mobile(self.mobile)

    @property
    def display_name(self) -> str:
        return (self.first_name or "") + (self.last_name or "") or self.username


class IdentityKind(enum.StrEnum):
    """The backend identities (身份) of SPEC §1."""

    PLATFORM_ADMIN = "platform_admin"
    SOCIETY_ADMIN = "society_admin"
    SOCIETY_CONTACT = "society_contact"
    ENTERPRISE_CONTACT = "enterprise_contact"

    @property
    def title(self) -> str:
        return str(IDENTITY_KIND_TITLES[self])


IDENTITY_KIND_TITLES = {
    IdentityKind.PLATFORM_ADMIN: _l("Platform administrator"),
    IdentityKind.SOCIETY_ADMIN: _l("Society super-administrator"),
    IdentityKind.SOCIETY_CONTACT: _l("Society channel contact"),
    IdentityKind.ENTERPRISE_CONTACT: _l("Enterprise channel contact"),
}


class Identity(Model):
    """One identity of an account: a kind and the organisation it acts for."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "society_id", "channel_id", name="uq_identities"),
        CheckConstraint(
            "kind IN ('platform_admin', 'society_admin', 'society_contact', 'enterprise_contact')",
            name="ck_identities_kind",
        ),
        CheckConstraint(
            "(kind = 'platform_admin' AND society_id IS NULL AND channel_id IS NULL)"
            " OR (kind IN ('society_admin', 'society_contact') AND society_id IS NOT NULL"
            " AND channel_id IS NULL)"
            " OR (kind = 'enterprise_contact' AND channel_id IS NOT NULL)",
            name="ck_identities_scope",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    society_id: Mapped[int | None] = mapped_column(ForeignKey("societies.id"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="identities")
    society = relationship("Society")
    channel = relationship("Channel")

    @property
    def kind_title(self) -> str:
        return IdentityKind(self.kind).title

    @property
    def organisation_name(self) -> str:
        if self.channel is not None:
            return self.channel.name
        if self.society is not None:
            return self.society.name
        return ""

    def __str__(self) -> str:
        name = self.organisation_name
        return f"{self.kind_title} · {name}" if name else self.kind_title


class PasswordToken(Model):
    """A one-time link to set a password; only the SHA-256 of the token is kept."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()

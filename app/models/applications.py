"""The prospective application (拟参加工程能力评价申请) of SPEC §3.

The applicant site that fills it arrives with issue 3; the channel overviews and the
code lists already read it.
"""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ChannelScoped, TimestampMixin


class ProspectiveState(enum.StrEnum):
    """States of SPEC §4, first half."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def title(self) -> str:
        return str(PROSPECTIVE_STATE_TITLES[self])


PROSPECTIVE_STATE_TITLES = {
    ProspectiveState.DRAFT: _l("Draft"),
    ProspectiveState.SUBMITTED: _l("Submitted"),
    ProspectiveState.APPROVED: _l("Approved"),
    ProspectiveState.RETURNED: _l("Returned for changes"),
    ProspectiveState.REJECTED: _l("Not approved"),
    ProspectiveState.WITHDRAWN: _l("Withdrawn"),
}

MEMBER_LEVEL_TITLES = {
    "professional": _l("Professional engineering member"),
    "senior": _l("Senior engineering member"),
}


class ProspectiveApplication(ChannelScoped, TimestampMixin, Model):
    """One applicant's prospective application, tied to the channel it came through."""

    __tablename__ = "prospective_applications"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'submitted', 'approved', 'returned', 'rejected', 'withdrawn')",
            name="ck_prospective_state",
        ),
        CheckConstraint("level IN ('professional', 'senior')", name="ck_prospective_level"),
        CheckConstraint("route IN ('society', 'enterprise')", name="ck_prospective_route"),
        Index("ix_prospective_channel_state", "channel_id", "state"),
        # The society review queue: one society's submitted applications, oldest first.
        Index("ix_prospective_review_queue", "assessing_society_id", "state", "submitted_at"),
        # At most one active application per applicant (SPEC §3).
        Index(
            "uq_prospective_active",
            "applicant_id",
            unique=True,
            sqlite_where=text("state IN ('draft', 'submitted', 'returned', 'approved')"),
            postgresql_where=text("state IN ('draft', 'submitted', 'returned', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    route: Mapped[str] = mapped_column(String(16), default="society")
    # A draft may not have its channel yet; it is set once the code or society is known.
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    draft_code: Mapped[str | None] = mapped_column(String(20))
    referral_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral_codes.id"), unique=True
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(320))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    overseas: Mapped[bool] = mapped_column(Boolean, default=False)
    employer: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(2))
    overseas_project_name: Mapped[str | None] = mapped_column(String(200))
    project_country: Mapped[str | None] = mapped_column(String(2))
    assessing_society_id: Mapped[int | None] = mapped_column(ForeignKey("societies.id"), index=True)
    level: Mapped[str | None] = mapped_column(String(16))
    practice: Mapped[str | None] = mapped_column(String(300))
    wants_consultation: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=ProspectiveState.DRAFT.value)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    channel = relationship("Channel")
    field = relationship("Field")
    assessing_society = relationship("Society")
    project = relationship("Project")
    referral_code = relationship("ReferralCode", back_populates="application")
    applicant = relationship("Account")
    events = relationship("ApplicationEvent", order_by="ApplicationEvent.id", cascade="all, delete-orphan")

    @property
    def state_title(self) -> str:
        return ProspectiveState(self.state).title

    @property
    def level_title(self) -> str:
        return str(MEMBER_LEVEL_TITLES.get(self.level or "", ""))

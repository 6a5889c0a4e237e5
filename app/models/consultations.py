"""Consultation (咨询指导) for applicants who asked for it (SPEC §3, last point).

A consultation row is created by the first step a society super-admin takes on an
application that wants consultation; until then the application is in the
``requested`` step (app/services/consultations.py reads it so).
"""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import TimestampMixin, utcnow

EXPERT_NAME_MAX = 50
EXPERT_CONTACT_MAX = 100
MEETING_MAX = 200
NOTES_MAX = 1000
REASON_MAX = 500


class ConsultationStep(enum.StrEnum):
    """The steps of one consultation, in their order (cancelled ends it early)."""

    REQUESTED = "requested"
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def title(self) -> str:
        return str(CONSULTATION_STEP_TITLES[self])


CONSULTATION_STEP_TITLES = {
    ConsultationStep.REQUESTED: lazy_pgettext("consultation step", "Requested"),
    ConsultationStep.ASSIGNED: lazy_pgettext("consultation step", "Expert assigned"),
    ConsultationStep.SCHEDULED: lazy_pgettext("consultation step", "Scheduled"),
    ConsultationStep.HELD: lazy_pgettext("consultation step", "Held"),
    ConsultationStep.CANCELLED: lazy_pgettext("consultation step", "Cancelled"),
}


class ConsultationMethod(enum.StrEnum):
    """How the expert meets the applicant: 电话 or 在线会议."""

    PHONE = "phone"
    ONLINE = "online"

    @property
    def title(self) -> str:
        return str(CONSULTATION_METHOD_TITLES[self])


CONSULTATION_METHOD_TITLES = {
    ConsultationMethod.PHONE: lazy_pgettext("consultation method", "Phone"),
    ConsultationMethod.ONLINE: lazy_pgettext("consultation method", "Online meeting"),
}


class Consultation(TimestampMixin, Model):
    """The consultation of one prospective application: expert, schedule, outcome.

    ``version`` grows with every step, so that a form opened before another tab moved
    the consultation on is refused instead of overwriting what that tab did.
    """

    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint(
            "step IN ('requested', 'assigned', 'scheduled', 'held', 'cancelled')",
            name="ck_consultations_step",
        ),
        CheckConstraint(
            "method IS NULL OR method IN ('phone', 'online')",
            name="ck_consultations_method",
        ),
        CheckConstraint(
            "step NOT IN ('assigned', 'scheduled', 'held') OR expert_name IS NOT NULL",
            name="ck_consultations_expert",
        ),
        CheckConstraint(
            "step NOT IN ('scheduled', 'held') OR (method IS NOT NULL AND scheduled_at IS NOT NULL)",
            name="ck_consultations_schedule",
        ),
        CheckConstraint(
            "method IS NULL OR method <> 'online' OR meeting IS NOT NULL",
            name="ck_consultations_meeting",
        ),
        CheckConstraint(
            "step <> 'held' OR notes IS NOT NULL", name="ck_consultations_notes"
        ),
        UniqueConstraint("application_id", name="uq_consultations_application"),
        Index("ix_consultations_step", "step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("prospective_applications.id", ondelete="CASCADE")
    )
    step: Mapped[str] = mapped_column(
        String(16), default=ConsultationStep.REQUESTED.value
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    expert_name: Mapped[str | None] = mapped_column(String(EXPERT_NAME_MAX))
    expert_contact: Mapped[str | None] = mapped_column(String(EXPERT_CONTACT_MAX))
    method: Mapped[str | None] = mapped_column(String(16))
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    meeting: Mapped[str | None] = mapped_column(String(MEETING_MAX))
    notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))

    events = relationship(
        "ConsultationEvent",
        order_by="ConsultationEvent.id",
        cascade="all, delete-orphan",
    )

    @property
    def step_title(self) -> str:
        return ConsultationStep(self.step).title

    @property
    def method_title(self) -> str:
        return ConsultationMethod(self.method).title if self.method else ""


class ConsultationEvent(Model):
    """One step of a consultation: who (account and identity), when, and what was set."""

    __tablename__ = "consultation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_step: Mapped[str] = mapped_column(String(16))
    to_step: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id"))
    details: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("Account")

    @property
    def step_title(self) -> str:
        return ConsultationStep(self.to_step).title

"""Tables of the product; every model sits on Flask-AppBuilder's metadata."""

from flask_appbuilder.security.sqla import models as _fab_security  # noqa: F401  (ab_user first)

from app.models.accounts import Account, Identity, IdentityKind, PasswordToken
from app.models.applications import ProspectiveApplication, ProspectiveState
from app.models.audit import AuditEntry
from app.models.channels import Channel, CodeState, ReferralCode
from app.models.consultations import (
    Consultation,
    ConsultationEvent,
    ConsultationMethod,
    ConsultationStep,
)
from app.models.members import (
    MemberApplication,
    MemberEvent,
    MemberNumberSequence,
    MemberSection,
    MemberState,
)
from app.models.organisations import Field, Society, SocietyKind, Specialty
from app.models.outbox import OutboxMessage, OutboxState
from app.models.projects import Project, ProjectKind
from app.models.reviews import ReviewReason
from app.models.site import ApplicationEvent, Message, SiteContent, VerificationCode

__all__ = [
    "Account",
    "ApplicationEvent",
    "Message",
    "SiteContent",
    "VerificationCode",
    "AuditEntry",
    "Channel",
    "CodeState",
    "Consultation",
    "ConsultationEvent",
    "ConsultationMethod",
    "ConsultationStep",
    "Field",
    "Identity",
    "IdentityKind",
    "MemberApplication",
    "MemberEvent",
    "MemberNumberSequence",
    "MemberSection",
    "MemberState",
    "OutboxMessage",
    "OutboxState",
    "PasswordToken",
    "Project",
    "ProjectKind",
    "ProspectiveApplication",
    "ProspectiveState",
    "ReferralCode",
    "ReviewReason",
    "Society",
    "SocietyKind",
    "Specialty",
]

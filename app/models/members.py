"""The registered engineering member application (注册工程会员申请) of SPEC §4.

An approved prospective application opens it (``applications.member_permission``): one
member application per prospective application, at most one active per applicant. The
form 《工程会员申请表》 is kept per section (``MemberSection``), each saved on its own with
what was typed and whether it passed its rules; the state changes are the history
(``MemberEvent``). The rules are in app/services/members.py.

States (``MemberState``)::

    permitted ──我已阅读──▶ draft ──提交──▶ submitted ──受理──▶ accepted ──通过评价──▶ passed ──注册──▶ registered
                                            │  ▲                 │ └────未通过────▶ failed
                                            │  └──再次提交── returned ◀──退回──┘
                                            └────────退回────────▶ returned

Member numbers (会员编号) are ``<society id, 3+ digits>-<P|S>-<year>-<5-digit sequence>``,
e.g. ``007-P-2026-00001`` (P professional, S senior; the year of registration in
Asia/Shanghai); ``MemberNumberSequence`` holds the last sequence per society, level and
year, taken with an atomic upsert at 注册, so concurrent registrations never share one.
"""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
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

from app.models.applications import MEMBER_LEVEL_TITLES
from app.models.base import TimestampMixin, utcnow

MEMBER_NUMBER_MAX = 32
REASON_MAX = 500
PHOTO_NAME_MAX = 255
PHOTO_KEY_MAX = 80
NAME_MAX = 25
ID_NUMBER_MAX = 20


class MemberState(enum.StrEnum):
    """States of the member application (SPEC §4, second half)."""

    PERMITTED = "permitted"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    PASSED = "passed"
    FAILED = "failed"
    REGISTERED = "registered"

    @property
    def title(self) -> str:
        return str(MEMBER_STATE_TITLES[self])


MEMBER_STATE_TITLES = {
    MemberState.PERMITTED: _l("Open for application"),
    MemberState.DRAFT: _l("Being filled in"),
    MemberState.SUBMITTED: _l("Submitted, awaiting acceptance"),
    MemberState.ACCEPTED: _l("Accepted for assessment"),
    MemberState.RETURNED: _l("Returned to the applicant"),
    MemberState.PASSED: _l("Passed the assessment"),
    MemberState.FAILED: _l("Did not pass the assessment"),
    MemberState.REGISTERED: _l("Registered as member"),
}

# Not ended: the applicant has at most one such application.
ACTIVE_MEMBER_STATES = (
    "permitted",
    "draft",
    "submitted",
    "accepted",
    "returned",
    "passed",
)
_ACTIVE_SQL = (
    "state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', 'passed')"
)

SECTION_KEYS = (
    "basic",
    "education",
    "work",
    "practice",
    "awards",
    "development",
    "declaration",
)


class MemberApplication(TimestampMixin, Model):
    """One applicant's member application to one society at one level.

    ``name``, ``mobile``, ``email``, ``id_type`` and ``id_number`` repeat the valid values
    of the 基本情况 section (prefilled from the prospective application), so that the
    queue can list, filter and find an application (the bulk import finds it by 证件号码)
    without reading the sections' JSON.
    """

    __tablename__ = "member_applications"
    __table_args__ = (
        CheckConstraint(
            "state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', "
            "'passed', 'failed', 'registered')",
            name="ck_member_applications_state",
        ),
        CheckConstraint(
            "level IN ('professional', 'senior')", name="ck_member_applications_level"
        ),
        CheckConstraint(
            "state <> 'registered' OR (member_number IS NOT NULL AND registered_at IS NOT NULL)",
            name="ck_member_applications_registered",
        ),
        CheckConstraint(
            "state NOT IN ('draft', 'submitted', 'accepted', 'returned', 'passed', "
            "'failed', 'registered') OR instructions_read_at IS NOT NULL",
            name="ck_member_applications_read",
        ),
        CheckConstraint(
            "specialty_id IS NULL OR field_id IS NOT NULL",
            name="ck_member_applications_specialty",
        ),
        UniqueConstraint(
            "prospective_application_id", name="uq_member_applications_prospective"
        ),
        UniqueConstraint("member_number", name="uq_member_applications_number"),
        # The society super-admin's queue: one society's applications by state, oldest first.
        Index("ix_member_applications_queue", "society_id", "state", "submitted_at"),
        Index("ix_member_applications_id_number", "society_id", "id_number"),
        # At most one active member application per applicant.
        Index(
            "uq_member_applications_active",
            "applicant_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    prospective_application_id: Mapped[int] = mapped_column(
        ForeignKey("prospective_applications.id")
    )
    society_id: Mapped[int] = mapped_column(ForeignKey("societies.id"))
    level: Mapped[str] = mapped_column(String(16))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"))
    instructions_read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default=MemberState.PERMITTED.value)

    name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    mobile: Mapped[str | None] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(320))
    id_type: Mapped[str | None] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(String(ID_NUMBER_MAX))

    photo_key: Mapped[str | None] = mapped_column(String(PHOTO_KEY_MAX))
    photo_name: Mapped[str | None] = mapped_column(String(PHOTO_NAME_MAX))
    photo_content_type: Mapped[str | None] = mapped_column(String(32))
    photo_width: Mapped[int | None] = mapped_column(Integer)
    photo_height: Mapped[int | None] = mapped_column(Integer)
    photo_bytes: Mapped[int | None] = mapped_column(Integer)
    photo_uploaded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A scaled or cropped preview waiting for the applicant's 确认 (key, content type,
    # bytes, file name, the offer's message and warning); one at most, kept here and not
    # in the session so that a replayed cookie cannot leave files behind or delete one.
    photo_offer: Mapped[dict | None] = mapped_column(JSON)

    member_number: Mapped[str | None] = mapped_column(String(MEMBER_NUMBER_MAX))
    return_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    applicant = relationship("Account")
    prospective_application = relationship("ProspectiveApplication")
    society = relationship("Society")
    field = relationship("Field")
    specialty = relationship("Specialty")
    sections = relationship(
        "MemberSection",
        order_by="MemberSection.id",
        cascade="all, delete-orphan",
        back_populates="application",
    )
    events = relationship(
        "MemberEvent", order_by="MemberEvent.id", cascade="all, delete-orphan"
    )

    @property
    def state_title(self) -> str:
        return MemberState(self.state).title

    @property
    def level_title(self) -> str:
        return str(MEMBER_LEVEL_TITLES.get(self.level or "", ""))

    def __str__(self) -> str:
        return f"{self.id} {self.name}"


class MemberSection(Model):
    """One section of 《工程会员申请表》: what was typed (``data``) and whether it passed
    the section's rules (``complete``)."""

    __tablename__ = "member_sections"
    __table_args__ = (
        UniqueConstraint("application_id", "key", name="uq_member_sections_key"),
        CheckConstraint(
            "key IN ('basic', 'education', 'work', 'practice', 'awards', "
            "'development', 'declaration')",
            name="ck_member_sections_key",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("member_applications.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow
    )

    application = relationship("MemberApplication", back_populates="sections")


class MemberEvent(Model):
    """One state change of a member application: who (account and identity), when,
    which action, and the reason or member number."""

    __tablename__ = "member_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("member_applications.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id"))
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    actor = relationship("Account")

    @property
    def state_title(self) -> str:
        return MemberState(self.to_state).title


class MemberNumberSequence(Model):
    """The last member number sequence given per society, level and year."""

    __tablename__ = "member_number_sequences"

    society_id: Mapped[int] = mapped_column(
        ForeignKey("societies.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)

"""Societies, fields (领域) and specialties (专业)."""

import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import TimestampMixin

SOCIETY_NAME_MAX = 50
FIELD_NAME_MAX = 30


class SocietyKind(enum.StrEnum):
    """全国学会 or 地方工程师学会."""

    NATIONAL = "national"
    LOCAL = "local"

    @property
    def title(self) -> str:
        return str(SOCIETY_KIND_TITLES[self])


SOCIETY_KIND_TITLES = {
    SocietyKind.NATIONAL: _l("National society"),
    SocietyKind.LOCAL: _l("Local engineers society"),
}

society_fields = Table(
    "society_fields",
    Model.metadata,
    Column("society_id", Integer, ForeignKey("societies.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", Integer, ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True),
)


class Society(TimestampMixin, Model):
    """A learned society; national ones may assess the fields they cover."""

    __tablename__ = "societies"
    __table_args__ = (
        CheckConstraint("kind IN ('national', 'local')", name="ck_societies_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(SOCIETY_NAME_MAX), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fields: Mapped[list["Field"]] = relationship(secondary=society_fields, back_populates="societies")

    @property
    def kind_title(self) -> str:
        return SocietyKind(self.kind).title

    def __str__(self) -> str:
        return self.name


class Field(Model):
    """A field (所在领域) of engineering."""

    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(FIELD_NAME_MAX), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    specialties: Mapped[list["Specialty"]] = relationship(back_populates="field", order_by="Specialty.position")
    societies: Mapped[list[Society]] = relationship(secondary=society_fields, back_populates="fields")

    def __str__(self) -> str:
        return self.name


class Specialty(Model):
    """A specialty (专业) inside a field."""

    __tablename__ = "specialties"
    __table_args__ = (UniqueConstraint("field_id", "name", name="uq_specialties_field_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(FIELD_NAME_MAX))
    position: Mapped[int] = mapped_column(Integer, default=0)
    field: Mapped[Field] = relationship(back_populates="specialties")

    def __str__(self) -> str:
        return self.name

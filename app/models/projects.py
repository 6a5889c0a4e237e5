"""An enterprise's key overseas projects (工程项目管理)."""

import datetime as dt
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ChannelScoped, TimestampMixin

PROJECT_NAME_MAX = 200
PROJECT_DESCRIPTION_MAX = 1000


class ProjectKind(enum.StrEnum):
    """The two lists an enterprise keeps."""

    KEY = "key"
    DISPATCH = "dispatch"

    @property
    def title(self) -> str:
        return str(PROJECT_KIND_TITLES[self])


PROJECT_KIND_TITLES = {
    ProjectKind.KEY: _l("Enterprise overseas key projects"),
    ProjectKind.DISPATCH: _l("Planned overseas dispatch key projects"),
}


class Project(ChannelScoped, TimestampMixin, Model):
    """A project of one enterprise channel; applicants of that enterprise pick it."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("kind IN ('key', 'dispatch')", name="ck_projects_kind"),
        Index("ix_projects_channel_kind", "channel_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(PROJECT_NAME_MAX))
    country: Mapped[str] = mapped_column(String(2))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    channel = relationship("Channel")

    @property
    def country_name(self) -> str:
        from app.places import country_name

        return country_name(self.country)

    def __str__(self) -> str:
        return self.name

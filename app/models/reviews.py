"""Society review of prospective applications: the reason texts a society keeps."""

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import TimestampMixin

REVIEW_REASON_MAX = 500


class ReviewReason(TimestampMixin, Model):
    """A reusable reason text (常用理由) of one society, offered when it returns or
    rejects an application."""

    __tablename__ = "review_reasons"
    __table_args__ = (
        UniqueConstraint("society_id", "text", name="uq_review_reasons_society_text"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    society_id: Mapped[int] = mapped_column(
        ForeignKey("societies.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(REVIEW_REASON_MAX))
    position: Mapped[int] = mapped_column(Integer, default=0)

    society = relationship("Society")

    def __str__(self) -> str:
        return self.text

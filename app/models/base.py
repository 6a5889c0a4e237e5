"""Column helpers shared by the models."""

import datetime as dt

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> dt.datetime:
    """Current time in UTC, naive, as every timestamp is stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class TimestampMixin:
    """created_at / updated_at stamps in UTC."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow
    )


class ChannelScoped:
    """Marks a model whose rows belong to one channel (column ``channel_id``).

    The ORM-level scoping in app/scoping.py filters every query on such a model to
    the channels the active identity may see.
    """

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))

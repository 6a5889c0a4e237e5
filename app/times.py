"""Times as people here read them: stored as naive UTC, shown in Asia/Shanghai.

One place for the zone and the format, used by the backend lists, the templates (the
``local_time`` filter) and the exports.
"""

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time (naive UTC, or aware) in Asia/Shanghai."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(LOCAL_ZONE)


def format_local(value: dt.datetime | dt.date | None, *, seconds: bool = False) -> str:
    """``2026-12-04 20:15`` in Asia/Shanghai; a date as ``2026-12-04``; "" for None."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    return to_local(value).strftime(SECONDS if seconds else MINUTES)


def format_local_seconds(value: dt.datetime | None) -> str:
    return format_local(value, seconds=True)


def utc_start_of_day(day: dt.date) -> dt.datetime:
    """00:00 of a local (Asia/Shanghai) day as the naive UTC time stored: a filter's
    day ``d`` is ``utc_start_of_day(d) <= stored < utc_start_of_day(d + 1 day)``."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)

import datetime as dt

from app.times import format_local, format_local_seconds, to_local


def test_naive_utc_is_shown_in_shanghai_time():
    stored = dt.datetime(2026, 12, 31, 16, 30, 5, 123456)  # naive UTC, as the models store

    assert format_local(stored) == "2027-01-01 00:30"
    assert format_local_seconds(stored) == "2027-01-01 00:30:05"
    assert to_local(stored).utcoffset() == dt.timedelta(hours=8)


def test_aware_time_and_date_and_none():
    aware = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

    assert format_local(aware) == "2026-06-01 13:00"
    assert format_local(dt.date(2026, 6, 1)) == "2026-06-01"
    assert format_local(None) == "" and to_local(None) is None

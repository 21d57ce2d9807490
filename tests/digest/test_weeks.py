"""ISO week windows: W53, the turn of a year, time zones with a DST change, future weeks."""

from __future__ import annotations

import datetime as dt

import pytest

from lib.core.errors import HelperError
from lib.digest import weeks

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=UTC).timestamp()


def test_w53_exists_only_in_long_years() -> None:
    w = weeks.week_window(*weeks.parse_week("2026-W53"), UTC)
    assert (w.first_day, w.last_day) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))  # across the new year
    assert w.end - w.start == 7 * 86400
    with pytest.raises(HelperError, match="2025 has weeks 01..52"):
        weeks.parse_week("2025-W53")
    with pytest.raises(HelperError, match="expected an ISO week"):
        weeks.parse_week("2026-47")


def test_week_one_starts_in_the_previous_calendar_year() -> None:
    w = weeks.week_window(2026, 1, UTC)
    assert w.first_day == dt.date(2025, 12, 29)
    assert weeks.previous_week(w).label == "2025-W52"
    # 2027-W01's previous week is 2026-W53, not 2026-W52
    assert weeks.previous_week(weeks.week_window(2027, 1, UTC)).label == "2026-W53"
    assert weeks.week_of(dt.datetime(2027, 1, 2, 23, tzinfo=UTC).timestamp(), UTC).label == "2026-W53"


def test_a_dst_week_is_167_hours_in_its_zone() -> None:
    paris = weeks.parse_tz("Europe/Paris")
    w = weeks.week_window(2026, 13, paris)  # 2026-03-29: clocks go forward in Europe
    assert w.end - w.start == 167 * 3600
    assert w.start == dt.datetime(2026, 3, 22, 23, tzinfo=UTC).timestamp()  # Monday 00:00 CET
    autumn = weeks.week_window(2026, 43, paris)  # 2026-10-25: back
    assert autumn.end - autumn.start == 169 * 3600


def test_time_zone_moves_a_late_sunday_into_the_next_week() -> None:
    t = dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC).timestamp()  # Sunday 23:30 UTC
    assert weeks.week_of(t, UTC).label == "2026-W47"
    paris = weeks.parse_tz("Europe/Paris")
    assert weeks.week_of(t, paris).label == "2026-W48"
    assert weeks.week_of(t, paris).weekday(t) == "Mon"
    assert weeks.week_of(t, weeks.parse_tz("America/Los_Angeles")).weekday(t) == "Sun"


def test_candidate_days_are_the_utc_days_widened_by_one() -> None:
    w = weeks.week_window(2026, 48, weeks.parse_tz("Pacific/Auckland"))
    days = weeks.candidate_days([w])
    # Monday 2026-11-23 00:00 NZDT is Sunday 11:00 UTC; widened: from Saturday 2026-11-21
    assert min(days) == "2026-11-21" and max(days) == "2026-11-30"
    utc = weeks.candidate_days([weeks.week_window(2026, 48, UTC)])  # Mon 23 .. Sun 29, widened by one day
    assert sorted(utc) == ["2026-11-%02d" % d for d in range(22, 31)]


def test_resolve_refuses_the_future_and_mixed_flags() -> None:
    with pytest.raises(HelperError, match="is in the future .this week is 2026-W48"):
        weeks.resolve("2026-W49", None, None, UTC, NOW)
    cur, prev = weeks.resolve("2026-W48", None, None, UTC, NOW)  # the week in progress is fine
    assert (cur.label, prev.label) == ("2026-W48", "2026-W47")
    with pytest.raises(HelperError, match="cannot be combined"):
        weeks.resolve("2026-W48", "2026-11-01", "2026-11-02", UTC, NOW)
    cur, prev = weeks.resolve(None, "2026-11-01", "2026-11-10", UTC, NOW)
    assert (prev.first_day, prev.last_day) == (dt.date(2026, 10, 22), dt.date(2026, 10, 31))
    with pytest.raises(HelperError, match="not a known time zone"):
        weeks.parse_tz("Mars/Olympus")

"""Local hours, shifts and days as UTC periods, across daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.store import StoreInputError
from station.store.shifts import MAX_PERIODS, ShiftPlan, period_index
from station.store.views import Bucket

PARIS = ZoneInfo("Europe/Paris")
PLAN = ShiftPlan(tz=PARIS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_the_shift_holding_a_moment() -> None:
    # 05:30 UTC in January is 06:30 in Paris: the morning shift.
    s = PLAN.shift_at(utc(2026, 1, 14, 5, 30))
    assert (s.start, s.end) == (utc(2026, 1, 14, 5), utc(2026, 1, 14, 13))
    assert s.label == "Wed 14 Jan 06:00–14:00"
    # 01:00 local belongs to the night shift that started the evening before.
    night = PLAN.shift_at(utc(2026, 1, 14, 0, 0))
    assert (night.start, night.end) == (utc(2026, 1, 13, 21), utc(2026, 1, 14, 5))
    # a boundary belongs to the shift it starts
    assert PLAN.shift_at(utc(2026, 1, 14, 13)).start == utc(2026, 1, 14, 13)


def test_days_are_local_and_23_or_25_hours_long_when_the_clocks_change() -> None:
    spring = PLAN.periods(Bucket.DAY, utc(2026, 4, 1), paris(2026, 3, 28), paris(2026, 3, 30))
    assert [p.label for p in spring] == ["Sat 28 Mar", "Sun 29 Mar"]
    assert spring[1].end - spring[1].start == timedelta(hours=23)
    autumn = PLAN.periods(Bucket.DAY, utc(2026, 11, 1), paris(2026, 10, 25), paris(2026, 10, 26))
    assert [p.end - p.start for p in autumn] == [timedelta(hours=25)]


def test_the_hour_that_does_not_exist_is_not_a_period() -> None:
    hours = PLAN.periods(Bucket.HOUR, utc(2026, 4, 1), utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))
    assert [p.label for p in hours] == ["Sun 29 Mar 01:00", "Sun 29 Mar 03:00", "Sun 29 Mar 04:00"]
    assert all(p.end - p.start == timedelta(hours=1) for p in hours)


@pytest.mark.parametrize(("bucket", "count"), [("hour", 24), ("shift", 21), ("day", 14)])
def test_without_a_window_the_latest_periods_end_with_the_current_one(
    bucket: str, count: int
) -> None:
    now = utc(2026, 6, 10, 9, 17)
    periods = PLAN.periods(Bucket(bucket), now, None, None)
    assert len(periods) == count
    assert periods[-1].start <= now < periods[-1].end
    assert all(a.end == b.start for a, b in itertools.pairwise(periods))


def test_a_window_is_covered_by_whole_periods() -> None:
    # from 11:00 on the 10th to 07:00 on the 11th, local: morning, afternoon, night, morning
    since, until = paris(2026, 6, 10, 11), paris(2026, 6, 11, 7)
    periods = PLAN.periods(Bucket.SHIFT, utc(2026, 6, 30), since, until)
    assert periods[0].start <= since < periods[0].end
    assert periods[-1].start < until <= periods[-1].end
    assert [p.label[-11:] for p in periods] == [
        "06:00–14:00",
        "14:00–22:00",
        "22:00–06:00",
        "06:00–14:00",
    ]
    # a window that ends on a boundary does not reach into the next period
    assert len(PLAN.periods(Bucket.SHIFT, utc(2026, 6, 30), since, paris(2026, 6, 11, 6))) == 3


def test_too_many_periods_is_refused_with_advice() -> None:
    with pytest.raises(StoreInputError, match="wider bucket"):
        PLAN.periods(Bucket.HOUR, utc(2026, 6, 30), utc(2026, 1, 1), None)
    year = PLAN.periods(Bucket.DAY, utc(2026, 12, 31), paris(2026, 1, 1), paris(2026, 12, 31))
    assert len(year) == 364 <= MAX_PERIODS


@settings(deadline=None, max_examples=60)
@given(
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    bucket=st.sampled_from(list(Bucket)),
    zone=st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_periods_tile_time_and_each_moment_lies_in_one(
    moment: datetime, bucket: Bucket, zone: str
) -> None:
    plan = ShiftPlan(tz=ZoneInfo(zone))
    periods = plan.periods(bucket, moment, None, None)
    assert all(a.end == b.start and a.start < a.end for a, b in itertools.pairwise(periods))
    at = period_index(periods, moment)
    assert at == len(periods) - 1
    assert period_index(periods, periods[0].start - timedelta(microseconds=1)) is None
    shift = plan.shift_at(moment)
    assert shift.start <= moment < shift.end

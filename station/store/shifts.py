"""Shifts, hours and days in the line's local time, as periods in UTC.

The database keeps UTC; people count by local hours, shifts and days. A :class:`ShiftPlan` turns
one into the other, daylight-saving changes included (a local day is 23 or 25 hours then).
Every boundary falls on a quarter hour, so counts kept per 15-minute slot of UTC add up to any
period exactly (every time zone's offset is a whole number of quarter hours).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from station.store.errors import StoreInputError
from station.store.views import Bucket, Period

#: width of the slots counts are kept in, seconds
SLOT_S = 900
DEFAULT_SHIFT_STARTS = (time(6), time(14), time(22))
#: the most periods one query may span
MAX_PERIODS = 400
#: periods shown when no window is given: a day of hours, a week of shifts, two weeks of days
DEFAULT_SPAN = {Bucket.HOUR: 24, Bucket.SHIFT: 21, Bucket.DAY: 14}


@dataclass(frozen=True)
class ShiftPlan:
    """When shifts start each day, in ``tz`` (None: this computer's local time). The starts
    are sorted, on quarter hours (``station.config.parse_shift_starts`` checks both)."""

    starts: tuple[time, ...] = DEFAULT_SHIFT_STARTS
    tz: tzinfo | None = None

    # -- local time ---------------------------------------------------------------------------

    def local(self, t: datetime) -> datetime:
        return t.astimezone(self.tz) if self.tz is not None else t.astimezone()

    def utc(self, wall: datetime) -> datetime:
        """A local wall-clock time (naive) as UTC."""
        aware = wall.replace(tzinfo=self.tz) if self.tz is not None else wall.astimezone()
        return aware.astimezone(UTC)

    # -- boundaries -----------------------------------------------------------------------------

    def _starts_on(self, day: date) -> list[datetime]:
        return [self.utc(datetime.combine(day, s)) for s in self.starts]

    def shift_at(self, t: datetime) -> Period:
        """The shift that contains ``t``."""
        day = self.local(t).date()
        starts = [
            s
            for d in (day - timedelta(days=1), day, day + timedelta(days=1))
            for s in self._starts_on(d)
        ]
        i = bisect.bisect_right(starts, t) - 1
        return self._shift(starts[i], starts[i + 1])

    def _shift(self, start: datetime, end: datetime) -> Period:
        a, b = self.local(start), self.local(end)
        return Period(start, end, f"{a:%a %d %b} {a:%H:%M}–{b:%H:%M}", f"{a:%d %b %H:%M}")

    def _boundaries(self, bucket: Bucket, first: date, last: date) -> list[datetime]:
        """Every period start of ``bucket`` on local days ``first`` to ``last`` + 1."""
        out: list[datetime] = []
        day = first
        while day <= last + timedelta(days=1):
            if bucket is Bucket.DAY:
                out.append(self.utc(datetime.combine(day, time())))
            elif bucket is Bucket.SHIFT:
                out += self._starts_on(day)
            else:
                out += [self.utc(datetime.combine(day, time(h))) for h in range(24)]
            day += timedelta(days=1)
        # A repeated or skipped local hour (daylight saving) must not make an empty period.
        return sorted(set(out))

    def periods(
        self, bucket: Bucket, now: datetime, since: datetime | None, until: datetime | None
    ) -> tuple[Period, ...]:
        """The periods covering ``[since, until)``. Without ``since``: the last
        ``DEFAULT_SPAN[bucket]`` periods; without ``until``: up to the one holding ``now``."""
        end = until or now
        span = DEFAULT_SPAN[bucket]
        per_day = {Bucket.HOUR: 24, Bucket.SHIFT: len(self.starts), Bucket.DAY: 1}[bucket]
        days_back = {Bucket.HOUR: 2, Bucket.SHIFT: span, Bucket.DAY: span}[bucket]
        first_day = self.local(since or end).date() - timedelta(days=1 + days_back * (not since))
        last_day = self.local(end).date() + timedelta(days=1)
        if ((last_day - first_day).days - 2) * per_day > MAX_PERIODS:
            raise StoreInputError(
                f"that window spans more than {MAX_PERIODS} {bucket.value}s; choose a shorter "
                "window or a wider bucket (shift or day)"
            )
        marks = self._boundaries(bucket, first_day, last_day)
        # Period i is [marks[i], marks[i + 1]); `last` is the end mark of the last period.
        last = bisect.bisect_right(marks, end) if until is None else bisect.bisect_left(marks, end)
        last = min(max(last, 1), len(marks) - 1)
        first = last - span if since is None else bisect.bisect_right(marks, since) - 1
        first = min(max(first, 0), last - 1)
        return tuple(
            self._period(bucket, a, b)
            for a, b in zip(marks[first:last], marks[first + 1 : last + 1], strict=True)
        )

    def _period(self, bucket: Bucket, start: datetime, end: datetime) -> Period:
        if bucket is Bucket.SHIFT:
            return self._shift(start, end)
        a = self.local(start)
        if bucket is Bucket.DAY:
            return Period(start, end, f"{a:%a %d %b}", f"{a:%d %b}")
        return Period(start, end, f"{a:%a %d %b %H:%M}", f"{a:%H:%M}")


def slot_start(slot: int) -> datetime:
    """The UTC start of a slot number (seconds since 1970 // SLOT_S)."""
    return datetime.fromtimestamp(slot * SLOT_S, UTC)


def period_index(
    periods: Sequence[Period], t: datetime, starts: Sequence[datetime] | None = None
) -> int | None:
    """Which of ``periods`` (in order, contiguous) holds ``t``; None if none does.
    ``starts``: the periods' starts, when the caller asks many times."""
    if not periods or t < periods[0].start or t >= periods[-1].end:
        return None
    return bisect.bisect_right(starts or [p.start for p in periods], t) - 1

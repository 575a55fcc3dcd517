"""Query parameters → the store's filters, with clear refusals for what cannot be read.

Dates and times are the dashboard's local time (as its pages show them): ``2026-07-01`` or
``2026-07-01T14:30``. A bare date as the end of a window means the end of that day, so
``since=D&until=D`` is day D.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from station.store.report_records import ReportFilter
from station.store.shifts import ShiftPlan
from station.store.views import Bucket

#: the longest value a text filter may have (the longest column it is compared with)
MAX_TEXT = 128


class BadRequest(ValueError):
    """A query parameter that cannot be used; the message says which and what is allowed."""


def text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name} is {len(value)} characters long; at most {MAX_TEXT}")
    return value or None


def number(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name}={value}: allowed from {low} to {high}")
    return value


def when(
    params: Mapping[str, str], name: str, plan: ShiftPlan, *, end_of_day: bool = False
) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        if "T" in raw or " " in raw:
            wall = datetime.fromisoformat(raw.replace(" ", "T"))
        else:
            wall = datetime.combine(date.fromisoformat(raw), time())
            if end_of_day:
                wall += timedelta(days=1)
    except ValueError:
        raise BadRequest(
            f"{name}={raw!r} is not a date or a date and time; use e.g. 2026-07-01 or "
            "2026-07-01T14:30 (local time)"
        ) from None
    if wall.tzinfo is not None:
        return wall
    return plan.utc(wall)


@dataclass(frozen=True)
class Filters:
    """The filters a page was asked for, as typed (for the form and links) and for the store."""

    since: datetime | None = None
    until: datetime | None = None
    lot: str | None = None
    recipe: str | None = None
    station: str | None = None
    #: the form's values, as the user typed them
    typed: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, params: Mapping[str, str], plan: ShiftPlan) -> Filters:
        since = when(params, "since", plan)
        until = when(params, "until", plan, end_of_day=True)
        if since is not None and until is not None and until <= since:
            raise BadRequest("the window ends before it starts: 'until' must be after 'since'")
        typed = tuple(
            (k, params[k].strip())
            for k in ("since", "until", "lot", "recipe", "station")
            if params.get(k, "").strip()
        )
        return cls(
            since=since,
            until=until,
            lot=text(params, "lot"),
            recipe=text(params, "recipe"),
            station=text(params, "station"),
            typed=typed,
        )

    def report(self) -> ReportFilter:
        return ReportFilter(self.since, self.until, self.recipe, self.station, self.lot)

    def value(self, name: str) -> str:
        return dict(self.typed).get(name, "")

    def query(self, **extra: str | int | None) -> str:
        """``?since=...&lot=...`` with ``extra`` added or replaced (None removes)."""
        values = dict(self.typed)
        for k, v in extra.items():
            if v is None:
                values.pop(k, None)
            else:
                values[k] = str(v)
        return "?" + urlencode(values) if values else ""

    def with_default_since(self, since: datetime) -> Filters:
        """These filters, starting at ``since`` unless a start was asked for."""
        return self if self.since is not None else replace(self, since=since)


def export_query(f: ReportFilter) -> str:
    """The query string of an export of exactly ``f`` (times in UTC, with their offset)."""
    values: dict[str, str] = {}
    for name, moment in (("since", f.since), ("until", f.until)):
        if moment is not None:
            values[name] = moment.isoformat()
    for name in ("lot", "recipe", "station", "serial"):
        value = getattr(f, name)
        if value:
            values[name] = value
    return "?" + urlencode(values) if values else ""


def bucket(params: Mapping[str, str]) -> Bucket:
    raw = params.get("bucket", "").strip() or Bucket.DAY.value
    try:
        return Bucket(raw)
    except ValueError:
        allowed = ", ".join(b.value for b in Bucket)
        raise BadRequest(f"bucket={raw!r}: allowed {allowed}") from None

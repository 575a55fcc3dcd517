"""Statistical process control of what the station measures: individuals charts.

One point per measurement, in the order the packs were tested. The centre line is the mean;
sigma is estimated from the average moving range (MR̄ / d2, d2 = 1.128 for ranges of two), as
for any individuals chart, and the control limits are the mean ± 3 sigma. Cpk compares the
recipe's specification limits (recorded with each measurement) with the same sigma. Run rules
flag a point beyond 3 sigma, and eight or more points in a row on one side of the centre line.

Reading: the newest matching attempts come from the time index a page at a time, and their
measurements by attempt (the measurements' primary key), until enough points are found; the
measurement table is never scanned by name.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, DateTime, func, select, type_coerce

from station.store.database import Database
from station.store.models import Attempt, Measurement, Pack, UTCDateTime
from station.store.outcomes import newest_with_pack, scope, walk_time
from station.store.report_records import ReportFilter
from station.store.views import ControlLimits, MeasurementKind, RunRule, SpcChart, SpcPoint

#: d2 for moving ranges of two consecutive points
D2 = 1.128
#: points in a row on one side of the centre line that signal a shift
RUN_LENGTH = 8
#: attempts sampled to list the measurements a page can chart
CATALOGUE_SAMPLE = 200
#: at most this many attempts are read per page while collecting points, and MAX_SCANNED in all
PAGE = 2000
MAX_SCANNED = 50_000


def control_limits(
    values: Sequence[float], lsl: float | None = None, usl: float | None = None
) -> ControlLimits:
    """An individuals chart's figures for ``values`` in time order (at least one value)."""
    n = len(values)
    if n == 0:
        raise ValueError("an individuals chart needs at least one value")
    mean = statistics.fmean(values)
    sigma = overall = None
    if n >= 2:
        ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
        sigma = statistics.fmean(ranges) / D2
        overall = statistics.stdev(values)
    cpk = None
    if sigma:
        sides = []
        if usl is not None:
            sides.append((usl - mean) / (3 * sigma))
        if lsl is not None:
            sides.append((mean - lsl) / (3 * sigma))
        cpk = min(sides) if sides else None
    return ControlLimits(
        n=n,
        mean=mean,
        sigma=sigma,
        ucl=mean + 3 * sigma if sigma is not None else None,
        lcl=mean - 3 * sigma if sigma is not None else None,
        overall_sigma=overall,
        lsl=lsl,
        usl=usl,
        cpk=cpk,
    )


def run_rules(values: Sequence[float], limits: ControlLimits) -> list[tuple[RunRule, ...]]:
    """For each value, the rules it breaks (empty: in control)."""
    broken: list[list[RunRule]] = [[] for _ in values]
    if limits.sigma:
        assert limits.ucl is not None
        assert limits.lcl is not None
        for i, v in enumerate(values):
            if v > limits.ucl or v < limits.lcl:
                broken[i].append(RunRule.BEYOND_3_SIGMA)
    side = 0
    run = 0
    for i, v in enumerate(values):
        here = (v > limits.mean) - (v < limits.mean)
        run = run + 1 if here != 0 and here == side else (1 if here != 0 else 0)
        side = here
        if run >= RUN_LENGTH:
            # The whole run is the signal: flag every point of it once it is long enough.
            for j in range(i - run + 1, i + 1):
                if RunRule.EIGHT_ON_ONE_SIDE not in broken[j]:
                    broken[j].append(RunRule.EIGHT_ON_ONE_SIDE)
    return [tuple(b) for b in broken]


def _out_of_spec(value: float, low: float | None, high: float | None) -> bool:
    below = low is not None and value < low
    return math.isnan(value) or below or (high is not None and value > high)


def chart(
    name: str,
    unit: str,
    f: ReportFilter,
    rows: Sequence[tuple[int, str, datetime, float, float | None, float | None]],
) -> SpcChart:
    """The chart of ``rows`` (attempt id, serial, started, value, low, high) in time order."""
    points = [r for r in rows if not math.isnan(r[3])]
    specs = {(r[4], r[5]) for r in points}
    lsl, usl = (points[-1][4], points[-1][5]) if points else (None, None)
    values = [r[3] for r in points]
    limits = control_limits(values, lsl, usl) if len(values) >= 2 else None
    rules = run_rules(values, limits) if limits is not None else [() for _ in values]
    return SpcChart(
        name=name,
        unit=unit,
        filters=f,
        points=tuple(
            SpcPoint(
                attempt_id=a,
                serial=serial,
                started_at=started,
                value=value,
                low=low,
                high=high,
                out_of_spec=_out_of_spec(value, low, high),
                rules=broken,
            )
            for (a, serial, started, value, low, high), broken in zip(points, rules, strict=True)
        ),
        limits=limits,
        mixed_limits=len(specs) > 1,
    )


def _newest(f: ReportFilter) -> Any:
    """Matching attempts, newest first: the time index walked backwards."""
    return walk_time(select(Attempt.id).where(*scope(f)).order_by(Attempt.started_at.desc()), f)


def measurement_kinds(db: Database, f: ReportFilter) -> list[MeasurementKind]:
    """The numeric measurements of the newest matching attempts: limited ones first."""
    with db.conn() as conn:
        ids = list(conn.scalars(_newest(f).limit(CATALOGUE_SAMPLE)))
        rows = conn.execute(
            select(
                Measurement.name,
                Measurement.unit,
                func.count(func.distinct(Measurement.attempt_id)),
                func.count(Measurement.low_limit) + func.count(Measurement.high_limit),
            )
            .where(Measurement.attempt_id.in_(ids), Measurement.value.is_not(None))
            .group_by(Measurement.name, Measurement.unit)
        ).all()
    kinds = [MeasurementKind(n, unit, int(seen), bool(limited)) for n, unit, seen, limited in rows]
    return sorted(kinds, key=lambda k: (not k.has_limits, k.name, k.unit))


def _measured(conn: Connection, ids: list[int], name: str) -> dict[int, list[Any]]:
    """The numeric values of measurement ``name`` of attempts ``ids``, by attempt, in the order
    they were recorded."""
    measured = conn.execute(
        select(
            Measurement.attempt_id,
            Measurement.value,
            Measurement.low_limit,
            Measurement.high_limit,
            Measurement.unit,
        )
        .where(
            Measurement.attempt_id.in_(ids),
            Measurement.name == name,
            Measurement.value.is_not(None),
        )
        .order_by(Measurement.attempt_id, Measurement.step_ordinal, Measurement.seq)
    ).all()
    by_attempt: dict[int, list[Any]] = {}
    for m in measured:
        by_attempt.setdefault(m.attempt_id, []).append(m)
    return by_attempt


def spc_chart(db: Database, f: ReportFilter, name: str, *, points: int = 100) -> SpcChart:
    """The newest ``points`` values of measurement ``name`` on matching attempts."""
    sqlite = db.engine.dialect.name == "sqlite"
    # Start times as the driver gives them; only the attempts that have the measurement get
    # theirs turned into datetimes.
    raw = type_coerce(Attempt.started_at, BigInteger() if sqlite else DateTime(timezone=True))
    to_time = UTCDateTime().process_result_value
    newest = walk_time(
        newest_with_pack(select(Attempt.id, Pack.serial, raw.label("started"))).where(*scope(f)),
        f,
    )
    found: list[tuple[int, str, datetime, float, float | None, float | None]] = []
    seen: set[int] = set()
    unit = ""
    scanned = 0
    size = points + points // 4 + 20  # most attempts have the measurement: one page, usually
    with db.conn() as conn:
        while len(found) < points and scanned < MAX_SCANNED:
            # Pages by position along the index (only attempts of the same instant are sorted);
            # an attempt seen twice because one was added meanwhile is counted once.
            batch = [
                r
                for r in conn.execute(newest.limit(size).offset(scanned)).all()
                if r.id not in seen
            ]
            scanned += size
            if not batch:
                break
            seen.update(r.id for r in batch)
            by_attempt = _measured(conn, [r.id for r in batch], name)
            for r in batch:  # newest first
                values = by_attempt.get(r.id)
                if not values:
                    continue
                started = to_time(r.started, db.engine.dialect)
                assert started is not None
                for m in reversed(values):
                    found.append((r.id, r.serial, started, m.value, m.low_limit, m.high_limit))
                    unit = unit or m.unit
            size = min(size * 2, PAGE)
    chosen = found[:points]
    chosen.reverse()  # oldest first
    return chart(name, unit, f, chosen)

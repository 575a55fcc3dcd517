"""First-pass and final yield per hour, shift or day.

A pack belongs to the period its first attempt started in. Its first attempt gives the
first-pass yield (PASS over PASS + FAIL + ERROR); its later attempts, wherever they ran, decide
the final yield (packs that have passed over packs with a PASS, FAIL or ERROR).

Most first attempts pass, so they are only counted: one range of the covering time index
(``ix_attempts_started_at``: start, outcome, attempt number, pack) per period, never the rows.
The few that did not pass come back one row each, with their 15-minute UTC slot (added up into
local hours, shifts or days by :mod:`station.store.shifts`) and the best outcome of the pack's
retests, looked up by pack (``uq_attempts_pack_id_attempt_no``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    bindparam,
    case,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from station.store.database import Database
from station.store.models import Attempt, UTCDateTime
from station.store.outcomes import base, scope, walk_time
from station.store.records import AttemptOutcome
from station.store.report_records import ReportFilter
from station.store.shifts import SLOT_S, ShiftPlan, period_index, slot_start
from station.store.views import (
    JUDGING_OUTCOMES,
    Bucket,
    OutcomeCounts,
    Period,
    YieldPoint,
    YieldSeries,
)


def slot_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """The 15-minute UTC slot a timestamp column falls in (seconds since 1970 // SLOT_S)."""
    # Literal numbers, not parameters: GROUP BY must repeat the very same expression.
    if dialect == "sqlite":  # INTEGER microseconds (see models.UTCDateTime)
        micros = literal_column(str(SLOT_S * 1_000_000), BigInteger())
        return type_coerce(column, BigInteger()) // micros
    return func.floor(func.extract("epoch", column) / literal_column(str(SLOT_S), BigInteger()))


def yield_series(db: Database, plan: ShiftPlan, bucket: Bucket, f: ReportFilter) -> YieldSeries:
    """Yields per ``bucket`` over ``[f.since, f.until)`` (default: the latest periods)."""
    periods = plan.periods(bucket, db.now(), f.since, f.until)
    window = replace(f, since=periods[0].start, until=periods[-1].end)
    unbounded = replace(f, since=None, until=None)
    first = Attempt.attempt_no == 1
    # Most first attempts pass: counting them is one index range per period, nothing more.
    count_period = walk_time(
        select(func.count()).where(
            first,
            Attempt.started_at >= bindparam("start", type_=UTCDateTime()),
            Attempt.started_at < bindparam("end", type_=UTCDateTime()),
            *scope(unbounded),
        ),
        f,
    )
    # The others (a few percent) come back one row each, with what their retests became.
    later = aliased(Attempt)
    became = (
        select(func.max(case((later.outcome == AttemptOutcome.PASS, 2), (_judging(later), 1))))
        .where(later.pack_id == Attempt.pack_id, later.attempt_no > 1, *base(later))
        .scalar_subquery()
    )
    slot = slot_of(Attempt.started_at, db.engine.dialect.name)
    not_passed = walk_time(
        select(slot, Attempt.outcome, became).where(
            first, Attempt.outcome != AttemptOutcome.PASS, *scope(window)
        ),
        f,
    )
    firsts = [0] * len(periods)
    with db.conn() as conn:
        for i, p in enumerate(periods):
            counted = conn.execute(count_period, {"start": p.start, "end": p.end})
            firsts[i] = int(counted.scalar_one())
        by_slot = Counter(
            (int(slot_no), outcome, int(retested or 0))
            for slot_no, outcome, retested in conn.execute(not_passed)
        )
    others: list[Counter[tuple[str, int]]] = [Counter() for _ in periods]
    starts = [p.start for p in periods]
    for (slot_no, outcome, retested), n in by_slot.items():
        at = period_index(periods, slot_start(slot_no), starts)
        if at is not None:
            others[at][(outcome, retested)] += n
    points = tuple(_point(p, n, o) for p, n, o in zip(periods, firsts, others, strict=True))
    total = _point(
        Period(periods[0].start, periods[-1].end, "all"), sum(firsts), sum(others, Counter())
    )
    return YieldSeries(bucket, window, points, total)


def _judging(a: Any) -> ColumnElement[bool]:
    return cast(ColumnElement[bool], a.outcome.in_([str(o) for o in JUDGING_OUTCOMES]))


def _point(period: Period, firsts: int, others: Counter[tuple[str, int]]) -> YieldPoint:
    """``others``: first attempts that did not pass, by (outcome, best retest: 2 passed,
    1 failed or errored, 0 nothing that judges the pack)."""
    by_outcome: Counter[str] = Counter()
    for (outcome, _), n in others.items():
        by_outcome[outcome] += n
    failed = by_outcome[AttemptOutcome.FAIL] + by_outcome[AttemptOutcome.ERROR]
    passed = firsts - sum(by_outcome.values())
    counts = OutcomeCounts(
        passed=passed,
        failed=by_outcome[AttemptOutcome.FAIL],
        errors=by_outcome[AttemptOutcome.ERROR],
        aborted=by_outcome[AttemptOutcome.ABORTED],
        interrupted=by_outcome[AttemptOutcome.INTERRUPTED],
        running=by_outcome[AttemptOutcome.RUNNING],
        first_judged=passed + failed,
        first_pass=passed,
    )
    recovered = sum(n for (_, later), n in others.items() if later == 2)
    judged_later = sum(
        n for (outcome, later), n in others.items() if later and outcome not in _JUDGING
    )
    return YieldPoint(
        period=period,
        first=counts,
        final_judged=counts.first_judged + judged_later,
        final_pass=passed + recovered,
    )


_JUDGING = frozenset(str(o) for o in JUDGING_OUTCOMES)

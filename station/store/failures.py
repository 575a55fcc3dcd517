"""Why packs fail: Paretos of failure codes and of failing steps, and the attempts behind a bar.

A failure is an attempt that ended FAIL (the pack is bad) or ERROR (the station could not
finish it). ABORTED and INTERRUPTED attempts say nothing about the pack: they are counted beside
the Pareto, not in it. The counts are one grouped query over the window (the time index holds
the outcome, so only failing rows are read).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import func, select

from station.store.database import Database
from station.store.models import Attempt, Pack
from station.store.outcomes import newest_with_pack, scope, walk_time
from station.store.records import AttemptOutcome
from station.store.report_records import ReportFilter
from station.store.rows import from_row
from station.store.views import FailedAttempt, FailurePareto, ParetoBar

#: outcomes that count as failures in the Pareto
FAILURE_OUTCOMES = (AttemptOutcome.FAIL, AttemptOutcome.ERROR)
#: what a bar is called when the attempt carries no code or no step name
NO_CODE = "(no code)"
NO_STEP = "(no step)"
_ENDED_UNJUDGED = (AttemptOutcome.ABORTED, AttemptOutcome.INTERRUPTED)


def pareto(counts: Mapping[str, int]) -> tuple[ParetoBar, ...]:
    """Bars, most frequent first (ties by name), each with the cumulative share."""
    total = sum(counts.values())
    bars = []
    running = 0
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        bars.append(ParetoBar(key, n, running / total if total else 0.0))
    return tuple(bars)


def failure_pareto(db: Database, f: ReportFilter) -> FailurePareto:
    outcomes = [str(o) for o in (*FAILURE_OUTCOMES, *_ENDED_UNJUDGED)]
    with db.conn() as conn:
        rows = conn.execute(
            walk_time(
                select(Attempt.outcome, Attempt.failure_code, Attempt.failing_step, func.count())
                .where(*scope(f), Attempt.outcome.in_(outcomes))
                .group_by(Attempt.outcome, Attempt.failure_code, Attempt.failing_step),
                f,
            )
        ).all()
    by_code: Counter[str] = Counter()
    by_step: Counter[str] = Counter()
    unjudged: Counter[str] = Counter()
    for outcome, code, step, n in rows:
        if outcome in _ENDED_UNJUDGED:
            unjudged[outcome] += n
            continue
        by_code[code or NO_CODE] += n
        by_step[step or NO_STEP] += n
    return FailurePareto(
        filters=f,
        failures=sum(by_code.values()),
        by_code=pareto(by_code),
        by_step=pareto(by_step),
        aborted=unjudged[AttemptOutcome.ABORTED],
        interrupted=unjudged[AttemptOutcome.INTERRUPTED],
    )


def failed_attempts(
    db: Database,
    f: ReportFilter,
    *,
    code: str | None = None,
    step: str | None = None,
    limit: int = 200,
) -> list[FailedAttempt]:
    """The failures behind a bar (a code, a step, or both), newest first."""
    where = [*scope(f), Attempt.outcome.in_([str(o) for o in FAILURE_OUTCOMES])]
    if code is not None:
        where.append(
            Attempt.failure_code.is_(None) if code == NO_CODE else Attempt.failure_code == code
        )
    if step is not None:
        where.append(
            Attempt.failing_step.is_(None) if step == NO_STEP else Attempt.failing_step == step
        )
    with db.conn() as conn:
        rows = conn.execute(
            walk_time(
                newest_with_pack(
                    select(
                        Pack.serial,
                        Attempt.id,
                        Attempt.attempt_no,
                        Attempt.started_at,
                        Attempt.station_id,
                        Attempt.socket,
                        Attempt.outcome,
                        Attempt.failure_code,
                        Attempt.failing_step,
                        Attempt.reason,
                    )
                )
                .where(*where)
                .limit(limit),
                f,
            )
        ).all()
    return [
        from_row(
            FailedAttempt,
            r,
            attempt_id=r.id,
            station=r.station_id,
            outcome=AttemptOutcome(r.outcome),
        )
        for r in rows
    ]

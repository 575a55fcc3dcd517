"""Reports and exports, aggregated in SQL so they stay fast on millions of attempts.

The report is a few grouped queries over the filtered attempts; the median cycle time is found by
counting the rows, then asking the database for the middle one or two (from the cycle-time index,
or sorted; Python never sees the other rows). First-pass yield uses ``attempts.attempt_no`` (1 =
the pack's first attempt), so it needs no window function, and packs are counted at their first
matching attempt, so no DISTINCT over every row is needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from station.store.database import Database
from station.store.models import Attempt, AttemptImage, FlashImage, Measurement, Pack, Step
from station.store.records import JUDGED_OUTCOMES, AttemptOutcome
from station.store.report_records import (
    CountBy,
    ExportRow,
    MeasurementExportRow,
    Report,
    ReportFilter,
)
from station.store.rows import MEASURED

#: attempts fetched per short transaction while exporting
PAGE = 2000


def conditions(f: ReportFilter, a: Any = Attempt) -> list[ColumnElement[bool]]:
    """The filters as SQL on ``a`` (the attempts table or an alias of it)."""
    where: list[ColumnElement[bool]] = []
    if f.since is not None:
        where.append(a.started_at >= f.since)
    if f.until is not None:
        where.append(a.started_at < f.until)
    if f.recipe:
        where.append(or_(a.recipe_hash == f.recipe, a.recipe_name == f.recipe))
    if f.station:
        where.append(a.station_id == f.station)
    if f.lot:
        where.append(a.lot == f.lot)
    if not f.include_emulated:
        where.append(a.emulated.is_(false()))
    if f.serial:
        pack = select(Pack.id).where(Pack.serial == f.serial).scalar_subquery()
        where.append(a.pack_id == pack)
    return where


#: attempts judged not good (the Pareto of failures); ABORTED and INTERRUPTED are counted apart
_FAILED = sorted(JUDGED_OUTCOMES - {AttemptOutcome.PASS})


def _earlier(f: ReportFilter, *, passed: bool = False) -> ColumnElement[bool]:
    """Whether the same pack has an earlier attempt (an earlier PASS) matching the filters."""
    e = aliased(Attempt)
    same = [e.outcome == AttemptOutcome.PASS] if passed else []
    return (
        select(e.id)
        .where(
            e.pack_id == Attempt.pack_id,
            e.attempt_no < Attempt.attempt_no,
            *same,
            *conditions(f, e),
        )
        .exists()
    )


def report(db: Database, f: ReportFilter) -> Report:
    where = conditions(f)
    with db.tx() as s:
        counts = _counts(s, f, where)
        attempts, repeated, passed_again, first_attempts, first_pass, n_timed = counts[:6]
        per_outcome = dict(zip(AttemptOutcome, counts[6:], strict=True))
        # Failures are few: the outcome index finds them without reading the passing rows.
        failures = s.execute(
            select(Attempt.failure_code, Attempt.failing_step, func.count())
            .where(*where, Attempt.outcome.in_([str(o) for o in _FAILED]))
            .group_by(Attempt.failure_code, Attempt.failing_step)
        ).all()
        per_socket = s.execute(
            select(Attempt.station_id, Attempt.socket, func.count())
            .where(*where)
            .group_by(Attempt.station_id, Attempt.socket)
        ).all()
        median = _median_cycle_time(s, where, n_timed)
    by_code: Counter[str] = Counter()
    by_step: Counter[str] = Counter()
    for code, step, n in failures:
        by_code[code or "(none)"] += n
        by_step[step or "(unknown)"] += n
    passed = int(per_outcome[AttemptOutcome.PASS])
    return Report(
        filters=f,
        attempts=int(attempts),
        packs=int(attempts) - int(repeated),
        passed=passed,
        failed=int(per_outcome[AttemptOutcome.FAIL]) + int(per_outcome[AttemptOutcome.ERROR]),
        aborted=int(per_outcome[AttemptOutcome.ABORTED]),
        interrupted=int(per_outcome[AttemptOutcome.INTERRUPTED]),
        running=int(per_outcome[AttemptOutcome.RUNNING]),
        by_outcome=_ranked({str(o): int(n) for o, n in per_outcome.items() if n}),
        packs_passed=passed - int(passed_again),
        first_attempts=int(first_attempts),
        first_pass=int(first_pass),
        first_pass_yield=first_pass / first_attempts if first_attempts else None,
        failures_by_code=_ranked(by_code),
        failures_by_step=_ranked(by_step),
        median_cycle_time_s=median,
        attempts_by_socket=_ranked({f"{st}/{so}": int(n) for st, so, n in per_socket}),
    )


def _counts(s: Session, f: ReportFilter, where: list[ColumnElement[bool]]) -> Any:
    """Attempts, retests of a pack already counted, their passes, first attempts judged and
    passed, attempts with a cycle time, then a count per outcome (in ``AttemptOutcome``'s order).

    One pass over the covering index for every counter. Packs are counted once, at their first
    matching attempt: a retest counts only when no earlier attempt of its pack matches (a lookup
    by pack, for the few retests, instead of a DISTINCT over all rows).
    """
    outcome = Attempt.outcome
    is_pass = outcome == AttemptOutcome.PASS
    first = Attempt.attempt_no == 1
    judged = outcome.in_([str(o) for o in JUDGED_OUTCOMES])
    retest = Attempt.attempt_no > 1
    return s.execute(
        select(
            func.count(),
            func.count(case((and_(retest, _earlier(f)), 1))),
            func.count(case((and_(is_pass, retest, _earlier(f, passed=True)), 1))),
            func.count(case((and_(first, judged), 1))),
            func.count(case((and_(first, is_pass), 1))),
            func.count(Attempt.cycle_time_s),
            *(func.count(case((outcome == o, 1))) for o in AttemptOutcome),
        ).where(*where)
    ).one()


def _median_cycle_time(s: Session, where: list[ColumnElement[bool]], n_timed: int) -> float | None:
    if not n_timed:
        return None
    # A cycle time is recorded when an attempt finishes; unfiltered, the cycle-time index hands
    # over the middle rows without sorting.
    middle = list(
        s.scalars(
            select(Attempt.cycle_time_s)
            .where(*where, Attempt.cycle_time_s.is_not(None))
            .order_by(Attempt.cycle_time_s)
            .offset((n_timed - 1) // 2)
            .limit(2 if n_timed % 2 == 0 else 1)
        )
    )
    return sum(v for v in middle if v is not None) / len(middle)


def _ranked(counts: Mapping[str, int]) -> tuple[CountBy, ...]:
    """Most frequent first (a Pareto), ties by name."""
    return tuple(CountBy(k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def export(db: Database, f: ReportFilter) -> Iterator[ExportRow]:
    """Every matching attempt, oldest first, one short transaction per page."""
    before = aliased(AttemptImage)
    after = aliased(AttemptImage)
    before_img = aliased(FlashImage)
    after_img = aliased(FlashImage)
    # Plain columns in ExportRow's field order: no ORM objects to build for a bulk export.
    columns = (
        Pack.serial,
        Attempt.id,
        Attempt.attempt_no,
        Attempt.station_id,
        Attempt.socket,
        Attempt.operator,
        Attempt.work_order,
        Attempt.lot,
        Attempt.recipe_name,
        Attempt.recipe_version,
        Attempt.recipe_hash,
        Attempt.software_version,
        Attempt.key_set_id,
        Attempt.started_at,
        Attempt.ended_at,
        Attempt.cycle_time_s,
        Attempt.outcome,
        Attempt.failure_code,
        Attempt.failing_step,
        Attempt.reason,
        Attempt.rework_of,
        Attempt.label_state,
        before_img.sha256,
        after_img.sha256,
        Attempt.emulated,
    )
    where = conditions(f)
    last_id = 0
    while True:
        query = (
            select(*columns)
            .join_from(Attempt, Pack, Pack.id == Attempt.pack_id)
            .outerjoin(before, and_(before.attempt_id == Attempt.id, before.role == "BEFORE"))
            .outerjoin(before_img, before_img.id == before.image_id)
            .outerjoin(after, and_(after.attempt_id == Attempt.id, after.role == "AFTER"))
            .outerjoin(after_img, after_img.id == after.image_id)
            .where(*where, Attempt.id > last_id)
            .order_by(Attempt.id)
            .limit(PAGE)
        )
        with db.tx() as s:
            page = s.execute(query).all()
        for row in page:
            yield ExportRow(*cast(tuple[Any, ...], row))
        if len(page) < PAGE:
            return
        last_id = int(page[-1][1])


def export_measurements(db: Database, f: ReportFilter) -> Iterator[MeasurementExportRow]:
    """Every measurement of every matching attempt, by attempt, then as recorded."""
    where = conditions(f)
    last_id = 0
    while True:
        with db.tx() as s:
            ids = list(
                s.scalars(
                    select(Attempt.id)
                    .where(*where, Attempt.id > last_id)
                    .order_by(Attempt.id)
                    .limit(PAGE)
                )
            )
            rows = s.execute(
                select(
                    Pack.serial,
                    Attempt.id,
                    Attempt.outcome,
                    Attempt.started_at,
                    Step.ordinal,
                    Step.name,
                    *MEASURED,
                )
                .select_from(Measurement)
                .join(Attempt, Attempt.id == Measurement.attempt_id)
                .join(Pack, Pack.id == Attempt.pack_id)
                .join(
                    Step,
                    and_(
                        Step.attempt_id == Measurement.attempt_id,
                        Step.ordinal == Measurement.step_ordinal,
                    ),
                )
                .where(Measurement.attempt_id.in_(ids))
                .order_by(Measurement.attempt_id, Measurement.step_ordinal, Measurement.seq)
            ).all()
        for row in rows:
            yield MeasurementExportRow(*cast(tuple[Any, ...], row))
        if len(ids) < PAGE:
            return
        last_id = ids[-1]

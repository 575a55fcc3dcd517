"""Reports and exports, aggregated in SQL so they stay fast on millions of attempts.

The report is a few grouped queries over the filtered attempts; the median cycle time is found by
counting the rows, then asking the database for the middle one or two (it sorts; Python never
sees the other rows). First-pass yield uses ``attempts.attempt_no`` (1 = the pack's first
attempt), so it needs no window function.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from station.store.database import Database
from station.store.models import Attempt, AttemptImage, FlashImage, Measurement, Pack, Step
from station.store.records import (
    FINISHED_OUTCOMES,
    AttemptOutcome,
    CountBy,
    ExportRow,
    MeasurementExportRow,
    Report,
    ReportFilter,
)

#: attempts fetched per short transaction while exporting
PAGE = 2000


def conditions(f: ReportFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.since is not None:
        where.append(Attempt.started_at >= f.since)
    if f.until is not None:
        where.append(Attempt.started_at < f.until)
    if f.recipe:
        where.append(or_(Attempt.recipe_hash == f.recipe, Attempt.recipe_name == f.recipe))
    if f.station:
        where.append(Attempt.station_id == f.station)
    if f.lot:
        where.append(Attempt.lot == f.lot)
    return where


def _finished() -> ColumnElement[bool]:
    return Attempt.outcome.in_([str(o) for o in FINISHED_OUTCOMES])


def report(db: Database, f: ReportFilter) -> Report:
    where = conditions(f)
    is_pass = Attempt.outcome == AttemptOutcome.PASS
    failed = and_(_finished(), ~is_pass)
    first = Attempt.attempt_no == 1
    with db.tx() as s:
        attempts, packs, packs_passed, first_attempts, first_pass = s.execute(
            select(
                func.count(),
                func.count(Attempt.pack_id.distinct()),
                func.count(case((is_pass, Attempt.pack_id)).distinct()),
                func.count(case((and_(first, _finished()), 1))),
                func.count(case((and_(first, is_pass), 1))),
            ).where(*where)
        ).one()
        by_outcome = _grouped(s.execute(_group(Attempt.outcome, where)).all())
        by_code = _grouped(
            s.execute(_group(func.coalesce(Attempt.failure_code, "(none)"), [*where, failed]))
        )
        by_step = _grouped(
            s.execute(_group(func.coalesce(Attempt.failing_step, "(unknown)"), [*where, failed]))
        )
        timed = [*where, _finished(), Attempt.cycle_time_s.is_not(None)]
        n = s.scalar(select(func.count()).select_from(Attempt).where(*timed)) or 0
        median = None
        if n:
            middle = list(
                s.scalars(
                    select(Attempt.cycle_time_s)
                    .where(*timed)
                    .order_by(Attempt.cycle_time_s)
                    .offset((n - 1) // 2)
                    .limit(2 if n % 2 == 0 else 1)
                )
            )
            median = sum(v for v in middle if v is not None) / len(middle)
    counts = {c.key: c.count for c in by_outcome}
    return Report(
        filters=f,
        attempts=int(attempts),
        packs=int(packs),
        passed=counts.get(AttemptOutcome.PASS, 0),
        failed=sum(c.count for c in by_outcome if c.key not in ("PASS", "RUNNING")),
        running=counts.get(AttemptOutcome.RUNNING, 0),
        by_outcome=by_outcome,
        packs_passed=int(packs_passed),
        first_attempts=int(first_attempts),
        first_pass=int(first_pass),
        first_pass_yield=first_pass / first_attempts if first_attempts else None,
        failures_by_code=by_code,
        failures_by_step=by_step,
        median_cycle_time_s=median,
    )


def _group(key: Any, where: list[ColumnElement[bool]]) -> Any:
    count = func.count().label("n")
    return select(key, count).where(*where).group_by(key).order_by(count.desc(), key)


def _grouped(rows: Any) -> tuple[CountBy, ...]:
    return tuple(CountBy(str(key), int(n)) for key, n in rows)


def export(db: Database, f: ReportFilter) -> Iterator[ExportRow]:
    """Every matching attempt, oldest first, one short transaction per page."""
    before = aliased(AttemptImage)
    after = aliased(AttemptImage)
    before_img = aliased(FlashImage)
    after_img = aliased(FlashImage)
    where = conditions(f)
    last_id = 0
    while True:
        query = (
            select(Attempt, Pack.serial, before_img.sha256, after_img.sha256)
            .join(Pack, Pack.id == Attempt.pack_id)
            .outerjoin(
                before,
                and_(before.attempt_id == Attempt.id, before.role == "BEFORE"),
            )
            .outerjoin(before_img, before_img.id == before.image_id)
            .outerjoin(after, and_(after.attempt_id == Attempt.id, after.role == "AFTER"))
            .outerjoin(after_img, after_img.id == after.image_id)
            .where(*where, Attempt.id > last_id)
            .order_by(Attempt.id)
            .limit(PAGE)
        )
        with db.tx() as s:
            page = s.execute(query).all()
        for a, serial, before_sha, after_sha in page:
            yield ExportRow(
                serial=serial,
                attempt_id=a.id,
                attempt_no=a.attempt_no,
                station_id=a.station_id,
                socket=a.socket,
                operator=a.operator,
                work_order=a.work_order,
                lot=a.lot,
                recipe_name=a.recipe_name,
                recipe_version=a.recipe_version,
                recipe_hash=a.recipe_hash,
                software_version=a.software_version,
                key_set_id=a.key_set_id,
                started_at=a.started_at,
                ended_at=a.ended_at,
                cycle_time_s=a.cycle_time_s,
                outcome=a.outcome,
                failure_code=a.failure_code,
                failing_step=a.failing_step,
                reason=a.reason,
                rework_of=a.rework_of,
                label_state=a.label_state,
                before_image_sha256=before_sha,
                after_image_sha256=after_sha,
            )
        if len(page) < PAGE:
            return
        last_id = page[-1][0].id


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
                    Measurement,
                )
                .join(Attempt, Attempt.id == Measurement.attempt_id)
                .join(Pack, Pack.id == Attempt.pack_id)
                .join(Step, Step.id == Measurement.step_id)
                .where(Measurement.attempt_id.in_(ids))
                .order_by(Attempt.id, Measurement.id)
            ).all()
        for serial, attempt_id, outcome, started, ordinal, step_name, m in rows:
            yield MeasurementExportRow(
                serial=serial,
                attempt_id=attempt_id,
                attempt_outcome=outcome,
                started_at=started,
                step_ordinal=ordinal,
                step_name=step_name,
                name=m.name,
                value=m.value,
                text=m.text_value,
                unit=m.unit,
                low=m.low_limit,
                high=m.high_limit,
                outcome=m.outcome,
            )
        if len(ids) < PAGE:
            return
        last_id = ids[-1]

"""Reading a pack's story: its attempts, the full trace, and the operator's shift summary.

A trace is a handful of indexed queries (by pack, then by the pack's attempt ids), whatever the
size of the database.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from station.store.attempts import to_summary
from station.store.audit import to_entry
from station.store.claims import to_claim
from station.store.database import Database
from station.store.errors import UnknownAttemptError
from station.store.labelling import to_label
from station.store.models import (
    Attempt,
    AttemptImage,
    AuditLog,
    FlashImage,
    Label,
    Measurement,
    Pack,
    ParameterValue,
    ReleasedRecipeRow,
    SerialClaim,
    Step,
)
from station.store.records import (
    FINISHED_OUTCOMES,
    AttemptOutcome,
    AttemptSummary,
    AttemptTrace,
    ImageRef,
    ImageRole,
    LabelRecord,
    MeasurementOutcome,
    MeasurementRecord,
    PackTrace,
    ParameterDiff,
    RecentPack,
    ShiftSummary,
    StepOutcome,
    StepRecord,
)


def _history(s: Session, serial: str) -> list[AttemptSummary]:
    rows = s.scalars(
        select(Attempt)
        .join(Pack, Pack.id == Attempt.pack_id)
        .where(Pack.serial == serial)
        .order_by(Attempt.attempt_no)
    )
    return [to_summary(r, serial) for r in rows]


def pack_history(db: Database, serial: str) -> list[AttemptSummary]:
    """Every attempt on ``serial``, oldest first."""
    with db.tx() as s:
        return _history(s, serial)


def last_pass(db: Database, serial: str) -> AttemptSummary | None:
    with db.tx() as s:
        row = s.scalar(
            select(Attempt)
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(Pack.serial == serial, Attempt.outcome == AttemptOutcome.PASS)
            .order_by(Attempt.attempt_no.desc())
            .limit(1)
        )
        return to_summary(row, serial) if row is not None else None


def get_attempt(db: Database, attempt_id: int) -> AttemptSummary:
    with db.tx() as s:
        found = s.execute(
            select(Attempt, Pack.serial)
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(Attempt.id == attempt_id)
        ).first()
        if found is None:
            raise UnknownAttemptError(attempt_id)
        return to_summary(found[0], found[1])


def trace(db: Database, serial: str) -> PackTrace | None:
    """Everything recorded about ``serial``; None if the pack was never seen."""
    with db.tx() as s:
        pack = s.scalar(select(Pack).where(Pack.serial == serial))
        if pack is None:
            return None
        attempts = _history(s, serial)
        ids = [a.id for a in attempts]
        steps = _steps(s, ids)
        images: dict[int, list[ImageRef]] = defaultdict(list)
        for attempt_id, role, image_id, digest, start, length, stored in s.execute(
            select(
                AttemptImage.attempt_id,
                AttemptImage.role,
                FlashImage.id,
                FlashImage.sha256,
                FlashImage.start_address,
                FlashImage.length,
                func.length(FlashImage.compressed),
            )
            .join(FlashImage, FlashImage.id == AttemptImage.image_id)
            .where(AttemptImage.attempt_id.in_(ids))
            .order_by(AttemptImage.attempt_id)
        ):
            images[attempt_id].append(
                ImageRef(ImageRole(role), image_id, digest, start, length, int(stored))
            )
        params: dict[int, list[ParameterDiff]] = defaultdict(list)
        for p in s.scalars(
            select(ParameterValue)
            .where(ParameterValue.attempt_id.in_(ids))
            .order_by(ParameterValue.id)
        ):
            params[p.attempt_id].append(ParameterDiff(p.name, p.before, p.after, p.unit))
        labels: dict[int, list[LabelRecord]] = defaultdict(list)
        for label in s.scalars(
            select(Label).where(Label.attempt_id.in_(ids)).order_by(Label.printed_at, Label.id)
        ):
            labels[label.attempt_id].append(to_label(label))
        hashes = {a.recipe_hash for a in attempts}
        released = set(
            s.scalars(select(ReleasedRecipeRow.hash).where(ReleasedRecipeRow.hash.in_(hashes)))
        )
        audit = s.scalars(
            select(AuditLog).where(AuditLog.subject == serial).order_by(AuditLog.at, AuditLog.id)
        )
        claim = s.get(SerialClaim, serial)
        return PackTrace(
            serial=serial,
            first_seen=pack.first_seen,
            attempts=tuple(
                AttemptTrace(
                    summary=a,
                    steps=tuple(steps[a.id]),
                    images=tuple(sorted(images[a.id], key=_image_order)),
                    parameters=tuple(params[a.id]),
                    labels=tuple(labels[a.id]),
                    recipe_released=a.recipe_hash in released,
                )
                for a in attempts
            ),
            audit=tuple(to_entry(e) for e in audit),
            claim=to_claim(claim) if claim is not None else None,
        )


_ROLE_ORDER = {role: n for n, role in enumerate(ImageRole)}


def _image_order(ref: ImageRef) -> tuple[int, int]:
    return _ROLE_ORDER[ref.role], ref.start


def _steps(s: Session, ids: list[int]) -> dict[int, list[StepRecord]]:
    measured: dict[int, list[MeasurementRecord]] = defaultdict(list)
    for m in s.scalars(
        select(Measurement).where(Measurement.attempt_id.in_(ids)).order_by(Measurement.id)
    ):
        measured[m.step_id].append(
            MeasurementRecord(
                name=m.name,
                value=m.value,
                text=m.text_value,
                unit=m.unit,
                low=m.low_limit,
                high=m.high_limit,
                outcome=MeasurementOutcome(m.outcome),
            )
        )
    steps: dict[int, list[StepRecord]] = defaultdict(list)
    for st in s.scalars(
        select(Step).where(Step.attempt_id.in_(ids)).order_by(Step.attempt_id, Step.ordinal)
    ):
        steps[st.attempt_id].append(
            StepRecord(
                ordinal=st.ordinal,
                name=st.name,
                outcome=StepOutcome(st.outcome),
                started_at=st.started_at,
                ended_at=st.ended_at,
                kind=st.kind,
                duration_s=st.duration_s,
                failure_code=st.failure_code,
                message=st.message,
                details=dict(st.details),
                measurements=tuple(measured[st.id]),
            )
        )
    return steps


def shift_summary(db: Database, station: str, since: datetime, *, last: int = 20) -> ShiftSummary:
    """What the operator screen shows: counters since ``since`` and the last ``last`` packs."""
    finished = Attempt.outcome.in_([str(o) for o in FINISHED_OUTCOMES])
    is_pass = Attempt.outcome == AttemptOutcome.PASS
    where = (Attempt.station_id == station, Attempt.started_at >= since)
    with db.tx() as s:
        counts = s.execute(
            select(
                func.count(case((is_pass, 1))),
                func.count(case((finished & ~is_pass, 1))),
                func.count(case((Attempt.outcome == AttemptOutcome.RUNNING, 1))),
                func.count(case((finished & (Attempt.attempt_no == 1), 1))),
                func.count(case((is_pass & (Attempt.attempt_no == 1), 1))),
            ).where(*where)
        ).one()
        recent = s.execute(
            select(
                Pack.serial,
                Attempt.id,
                Attempt.outcome,
                Attempt.failure_code,
                Attempt.started_at,
                Attempt.cycle_time_s,
            )
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(*where)
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
            .limit(last)
        ).all()
    passed, failed, running, first, first_pass = (int(c) for c in counts)
    return ShiftSummary(
        station=station,
        since=since,
        passed=passed,
        failed=failed,
        running=running,
        first_attempts=first,
        first_pass=first_pass,
        first_pass_yield=first_pass / first if first else None,
        recent=tuple(
            RecentPack(serial, attempt_id, AttemptOutcome(outcome), code, started, cycle)
            for serial, attempt_id, outcome, code, started, cycle in recent
        ),
    )

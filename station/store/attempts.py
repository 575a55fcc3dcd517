"""The attempt lifecycle: written RUNNING before the pack is touched, each step committed as it
ends, finished exactly once, and PASS only when the recorded steps prove it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.database import Database, check_lengths, plain_json, rowcount
from station.store.errors import (
    AttemptFinishedError,
    ClaimLostError,
    PassNotProvenError,
    ReworkError,
    StoreInputError,
    UnknownAttemptError,
)
from station.store.models import (
    Attempt,
    AuditLog,
    Measurement,
    Pack,
    ParameterValue,
    SerialClaim,
    Step,
)
from station.store.records import (
    LABEL_STEP,
    SEAL_STEP,
    VERIFY_STEP,
    AttemptOutcome,
    AttemptStart,
    AttemptSummary,
    AuditAction,
    Claim,
    LabelState,
    MeasurementOutcome,
    MeasurementRecord,
    ParameterChange,
    StepOutcome,
    StepRecord,
)

_TRIES = 5
#: step outcomes that forbid recording the attempt as PASS
_BAD_STEP = (StepOutcome.FAIL, StepOutcome.ERROR, StepOutcome.ABORTED)


def to_summary(row: Attempt, serial: str) -> AttemptSummary:
    return AttemptSummary(
        id=row.id,
        serial=serial,
        attempt_no=row.attempt_no,
        station_id=row.station_id,
        socket=row.socket,
        operator=row.operator,
        work_order=row.work_order,
        lot=row.lot,
        recipe_name=row.recipe_name,
        recipe_version=row.recipe_version,
        recipe_hash=row.recipe_hash,
        software_version=row.software_version,
        key_set_id=row.key_set_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        outcome=AttemptOutcome(row.outcome),
        failure_code=row.failure_code,
        failing_step=row.failing_step,
        reason=row.reason,
        rework_of=row.rework_of,
        rework_authorised_by=row.rework_authorised_by,
        cycle_time_s=row.cycle_time_s,
        label_state=LabelState(row.label_state),
        host=row.host,
        pid=row.pid,
    )


def start_attempt(db: Database, start: AttemptStart, claim: Claim | None = None) -> int:
    values = {
        "station_id": start.station_id,
        "socket": start.socket,
        "operator": start.operator,
        "work_order": start.work_order,
        "lot": start.lot,
        "recipe_name": start.recipe_name,
        "recipe_version": start.recipe_version,
        "recipe_hash": start.recipe_hash,
        "software_version": start.software_version,
        "key_set_id": start.key_set_id,
        "host": start.host,
    }
    for name, value in values.items():
        if not isinstance(value, str):
            # A key set object in key_set_id would be the one way a key could reach the disk.
            raise StoreInputError(
                f"attempt {name} must be text, not a {type(value).__name__} (only a key-set id "
                "is ever stored, never keys)"
            )
    if not start.serial.strip():
        raise StoreInputError("an attempt needs the pack serial number; scan the pack again")
    check_lengths(Pack, {"serial": start.serial})
    check_lengths(Attempt, values)
    if claim is not None and claim.serial != start.serial:
        raise StoreInputError(
            f"the claim is for pack {claim.serial}, the attempt for pack {start.serial}; claim "
            "the pack being tested"
        )
    for _ in range(_TRIES):
        try:
            with db.tx() as s:
                return _insert_attempt(db, s, start, values, claim)
        except IntegrityError:
            continue  # a concurrent insert of the same pack or attempt number: read again
    raise StoreInputError(f"attempt for pack {start.serial} could not be numbered; retry")


def _insert_attempt(
    db: Database, s: Session, start: AttemptStart, values: dict[str, str], claim: Claim | None
) -> int:
    now = db.now()
    pack_id = s.scalar(select(Pack.id).where(Pack.serial == start.serial))
    if pack_id is None:
        pack = Pack(serial=start.serial, first_seen=now)
        s.add(pack)
        s.flush()
        pack_id = pack.id
    previous = s.scalar(select(func.max(Attempt.attempt_no)).where(Attempt.pack_id == pack_id))
    row = Attempt(
        pack_id=pack_id,
        attempt_no=(previous or 0) + 1,
        started_at=start.started_at or now,
        outcome=AttemptOutcome.RUNNING,
        label_state=LabelState.NOT_PRINTED,
        pid=start.pid,
        **values,
    )
    if start.rework is not None:
        auth = start.rework
        entry = s.get(AuditLog, auth.id)
        if (
            entry is None
            or entry.action != AuditAction.REWORK_AUTHORISED
            or entry.subject != start.serial
        ):
            raise ReworkError(
                f"rework authorisation {auth.id} is not a rework authorisation for pack "
                f"{start.serial}; a supervisor must authorise rework of this pack"
            )
        used = s.scalar(select(Attempt.id).where(Attempt.rework_authorisation_id == auth.id))
        if used is not None:
            raise ReworkError(
                f"rework authorisation {auth.id} for pack {start.serial} was already used by "
                f"attempt {used}; each authorisation allows one attempt: ask a supervisor again"
            )
        row.rework_of = auth.rework_of
        row.rework_authorised_by = auth.authorised_by
        row.rework_authorisation_id = auth.id
    s.add(row)
    s.flush()
    if claim is not None:
        done = s.execute(
            update(SerialClaim)
            .where(SerialClaim.serial == claim.serial, SerialClaim.token == claim.token)
            .values(attempt_id=row.id)
        )
        if rowcount(done) != 1:
            raise ClaimLostError(claim.serial)
    return row.id


def running_attempt(s: Session, attempt_id: int) -> Attempt:
    row = s.get(Attempt, attempt_id)
    if row is None:
        raise UnknownAttemptError(attempt_id)
    if row.outcome != AttemptOutcome.RUNNING:
        raise AttemptFinishedError(attempt_id, row.outcome)
    return row


def judge(m: MeasurementRecord) -> MeasurementOutcome:
    """The outcome of a measurement that does not state one: its value against its limits."""
    if m.outcome is not None:
        return m.outcome
    if m.value is None or (m.low is None and m.high is None):
        return MeasurementOutcome.INFO
    if math.isnan(m.value):
        return MeasurementOutcome.FAIL
    low_ok = m.low is None or m.value >= m.low
    high_ok = m.high is None or m.value <= m.high
    return MeasurementOutcome.PASS if low_ok and high_ok else MeasurementOutcome.FAIL


def _add_measurements(
    s: Session, attempt_id: int, step_id: int, records: Sequence[MeasurementRecord]
) -> None:
    rows = []
    for m in records:
        fields = {"name": m.name, "unit": m.unit}
        check_lengths(Measurement, fields)
        rows.append(
            Measurement(
                attempt_id=attempt_id,
                step_id=step_id,
                value=m.value,
                text_value=m.text,
                low_limit=m.low,
                high_limit=m.high,
                outcome=judge(m),
                **fields,
            )
        )
    s.add_all(rows)


def record_step(db: Database, attempt_id: int, step: StepRecord) -> None:
    fields = {"name": step.name, "kind": step.kind, "failure_code": step.failure_code}
    check_lengths(Step, fields)
    details = plain_json(dict(step.details), where=f"step {step.name!r} details")
    duration = step.duration_s
    if duration is None:
        duration = (step.ended_at - step.started_at).total_seconds()
    try:
        with db.tx() as s:
            running_attempt(s, attempt_id)
            row = Step(
                attempt_id=attempt_id,
                ordinal=step.ordinal,
                outcome=StepOutcome(step.outcome),
                started_at=step.started_at,
                ended_at=step.ended_at,
                duration_s=duration,
                message=step.message,
                details=details,
                **fields,
            )
            s.add(row)
            s.flush()
            _add_measurements(s, attempt_id, row.id, step.measurements)
    except IntegrityError:
        raise StoreInputError(
            f"attempt {attempt_id} already has a step number {step.ordinal}; each step is "
            "recorded once, with its own number"
        ) from None


def record_measurements(
    db: Database, attempt_id: int, step_ordinal: int, records: Sequence[MeasurementRecord]
) -> None:
    with db.tx() as s:
        running_attempt(s, attempt_id)
        step_id = s.scalar(
            select(Step.id).where(Step.attempt_id == attempt_id, Step.ordinal == step_ordinal)
        )
        if step_id is None:
            raise StoreInputError(
                f"attempt {attempt_id} has no step number {step_ordinal}; record the step "
                "before its measurements"
            )
        _add_measurements(s, attempt_id, step_id, records)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def record_parameters(db: Database, attempt_id: int, changes: Sequence[ParameterChange]) -> None:
    rows = []
    for c in changes:
        fields = {"name": c.name, "unit": c.unit}
        check_lengths(ParameterValue, fields)
        rows.append(
            ParameterValue(
                attempt_id=attempt_id, before=_text(c.before), after=_text(c.after), **fields
            )
        )
    try:
        with db.tx() as s:
            running_attempt(s, attempt_id)
            s.add_all(rows)
    except IntegrityError:
        raise StoreInputError(
            f"attempt {attempt_id}: a parameter was recorded twice; each parameter has one "
            "before and one after value per attempt"
        ) from None


def unproven(s: Session, attempt_id: int) -> list[str]:
    """Why the recorded steps do not prove a pass (empty: they do)."""
    steps = s.execute(
        select(Step.ordinal, Step.name, Step.kind, Step.outcome)
        .where(Step.attempt_id == attempt_id)
        .order_by(Step.ordinal)
    ).all()
    problems = [
        f"no passing {kind} step was recorded"
        for kind in (SEAL_STEP, VERIFY_STEP)
        if not any(k == kind and o == StepOutcome.PASS for _, _, k, o in steps)
    ]
    # A label that did not print does not unmake a pass: the pack is sealed and verified, and the
    # label is recorded NOT printed for a later reprint.
    problems += [
        f"step {n} {name!r} ended {o}"
        for n, name, k, o in steps
        if o in _BAD_STEP and k != LABEL_STEP
    ]
    return problems


def finish_attempt(
    db: Database,
    attempt_id: int,
    outcome: AttemptOutcome,
    *,
    failure_code: str | None = None,
    failing_step: str | None = None,
    reason: str | None = None,
    ended_at: datetime | None = None,
    cycle_time_s: float | None = None,
) -> AttemptSummary:
    outcome = AttemptOutcome(outcome)
    if outcome == AttemptOutcome.RUNNING:
        raise StoreInputError(
            "an attempt is finished with PASS, FAIL, ERROR, ABORTED or INTERRUPTED"
        )
    if outcome == AttemptOutcome.PASS and (failure_code or failing_step):
        raise StoreInputError("a PASS carries no failure code nor failing step")
    if outcome in (AttemptOutcome.FAIL, AttemptOutcome.ERROR) and not failure_code:
        raise StoreInputError(
            f"a {outcome} needs a failure code, so reports can say why packs fail"
        )
    if outcome in (AttemptOutcome.ABORTED, AttemptOutcome.INTERRUPTED) and not failure_code:
        failure_code = str(outcome)
    check_lengths(Attempt, {"failure_code": failure_code, "failing_step": failing_step})
    with db.tx() as s:
        row = s.get(Attempt, attempt_id)
        if row is None:
            raise UnknownAttemptError(attempt_id)
        if row.outcome != AttemptOutcome.RUNNING:
            raise AttemptFinishedError(attempt_id, row.outcome)
        if outcome == AttemptOutcome.PASS:
            problems = unproven(s, attempt_id)
            if problems:
                raise PassNotProvenError(attempt_id, problems)
        end = ended_at or db.now()
        cycle = cycle_time_s
        if cycle is None:
            cycle = max(0.0, (end - row.started_at).total_seconds())
        done = s.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id, Attempt.outcome == AttemptOutcome.RUNNING)
            .values(
                outcome=outcome,
                failure_code=failure_code,
                failing_step=failing_step,
                reason=reason,
                ended_at=end,
                cycle_time_s=cycle,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(done) != 1:
            s.refresh(row)
            raise AttemptFinishedError(attempt_id, row.outcome)
        s.refresh(row)
        serial = s.scalar(select(Pack.serial).where(Pack.id == row.pack_id))
        assert serial is not None
        return to_summary(row, serial)

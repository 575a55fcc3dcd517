"""The attempt lifecycle: written RUNNING before the pack is touched, each step committed as it
ends, finished exactly once, and PASS only when the recorded steps prove it.

These calls run while a pack sits in the socket, so they are Core statements on one connection
(no ORM unit of work): a step and its measurements are one short transaction of three
statements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.database import Database, check_lengths, new_id, plain_json, rowcount
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
    SerialClaim,
    Step,
    UTCDateTime,
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
    StepOutcome,
    StepRecord,
)
from station.store.rows import from_row

_TRIES = 5
#: step outcomes that forbid recording the attempt as PASS
_BAD_STEP = (StepOutcome.FAIL, StepOutcome.ERROR, StepOutcome.ABORTED)


#: the attempt columns an :class:`AttemptSummary` is built from (with the pack's serial)
SUMMARY_COLUMNS = tuple(Attempt.__table__.c)


def to_summary(row: Any, serial: str) -> AttemptSummary:
    """From an ``Attempt`` object or a Core row of its columns."""
    return from_row(
        AttemptSummary,
        row,
        serial=serial,
        outcome=AttemptOutcome(row.outcome),
        label_state=LabelState(row.label_state),
        emulated=bool(row.emulated),
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
            with db.conn() as conn:
                return _insert_attempt(db, conn, start, values, claim)
        except IntegrityError:
            continue  # a concurrent insert of the same pack or attempt number: read again
    raise StoreInputError(f"attempt for pack {start.serial} could not be numbered; retry")


#: the pack's id and its highest attempt number so far (None, None: a new pack)
_PACK_AND_LAST = (
    select(Pack.id, func.max(Attempt.attempt_no))
    .outerjoin(Attempt, Attempt.pack_id == Pack.id)
    .where(Pack.serial == bindparam("serial"))
    .group_by(Pack.id)
)
_INSERT_PACK = insert(Pack)
_INSERT_ATTEMPT = insert(Attempt)
_CLAIM_ATTEMPT = (
    update(SerialClaim)
    .where(SerialClaim.serial == bindparam("c_serial"), SerialClaim.token == bindparam("c_token"))
    .values(attempt_id=bindparam("c_attempt"))
)


def _insert_attempt(
    db: Database, conn: Connection, start: AttemptStart, values: dict[str, Any], claim: Claim | None
) -> int:
    now = db.now()
    found = conn.execute(_PACK_AND_LAST, {"serial": start.serial}).first()
    if found is None:
        pack_id = new_id(conn.execute(_INSERT_PACK, {"serial": start.serial, "first_seen": now}))
        previous = 0
    else:
        pack_id, previous = found[0], found[1] or 0
    row: dict[str, Any] = {
        **values,
        "pack_id": pack_id,
        "attempt_no": previous + 1,
        "started_at": start.started_at or now,
        "outcome": AttemptOutcome.RUNNING,
        "label_state": LabelState.NOT_PRINTED,
        "pid": start.pid,
        "rework_of": None,
        "rework_authorised_by": None,
        "rework_authorisation_id": None,
        "emulated": bool(start.emulated),
    }
    if start.rework is not None:
        auth = start.rework
        entry = conn.execute(
            select(AuditLog.action, AuditLog.subject).where(AuditLog.id == auth.id)
        ).first()
        if entry is None or tuple(entry) != (AuditAction.REWORK_AUTHORISED, start.serial):
            raise ReworkError(
                f"rework authorisation {auth.id} is not a rework authorisation for pack "
                f"{start.serial}; a supervisor must authorise rework of this pack"
            )
        used = conn.scalar(select(Attempt.id).where(Attempt.rework_authorisation_id == auth.id))
        if used is not None:
            raise ReworkError(
                f"rework authorisation {auth.id} for pack {start.serial} was already used by "
                f"attempt {used}; each authorisation allows one attempt: ask a supervisor again"
            )
        row["rework_of"] = auth.rework_of
        row["rework_authorised_by"] = auth.authorised_by
        row["rework_authorisation_id"] = auth.id
    attempt_id = new_id(conn.execute(_INSERT_ATTEMPT, row))
    if claim is not None:
        done = conn.execute(
            _CLAIM_ATTEMPT,
            {"c_serial": claim.serial, "c_token": claim.token, "c_attempt": attempt_id},
        )
        if rowcount(done) != 1:
            raise ClaimLostError(claim.serial)
    return attempt_id


# Statements built once: building them costs more CPU than SQLite takes to run them.
_OUTCOME = select(Attempt.outcome).where(Attempt.id == bindparam("attempt_id"))
_INSERT_STEP = insert(Step)
_INSERT_MEASUREMENTS = insert(Measurement)


def require_running(conn: Connection | Session, attempt_id: int) -> None:
    """Refuse to add to an attempt that is unknown or already finished."""
    outcome = conn.execute(_OUTCOME, {"attempt_id": attempt_id}).scalar()
    if outcome is None:
        raise UnknownAttemptError(attempt_id)
    if outcome != AttemptOutcome.RUNNING:
        raise AttemptFinishedError(attempt_id, outcome)


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


def _measurement_rows(
    attempt_id: int, ordinal: int, first_seq: int, records: Sequence[MeasurementRecord]
) -> list[dict[str, Any]]:
    rows = []
    for seq, m in enumerate(records, start=first_seq):
        check_lengths(Measurement, {"name": m.name, "unit": m.unit})
        rows.append(
            {
                "attempt_id": attempt_id,
                "step_ordinal": ordinal,
                "seq": seq,
                "name": m.name,
                "value": m.value,
                "text_value": m.text,
                "unit": m.unit,
                "low_limit": m.low,
                "high_limit": m.high,
                "outcome": judge(m),
            }
        )
    return rows


def record_step(db: Database, attempt_id: int, step: StepRecord) -> None:
    """Keep one finished step (and its measurements), committed at once."""
    fields = {"name": step.name, "kind": step.kind, "failure_code": step.failure_code}
    check_lengths(Step, fields)
    details = plain_json(dict(step.details), where=f"step {step.name!r} details")
    duration = step.duration_s
    if duration is None:
        duration = (step.ended_at - step.started_at).total_seconds()
    measured = _measurement_rows(attempt_id, step.ordinal, 1, step.measurements)
    row = {
        **fields,
        "attempt_id": attempt_id,
        "ordinal": step.ordinal,
        "outcome": StepOutcome(step.outcome),
        "started_at": step.started_at,
        "ended_at": step.ended_at,
        "duration_s": duration,
        "message": step.message,
        "details": details,
    }
    # One transaction per step, committed as the step ends: a killed station leaves every step
    # done so far. The step and its measurements are one INSERT each.
    try:
        with db.conn() as conn:
            require_running(conn, attempt_id)
            conn.execute(_INSERT_STEP, [row])
            if measured:
                conn.execute(_INSERT_MEASUREMENTS, measured)
    except IntegrityError:
        raise StoreInputError(
            f"attempt {attempt_id} already has a step number {step.ordinal}; each step is "
            "recorded once, with its own number"
        ) from None


_STEPS_OF = (
    select(Step.ordinal, Step.name, Step.kind, Step.outcome)
    .where(Step.attempt_id == bindparam("attempt_id"))
    .order_by(Step.ordinal)
)


def unproven(conn: Connection | Session, attempt_id: int) -> list[str]:
    """Why the recorded steps do not prove a pass (empty: they do)."""
    steps = conn.execute(_STEPS_OF, {"attempt_id": attempt_id}).all()
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
    """Finish the attempt once. PASS needs a passing seal step and a passing verify step
    and no failed step; FAIL and ERROR need a failure code."""
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
    with db.conn() as conn:
        found = conn.execute(_FINISHING, {"attempt_id": attempt_id}).first()
        if found is None:
            raise UnknownAttemptError(attempt_id)
        if found.outcome != AttemptOutcome.RUNNING:
            raise AttemptFinishedError(attempt_id, found.outcome)
        if outcome == AttemptOutcome.PASS:
            problems = unproven(conn, attempt_id)
            if problems:
                raise PassNotProvenError(attempt_id, problems)
        end = ended_at or db.now()
        cycle = cycle_time_s
        if cycle is None:
            cycle = max(0.0, (end - found.started_at).total_seconds())
        row = conn.execute(
            _FINISH,
            {
                "attempt_id": attempt_id,
                "outcome": outcome,
                "failure_code": failure_code,
                "failing_step": failing_step,
                "reason": reason,
                "ended_at": end,
                "cycle_time_s": cycle,
            },
        ).first()
        if row is None:  # finished by someone else since it was read
            now = conn.scalar(select(Attempt.outcome).where(Attempt.id == attempt_id))
            raise AttemptFinishedError(attempt_id, str(now))
        return to_summary(row, found.serial)


_FINISHING = (
    select(Attempt.outcome, Attempt.started_at, Pack.serial)
    .join(Pack, Pack.id == Attempt.pack_id)
    .where(Attempt.id == bindparam("attempt_id"))
)
#: the compare-and-swap that finishes an attempt once, giving back the finished row
_FINISH = (
    update(Attempt)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.outcome == AttemptOutcome.RUNNING)
    .values(
        {
            Attempt.outcome: bindparam("outcome"),
            Attempt.failure_code: bindparam("failure_code"),
            Attempt.failing_step: bindparam("failing_step"),
            Attempt.reason: bindparam("reason"),
            Attempt.ended_at: bindparam("ended_at", type_=UTCDateTime()),
            Attempt.cycle_time_s: bindparam("cycle_time_s"),
        }
    )
    .returning(*SUMMARY_COLUMNS)
)


def set_emulated(db: Database, attempt_id: int, emulated: bool) -> None:
    """Correct whether an attempt ran on an emulator (known once its bus is open)."""
    with db.conn() as conn:
        done = conn.execute(
            update(Attempt).where(Attempt.id == attempt_id).values(emulated=bool(emulated))
        )
        if rowcount(done) != 1:
            raise UnknownAttemptError(attempt_id)

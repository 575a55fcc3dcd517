"""Label print records: a label says the pack passed, so it is recorded only for a proven pass;
every reprint is also written to the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from station.store.attempts import unproven
from station.store.audit import add_entry
from station.store.database import Database, check_lengths
from station.store.errors import LabelRefusedError, StoreInputError, UnknownAttemptError
from station.store.models import Attempt, Label, Pack
from station.store.records import AttemptOutcome, AuditAction, LabelOutcome, LabelRecord, LabelState
from station.store.rows import from_row, to_values


def to_label(row: Any) -> LabelRecord:
    return from_row(LabelRecord, row, outcome=LabelOutcome(row.outcome))


_ATTEMPT = select(Attempt.outcome, Attempt.label_state, Attempt.station_id, Attempt.pack_id).where(
    Attempt.id == bindparam("attempt_id")
)
_INSERT_LABEL = insert(Label)


def record_label(
    db: Database,
    attempt_id: int,
    printer: str,
    outcome: LabelOutcome,
    *,
    by: str,
    error: str | None = None,
    reprint_reason: str | None = None,
    printed_at: datetime | None = None,
) -> LabelRecord:
    """Keep a print (or failed print); PRINTED only for a proven pass. A reprint
    (``reprint_reason``) is also written to the audit log."""
    outcome = LabelOutcome(outcome)
    if not by.strip():
        raise StoreInputError("a label record names who printed it (operator or supervisor)")
    check_lengths(Label, {"printer": printer, "by": by})
    with db.conn() as conn:
        attempt = conn.execute(_ATTEMPT, {"attempt_id": attempt_id}).first()
        if attempt is None:
            raise UnknownAttemptError(attempt_id)
        if outcome == LabelOutcome.PRINTED:
            _refuse_unproven(conn, attempt_id, attempt.outcome)
        record = LabelRecord(
            attempt_id=attempt_id,
            printed_at=printed_at or db.now(),
            printer=printer,
            outcome=outcome,
            error=error,
            reprint_reason=reprint_reason,
            by=by,
        )
        conn.execute(_INSERT_LABEL, [to_values(record)])
        state = _label_state(outcome, LabelState(attempt.label_state))
        if state != attempt.label_state:
            conn.execute(update(Attempt).where(Attempt.id == attempt_id).values(label_state=state))
        if reprint_reason:
            _audit_reprint(conn, db, record, station=attempt.station_id, pack_id=attempt.pack_id)
        return record


def _refuse_unproven(conn: Connection, attempt_id: int, outcome: str) -> None:
    """A label says the pack passed: refused for an attempt not proven to pass."""
    if outcome == AttemptOutcome.RUNNING:
        problems = unproven(conn, attempt_id)
    elif outcome != AttemptOutcome.PASS:
        problems = [f"the attempt ended {outcome}"]
    else:
        return
    if problems:
        raise LabelRefusedError(
            f"no label may be recorded as printed for attempt {attempt_id}: "
            f"{'; '.join(problems)}; a label says the pack passed: destroy any label "
            "printed for it"
        )


def _label_state(outcome: LabelOutcome, current: LabelState) -> LabelState:
    if outcome == LabelOutcome.PRINTED:
        return LabelState.PRINTED
    if current == LabelState.PRINTED:
        return LabelState.PRINTED  # a failed reprint leaves the earlier label in place
    return LabelState.FAILED


def _audit_reprint(
    conn: Connection, db: Database, record: LabelRecord, *, station: str, pack_id: int
) -> None:
    serial = conn.scalar(select(Pack.serial).where(Pack.id == pack_id))
    assert serial is not None
    add_entry(
        conn,
        db,
        AuditAction.LABEL_REPRINTED,
        record.by,
        station,
        serial,
        {
            "attempt_id": record.attempt_id,
            "printer": record.printer,
            "outcome": str(record.outcome),
            "reason": record.reprint_reason,
            "error": record.error,
        },
    )

"""Label print records: a label says the pack passed, so it is recorded only for a proven pass;
every reprint is also written to the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from station.store.attempts import unproven
from station.store.audit import add_entry
from station.store.database import Database, check_lengths
from station.store.errors import LabelRefusedError, StoreInputError, UnknownAttemptError
from station.store.models import Attempt, Label, Pack
from station.store.records import AttemptOutcome, AuditAction, LabelOutcome, LabelRecord, LabelState


def to_label(row: Any) -> LabelRecord:
    return LabelRecord(
        attempt_id=row.attempt_id,
        printed_at=row.printed_at,
        printer=row.printer,
        outcome=LabelOutcome(row.outcome),
        error=row.error,
        reprint_reason=row.reprint_reason,
        by=row.by,
    )


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
    outcome = LabelOutcome(outcome)
    if not by.strip():
        raise StoreInputError("a label record names who printed it (operator or supervisor)")
    check_lengths(Label, {"printer": printer, "by": by})
    with db.conn() as conn:
        attempt = conn.execute(_ATTEMPT, {"attempt_id": attempt_id}).first()
        if attempt is None:
            raise UnknownAttemptError(attempt_id)
        if outcome == LabelOutcome.PRINTED:
            if attempt.outcome == AttemptOutcome.RUNNING:
                problems = unproven(conn, attempt_id)
            elif attempt.outcome != AttemptOutcome.PASS:
                problems = [f"the attempt ended {attempt.outcome}"]
            else:
                problems = []
            if problems:
                raise LabelRefusedError(
                    f"no label may be recorded as printed for attempt {attempt_id}: "
                    f"{'; '.join(problems)}; a label says the pack passed: destroy any label "
                    "printed for it"
                )
        record = LabelRecord(
            attempt_id=attempt_id,
            printed_at=printed_at or db.now(),
            printer=printer,
            outcome=outcome,
            error=error,
            reprint_reason=reprint_reason,
            by=by,
        )
        conn.execute(
            _INSERT_LABEL,
            [
                {
                    "attempt_id": attempt_id,
                    "printed_at": record.printed_at,
                    "printer": printer,
                    "outcome": outcome,
                    "error": error,
                    "reprint_reason": reprint_reason,
                    "by": by,
                }
            ],
        )
        if outcome == LabelOutcome.PRINTED:
            state = LabelState.PRINTED
        elif attempt.label_state == LabelState.PRINTED:
            state = LabelState.PRINTED  # a failed reprint leaves the earlier label in place
        else:
            state = LabelState.FAILED
        if state != attempt.label_state:
            conn.execute(update(Attempt).where(Attempt.id == attempt_id).values(label_state=state))
        if reprint_reason:
            serial = conn.scalar(select(Pack.serial).where(Pack.id == attempt.pack_id))
            assert serial is not None
            add_entry(
                conn,
                db,
                AuditAction.LABEL_REPRINTED,
                by,
                attempt.station_id,
                serial,
                {
                    "attempt_id": attempt_id,
                    "printer": printer,
                    "outcome": str(outcome),
                    "reason": reprint_reason,
                    "error": error,
                },
            )
        return record

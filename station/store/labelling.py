"""Label print records: a label says the pack passed, so it is recorded only for a proven pass;
every reprint is also written to the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from station.store.attempts import unproven
from station.store.audit import add_entry
from station.store.database import Database, check_lengths
from station.store.errors import LabelRefusedError, StoreInputError, UnknownAttemptError
from station.store.models import Attempt, Label, Pack
from station.store.records import (
    AttemptOutcome,
    AuditAction,
    LabelOutcome,
    LabelRecord,
    LabelState,
)


def to_label(row: Label) -> LabelRecord:
    return LabelRecord(
        attempt_id=row.attempt_id,
        printed_at=row.printed_at,
        printer=row.printer,
        outcome=LabelOutcome(row.outcome),
        error=row.error,
        reprint_reason=row.reprint_reason,
        by=row.by,
    )


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
    with db.tx() as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None:
            raise UnknownAttemptError(attempt_id)
        if outcome == LabelOutcome.PRINTED:
            if attempt.outcome == AttemptOutcome.RUNNING:
                problems = unproven(s, attempt_id)
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
        row = Label(
            attempt_id=attempt_id,
            printed_at=printed_at or db.now(),
            printer=printer,
            outcome=outcome,
            error=error,
            reprint_reason=reprint_reason,
            by=by,
        )
        s.add(row)
        if outcome == LabelOutcome.PRINTED:
            state = LabelState.PRINTED
        elif attempt.label_state == LabelState.PRINTED:
            state = LabelState.PRINTED  # a failed reprint leaves the earlier label in place
        else:
            state = LabelState.FAILED
        s.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(label_state=state)
            .execution_options(synchronize_session=False)
        )
        if reprint_reason:
            serial = s.scalar(select(Pack.serial).where(Pack.id == attempt.pack_id))
            assert serial is not None
            add_entry(
                s,
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
        s.flush()
        return to_label(row)

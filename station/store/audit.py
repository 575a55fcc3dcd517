"""The audit log (who did what, when, to what) and supervisor rework authorisations."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, insert, select
from sqlalchemy.orm import Session

from station.store.database import Database, check_lengths, new_id, plain_json
from station.store.errors import ReworkError, StoreInputError
from station.store.models import Attempt, AuditLog, Pack
from station.store.records import AttemptOutcome, AuditAction, AuditEntry, ReworkAuthorisation
from station.store.rows import from_row


def to_entry(row: Any) -> AuditEntry:
    """From an ``AuditLog`` object or a Core row of its columns."""
    return from_row(AuditEntry, row, detail=dict(row.detail))


def add_entry(
    conn: Session | Connection,
    db: Database,
    action: str,
    who: str,
    station: str,
    subject: str,
    detail: Mapping[str, Any] | None,
) -> AuditEntry:
    if not who.strip():
        raise StoreInputError(f"audit entry {action}: who did it must be named")
    fields = {"action": str(action), "who": who, "station": station, "subject": subject}
    check_lengths(AuditLog, fields)
    at = db.now()
    plain = plain_json(dict(detail or {}), where=f"audit {action}")
    result = conn.execute(insert(AuditLog).values(at=at, detail=plain, **fields))
    return AuditEntry(
        id=new_id(cast(CursorResult[Any], result)),
        at=at,
        action=fields["action"],
        who=who,
        station=station,
        subject=subject,
        detail=plain,
    )


def audit(
    db: Database,
    action: str,
    who: str,
    station: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append to the audit log; ``detail`` must be plain JSON (a key word is refused)."""
    with db.conn() as conn:
        return add_entry(conn, db, action, who, station, subject, detail)


def audit_entries(
    db: Database,
    *,
    subject: str | None = None,
    action: str | None = None,
    actions: Collection[str] | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """Newest first: of ``subject``, of one ``action`` or any of ``actions``, at or after
    ``since``."""
    query = (
        select(*AuditLog.__table__.c).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    )
    if subject is not None:
        query = query.where(AuditLog.subject == subject)
    if action is not None:
        query = query.where(AuditLog.action == action)
    if actions is not None:
        query = query.where(AuditLog.action.in_([str(a) for a in actions]))
    if since is not None:
        query = query.where(AuditLog.at >= since)
    with db.conn() as conn:
        return [to_entry(r) for r in conn.execute(query)]


#: what a production database is called in its own audit log
PRODUCTION_SUBJECT = "database"


def is_production(db: Database) -> bool:
    """Whether this database was ever declared a production one (it stays one)."""
    with db.conn() as conn:
        found = conn.scalar(
            select(AuditLog.id).where(AuditLog.action == AuditAction.DATABASE_PRODUCTION).limit(1)
        )
    return found is not None


def mark_production(db: Database, *, by: str, station: str) -> AuditEntry | None:
    """Declare this database a production one, once (None when it already was)."""
    with db.tx() as s:
        if s.scalar(
            select(AuditLog.id).where(AuditLog.action == AuditAction.DATABASE_PRODUCTION).limit(1)
        ):
            return None
        return add_entry(
            s,
            db,
            AuditAction.DATABASE_PRODUCTION,
            by,
            station,
            PRODUCTION_SUBJECT,
            {"note": "emulated runs and demo releases are refused from now on"},
        )


def _to_authorisation(row: AuditLog | AuditEntry) -> ReworkAuthorisation:
    return ReworkAuthorisation(
        id=row.id,
        serial=row.subject,
        rework_of=int(row.detail["rework_of"]),
        authorised_by=row.who,
        reason=str(row.detail.get("reason", "")),
        at=row.at,
    )


def authorise_rework(
    db: Database, serial: str, by: str, reason: str, *, station: str = ""
) -> ReworkAuthorisation:
    """A supervisor allows one more attempt on ``serial`` (written to the audit log).

    Pass it as ``AttemptStart.rework``; that attempt then carries ``rework_of``."""
    if not by.strip() or not reason.strip():
        raise StoreInputError("rework is authorised by a named person, with a reason")
    with db.tx() as s:
        attempts = s.execute(
            select(Attempt.id, Attempt.outcome)
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(Pack.serial == serial)
            .order_by(Attempt.attempt_no)
        ).all()
        if not attempts:
            raise ReworkError(
                f"pack {serial} has never been tested here; there is nothing to rework: test it "
                "as a new pack"
            )
        passes = [i for i, outcome in attempts if outcome == AttemptOutcome.PASS]
        rework_of = passes[-1] if passes else attempts[-1][0]
        row = add_entry(
            s,
            db,
            AuditAction.REWORK_AUTHORISED,
            by,
            station,
            serial,
            {"rework_of": rework_of, "reason": reason},
        )
        return _to_authorisation(row)


def pending_rework(db: Database, serial: str) -> ReworkAuthorisation | None:
    """The newest rework authorisation for ``serial`` that no attempt has used yet."""
    used = select(Attempt.rework_authorisation_id).where(
        Attempt.rework_authorisation_id.is_not(None)
    )
    with db.tx() as s:
        row = s.scalar(
            select(AuditLog)
            .where(
                AuditLog.subject == serial,
                AuditLog.action == AuditAction.REWORK_AUTHORISED,
                AuditLog.id.not_in(used),
            )
            .order_by(AuditLog.id.desc())
            .limit(1)
        )
        return _to_authorisation(row) if row is not None else None

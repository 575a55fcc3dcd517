"""Badge PINs as the store keeps them: an argon2 hash per badge (made by the caller: the store never
sees a PIN), who set it, and the wrong PINs typed since the last right one. Every change and every
wrong PIN is written to the audit log in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from station.store.audit import add_entry
from station.store.database import Database, check_lengths
from station.store.errors import StoreInputError
from station.store.models import BadgePin as BadgePinRow
from station.store.records import AuditAction, AuditEntry, BadgePin
from station.store.rows import from_row


def to_pin(row: Any) -> BadgePin:
    return from_row(BadgePin, row)


def badge_pin(db: Database, code: str) -> BadgePin | None:
    """The badge's PIN hash and wrong-PIN count, or None when it has no PIN."""
    with db.conn() as conn:
        row = conn.execute(select(*BadgePinRow.__table__.c).where(BadgePinRow.code == code)).first()
        return to_pin(row) if row is not None else None


def badge_pins(db: Database) -> list[BadgePin]:
    with db.conn() as conn:
        rows = conn.execute(select(*BadgePinRow.__table__.c).order_by(BadgePinRow.code))
        return [to_pin(r) for r in rows]


def set_badge_pin(db: Database, code: str, pin_hash: str, *, by: str, station: str) -> AuditEntry:
    """Keep ``pin_hash`` as ``code``'s PIN (its wrong-PIN count starts again); audited."""
    if not code.strip() or not by.strip():
        raise StoreInputError("a PIN belongs to a badge and is set by a named person")
    check_lengths(BadgePinRow, {"code": code, "pin_hash": pin_hash, "changed_by": by})
    with db.tx() as s:
        now = db.now()
        row = s.get(BadgePinRow, code)
        first = row is None
        if row is None:
            s.add(
                BadgePinRow(
                    code=code,
                    pin_hash=pin_hash,
                    changed_by=by,
                    changed_at=now,
                    failures=0,
                    last_failure_at=None,
                )
            )
        else:
            row.pin_hash = pin_hash
            row.changed_by = by
            row.changed_at = now
            row.failures = 0
            row.last_failure_at = None
        s.flush()
        return add_entry(s, db, AuditAction.PIN_CHANGED, by, station, code, {"first_pin": first})


def pin_refused(db: Database, code: str, *, station: str, reason: str) -> int:
    """Count a wrong PIN (or a refused try) for ``code`` and audit it; returns the failures
    since the last right PIN (0 for a badge without a PIN)."""
    with db.tx() as s:
        now = db.now()
        row = s.get(BadgePinRow, code)
        failures = 0
        if row is not None:
            row.failures += 1
            row.last_failure_at = now
            failures = row.failures
        s.flush()
        add_entry(
            s,
            db,
            AuditAction.PIN_REFUSED,
            code,
            station,
            code,
            {"reason": reason, "failures": failures},
        )
        return failures


def pin_accepted(db: Database, code: str) -> None:
    """The right PIN: the count of wrong ones starts again."""
    with db.conn() as conn:
        conn.execute(
            update(BadgePinRow)
            .where(BadgePinRow.code == code, BadgePinRow.failures != 0)
            .values(failures=0, last_failure_at=None)
        )

"""Parameter changes: one row per attempt holding every change, as compressed JSON.

A pack's changes are read together (trace) and never searched one by one, so one small
compressed row replaces a row and an index entry per parameter. The JSON is a list of
``[name, before, after]`` (plus ``unit`` when there is one), in the order they were recorded.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from station.store.attempts import require_running
from station.store.database import Database
from station.store.errors import RecordCorruptError, StoreInputError
from station.store.models import ParameterChanges
from station.store.records import ParameterDiff, ParameterRecord

_LEVEL = 9
#: a parameter name as long as a column would have held before (and as PostgreSQL would check)
MAX_NAME = 128
MAX_UNIT = 16


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _entry(c: ParameterRecord) -> list[str | None]:
    if not isinstance(c.name, str) or not c.name.strip():
        raise StoreInputError("a parameter change needs the parameter's name")
    if len(c.name) > MAX_NAME or len(c.unit) > MAX_UNIT:
        raise StoreInputError(
            f"parameter {c.name[:40]!r}: names are kept up to {MAX_NAME} characters and units "
            f"up to {MAX_UNIT}; shorten it in the profile"
        )
    entry = [c.name, _text(c.before), _text(c.after)]
    if c.unit:
        entry.append(c.unit)
    return entry


def encode(entries: Sequence[Sequence[str | None]]) -> bytes:
    text = json.dumps(list(entries), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode(), _LEVEL)


def decode(attempt_id: int, blob: bytes) -> list[ParameterDiff]:
    try:
        entries: Any = json.loads(zlib.decompress(blob))
        return [ParameterDiff(e[0], e[1], e[2], e[3] if len(e) > 3 else "") for e in entries]
    except (zlib.error, ValueError, TypeError, IndexError, KeyError):
        raise RecordCorruptError(
            f"the parameter changes of attempt {attempt_id} cannot be read back: the database "
            "copy is damaged; restore the database from a backup"
        ) from None


def record_parameters(db: Database, attempt_id: int, changes: Sequence[ParameterRecord]) -> None:
    """Keep the attempt's parameter changes (one compressed row per attempt)."""
    entries = [_entry(c) for c in changes]
    if not entries:
        return
    with db.conn() as conn:
        require_running(conn, attempt_id)
        held = conn.execute(
            select(ParameterChanges.compressed).where(ParameterChanges.attempt_id == attempt_id)
        ).scalar_one_or_none()
        earlier: list[list[str | None]] = []
        if held is not None:
            earlier = [
                _entry(ParameterRecord(p.name, p.before, p.after, p.unit))
                for p in decode(attempt_id, held)
            ]
        _refuse_twice(attempt_id, [e[0] for e in earlier] + [e[0] for e in entries])
        _write(conn, attempt_id, earlier + entries, update_row=held is not None)


def _refuse_twice(attempt_id: int, names: list[str | None]) -> None:
    if len(set(names)) != len(names):
        raise StoreInputError(
            f"attempt {attempt_id}: a parameter was recorded twice; each parameter has one "
            "before and one after value per attempt"
        )


def _write(
    conn: Connection, attempt_id: int, entries: list[list[str | None]], *, update_row: bool
) -> None:
    blob = encode(entries)
    if update_row:
        conn.execute(
            update(ParameterChanges)
            .where(ParameterChanges.attempt_id == attempt_id)
            .values(count=len(entries), compressed=blob)
        )
    else:
        conn.execute(
            insert(ParameterChanges).values(
                attempt_id=attempt_id, count=len(entries), compressed=blob
            )
        )

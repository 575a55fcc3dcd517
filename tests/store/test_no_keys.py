"""Keys never reach the database: only the key-set id is kept, and key objects are refused."""

from __future__ import annotations

import zlib

import pytest
from sqlalchemy import LargeBinary, String, cast, column, inspect, select, table

from station.keys import KeyPair, KeySet, SecretWord
from station.store import (
    AuditAction,
    MeasurementRecord,
    ParameterRecord,
    Store,
    StoreInputError,
)
from station.store.models import ParameterChanges
from tests.store.helpers import WallClock, passing_steps, start_record, step

KEYS = KeySet(
    id="line-2026",
    unseal=KeyPair.of(0xBEEF, 0xD00D),
    full_access=KeyPair.of(0xFACE, 0xC0DE),
)
#: how those words could appear if they leaked: hex (both orders), decimal, 32-bit pairs
LEAKS = ("beef", "d00d", "face", "c0de", "48879", "53261", "64206", "49374", "efbe", "0dd0")


def _every_text_value(store: Store) -> str:
    insp = inspect(store.engine)
    parts: list[str] = []
    with store.engine.connect() as conn:
        for name in insp.get_table_names():
            # Binary columns (hashes, compressed images) are not text; compressed text is
            # read below.
            cols = [
                c["name"] for c in insp.get_columns(name) if not isinstance(c["type"], LargeBinary)
            ]
            t = table(name, *(column(c) for c in cols))
            for row in conn.execute(select(*(cast(t.c[c], String) for c in cols))):
                parts.extend(str(v) for v in row if v is not None)
        # Parameter changes are compressed text: look inside them too.
        for (blob,) in conn.execute(select(ParameterChanges.compressed)):
            parts.append(zlib.decompress(blob).decode())
    return "\n".join(parts).lower()


def test_a_whole_attempt_keeps_the_key_set_id_and_no_key(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1", key_set_id=KEYS.id))
    for s in passing_steps(clock):
        store.record_step(attempt, s)
    store.record_parameters(attempt, [ParameterRecord("Device Name", "BQ40Z50", "PK4S")])
    store.audit(AuditAction.KEY_SET_CHANGED, "sam", "ST-01", KEYS.id, {"key_set": KEYS.id})
    store.finish_attempt(attempt, "PASS")  # type: ignore[arg-type]
    everything = _every_text_value(store)
    assert "line-2026" in everything
    assert "pk4s" in everything  # the compressed parameter changes were read
    for leak in LEAKS:
        assert leak not in everything


def test_key_objects_are_refused_wherever_they_could_slip_in(
    store: Store, clock: WallClock
) -> None:
    with pytest.raises(StoreInputError, match="never keys"):
        store.start_attempt(start_record("PK-1", key_set_id=KEYS))  # type: ignore[arg-type]
    attempt = store.start_attempt(start_record("PK-1"))
    with pytest.raises(StoreInputError, match="not a plain JSON value"):
        store.record_step(attempt, step(clock, 1, "unseal", details={"word": SecretWord(0xBEEF)}))
    with pytest.raises(StoreInputError, match="not a plain JSON value"):
        store.audit("KEY_SET_CHANGED", "sam", "ST-01", "line-2026", {"pair": KEYS.unseal})
    store.record_step(attempt, step(clock, 1, "unseal", measurements=(MeasurementRecord("ok"),)))
    assert "beef" not in _every_text_value(store)

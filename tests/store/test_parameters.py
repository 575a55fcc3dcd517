"""Parameter changes: kept as one compressed row per attempt, given back as they were recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from station.store import (
    ParameterDiff,
    ParameterRecord,
    RecordCorruptError,
    Store,
    StoreInputError,
)
from station.store.models import ParameterChanges
from tests.store.helpers import start_record

CHANGES = [
    ParameterRecord("Design Capacity mAh", "4400 mAh", "10500 mAh"),
    ParameterRecord("Device Name", '"BQ40Z50"', '"PK4S3P-3500"'),
    ParameterRecord("Cell Count", "4", "4", "cells"),
    ParameterRecord("Manufacturer Info A", None, '"PK4S-000001"'),
    ParameterRecord("Température max", "45", "50", "°C"),
]


def _rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ParameterChanges)).scalar_one())


def _parameters(store: Store, serial: str) -> list[ParameterDiff]:
    trace = store.trace(serial)
    assert trace is not None
    return list(trace.attempts[-1].parameters)


def test_changes_come_back_in_order_with_units_and_missing_values(store: Store) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_parameters(attempt, CHANGES)
    got = _parameters(store, "PK-1")
    assert got == [ParameterDiff(c.name, c.before, c.after, c.unit) for c in CHANGES]
    assert [p.changed for p in got] == [True, True, False, True, True]
    assert _rows(store) == 1


def test_values_are_kept_as_text(store: Store) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_parameters(attempt, [ParameterRecord("Cycle Count", 0, 12)])  # type: ignore[arg-type]
    assert _parameters(store, "PK-1") == [ParameterDiff("Cycle Count", "0", "12", "")]


def test_a_second_call_adds_to_the_same_row(store: Store) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_parameters(attempt, CHANGES[:2])
    store.record_parameters(attempt, CHANGES[2:])
    store.record_parameters(attempt, [])
    assert [p.name for p in _parameters(store, "PK-1")] == [c.name for c in CHANGES]
    assert _rows(store) == 1


def test_each_attempt_keeps_its_own_changes(store: Store) -> None:
    for serial in ("PK-1", "PK-2"):
        attempt = store.start_attempt(start_record(serial))
        store.record_parameters(attempt, [ParameterRecord("Serial Number", "0", serial)])
    assert _parameters(store, "PK-2") == [ParameterDiff("Serial Number", "0", "PK-2", "")]
    assert _rows(store) == 2


def test_a_parameter_is_recorded_once_per_attempt(store: Store) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    twice = [CHANGES[0], ParameterRecord(CHANGES[0].name, "1", "2")]
    with pytest.raises(StoreInputError, match="recorded twice"):
        store.record_parameters(attempt, twice)
    store.record_parameters(attempt, CHANGES[:1])
    with pytest.raises(StoreInputError, match="recorded twice"):
        store.record_parameters(attempt, CHANGES[:1])
    assert len(_parameters(store, "PK-1")) == 1


def test_names_are_checked(store: Store) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    with pytest.raises(StoreInputError, match="128"):
        store.record_parameters(attempt, [ParameterRecord("x" * 129, "1", "2")])
    with pytest.raises(StoreInputError, match="name"):
        store.record_parameters(attempt, [ParameterRecord(" ", "1", "2")])
    assert _rows(store) == 0


def test_a_damaged_row_is_reported_not_shown_wrong(store: Store) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_parameters(attempt, CHANGES)
    with store.engine.begin() as conn:
        conn.execute(update(ParameterChanges).values(compressed=b"not zlib"))
    with pytest.raises(RecordCorruptError, match=f"attempt {attempt}"):
        store.trace("PK-1")

"""The read-only handle: the database refuses every write made through it, it never creates a
database or a folder, it refuses a schema that is not this software's, and its searches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from station.store import (
    AttemptOutcome,
    ReportFilter,
    SchemaError,
    Store,
    StoreInputError,
    StoreUnavailableError,
    make_engine,
)
from station.store.reader import StoreReader
from tests.store.helpers import WallClock, run_attempt

WRITES = [
    "INSERT INTO packs (serial, first_seen) SELECT 'X-1', first_seen FROM packs",
    "UPDATE attempts SET outcome = 'PASS'",
    "DELETE FROM attempts",
    "CREATE TABLE sneaky (x INTEGER)",
    "DROP TABLE serial_claims",
]


@pytest.fixture
def reader(store: Store, store_url: str, clock: WallClock) -> StoreReader:
    run_attempt(store, clock, "PK-0001")
    with StoreReader.open(store_url, now=clock) as opened:
        yield opened


@pytest.mark.parametrize("statement", WRITES)
def test_the_database_refuses_every_write_made_through_the_reader(
    reader: StoreReader, store: Store, statement: str
) -> None:
    # Even SQL that goes around the store's own functions: the connection itself is read-only.
    with pytest.raises(DBAPIError) as refused, reader.engine.begin() as conn:
        conn.execute(text(statement))
    message = str(refused.value.orig).lower()
    assert "read-only" in message or "readonly" in message or "query_only" in message
    trace = store.trace("PK-0001")
    assert trace is not None
    assert [a.summary.outcome for a in trace.attempts] == ["PASS"]
    assert store.trace("X-1") is None


def test_reads_work_while_the_station_writes(
    reader: StoreReader, store: Store, clock: WallClock
) -> None:
    run_attempt(store, clock, "PK-0002")
    found = reader.trace("PK-0002")
    assert found is not None
    assert found.attempts[0].summary.serial == "PK-0002"


def test_a_missing_sqlite_file_is_neither_created_nor_its_folder(tmp_path: Path) -> None:
    where = tmp_path / "no-such-folder" / "station.sqlite3"
    with pytest.raises(StoreUnavailableError) as refused:
        StoreReader.open(f"sqlite:///{where}")
    assert "no database file" in str(refused.value)
    assert not where.parent.exists()


def test_an_empty_database_is_refused_without_being_changed(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="no station schema"):
        StoreReader.open(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_in_memory_and_unknown_databases_are_refused() -> None:
    with pytest.raises(StoreInputError, match="names no database file"):
        StoreReader.open("sqlite://")
    with pytest.raises(StoreInputError, match="not a database URL"):
        StoreReader.open("station.sqlite3")


def test_serial_search_finds_prefixes_only(store: Store, store_url: str, clock: WallClock) -> None:
    for serial in ("PK-0010", "PK-0011", "PK-0100", "PK_0010", "QK-0010", "PK%0010"):
        run_attempt(store, clock, serial)
    with StoreReader.open(store_url, now=clock) as reader:
        assert reader.find_serials("PK-001") == ["PK-0010", "PK-0011"]
        assert reader.find_serials(" PK-0100 ") == ["PK-0100"]
        # LIKE's wildcards in what was typed are plain characters
        assert reader.find_serials("PK_") == ["PK_0010"]
        assert reader.find_serials("PK%") == ["PK%0010"]
        assert reader.find_serials("") == []
        assert reader.find_serials("ZZ") == []
        assert reader.find_serials("PK", limit=2) == ["PK%0010", "PK-0010"]


def test_stations_and_recipes_are_listed_once_each(
    store: Store, store_url: str, clock: WallClock
) -> None:
    for n, (station, socket, recipe) in enumerate(
        [("ST-02", "A", "pack-b"), ("ST-01", "B", "pack-a"), ("ST-01", "A", "pack-b")]
    ):
        run_attempt(store, clock, f"PK-{n}", station_id=station, socket=socket, recipe_name=recipe)
    with StoreReader.open(store_url, now=clock) as reader:
        assert reader.stations() == ["ST-01", "ST-02"]
        assert reader.recipes() == ["pack-a", "pack-b"]


def test_one_pack_can_be_exported(store: Store, store_url: str, clock: WallClock) -> None:
    run_attempt(store, clock, "PK-A", AttemptOutcome.FAIL, failure_code="CELL_COUNT")
    run_attempt(store, clock, "PK-B")
    run_attempt(store, clock, "PK-A")
    with StoreReader.open(store_url, now=clock) as reader:
        rows = list(reader.export(ReportFilter(serial="PK-A")))
        assert [(r.serial, r.attempt_no, r.outcome) for r in rows] == [
            ("PK-A", 1, "FAIL"),
            ("PK-A", 2, "PASS"),
        ]
        measured = list(reader.export_measurements(ReportFilter(serial="PK-B")))
        assert {m.serial for m in measured} == {"PK-B"}
        assert list(reader.export(ReportFilter(serial="PK-NONE"))) == []
    assert store.report(ReportFilter(serial="PK-A")).attempts == 2


def test_an_unreachable_server_is_said_so_for_a_reader() -> None:
    with pytest.raises(StoreUnavailableError) as refused:
        StoreReader.open("postgresql+psycopg://nobody@127.0.0.1:1/traceability")
    message = str(refused.value)
    assert "cannot be reached" in message
    assert "nothing was changed" in message
    assert "program packs" not in message

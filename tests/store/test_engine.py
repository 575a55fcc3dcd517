"""Engines: SQLite pragmas on this engine only, folders created, unreachable databases refused
with a message that says what it means and what to check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from station.store import (
    AttemptOutcome,
    SchemaError,
    Store,
    StoreInputError,
    StoreUnavailableError,
    make_engine,
)
from station.store.database import Database
from tests.store.helpers import WallClock, run_attempt, start_record


def test_sqlite_pragmas_are_set_on_every_connection(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.sqlite3", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
    engine.dispose()


def test_pragmas_belong_to_the_store_engine_only(tmp_path: Path) -> None:
    make_engine(f"sqlite:///{tmp_path}/a.sqlite3").dispose()
    other = create_engine(f"sqlite:///{tmp_path}/b.sqlite3")
    with other.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 0
    other.dispose()


def test_relative_sqlite_path_creates_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open("sqlite:///var/lib/station/t.sqlite3"):
        pass
    assert (tmp_path / "var" / "lib" / "station" / "t.sqlite3").is_file()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO steps (attempt_id, ordinal, name, kind, outcome, started_at, "
                "ended_at, duration_s, message, details) VALUES (999, 1, 'x', '', 'PASS', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, '', '{}')"
            )
        )


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(StoreInputError, match="in-memory"):
        make_engine("sqlite://")
    with pytest.raises(StoreInputError, match="in-memory"):
        make_engine("sqlite:///:memory:")


def test_not_a_url_is_refused() -> None:
    with pytest.raises(StoreInputError, match="not a database URL"):
        make_engine("station.sqlite3")


def test_unreachable_postgresql_is_a_clear_typed_error() -> None:
    url = "postgresql+psycopg://station:s3cret-pw@127.0.0.1:1/traceability"
    with pytest.raises(StoreUnavailableError) as caught:
        Store.open(url)
    err = caught.value
    message = str(err)
    assert err.failure_code == "DB_UNAVAILABLE"
    assert "cannot be reached" in message
    assert "will not program packs it cannot record" in message
    assert "database server is running" in message
    assert "127.0.0.1:1" in message
    assert "s3cret-pw" not in message


def test_sqlite_folder_that_cannot_be_created_is_unavailable() -> None:
    with pytest.raises(StoreUnavailableError, match="folder cannot be created"):
        Store.open("sqlite:////proc/no-such-dir/station.sqlite3")


def test_locked_database_during_an_operation_is_unavailable_not_silent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/locked.sqlite3"
    Store.open(url).close()
    store = Store(Database(make_engine(url, busy_timeout_ms=50), now_source=WallClock()))
    blocker = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailableError, match="locked") as caught:
            store.start_attempt(start_record())
        assert "will not program packs" in str(caught.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # Once the database is free again, the same store works: nothing was written elsewhere.
    run_attempt(store, WallClock(), "PK-AFTER", AttemptOutcome.FAIL, failure_code="X")
    assert [a.serial for a in store.export()] == ["PK-AFTER"]
    store.close()


def test_database_without_schema_says_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    with pytest.raises(SchemaError, match="station db upgrade"):
        Store.open(url, upgrade=False)
    raw = Store(Database(make_engine(url)))
    with pytest.raises(SchemaError, match="station db upgrade"):
        raw.trace("PK-1")
    raw.close()

"""``station db``, ``station trace``, ``station report`` and ``station export`` through click's
runner, on SQLite files filled through the store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from station.cli.store import register
from station.store import (
    EXPORT_COLUMNS,
    AttemptOutcome,
    LabelOutcome,
    ParameterRecord,
    Store,
    head_revision,
)
from tests.store.helpers import WallClock, passing_steps, run_attempt, start_record


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STATION_CONFIG", "STATION_DB"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def station() -> click.Group:
    group = click.Group("station")
    register(group)
    return group


def run(station: click.Group, *args: str) -> Result:
    return CliRunner().invoke(station, list(args))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A line's morning: PK-1 fails then passes (with images, changes, a label), PK-2 passes."""
    url = f"sqlite:///{tmp_path}/line.sqlite3"
    clock = WallClock()
    with Store.open(url, now=clock) as store:
        store.release_recipe("pack-4s2p", "1.2", "a" * 64, "text", "eve")
        run_attempt(
            store,
            clock,
            "PK-1",
            AttemptOutcome.FAIL,
            failure_code="BUS_NACK",
            failing_step="identify",
            seconds=20,
        )
        attempt = store.start_attempt(start_record("PK-1", started_at=clock()))
        store.link_images(
            attempt,
            before=store.store_image(b"\xff" * 512, 0x4000),
            after=store.store_image(b"\x5a" * 512, 0x4000),
        )
        for s in passing_steps(clock):
            store.record_step(attempt, s)
        store.record_parameters(
            attempt,
            [
                ParameterRecord("Design Capacity", "4400", "5000", "mAh"),
                ParameterRecord("Cell Count", "4", "4"),
            ],
        )
        store.finish_attempt(attempt, AttemptOutcome.PASS, cycle_time_s=40)
        store.record_label(attempt, "zebra:line1", LabelOutcome.PRINTED, by="alice")
        clock.advance(hours=3)  # 09:00
        run_attempt(store, clock, "PK-2", seconds=30, lot="LOT-B")
    return url


def test_db_upgrade_creates_then_does_nothing(station: click.Group, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/station.sqlite3"
    first = run(station, "db", "current", "--db", url)
    assert first.exit_code == 0, first.output
    assert "no database there yet" in first.output
    assert "station db upgrade" in first.output
    assert not (tmp_path / "new").exists()  # looking created nothing
    head = head_revision()
    created = run(station, "db", "upgrade", "--db", url)
    assert created.exit_code == 0, created.output
    assert f"upgraded schema (empty) -> {head}" in created.output
    again = run(station, "db", "upgrade", "--db", url)
    assert f"already at schema {head}" in again.output
    current = run(station, "db", "current", "--db", url)
    assert current.exit_code == 0
    assert f"schema {head} (current)" in current.output


def test_db_current_flags_a_foreign_schema(station: click.Group, db: str) -> None:
    with Store.open(db) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    result = run(station, "db", "current", "--db", db)
    assert result.exit_code == 1
    assert f"schema 0000; this software uses {head_revision()}" in result.output


def test_database_comes_from_the_configuration(
    station: click.Group, db: str, tmp_path: Path
) -> None:
    config = tmp_path / "station.toml"
    config.write_text(f'database = "{db}"\n', encoding="utf-8")
    result = run(station, "report", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "attempts           3" in result.output


def test_trace_shows_every_attempt_in_full(station: click.Group, db: str) -> None:
    result = run(station, "trace", "PK-1", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Pack PK-1" in out
    assert "2 attempt(s)" in out
    assert "Attempt 1 (id 1): FAIL [BUS_NACK] at step 'identify'" in out
    assert "Attempt 2 (id 2): PASS" in out
    assert f"recipe pack-4s2p 1.2 (released) sha256 {'a' * 64}" in out
    assert "key set line-2026" in out
    assert "Voltage" in out
    assert "15120 mV" in out
    assert "[14000 .. 16800]" in out
    assert "parameters: 1 changed, 1 unchanged" in out
    assert "* Design Capacity" in out
    assert "4400 -> 5000 mAh" in out
    assert "Cell Count" not in out  # unchanged: only with --all-parameters
    assert "BEFORE      0x4000 +512 bytes" in out
    assert "AFTER" in out
    assert "PRINTED  zebra:line1  by alice" in out
    everything = run(station, "trace", "PK-1", "--db", db, "--all-parameters")
    assert "Cell Count" in everything.output


def test_trace_as_json(station: click.Group, db: str) -> None:
    result = run(station, "trace", "PK-1", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["serial"] == "PK-1"
    assert [a["summary"]["outcome"] for a in data["attempts"]] == ["FAIL", "PASS"]
    assert data["attempts"][1]["parameters"][0]["after"] == "5000"
    assert data["attempts"][1]["images"][0]["role"] == "BEFORE"


def test_trace_of_an_unknown_pack_fails(station: click.Group, db: str) -> None:
    result = run(station, "trace", "PK-404", "--db", db)
    assert result.exit_code == 1
    assert "PK-404 is not in the traceability database" in result.output


def test_report_text(station: click.Group, db: str) -> None:
    result = run(station, "report", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "attempts           3  (on 2 packs)" in out
    assert (
        "first-pass yield   50.0 %  (1 of 2 packs passed their first attempt; PASS over PASS + "
        "FAIL + ERROR)" in out
    )
    assert "failed             1  (FAIL and ERROR)" in out
    assert "aborted            0" in out
    assert "median cycle time  30.0 s" in out
    assert "1  BUS_NACK" in out
    assert "1  identify" in out


def test_report_filters_and_json(station: click.Group, db: str) -> None:
    result = run(station, "report", "--db", db, "--json", "--since", "2026-07-01T08:00Z")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["attempts"], data["passed"], data["first_pass_yield"]) == (1, 1, 1.0)
    assert data["filters"]["since"] == "2026-07-01T08:00:00+00:00"
    by_lot = json.loads(run(station, "report", "--db", db, "--json", "--lot", "LOT-B").output)
    assert by_lot["attempts"] == 1
    day = run(station, "report", "--db", db, "--since", "2026-07-01", "--until", "2026-07-01")
    assert "attempts           3" in day.output  # a bare --until date includes that day
    before = run(station, "report", "--db", db, "--until", "2026-06-30")
    assert "attempts           0" in before.output


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_bad_dates_are_usage_errors(station: click.Group, db: str, option: str) -> None:
    result = run(station, "report", "--db", db, option, "2026-13-45")
    assert result.exit_code == 2
    assert "is not an ISO date or date-time" in result.output
    result = run(station, "export", "--format", "csv", "--db", db, option, "yesterday")
    assert result.exit_code == 2


def test_until_before_since_is_a_usage_error(station: click.Group, db: str) -> None:
    result = run(station, "report", "--db", db, "--since", "2026-07-02", "--until", "2026-07-01")
    assert result.exit_code == 2
    assert "is not after --since" in result.output


def test_export_csv(station: click.Group, db: str) -> None:
    result = run(station, "export", "--format", "csv", "--db", db)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["serial"], r["outcome"], r["failure_code"]) for r in rows] == [
        ("PK-1", "FAIL", "BUS_NACK"),
        ("PK-1", "PASS", ""),
        ("PK-2", "PASS", ""),
    ]
    assert rows[1]["before_image_sha256"] != ""
    assert rows[1]["label_state"] == "PRINTED"


def test_export_json_measurements_to_a_file(station: click.Group, db: str, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    result = run(
        station,
        "export",
        "--format",
        "json",
        "--rows",
        "measurements",
        "--db",
        db,
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "exported 2 measurements" in result.output
    data = json.loads(out.read_text())
    assert [(m["serial"], m["name"], m["value"], m["outcome"]) for m in data] == [
        ("PK-1", "Voltage", 15_120.0, "PASS"),
        ("PK-2", "Voltage", 15_120.0, "PASS"),
    ]
    assert not list(tmp_path.glob("*.partial"))


def test_export_of_nothing_is_valid_json(station: click.Group, db: str) -> None:
    result = run(station, "export", "--format", "json", "--db", db, "--station", "ST-99")
    assert result.exit_code == 0
    assert json.loads(result.output) == []


def test_unreachable_database_is_reported_not_traced(station: click.Group) -> None:
    url = "postgresql+psycopg://station:pw@127.0.0.1:1/traceability"
    result = run(station, "report", "--db", url)
    assert result.exit_code == 1
    assert "[DB_UNAVAILABLE]" in result.output
    assert "will not program packs" in result.output
    assert ":pw@" not in result.output


def test_read_only_commands_do_not_create_a_schema(station: click.Group, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    result = run(station, "trace", "PK-1", "--db", url)
    assert result.exit_code == 1
    assert "station db upgrade" in result.output
    assert "no database there yet" in run(station, "db", "current", "--db", url).output
    assert not (tmp_path / "empty.sqlite3").exists()


def test_bad_url_is_a_usage_error(station: click.Group) -> None:
    result = run(station, "report", "--db", "station.sqlite3")
    assert result.exit_code == 2
    assert "not a database URL" in result.output


def test_commands_are_registered_on_the_station_command() -> None:
    from station.cli import cli

    for name in ("db", "trace", "report", "export"):
        assert name in cli.commands

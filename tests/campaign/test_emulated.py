"""Emulated packs never mix with real ones.

A run on the emulator is marked in the database. It never stands for the real pack with the same
serial (no SERIAL_ALREADY_PASSED for it), never counts in reports or exports unless asked, and a
database declared a production one refuses emulated runs and demo releases outright, whatever the
configuration of the station that tries.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.bus.spec import OpenedBus
from station.cli import cli
from station.config import ConfigError, StationConfig
from station.sequence import open_service
from station.sequence.events import Outcome
from station.store import AttemptOutcome, AuditAction, Store
from tests.sequence.conftest import Bench, make_bench

SERIAL = "PK4S-000123"


def as_real_hardware(bench: Bench) -> None:
    """The same socket, now with a real pack: a /dev/i2c bus (the emulator stands in for the
    adapter, saying it is not one)."""
    emulated = bench.socket.bus_factory
    assert emulated is not None

    def real() -> OpenedBus:
        opened = emulated()
        opened.emulated = False
        return opened

    bench.socket.config = replace(bench.socket.config, bus="/dev/i2c-1")
    bench.socket.bus_factory = real
    bench.new_pack()


def test_an_emulated_pass_does_not_block_the_real_pack(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    demo = bench.run(SERIAL)
    assert demo.outcome is Outcome.PASS
    as_real_hardware(bench)
    real = bench.run(SERIAL)
    # The real pack is taken on, not refused as already passed: it gets as far as the write,
    # where the shipped (unverified) profile stops real hardware, as it should.
    assert real.failure is not None
    assert real.failure.code == "UNVERIFIED_ADDRESS", real.failure
    history = bench.store.pack_history(SERIAL)
    assert [a.emulated for a in history] == [True, False]
    assert bench.store.last_pass(SERIAL) is None  # no real pack passed
    assert bench.store.last_pass(SERIAL, emulated=True) is not None


def test_emulated_attempts_are_left_out_of_reports_and_exports_unless_asked(
    tmp_path: Path,
) -> None:
    bench = make_bench(tmp_path)
    assert bench.run(SERIAL).outcome is Outcome.PASS
    store = bench.store
    assert store.report().attempts == 0
    assert list(store.export()) == []
    assert list(store.export_measurements()) == []
    assert store.report(include_emulated=True).attempts == 1
    (row,) = store.export(include_emulated=True)
    assert row.emulated is True
    db = f"sqlite:///{tmp_path}/station.sqlite3"
    runner = CliRunner()
    plain = runner.invoke(cli, ["report", "--db", db], catch_exceptions=False)
    assert "attempts           0" in plain.output
    asked = runner.invoke(cli, ["report", "--include-emulated", "--db", db])
    assert "attempts           1" in asked.output
    trace = runner.invoke(cli, ["trace", SERIAL, "--db", db])
    assert "EMULATED" in trace.output


def test_a_production_database_refuses_runs_on_the_emulator(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.store.mark_production(by="install", station="ST-T1")
    result = bench.run(SERIAL)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.code == "EMULATED_ON_PRODUCTION"
    assert bench.device.transaction_count == 0  # the pack was never touched
    assert bench.store.pack_history(SERIAL) == []
    refused = bench.store.audit_entries(action="SERIAL_REFUSED")
    assert refused[0].detail["code"] == "EMULATED_ON_PRODUCTION"


def test_a_production_station_marks_its_database_for_every_other_station(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in list(os.environ):
        if var.startswith("STATION_") and var != "STATION_TEST_PG_URL":
            monkeypatch.delenv(var)
    line = StationConfig(
        station_id="ST-LINE",
        bus="/dev/i2c-1",
        database=f"sqlite:///{tmp_path}/line.sqlite3",
        production=True,
        recipes=str(tmp_path / "none"),
    )
    open_service(line, runs_packs=False).socket.store.close()
    with Store.open(line.database) as store:
        assert store.is_production()
        (mark,) = store.audit_entries(action=AuditAction.DATABASE_PRODUCTION)
    assert mark.station == "ST-LINE"
    # A laptop pointed at the line's database with the emulator and its own (non-production)
    # configuration: refused, demo or not.
    laptop = replace(line, station_id="ST-LAPTOP", bus="sim", production=False)
    for demo in (False, True):
        with pytest.raises(ConfigError, match="production database"):
            open_service(laptop, demo=demo)
    with Store.open(line.database) as store:
        assert store.released_recipes() == []  # no demo release slipped in
        assert store.report(include_emulated=True).attempts == 0
    # Reading from it is fine.
    reader = open_service(laptop, runs_packs=False)
    reader.socket.store.close()


def test_a_bus_plugin_that_turns_out_to_be_a_simulator_marks_its_attempt(
    tmp_path: Path,
) -> None:
    bench = make_bench(tmp_path)
    bench.socket.config = replace(bench.socket.config, bus="tests.gauge.plugin_bus:make")
    result = bench.run(SERIAL)
    assert result.outcome is Outcome.PASS
    (attempt,) = bench.store.pack_history(SERIAL)
    assert attempt.emulated is True
    assert attempt.outcome is AttemptOutcome.PASS

"""``station gauge calibrate``: a bench calibration on the emulator, with simulated and
operator-typed instruments, and its refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from station.cli import cli
from tests.recipe.helpers import variant

SECTION = """
[calibration]
items = ["cell_voltage", "bat_voltage", "cc_offset", "board_offset", "cc_gain"]
temperature_sensors = ["TS1"]
reference_current = "-2000 mA"
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STATION_CONFIG", "STATION_KEYS", "STATION_BUS", "STATION_PEC",
                "STATION_INSTRUMENTS", "STATION_SOCKET"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    return variant(tmp_path, ("[backup]", SECTION + "\n[backup]"), name="cal.toml")


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["gauge", "calibrate", *args], input=stdin)


def test_bench_calibration_prints_before_and_after(recipe: Path) -> None:
    result = run("--recipe", str(recipe), "--bus", "sim:uncalibrated")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Before: cells 3723, 3720, 3722" in out  # this pack's own gain error
    assert "After:  cells 3702, 3699, 3701" in out  # its true cells
    assert "Calibration:Current:CC Gain: 3.58422 → " in out
    assert "current: -2001 mA vs -2000 mA" in out or "current: -2000 mA vs -2000 mA" in out
    assert "CALIBRATION PASS" in out
    assert "gauge put back to SEALED" in out


def test_reversed_shunt_fails_with_the_reason(recipe: Path) -> None:
    result = run("--recipe", str(recipe), "--bus", "sim:reversed-shunt")
    assert result.exit_code == 1
    assert "[CALIBRATION]" in result.output
    assert "negative" in result.output
    assert "nothing was written" in result.output


def test_a_recipe_without_calibration_is_refused(tmp_path: Path) -> None:
    result = run("--recipe", str(variant(tmp_path)), "--bus", "sim:uncalibrated")
    assert result.exit_code == 2
    assert "no [calibration] section" in result.output


def instruments(tmp_path: Path, due: dt.date) -> Path:
    path = tmp_path / "instruments.toml"
    path.write_text(f"""
[[instrument]]
name = "fixture"
backend = "simulated"
quantities = ["voltage", "current"]
due = {due.isoformat()}

[[instrument]]
name = "thermometer"
backend = "manual"
model = "Fluke 54 II"
serial = "3456789"
quantities = ["temperature"]
due = {due.isoformat()}
windows = {{ temperature = [15, 35] }}

[sockets.A]
voltage = "fixture"
current = "fixture"
temperature = "thermometer"
""")
    return path


def test_operator_types_the_thermometer(
    recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = dt.date.today() + dt.timedelta(days=90)
    monkeypatch.setenv("STATION_INSTRUMENTS", str(instruments(tmp_path, due)))
    # read twice around the sensor read, then once for the check afterwards
    result = run("--recipe", str(recipe), "--bus", "sim:uncalibrated", stdin="25.0\n25,0\n25\n")
    assert result.exit_code == 0, result.output
    assert "temperature on Fluke 54 II s/n 3456789, in °C (15…35)" in result.output
    assert "thermometer: Fluke 54 II s/n 3456789" in result.output


def test_instrument_past_due_is_refused(
    recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = dt.date.today() - dt.timedelta(days=1)
    monkeypatch.setenv("STATION_INSTRUMENTS", str(instruments(tmp_path, due)))
    result = run("--recipe", str(recipe), "--bus", "sim:uncalibrated")
    assert result.exit_code == 1
    assert "[INSTRUMENT_PAST_DUE]" in result.output
    assert "'fixture' was due for calibration" in result.output


def station(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_program_with_calibration_then_trace_report_and_recipe_show(
    recipe: Path, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    for n in (1, 2):
        done = station(
            "program", "--bus", "sim:uncalibrated", "--recipe", str(recipe), "--serial",
            f"PK4S-00000{n}", "--operator", "alice", "--lot", "LOT-C", "--db", db,
            "--printer", f"file:{tmp_path}/labels",
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        assert "PASS    Calibrate" in done.output
    trace = station("trace", "PK4S-000001", "--db", db).output
    assert "  calibration:" in trace
    assert "by sim-voltage: packline simulated" in trace
    assert "cc_gain        3.58422 -> 3.5" in trace
    assert "residual errors after calibration:" in trace
    report = station("report", "--db", db, "--include-emulated").output
    assert "calibration per lot (mean, sigma, min, max over the attempts):" in report
    assert "lot LOT-C      cc_gain                n=2" in report
    show = station("recipe", "show", str(recipe)).output
    assert "steps (TI order): cell voltage → bat voltage → cc offset → board offset → cc gain" in (
        show
    )


def test_program_asks_for_the_manual_thermometer(
    recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = dt.date.today() + dt.timedelta(days=30)
    monkeypatch.setenv("STATION_INSTRUMENTS", str(instruments(tmp_path, due)))
    done = CliRunner().invoke(
        cli,
        ["program", "--bus", "sim:uncalibrated", "--recipe", str(recipe), "--serial",
         "PK4S-000001", "--operator", "alice", "--db", f"sqlite:///{tmp_path}/db.sqlite3",
         "--printer", f"file:{tmp_path}/labels"],
        input="25.0\n25.0\n25.0\n",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "temperature on Fluke 54 II s/n 3456789, in °C (15…35)" in done.output
    assert "PASS: pack PK4S-000001" in done.output

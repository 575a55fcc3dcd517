"""The command line and its logs: where each command's records go, ``-v``, ``station logs``,
``--bus-trace``, and a station fault said in words with its traceback only in the log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import station.cli as station_cli
import station.sequence as sequence
from station.cli import cli, main
from station.logs.files import parse_entries
from station.recipe.product.recipe_loader import load_recipe
from station.tui import StationApp
from tests.leaks import leaked_anywhere

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "pk4s3p-3500.toml"


@pytest.fixture(autouse=True)
def _station_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in list(os.environ):
        if var.startswith("STATION_") and var != "STATION_TEST_PG_URL":
            monkeypatch.delenv(var)
    monkeypatch.setenv("STATION_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("STATION_DB", f"sqlite:///{tmp_path}/db.sqlite3")
    monkeypatch.setenv("STATION_PRINTER", f"file:{tmp_path}/labels")
    monkeypatch.chdir(tmp_path)


def station(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="station")


def program(serial: str = "PK4S-000123", *before: str, after: tuple[str, ...] = ()) -> Result:
    return station(
        *before,
        "program",
        "--bus",
        "sim",
        "--recipe",
        str(RECIPE),
        "--serial",
        serial,
        "--operator",
        "alice",
        *after,
    )


def log_text(tmp_path: Path) -> str:
    return (tmp_path / "logs" / "station.log").read_text(encoding="utf-8")


def test_a_command_logs_to_the_file_and_prints_records_only_when_asked(tmp_path: Path) -> None:
    quiet = program()
    assert quiet.exit_code == 0, quiet.output
    assert "station.run" not in quiet.stderr
    assert "attempt=1 serial=PK4S-000123" in log_text(tmp_path)
    loud = program("PK4S-000124", "-v")
    assert loud.exit_code == 0, loud.output
    assert "INFO    station.run [station=ST-01 socket=A attempt=2 serial=PK4S-000124" in (
        loud.stderr
    )
    assert "PASS: pack PK4S-000124 (attempt 2)" in loud.stdout  # the events, as before


def test_station_logs_tells_one_attempts_story(tmp_path: Path) -> None:
    assert program("PK4S-000123").exit_code == 0
    assert program("PK4S-000124").exit_code == 0
    shown = station("logs", "--attempt", "2", "--source", "file")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    short_hash = load_recipe(RECIPE).content_hash[:12]
    assert lines[0].endswith(
        f"attempt 2 started: pack PK4S-000124, recipe pk4s3p-3500 1.0.0 ({short_hash}), "
        "operator alice"
    )
    assert "step verify PASS in " in shown.stdout
    assert lines[-1].split("] ", 1)[1].startswith("attempt 2 ended PASS")
    assert all("attempt 2 PK4S-000124" in line for line in lines)
    by_serial = station("logs", "--serial", "PK4S-000123", "--source", "file")
    assert "attempt 1 started" in by_serial.stdout
    assert "PK4S-000124" not in by_serial.stdout
    none = station("logs", "--attempt", "99", "--source", "file")
    assert none.stdout == ""
    assert "no log records match" in none.stderr


def test_station_logs_refuses_a_time_it_cannot_read() -> None:
    done = CliRunner().invoke(cli, ["logs", "--since", "last night"])
    assert done.exit_code == 2
    assert "use 2026-03-01" in done.output


def test_reading_logs_leaves_no_log_file_behind(tmp_path: Path) -> None:
    # `sudo station logs` must not create a root-owned station.log the station cannot write.
    assert station("logs", "--source", "file").exit_code == 0
    assert not (tmp_path / "logs" / "station.log").exists()


def test_bus_trace_of_a_program_run_hides_the_keys(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    done = program(after=("--bus-trace", str(trace)))
    assert done.exit_code == 0, done.output
    text = trace.read_text(encoding="utf-8")
    assert "attempt 1, pack PK4S-000123" in text
    assert text.count("W: 00 <key> |") == 2  # ti-default unseal: two key words
    assert leaked_anywhere([0x0414, 0x3672], text) == []


def test_bus_trace_setting_traces_an_engineer_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "gauge.txt"
    monkeypatch.setenv("STATION_BUS_TRACE", str(trace))
    done = station("gauge", "unseal", "--bus", "sim", "--key-set", "ti-default")
    assert done.exit_code == 0, done.output
    text = trace.read_text(encoding="utf-8")
    assert "station gauge unseal at station ST-01, bus sim, PEC setting auto" in text
    assert text.count("W: 00 <key> |") == 2
    assert leaked_anywhere([0x0414, 0x3672], text) == []


def test_a_station_fault_in_a_command_is_said_in_words_and_logged_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise AttributeError("'NoneType' object has no attribute 'claim'")

    monkeypatch.setattr(sequence, "open_service", broken)
    done = CliRunner().invoke(cli, ["program", "--bus", "sim", "--recipe", str(RECIPE),
                                    "--serial", "PK4S-000123", "--operator", "alice"],
                              prog_name="station")  # fmt: skip
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert "station fault: unexpected AttributeError" in done.stderr
    assert "call a technician" in done.stderr
    assert str(tmp_path / "logs" / "station.log") in done.stderr
    assert "Traceback" not in done.output
    (fault,) = [e for e in parse_entries(log_text(tmp_path).splitlines()) if e.level == "CRITICAL"]
    assert fault.message.startswith("station fault in station program: AttributeError")
    assert "Traceback (most recent call last)" in fault.message
    assert "in broken" in fault.message


def test_the_entry_point_says_a_fault_that_escapes_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("the start-up itself broke")

    monkeypatch.setattr(station_cli, "start", broken)
    monkeypatch.setattr("sys.argv", ["station", "config", "check"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert "station fault: unexpected RuntimeError: the start-up itself broke" in err
    assert "Traceback" not in out + err


def test_the_terminal_never_prints_records_even_with_v(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_and_log(self: StationApp, *args: object, **kwargs: object) -> None:
        logging.getLogger("station.tui").warning("a warning while the terminal runs")

    monkeypatch.setattr(StationApp, "run", run_and_log)
    done = station("-vv", "run", "--demo", "--bus", "sim")
    assert done.exit_code == 0, done.output
    assert done.output == ""
    assert "a warning while the terminal runs" in log_text(tmp_path)


def test_the_terminal_exits_non_zero_when_a_fault_stopped_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def stopped(self: StationApp, *args: object, **kwargs: object) -> None:
        self._return_code = 1

    monkeypatch.setattr(StationApp, "run", stopped)
    assert CliRunner().invoke(cli, ["run", "--demo", "--bus", "sim"]).exit_code == 1


def test_a_fault_before_the_terminal_starts_is_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sequence, "open_service", broken)
    done = CliRunner().invoke(cli, ["run", "--demo", "--bus", "sim"])
    assert done.exit_code == 1
    assert "station fault: unexpected OSError" in done.stderr
    assert "call a technician" in done.stderr
    assert "Traceback" not in done.output
    assert "No space left on device" in log_text(tmp_path)


def test_a_command_that_logs_nothing_leaves_no_log_folder(tmp_path: Path) -> None:
    done = station("recipe", "validate", str(RECIPE))
    assert done.exit_code == 0, done.output
    assert not (tmp_path / "logs").exists()


def test_a_log_file_that_cannot_be_written_is_said_once_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("no folder can be made under a file")
    monkeypatch.setenv("STATION_LOG_DIR", str(tmp_path / "a-file" / "logs"))
    done = program()
    assert done.exit_code == 0, done.output  # the pack is not stopped by its log
    notes = [line for line in done.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1
    assert "log record(s) could not be written to" in notes[0]
    assert str(tmp_path / "a-file" / "logs" / "station.log") in notes[0]

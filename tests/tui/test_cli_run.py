"""``station run``: flags reach the service and the terminal; set-up errors exit 2 with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from station.tui import StationApp


def test_run_opens_the_service_and_starts_the_terminal_with_the_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[StationApp] = []
    monkeypatch.setattr(StationApp, "run", lambda self, *a, **k: started.append(self))
    monkeypatch.delenv("STATION_CONFIG", raising=False)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--demo",
            "--bus",
            "sim:3-cells",
            "--db",
            f"sqlite:///{tmp_path}/t.sqlite3",
            "--printer",
            f"file:{tmp_path}/labels",
            "--recipe",
            "pk4s3p-3500",
            "--operator",
            "OP-0042",
            "--lot",
            "WO-1",
        ],
    )
    assert result.exit_code == 0, result.output
    [app] = started
    assert (app.ctx.options.recipe, app.ctx.options.operator, app.ctx.options.lot) == (
        "pk4s3p-3500",
        "OP-0042",
        "WO-1",
    )
    assert app.ctx.info.bus == "sim:3-cells"
    assert app.ctx.info.emulated
    assert "pk4s3p-3500" in [r.name for r in app.ctx.service.released_recipes()]


def test_a_missing_config_file_exits_2_with_the_reason(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_demo_on_a_real_bus_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", "--demo", "--bus", "/dev/i2c-7", "--db", f"sqlite:///{tmp_path}/t.sqlite3"]
    )
    assert result.exit_code == 2
    assert "--demo runs on the emulator only" in result.output


def test_station_alone_starts_the_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[StationApp] = []
    monkeypatch.setattr(StationApp, "run", lambda self, *a, **k: started.append(self))
    monkeypatch.delenv("STATION_CONFIG", raising=False)
    monkeypatch.setenv("STATION_DB", f"sqlite:///{tmp_path}/t.sqlite3")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0, result.output
    assert len(started) == 1

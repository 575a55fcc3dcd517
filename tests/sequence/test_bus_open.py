"""A bus the station cannot open is the station's setting, named as such, not a defect: the scan is
refused before anything is written against the serial."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from station.sequence.events import Outcome, StepId
from tests.sequence.conftest import make_bench


def test_a_bus_that_cannot_be_opened_is_a_station_setting_not_a_defect(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    bench.socket.bus_factory = None
    bench.socket.config = replace(bench.socket.config, bus=f"sim?state={blocked}/pack.json")

    result = bench.run()

    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == ("BUS_OPEN", StepId.SERIAL)
    assert "state file cannot be written" in result.failure.reason
    assert "station config check" in result.failure.action
    assert result.attempt_id is None
    assert bench.store.trace("PK4S-000123") is None

"""A calibrating recipe with a manual reference thermometer on the operator terminal: the
operator types what the meter shows, the pack calibrates and passes; a value outside the meter's
plausibility window is refused and the pack is not sealed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from station.config import StationConfig
from station.sequence import open_service
from station.tui import LineOptions, StationApp, make_app
from station.tui.screens import LineScreen
from station.tui.screens.meter import MeterScreen
from station.tui.widgets import VerdictBanner
from tests.recipe.helpers import EXAMPLE_4S
from tests.tui.helpers import settle, text_of, type_and_enter, wait_until

SERIAL = "PK4S-000123"
SECTION = """
[calibration]
items = ["cell_voltage", "bat_voltage", "cc_offset", "board_offset", "cc_gain"]
temperature_sensors = ["TS1"]
reference_current = "-2000 mA"
"""
INSTRUMENTS = """
[[instrument]]
name = "fixture"
backend = "simulated"
quantities = ["voltage", "current"]
due = 2099-01-01

[[instrument]]
name = "thermometer"
backend = "manual"
model = "Fluke 54 II"
serial = "3456789"
quantities = ["temperature"]
windows = { temperature = [15, 35] }
due = 2099-01-01

[sockets.A]
voltage = "fixture"
current = "fixture"
temperature = "thermometer"
"""


def calibrating_app(tmp_path: Path) -> StationApp:
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    text = EXAMPLE_4S.read_text(encoding="utf-8").replace("[backup]", SECTION + "\n[backup]")
    (recipes / EXAMPLE_4S.name).write_text(text, encoding="utf-8")
    instruments = tmp_path / "instruments.toml"
    instruments.write_text(INSTRUMENTS, encoding="utf-8")
    config = StationConfig(
        bus="sim:uncalibrated",
        database=f"sqlite:///{tmp_path}/t.sqlite3",
        printer=f"file:{tmp_path}/labels",
        labels_dir=str(tmp_path / "labels"),
        recipes=str(recipes),
        instruments=str(instruments),
    )
    service = open_service(config, keys_path=None, demo=True)
    options = LineOptions(recipe="pk4s3p-3500", operator="OP-0001", lot="LOT-1", gauge_refresh_s=0)
    return make_app(service, options)


async def answer_meter(pilot: Any, value: str) -> str:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, MeterScreen), "the meter dialog")
    prompt = text_of(pilot, "#meter-prompt")
    await type_and_enter(pilot, value)
    return prompt


async def scan_pack(pilot: Any) -> LineScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LineScreen)
    await type_and_enter(pilot, SERIAL)
    return screen


async def test_the_operator_types_the_thermometer_and_the_pack_passes(tmp_path: Path) -> None:
    app = calibrating_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await scan_pack(pilot)
        # read before and after the sensors, then once for the check after writing
        prompt = await answer_meter(pilot, "25.0")
        assert "temperature on Fluke 54 II s/n 3456789, in °C (15…35)" in prompt
        await answer_meter(pilot, "25.0")
        await answer_meter(pilot, "25")
        await settle(pilot)
        assert screen.query_one(VerdictBanner).word == "PASS"
        assert screen.query_one("#scan", Input).has_focus


async def test_a_mistyped_reading_is_refused_and_the_pack_not_sealed(tmp_path: Path) -> None:
    app = calibrating_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await scan_pack(pilot)
        await answer_meter(pilot, "250")  # a decimal point lost
        await settle(pilot)
        assert screen.query_one(VerdictBanner).word == "ERROR"
        details = text_of(pilot, "#details")
        assert "outside the plausible 15…35" in details
        assert "INSTRUMENT_VALUE_REJECTED" in details
        assert "NOT sealed" in details

"""Trace view and engineer mode, on the real station service."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from station.tui.screens import BadgeScreen, EngineerScreen, LineScreen, TraceScreen
from station.tui.widgets import SectionsView
from tests.tui.helpers import focused_id, scan, settle, text_of, type_and_enter
from tests.tui.real_station import (
    ENGINEER,
    OPERATOR,
    PIN,
    RECIPE,
    REPO,
    RealStation,
    locked_app,
    open_station,
    station_app,
)

PASS_SERIAL = "PK4S-000123"
CELLS_SERIAL = "PK4S-000202"  # seated as a 3-cell pack


async def scan_packs(pilot: Pilot[Any], station: RealStation) -> None:
    """A 3-cell pack that fails, then one that passes."""
    station.pack = "3-cells"
    await scan(pilot, CELLS_SERIAL)
    station.pack = "default"
    await scan(pilot, PASS_SERIAL)


def has_row(shown: str, label: str, value: str) -> bool:
    """Whether a row ``label`` showing ``value`` (from its start) is on screen."""
    return re.search(rf"^ *{re.escape(label)} +{re.escape(value)}", shown, re.M) is not None


def sections_text(pilot: Pilot[Any], selector: str) -> str:
    return pilot.app.screen.query_one(selector, SectionsView).text()


async def test_trace_opens_the_record_of_the_last_pack_and_any_scanned_serial(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan_packs(pilot, station)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        shown = sections_text(pilot, "#trace-sections")
        assert f"Pack {PASS_SERIAL}" in shown
        assert has_row(shown, "cells seen", "4  [4..4] PASS")
        assert focused_id(pilot) == "trace-serial"

        await type_and_enter(pilot, CELLS_SERIAL)
        await settle(pilot)
        shown = sections_text(pilot, "#trace-sections")
        assert has_row(shown, "outcome", "FAIL [CELL_COUNT] at verify")
        assert has_row(shown, "cells seen", "3  [4..4] FAIL")

        await type_and_enter(pilot, "PK4S-999999")
        await settle(pilot)
        shown = sections_text(pilot, "#trace-sections")
        assert "Pack PK4S-999999" in shown
        assert "no attempt on this serial" in shown

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert focused_id(pilot) == "scan"


async def test_trace_from_the_selected_history_row(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan_packs(pilot, station)
        await pilot.press("tab")  # from the scan field to the history table
        assert focused_id(pilot) == "history-table"
        await pilot.press("down", "enter")  # the older row: the failed pack
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        assert app.screen.serial == CELLS_SERIAL
        assert "CELL_COUNT" in sections_text(pilot, "#trace-sections")


async def test_engineer_mode_refuses_an_operator_badge(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, BadgeScreen)
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert isinstance(app.screen, BadgeScreen)
        message = text_of(pilot, "#badge-message")
        assert "OP-0001" in message
        assert "OP-0001 is an operator badge: engineer mode needs an engineer badge" in message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert not app.use_command_palette


def hv_recipe(folder: Path) -> Path:
    """A new release of the shipped 4S recipe: another name and version, same pack."""
    text = (REPO / "recipes" / f"{RECIPE}.toml").read_text(encoding="utf-8")
    text = text.replace(f'name = "{RECIPE}"', 'name = "pk4s-hv"', 1)
    text = text.replace('version = "1.0.0"', 'version = "2.0.0"', 1)
    path = folder / "pk4s-hv.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_engineer_mode_with_an_engineer_badge(
    station: RealStation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the release path is typed relative to the terminal's folder
    hv_recipe(tmp_path)
    (tmp_path / "notes.txt").write_text("not a recipe", encoding="utf-8")
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await type_and_enter(pilot, ENGINEER)
        await settle(pilot)
        await type_and_enter(pilot, PIN)
        await settle(pilot)
        assert isinstance(app.screen, EngineerScreen)
        assert app.use_command_palette  # the palette is for engineers only
        shown = sections_text(pilot, "#gauge-sections")
        assert has_row(shown, "device type", "0x4500 (BQ40Z50)")
        assert has_row(shown, "temperature", "24.9 °C")

        station.pack = "hot"  # another pack, at 55 °C, is seated: a refresh reads it
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert has_row(sections_text(pilot, "#gauge-sections"), "temperature", "55.")

        await pilot.press("f7")
        assert "serial pattern" in sections_text(pilot, "#recipe-sections")
        station.pack = "default"
        await pilot.press("ctrl+d")
        await settle(pilot)
        diff = sections_text(pilot, "#diff-sections")
        assert has_row(diff, "Design Capacity mAh", "recipe 10500 mAh | pack 4400 mAh | DIFFERS")

        await pilot.press("f8")
        assert focused_id(pilot) == "release-path"
        await type_and_enter(pilot, "notes.txt")
        await settle(pilot)
        refused = text_of(pilot, "#release-message")
        assert "recipe refused" in refused
        assert "notes.txt:1: not valid TOML" in refused
        await type_and_enter(pilot, "pk4s-hv.toml")
        await settle(pilot)
        assert "Released pk4s-hv 2.0.0" in text_of(pilot, "#release-message")
        assert f"by {ENGINEER}" in text_of(pilot, "#release-message")
        assert "pk4s-hv" in [c.name for c in station.service.released_recipes()]

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert not app.use_command_palette


async def test_an_engineer_can_release_the_first_recipe_before_any_shift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new station: not the demo, nothing released; ENG-0001 is its engineer.
    station = open_station(tmp_path, demo=False, engineer_badges=(ENGINEER,))
    monkeypatch.chdir(tmp_path)
    hv_recipe(tmp_path)
    app = station_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "No recipe is released" in text_of(pilot, "#shift-message")
        await pilot.press("f9")
        await type_and_enter(pilot, ENGINEER)
        await settle(pilot)
        await type_and_enter(pilot, PIN)
        await settle(pilot)
        assert "No shift started" in sections_text(pilot, "#recipe-sections")
        await pilot.press("f8")
        await type_and_enter(pilot, "pk4s-hv.toml")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        first = str(app.screen.query_one("#recipes").get_option_at_index(0).prompt)
        assert "pk4s-hv 2.0.0" in first
    station.close()


async def test_the_gauge_timer_stops_while_engineer_mode_is_covered(
    station: RealStation,
) -> None:
    app = locked_app(station, gauge_refresh_s=60)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await type_and_enter(pilot, ENGINEER)
        await settle(pilot)
        await type_and_enter(pilot, PIN)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EngineerScreen)
        timer = screen.gauge_timer
        assert timer is not None
        assert timer._active.is_set()
        await pilot.press("ctrl+p")  # the palette covers the screen
        await pilot.pause()
        assert not timer._active.is_set()
        await pilot.press("escape")
        await pilot.pause()
        assert timer._active.is_set()


async def test_the_trace_screen_shows_the_running_shift(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        header = str(app.screen.query_one("#header-shift").render())
        assert "No shift started" not in header
        assert "Operator OP-0001" in header

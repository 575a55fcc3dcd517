"""Trace view and engineer mode."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from station.tui.screens import BadgeScreen, EngineerScreen, LineScreen, TraceScreen
from station.tui.widgets import SectionsView
from tests.tui.fake_service import CELLS_SERIAL, FAKE_PIN, PASS_SERIAL, FakeStationService
from tests.tui.helpers import (
    ENGINEER,
    OPERATOR,
    app_for,
    focused_id,
    line_app,
    scan,
    settle,
    text_of,
    type_and_enter,
)


def sections_text(pilot: Pilot[Any], selector: str) -> str:
    return pilot.app.screen.query_one(selector, SectionsView).text()


async def test_trace_opens_the_record_of_the_last_pack_and_any_scanned_serial(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan(pilot, CELLS_SERIAL)
        await scan(pilot, PASS_SERIAL)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        shown = sections_text(pilot, "#trace-sections")
        assert PASS_SERIAL in shown
        assert "Cell count = 4" in shown
        assert focused_id(pilot) == "trace-serial"

        await type_and_enter(pilot, CELLS_SERIAL)
        await settle(pilot)
        shown = sections_text(pilot, "#trace-sections")
        assert "CELL_COUNT" in shown
        assert "Cell count = 3 [4..4] FAIL" in shown

        await type_and_enter(pilot, "PK4S-999999")
        await settle(pilot)
        assert "No record of PK4S-999999" in sections_text(pilot, "#trace-sections")

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert focused_id(pilot) == "scan"


async def test_trace_from_the_selected_history_row(fake: FakeStationService) -> None:
    app = line_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan(pilot, CELLS_SERIAL)
        await scan(pilot, PASS_SERIAL)
        await pilot.press("tab")  # from the scan field to the history table
        assert focused_id(pilot) == "history-table"
        await pilot.press("down", "enter")  # the older row: the failed pack
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        assert app.screen.serial == CELLS_SERIAL
        assert "CELL_COUNT" in sections_text(pilot, "#trace-sections")


async def test_engineer_mode_refuses_an_operator_badge(fake: FakeStationService) -> None:
    app = line_app(fake)
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
        assert "needs a engineer badge" in message or "engineer badge" in message
        assert fake.gauge_reads == 0
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert not app.use_command_palette


async def test_engineer_mode_with_an_engineer_badge(
    fake: FakeStationService, tmp_path: Any
) -> None:
    app = line_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await type_and_enter(pilot, ENGINEER)
        await settle(pilot)
        await type_and_enter(pilot, FAKE_PIN)
        await settle(pilot)
        assert isinstance(app.screen, EngineerScreen)
        assert app.use_command_palette  # the palette is for engineers only
        assert fake.gauge_reads == 1
        assert "16201 mV" in sections_text(pilot, "#gauge-sections")

        await pilot.press("ctrl+r")
        await settle(pilot)
        assert fake.gauge_reads == 2
        assert "16202 mV" in sections_text(pilot, "#gauge-sections")

        await pilot.press("f7")
        assert "Serial pattern" in sections_text(pilot, "#recipe-sections")
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert fake.diffs == 1
        assert "Design Capacity mAh" in sections_text(pilot, "#diff-sections")

        await pilot.press("f8")
        assert focused_id(pilot) == "release-path"
        await type_and_enter(pilot, "notes.txt")
        await settle(pilot)
        assert "not a recipe file" in text_of(pilot, "#release-message")
        await type_and_enter(pilot, "recipes/pk4s-hv.toml")
        await settle(pilot)
        assert "Released PK4S-HV 2.0.0" in text_of(pilot, "#release-message")
        assert [(str(p), by) for p, by in fake.released] == [
            ("notes.txt", ENGINEER),
            ("recipes/pk4s-hv.toml", ENGINEER),
        ]

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert not app.use_command_palette


async def test_an_engineer_can_release_the_first_recipe_before_any_shift() -> None:
    fake = FakeStationService(recipes=[])
    app = app_for(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "No recipe is released" in text_of(pilot, "#shift-message")
        await pilot.press("f9")
        await type_and_enter(pilot, ENGINEER)
        await settle(pilot)
        await type_and_enter(pilot, FAKE_PIN)
        await settle(pilot)
        assert "No shift started" in sections_text(pilot, "#recipe-sections")
        await pilot.press("f8")
        await type_and_enter(pilot, "recipes/first.toml")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert "FIRST 2.0.0" in str(app.screen.query_one("#recipes").get_option_at_index(0).prompt)


async def test_the_gauge_timer_stops_while_engineer_mode_is_covered(
    fake: FakeStationService,
) -> None:
    app = line_app(fake, gauge_refresh_s=60)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await type_and_enter(pilot, ENGINEER)
        await settle(pilot)
        await type_and_enter(pilot, FAKE_PIN)
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


async def test_the_trace_screen_shows_the_running_shift(fake: FakeStationService) -> None:
    app = line_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        header = str(app.screen.query_one("#header-shift").render())
        assert "No shift started" not in header
        assert "Operator OP-0001" in header

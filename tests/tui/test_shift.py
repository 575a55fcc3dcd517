"""A whole shift without quitting, and every screen whole at 80×24 and 120×40."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer

from station.tui.screens import LineScreen, ShiftStartScreen
from station.tui.screens.shift_change import QuitScreen
from station.tui.widgets import MeasurementTable
from tests.tui.helpers import (
    badge_and_pin,
    line,
    scan,
    settle,
    start_shift,
    text_of,
    type_and_enter,
    wait_until,
)
from tests.tui.real_station import (
    ENGINEER,
    LOT,
    OPERATOR,
    OTHER_RECIPE,
    PIN,
    RECIPE,
    SUPERVISOR,
    RealStation,
    locked_app,
    station_app,
)

PASS_SERIAL = "PK4S-000123"
FAIL_SERIAL = "PK4S-000202"  # seated as a 3-cell pack
#: the start-of-shift list is sorted by name: the 4S recipe the tests run is the second
RECIPE_INDEX = 1

SIZES = [(80, 24), (120, 40)]


async def test_the_lot_changes_without_quitting(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("enter")  # change the lot
        await type_and_enter(pilot, "LOT-2")
        await settle(pilot)
        screen = line(pilot)
        assert screen.shift.lot == "LOT-2"
        assert station.shifts_started[-1] == (OPERATOR, station.hash_of(RECIPE), "LOT-2")
        assert "Lot LOT-2" in str(screen.query_one("#header-shift").render())
        await scan(pilot, PASS_SERIAL)
        assert station.attempts() == [(PASS_SERIAL, "PASS")]
        (attempt,) = station.service.socket.store.pack_history(PASS_SERIAL)
        assert attempt.lot == "LOT-2"


async def test_the_operator_changes_with_a_badge(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down", "enter")
        await type_and_enter(pilot, "OP-0002")
        await settle(pilot)
        assert line(pilot).shift.operator.code == "OP-0002"


async def test_a_recipe_change_needs_a_supervisor_badge_and_its_pin(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert "needs a supervisor badge" in text_of(pilot, "#badge-message")
        await badge_and_pin(pilot, SUPERVISOR, "1111")  # a wrong PIN: the service refuses it
        assert "wrong PIN for badge SUP-0001" in text_of(pilot, "#badge-message")
        assert [r for _, r, _ in station.shifts_started] == [station.hash_of(RECIPE)]  # no change
        await type_and_enter(pilot, PIN)
        await settle(pilot)
        await pilot.press("enter")  # the first released recipe: the 3S one
        await settle(pilot)
        assert line(pilot).shift.recipe.name == OTHER_RECIPE
        assert station.shifts_started[-1] == (OPERATOR, station.hash_of(OTHER_RECIPE), LOT)
        # the wrong PIN is in the audit log, against the supervisor's badge
        (refused,) = station.service.socket.store.audit_entries(action="PIN_REFUSED")
        assert refused.subject == SUPERVISOR


async def test_end_of_shift_shows_the_summary_then_starts_over(station: RealStation) -> None:
    app = station_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_shift(pilot, recipe_index=RECIPE_INDEX)
        await scan(pilot, PASS_SERIAL)
        station.pack = "3-cells"
        await scan(pilot, FAIL_SERIAL)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        summary = text_of(pilot, "#shift-summary")
        assert "Passed 1  Failed 1  Errors 0  Aborted 0  Interrupted 0" in summary
        assert "First-pass yield 50.0 %" in summary
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        assert "Shift ended" in text_of(pilot, "#shift-message")
        assert app.screen.operator is None
        await start_shift(pilot, recipe_index=RECIPE_INDEX)
        assert isinstance(app.screen, LineScreen), text_of(pilot, "#shift-message")


async def test_quit_asks_for_a_second_ctrl_q(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASS_SERIAL)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitScreen)
        assert "Passed 1" in text_of(pilot, "#quit-summary")
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, LineScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running or app._exit_renderables is not None or app.return_code == 0


async def test_quit_is_refused_while_a_pack_runs(station: RealStation) -> None:
    station.hold_in_apply()
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, PASS_SERIAL)
        await wait_until(pilot, station.paused.is_set, "the data-flash write")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, LineScreen)
        station.resume.set()
        await settle(pilot)


async def test_an_aborted_run_is_counted_apart_from_the_failures(
    station: RealStation,
) -> None:
    station.hold_in_apply(after_abort=True)
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_and_enter(pilot, PASS_SERIAL)
        await wait_until(pilot, station.paused.is_set, "the data-flash write")
        await pilot.press("escape", "escape")
        station.resume.set()
        await settle(pilot)
        counters = text_of(pilot, "#history-counters")
        assert station.attempts() == [(PASS_SERIAL, "ABORTED")]
        assert "Failed 0" in counters
        assert "Aborted 1" in counters
        assert "First-pass yield -" in counters


async def test_ctrl_p_opens_no_palette_on_the_line_screen(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, LineScreen)


def footer_fits(pilot: Pilot[Any]) -> None:
    screen = pilot.app.screen
    footer = screen.query_one(Footer)
    keys = list(footer.query("FooterKey"))
    assert keys, "the footer shows its key hints"
    width = pilot.app.size.width
    for key in keys:
        assert key.region.width > 0, f"{key} is hidden"
        assert key.region.right <= width, f"{key} is cut at {width} columns"


@pytest.mark.parametrize("size", SIZES)
async def test_every_screen_shows_its_key_hints_and_columns(
    station: RealStation, size: tuple[int, int]
) -> None:
    app = station_app(station)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer_fits(pilot)  # start of shift
        await start_shift(pilot, recipe_index=RECIPE_INDEX)
        footer_fits(pilot)  # ready
        await scan(pilot, PASS_SERIAL)  # an earlier pack of the shift, in the history
        station.pack = "3-cells"
        station.hold_in_apply()
        await type_and_enter(pilot, FAIL_SERIAL)
        await wait_until(pilot, station.paused.is_set, "the data-flash write")
        footer_fits(pilot)  # running
        table = line(pilot).query_one(MeasurementTable)
        assert table.virtual_size.width <= table.size.width, "a measurement column is hidden"
        station.resume.set()
        await settle(pilot)
        footer_fits(pilot)  # result
        table = line(pilot).query_one(MeasurementTable)
        if table.size.width:  # 80 columns show the result's reasons instead of the run
            assert table.virtual_size.width <= table.size.width, "a measurement column is hidden"
        for key, dialog in (("f4", "trace"), ("f5", "shift"), ("f3", "reprint")):
            await pilot.press(key)
            await settle(pilot)
            footer_fits(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, LineScreen), dialog
        await pilot.press("f9")
        await settle(pilot)
        footer_fits(pilot)  # badge dialog
        await badge_and_pin(pilot, ENGINEER, PIN)
        footer_fits(pilot)  # engineer mode

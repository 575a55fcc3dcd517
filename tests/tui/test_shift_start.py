"""Start of shift: badge, recipe and lot by keyboard; supervisor locks skip the screen."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from station.sequence.service import RecipeProblem
from station.tui.screens import LineScreen, ShiftStartScreen
from station.tui.widgets import StationHeader
from tests.tui.fake_service import RECIPES, FakeStationService
from tests.tui.helpers import (
    LOT,
    OPERATOR,
    app_for,
    focused_id,
    settle,
    start_shift,
    text_of,
    type_and_enter,
)


def header_text(app: object) -> str:
    header = app.screen.query_one(StationHeader)  # type: ignore[attr-defined]
    return " ".join(str(s.render()) for s in header.query("Static"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_badge_recipe_and_lot_start_the_shift(
    fake: FakeStationService, size: tuple[int, int]
) -> None:
    app = app_for(fake)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        assert focused_id(pilot) == "badge"
        assert "No shift started" in header_text(app)
        assert "EMULATOR" in header_text(app)
        assert "line:***@db.plant.local" in header_text(app)

        await start_shift(pilot, recipe_index=1)

        assert isinstance(app.screen, LineScreen)
        assert fake.shifts_started == [(OPERATOR, RECIPES[1].hash, LOT)]
        shown = header_text(app)
        assert "PK4S-COLD 0.9.1" in shown
        assert RECIPES[1].hash[:12] in shown
        assert OPERATOR in shown
        assert LOT in shown
        assert focused_id(pilot) == "scan"


async def test_a_malformed_badge_is_refused_and_the_field_kept(fake: FakeStationService) -> None:
    app = app_for(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, "HELLO")
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        assert "not a badge" in text_of(pilot, "#shift-message")
        assert app.screen.query_one("#shift-message").has_class("-error")
        assert focused_id(pilot) == "badge"
        assert app.screen.operator is None


async def test_a_supervisor_badge_is_accepted_as_operator(fake: FakeStationService) -> None:
    app = app_for(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, "SUP-0001")
        await settle(pilot)
        assert "SUP-0001 (supervisor, as operator)" in text_of(pilot, "#badge-label")
        assert focused_id(pilot) == "recipes"
        await pilot.press("enter")
        await type_and_enter(pilot, LOT)
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert app.screen.shift.operator.code == "SUP-0001"


async def test_the_service_refusing_the_shift_is_shown(fake: FakeStationService) -> None:
    app = app_for(fake)
    async with app.run_test() as pilot:
        await start_shift(pilot, lot="CLOSED-01")
        assert isinstance(app.screen, ShiftStartScreen)
        assert "CLOSED-01 is closed" in text_of(pilot, "#shift-message")
        assert focused_id(pilot) == "lot"


async def test_an_empty_lot_is_asked_for_without_calling_the_service(
    fake: FakeStationService,
) -> None:
    app = app_for(fake)
    async with app.run_test() as pilot:
        await start_shift(pilot, lot="")
        assert isinstance(app.screen, ShiftStartScreen)
        assert "work order / lot" in text_of(pilot, "#shift-message")
        assert fake.shifts_started == []


@pytest.mark.parametrize("wanted", ["PK4S-COLD", RECIPES[1].hash[:12], RECIPES[1].hash])
async def test_supervisor_locks_skip_the_screen(fake: FakeStationService, wanted: str) -> None:
    app = app_for(fake, recipe=wanted, operator=OPERATOR, lot="L-77")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert fake.shifts_started == [(OPERATOR, RECIPES[1].hash, "L-77")]
        assert app.screen.shift.recipe.name == "PK4S-COLD"


async def test_a_lock_naming_no_released_recipe_asks_for_a_choice(
    fake: FakeStationService,
) -> None:
    app = app_for(fake, recipe="PK9-UNKNOWN", operator=OPERATOR, lot="L-77")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        assert "PK9-UNKNOWN" in text_of(pilot, "#shift-message")
        assert "not released" in text_of(pilot, "#shift-message")
        assert focused_id(pilot) == "recipes"
        await pilot.press("enter")  # the lot and badge stay locked: choosing starts the shift
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert fake.shifts_started == [(OPERATOR, RECIPES[0].hash, "L-77")]


async def test_a_real_bus_is_not_called_emulator() -> None:
    fake = FakeStationService(emulated=False)
    app = app_for(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        shown = header_text(app)
        assert "EMULATOR" not in shown
        assert "/dev/i2c-1" in shown


async def test_a_broken_recipe_file_is_listed_with_its_problem_and_cannot_be_chosen(
    fake: FakeStationService,
) -> None:
    fake.problems = [
        RecipeProblem("bad.toml", "bad.toml:39: CUV Threshold = inf: inf is not a value [x]")
    ]
    app = app_for(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one("#recipes", OptionList)
        assert listing.option_count == len(RECIPES) + 1
        broken = listing.get_option_at_index(len(RECIPES))
        assert broken.disabled
        shown = str(broken.prompt)
        assert "bad.toml" in shown
        assert "inf is not a value [x]" in shown  # shown as written, brackets and all
        await start_shift(pilot, recipe_index=0)
        assert isinstance(app.screen, LineScreen)
        assert fake.shifts_started == [(OPERATOR, RECIPES[0].hash, LOT)]

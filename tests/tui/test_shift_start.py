"""Start of shift on the real station service: badge, recipe and lot by keyboard; supervisor
locks skip the screen. The released recipes are the shipped ones in ``recipes/``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList

from station.tui.screens import LineScreen, ShiftStartScreen
from station.tui.widgets import StationHeader
from tests.tui.helpers import focused_id, settle, start_shift, text_of, type_and_enter
from tests.tui.real_station import (
    LOT,
    OPERATOR,
    OTHER_RECIPE,
    RECIPE,
    REPO,
    RealStation,
    open_station,
    station_app,
)

#: the start-of-shift list is sorted by name: the 3S recipe, then the 4S one
INDEX = {OTHER_RECIPE: 0, RECIPE: 1}


def header_text(app: object) -> str:
    header = app.screen.query_one(StationHeader)  # type: ignore[attr-defined]
    return " ".join(str(s.render()) for s in header.query("Static"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_badge_recipe_and_lot_start_the_shift(
    station: RealStation, size: tuple[int, int]
) -> None:
    app = station_app(station)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        assert focused_id(pilot) == "badge"
        assert "No shift started" in header_text(app)
        assert "EMULATOR" in header_text(app)
        assert f"db sqlite:///{station.tmp}/station.sqlite3" in header_text(app)

        await start_shift(pilot, recipe_index=INDEX[OTHER_RECIPE])

        assert isinstance(app.screen, LineScreen)
        chosen = station.hash_of(OTHER_RECIPE)
        assert station.shifts_started == [(OPERATOR, chosen, LOT)]
        shown = header_text(app)
        assert f"{OTHER_RECIPE} 1.0.0" in shown
        assert chosen[:12] in shown
        assert OPERATOR in shown
        assert LOT in shown
        assert focused_id(pilot) == "scan"


async def test_a_malformed_badge_is_refused_and_the_field_kept(station: RealStation) -> None:
    app = station_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, "OP/0001")
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        assert "'OP/0001' is not a badge" in text_of(pilot, "#shift-message")
        assert app.screen.query_one("#shift-message").has_class("-error")
        assert focused_id(pilot) == "badge"
        assert app.screen.operator is None


async def test_a_supervisor_badge_is_accepted_as_operator(station: RealStation) -> None:
    app = station_app(station)
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


async def test_the_service_refusing_the_shift_is_shown(station: RealStation) -> None:
    app = station_app(station)
    async with app.run_test() as pilot:
        await start_shift(pilot, lot="WO#12")
        assert isinstance(app.screen, ShiftStartScreen)
        assert "'WO#12' is not a work order / lot" in text_of(pilot, "#shift-message")
        assert focused_id(pilot) == "lot"


async def test_an_empty_lot_is_asked_for_without_calling_the_service(
    station: RealStation,
) -> None:
    app = station_app(station)
    async with app.run_test() as pilot:
        await start_shift(pilot, lot="")
        assert isinstance(app.screen, ShiftStartScreen)
        assert "work order / lot" in text_of(pilot, "#shift-message")
        assert station.shifts_started == []


@pytest.mark.parametrize("form", ["name", "hash prefix", "hash"])
async def test_supervisor_locks_skip_the_screen(station: RealStation, form: str) -> None:
    chosen = station.hash_of(OTHER_RECIPE)
    wanted = {"name": OTHER_RECIPE, "hash prefix": chosen[:12], "hash": chosen}[form]
    app = station_app(station, recipe=wanted, operator=OPERATOR, lot="L-77")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert station.shifts_started == [(OPERATOR, chosen, "L-77")]
        assert app.screen.shift.recipe.name == OTHER_RECIPE


async def test_a_lock_naming_no_released_recipe_asks_for_a_choice(
    station: RealStation,
) -> None:
    app = station_app(station, recipe="PK9-UNKNOWN", operator=OPERATOR, lot="L-77")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ShiftStartScreen)
        message = text_of(pilot, "#shift-message")
        assert "no released recipe 'PK9-UNKNOWN'" in message
        assert f"released: {OTHER_RECIPE} 1.0.0, {RECIPE} 1.0.0" in message
        assert focused_id(pilot) == "recipes"
        await pilot.press("enter")  # the lot and badge stay locked: choosing starts the shift
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert station.shifts_started == [(OPERATOR, station.hash_of(OTHER_RECIPE), "L-77")]


async def test_a_real_bus_is_not_called_emulator(tmp_path: Path) -> None:
    station = open_station(tmp_path, demo=False, bus="/dev/i2c-1")
    app = station_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        shown = header_text(app)
        assert "EMULATOR" not in shown
        assert "/dev/i2c-1" in shown
    station.close()


async def test_a_broken_recipe_file_is_listed_with_its_problem_and_cannot_be_chosen(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "recipes"
    shutil.copytree(REPO / "recipes", folder)
    text = (folder / f"{RECIPE}.toml").read_text(encoding="utf-8")
    (folder / "bad[x].toml").write_text(text.replace("[recipe]", "[recipe\n", 1), encoding="utf-8")
    station = open_station(tmp_path, recipes=str(folder))
    app = station_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one("#recipes", OptionList)
        assert listing.option_count == 3
        broken = listing.get_option_at_index(2)
        assert broken.disabled
        shown = str(broken.prompt)
        assert "bad[x].toml" in shown  # shown as written, brackets and all
        assert "not valid TOML: Expected ']' at the end of a table declaration" in shown
        await start_shift(pilot, recipe_index=INDEX[RECIPE])
        assert isinstance(app.screen, LineScreen)
        assert station.shifts_started == [(OPERATOR, station.hash_of(RECIPE), LOT)]
    station.close()

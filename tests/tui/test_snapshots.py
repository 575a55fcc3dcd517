"""Pictures of the screens that matter from a metre away: ready, running, PASS and FAIL.

Update after a deliberate change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
(look at ``snapshot_report.html`` first). Everything on screen is fixed: the fake's clock and
history, the time zone, no cursor blink, no ETA.

These stay on the scripted station (``fake_service``), not the real one the behaviour tests use:
a picture must be the same byte for byte on every run, and the real station's store stamps what
it keeps with the wall clock (a pack's "first seen", its history) and shows its database in the
test's own folder. What each screen says is tested against the real station elsewhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from station.tui import StationApp, make_app
from tests.tui.fake_service import (
    BASE_TIME,
    CELLS_SERIAL,
    FAKE_PIN,
    PASS_SERIAL,
    FakeStationService,
    seed_history,
)
from tests.tui.helpers import badge_and_pin, settle, type_and_enter, wait_until
from tests.tui.real_station import LOT, OPERATOR, terminal_options

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def app_for(fake: FakeStationService, **overrides: Any) -> StationApp:
    return make_app(fake, terminal_options(fake.clock, BASE_TIME, **overrides))


def line_app(fake: FakeStationService) -> StationApp:
    """The app with the shift locked (as a supervisor would): it opens on the line screen."""
    return app_for(fake, recipe="PK4S-STD", operator=OPERATOR, lot=LOT)


@pytest.fixture
def seeded(fake: FakeStationService) -> FakeStationService:
    seed_history(fake)
    return fake


@SIZES
def test_ready(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_running(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    seeded.pause_in_apply = True

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await type_and_enter(pilot, PASS_SERIAL)
        await wait_until(pilot, seeded.paused.is_set, "the data-flash write")

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_pass(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await type_and_enter(pilot, PASS_SERIAL)
        await settle(pilot)

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_fail(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await type_and_enter(pilot, CELLS_SERIAL)
        await settle(pilot)

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_start_of_shift(
    snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(app_for(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_trace(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await type_and_enter(pilot, CELLS_SERIAL)
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_engineer(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f9")
        await badge_and_pin(pilot, "ENG-0001", FAKE_PIN)
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)


@SIZES
def test_shift_dialog(snap_compare: Any, seeded: FakeStationService, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(line_app(seeded), terminal_size=size, run_before=run_before)

"""Pictures of the screens that matter from a metre away: ready, running, PASS and FAIL.

Update after a deliberate change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
(look at ``snapshot_report.html`` first). Everything on screen is fixed: the fake's clock and
history, the time zone, no cursor blink, no ETA.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.fake_service import (
    CELLS_SERIAL,
    FAKE_PIN,
    PASS_SERIAL,
    FakeStationService,
    seed_history,
)
from tests.tui.helpers import badge_and_pin, line_app, settle, type_and_enter, wait_until

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


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
    from tests.tui.helpers import app_for

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

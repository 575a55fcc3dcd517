"""The operator terminal on the real station service: emulator, SQLite file, label files.

Each run goes through the whole stack (sequence engine, gauge driver, emulator, store, labels);
the test checks both what the operator sees and what the database then holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.widgets import Input

from station.sequence.events import Outcome, Verdict
from station.tui.screens import LineScreen
from station.tui.widgets import MeasurementTable, VerdictBanner
from tests.tui.helpers import focused_id, settle, text_of, type_and_enter
from tests.tui.real_station import PIN, RECIPE, SUPERVISOR, RealStation, locked_app

SERIAL = "PK4S-000123"


@pytest.mark.parametrize(
    ("pack", "outcome", "code", "words"),
    [
        ("default", Outcome.PASS, "", "sealed"),
        ("foreign-keys", Outcome.FAIL, "SEALED_UNKNOWN_KEYS", "sealed with keys"),
        ("3-cells", Outcome.FAIL, "CELL_COUNT", "cells seen = 3"),
        ("nack-mid-write", Outcome.ERROR, "BUS_NACK", "did not acknowledge"),
    ],
)
async def test_a_pack_on_the_emulator_is_shown_and_recorded(
    station: RealStation, pack: str, outcome: Outcome, code: str, words: str
) -> None:
    station.pack = pack
    service, tmp_path = station.service, station.tmp
    app = locked_app(station)
    before = datetime.now(UTC) - timedelta(minutes=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        assert screen.shift.recipe.name == RECIPE
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)

        banner = screen.query_one(VerdictBanner)
        assert banner.word == outcome.value
        details = text_of(pilot, "#details")
        assert words in details
        if code:
            assert code in details
        # However long the reason, the next scan field stays on screen and focused.
        scan = screen.query_one("#scan", Input)
        assert scan.region.bottom <= app.size.height - 1
        assert scan.region.height == 3
        assert focused_id(pilot) == "scan"

        history = service.shift_history(screen.shift, before)
        assert [(h.serial, h.outcome, h.failure_code) for h in history] == [
            (SERIAL, outcome.value, code)
        ]
        trace = "\n".join(
            f"{label} {value}" for s in service.trace(SERIAL) for label, value in s.rows
        )
        assert outcome.value in trace
        assert code in trace
        labels = sorted(p.suffix for p in (tmp_path / "labels").glob(f"{SERIAL}-*"))
        if outcome is Outcome.PASS:
            assert "printed on file:" in details
            assert labels == [".png", ".svg", ".zpl"]
        else:
            assert labels == []
        counters = text_of(pilot, "#history-counters")
        assert ("Passed 1" if outcome is Outcome.PASS else "Passed 0") in counters


async def test_a_passed_pack_on_the_real_service_needs_a_rework(station: RealStation) -> None:
    service = station.service
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        assert "already PASSED" in text_of(pilot, "#auth-info")
        await type_and_enter(pilot, SUPERVISOR)  # the demo's supervisor badge ...
        await settle(pilot)
        await type_and_enter(pilot, PIN)  # ... and its PIN
        await settle(pilot)
        await pilot.press("down", "enter")  # "Customer return"
        await settle(pilot)
        screen: Any = app.screen
        assert isinstance(screen, LineScreen)
        assert screen.query_one(VerdictBanner).word == "PASS"
        trace = "\n".join(f"{k} {v}" for s in service.trace(SERIAL) for k, v in s.rows)
        assert "Customer return" in trace


async def test_the_check_that_failed_is_in_view_at_the_verdict(station: RealStation) -> None:
    # At 120x40 the result keeps the run's measurements beside the verdict (at 80x24 the
    # details take the room).
    station.pack = "3-cells"
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        table = screen.query_one(MeasurementTable)
        failed = [i for i, m in enumerate(table.measurements) if m.verdict is Verdict.FAIL]
        assert failed, "the 3-cell pack fails a check"
        shown = table.scrollable_content_region.height - table.header_height
        first_shown = round(table.scroll_y)
        assert table.row_count > shown  # more checks than fit: the table had to scroll
        assert first_shown <= failed[0] < first_shown + shown

"""A scan typed while a locked shift hands over to its line screen is never lost.

Keys reach a screen through its own queue, and the screen they were sent to is chosen as they
arrive. A key sent to the shift start screen just before the shift started, or to the line
screen before its scan field had the focus, was handled by a screen that no longer (or not yet)
passed it on: the pack was refused with its serial's first character missing. These tests put
keys exactly in those places, which a real terminal under load does now and then.
"""

from __future__ import annotations

import pytest
from textual import events

from station.sequence.service import RunRequest, Shift
from station.tui.fields import BoundedInput
from station.tui.key_hold import KeyHold
from station.tui.screens.shift_start import ShiftStartScreen
from station.tui.widgets import VerdictBanner
from tests.tui.helpers import line, scanner_keys, settle, wait_until
from tests.tui.real_station import RealStation, locked_app

PASS_SERIAL = "PK4S-000123"  # the emulated pack passes


async def test_keys_queued_for_the_shift_start_as_it_hands_over_are_the_first_pack(
    station: RealStation, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = ShiftStartScreen._started

    def started_with_keys_queued(self: ShiftStartScreen, shift: Shift) -> None:
        for key in scanner_keys(PASS_SERIAL + "\n"):  # in this screen's queue, not yet handled
            self._forward_event(key)
        started(self, shift)

    monkeypatch.setattr(ShiftStartScreen, "_started", started_with_keys_queued)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: station.runs, "the scan to start a run")
        await settle(pilot)
        assert station.runs == [RunRequest(PASS_SERIAL)]
        assert line(pilot).query_one(VerdictBanner).word == "PASS"


async def test_keys_sent_to_the_line_screen_before_its_field_had_the_focus_are_a_scan(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = line(pilot)
        assert screen.focused is screen.query_one("#scan")
        for key in scanner_keys(PASS_SERIAL + "\n"):  # sent to the screen itself, as if nothing had
            screen._forward_event(key)  # the focus when they arrived
        await wait_until(pilot, lambda: station.runs, "the scan to start a run")
        await settle(pilot)
        assert station.runs == [RunRequest(PASS_SERIAL)]
        assert screen.query_one(VerdictBanner).word == "PASS"


async def test_keys_held_by_the_app_during_the_hand_over_reach_the_line_screen(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        hold = app.ctx.key_hold
        hold.start()
        await pilot.press(*"PK4S")
        scan = line(pilot).query_one("#scan", BoundedInput)
        assert hold.holding
        assert scan.value == ""
        assert hold.release() == "PK4S"
        await pilot.press("x")
        assert not hold.holding
        assert scan.value == "x"


def test_the_hold_keeps_only_what_a_scanner_types() -> None:
    hold = KeyHold()
    assert not hold.take(events.Key("a", "a"))  # not holding: nothing kept
    hold.start()
    for key in [*scanner_keys("A-1\n"), events.Key("escape", None), events.Key("f2", None)]:
        hold.take(key)
    assert hold.release() == "A-1\n"  # Esc and F-keys keep their meaning
    assert hold.release() == ""

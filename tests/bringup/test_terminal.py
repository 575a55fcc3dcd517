"""The terminal's part of the reference-pack self-test: the shift-start screen asks for the
reference pack; the rule and its refusal come from the service (tests/bringup/test_reference)."""

from __future__ import annotations

from dataclasses import replace

from station.sequence.service import StationInfo
from station.tui.screens.shift_start import REFERENCE_NOTE
from tests.tui.fake_service import FakeStationService
from tests.tui.helpers import app_for, settle, text_of, type_and_enter


class ReferenceLine(FakeStationService):
    def info(self) -> StationInfo:
        return replace(super().info(), reference_check=True)


async def test_the_shift_start_screen_asks_for_the_reference_pack() -> None:
    fake = ReferenceLine()
    app = app_for(fake, recipe="", operator="", lot="")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert REFERENCE_NOTE in text_of(pilot, "#shift-message")
        await type_and_enter(pilot, "OP-7")
        await settle(pilot)
        assert REFERENCE_NOTE in text_of(pilot, "#shift-message")


async def test_without_the_self_test_the_screen_does_not_mention_it() -> None:
    fake = FakeStationService()
    app = app_for(fake, recipe="", operator="", lot="")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert REFERENCE_NOTE not in text_of(pilot, "#shift-message")

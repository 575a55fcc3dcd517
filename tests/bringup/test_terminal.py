"""The terminal's part of the reference-pack self-test: the shift-start screen asks for the
reference pack; the rule and its refusal come from the service (tests/bringup/test_reference)."""

from __future__ import annotations

from pathlib import Path

from station.tui.screens.shift_start import REFERENCE_NOTE
from tests.tui.helpers import settle, text_of, type_and_enter
from tests.tui.real_station import open_station, station_app


async def test_the_shift_start_screen_asks_for_the_reference_pack(tmp_path: Path) -> None:
    station = open_station(tmp_path, reference_check=True)
    app = station_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert REFERENCE_NOTE in text_of(pilot, "#shift-message")
        await type_and_enter(pilot, "OP-7")
        await settle(pilot)
        assert REFERENCE_NOTE in text_of(pilot, "#shift-message")
    station.close()


async def test_without_the_self_test_the_screen_does_not_mention_it(tmp_path: Path) -> None:
    station = open_station(tmp_path)
    app = station_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert REFERENCE_NOTE not in text_of(pilot, "#shift-message")
    station.close()

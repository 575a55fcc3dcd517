"""The header says whether the socket is ready for a pack: Place pack, Pack detected, Bus fault.

On the real station service and emulator (the pack stays in the socket between connections, so
the test can take it out, put it back and stop the bus), and when the line screen asks.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from station.tui.screens import LineScreen, Phase
from station.tui.widgets import VerdictBanner
from tests.tui.helpers import settle, text_of, type_and_enter, wait_until
from tests.tui.real_station import RealStation, locked_app

SERIAL = "PK4S-000123"


def badge(pilot: Pilot[Any]) -> str:
    widget = pilot.app.screen.query_one("#header-ready", Static)
    return str(widget.render())


async def test_the_header_follows_the_socket_and_a_dead_bus_refuses_scans(
    station: RealStation,
) -> None:
    device = station.seat()
    service = station.service
    app = locked_app(station)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        assert badge(pilot) == "● Pack detected"

        # The adapter stops answering: the scan is refused as a station fault, nothing runs.
        device.faults.stuck_from = device.transaction_count
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        assert badge(pilot) == "✘ Bus fault"
        message = text_of(pilot, "#scan-message")
        assert "REFUSED" in message
        assert "station fault" in message
        assert screen.phase is Phase.READY
        assert screen.scans[-1] == (SERIAL, "refused")
        assert service.socket.store.trace(SERIAL) is None

        # The bus is back but the fixture is empty: the next check says so.
        device.faults.stuck_from = None
        device.faults.gone_from = device.transaction_count
        screen.check_readiness()  # what the idle timer does every ready_poll_s
        await settle(pilot)
        assert badge(pilot) == "○ Place pack"

        # A pack is seated: it runs, and after the verdict the header says it is still there.
        device.faults.gone_from = None
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        assert screen.query_one(VerdictBanner).word == "PASS"
        assert badge(pilot) == "● Pack detected"
        (attempt,) = service.socket.store.pack_history(SERIAL)
        assert attempt.attempt_no == 1


async def test_the_line_screen_asks_while_idle_and_never_while_a_pack_runs(
    station: RealStation,
) -> None:
    station.hold_in_apply()
    app = locked_app(station, ready_poll_s=0.05)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: station.ready_checks >= 3, "the idle timer to ask again")
        await type_and_enter(pilot, SERIAL)
        await wait_until(pilot, station.paused.is_set, "the run to reach the data-flash write")
        during = station.ready_checks
        await pilot.pause(0.25)  # five poll periods with a pack on the socket
        assert station.ready_checks == during
        station.resume.set()
        await wait_until(
            pilot, lambda: station.ready_checks > during, "a check once the pack is done"
        )
        assert station.attempts() == [(SERIAL, "PASS")]


async def test_engineer_mode_stops_the_line_screen_asking(station: RealStation) -> None:
    app = locked_app(station, ready_poll_s=0.05)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: station.ready_checks >= 2, "the idle timer")
        await pilot.press("f9")  # the engineer badge screen covers the line screen
        await settle(pilot)
        covered = station.ready_checks
        await pilot.pause(0.25)
        assert station.ready_checks == covered
        await pilot.press("escape")
        await wait_until(pilot, lambda: station.ready_checks > covered, "the line screen to ask")

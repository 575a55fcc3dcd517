"""The terminal of a station with several sockets, driven as an operator would (scanner and
keys), on the real station service behind the emulated mux: scans go where the routing rule
says, a scan never disturbs a running socket, Esc Esc / F2 / F3 act on the selected socket."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from station.config import StationConfig
from station.sequence.board import socket_board
from station.sequence.events import Outcome
from station.sequence.routing import SocketState
from station.tui.screens import AuthoriseScreen, EngineerScreen, LineScreen
from station.tui.screens.sockets import SocketsScreen
from station.tui.widgets import SectionsView
from station.tui.widgets.socket_tile import TileMode
from tests.tui.helpers import settle, text_of, type_and_enter
from tests.tui.real_station import ENGINEER, PIN
from tests.tui.sockets_station import SocketsStation, sockets_station

HUNG_AFTER_S = 120.0


@pytest.fixture
def station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketsStation]:
    monkeypatch.chdir(tmp_path)
    made = sockets_station(4)
    yield made
    made.release_all()


def screen_of(pilot: Pilot[Any]) -> SocketsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SocketsScreen)
    return screen


def outcome(screen: SocketsScreen, socket: str) -> Outcome | None:
    result = screen.tiles[socket].result
    return None if result is None else result.outcome


def attempts(station: SocketsStation, serial: str) -> list[tuple[str, str]]:
    """The socket and outcome of ``serial``'s last attempt, as recorded (none: [])."""
    last = station.service.socket.store.last_attempt(serial, emulated=True)
    return [] if last is None else [(last.socket, last.outcome.value)]


async def held_on(pilot: Pilot[Any], station: SocketsStation, socket: str, serial: str) -> None:
    station.hold(socket)
    await type_and_enter(pilot, f"SOCKET:{socket}")
    await type_and_enter(pilot, serial)
    assert await asyncio.to_thread(station.reached[socket].wait, HUNG_AFTER_S)
    for _ in range(3):
        await pilot.pause()


async def test_socket_barcode_then_serial_runs_on_that_socket_only(
    station: SocketsStation,
) -> None:
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        assert "SOCKET:ID" in screen.query_one("#scan", Input).placeholder
        await type_and_enter(pilot, "SOCKET:B")
        assert "Socket B: scan the pack serial" in text_of(pilot, "#prompt")
        await type_and_enter(pilot, "PK4S-000002")
        await settle(pilot)
        assert outcome(screen, "B") is Outcome.PASS
        assert screen.tiles["A"].mode is TileMode.IDLE
        assert screen.tiles["A"].serial == ""
    assert attempts(station, "PK4S-000002") == [("B", "PASS")]
    assert station.mux.stats.stray == 0


async def test_a_serial_without_a_socket_barcode_is_refused_and_runs_nothing(
    station: SocketsStation,
) -> None:
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await type_and_enter(pilot, "PK4S-000001")
        await settle(pilot)
        assert "scan the socket barcode (SOCKET:ID)" in text_of(pilot, "#scan-message")
        assert all(t.mode is TileMode.IDLE for t in screen.tiles.values())
        await type_and_enter(pilot, "SOCKET:Q")
        assert "no socket 'Q'" in text_of(pilot, "#scan-message")
    assert attempts(station, "PK4S-000001") == []


async def test_scans_while_b_runs_start_a_and_never_disturb_b(station: SocketsStation) -> None:
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await held_on(pilot, station, "B", "PK4S-000002")
        # The same serial in another socket, a badge, B's own barcode and a serial: B carries on.
        await type_and_enter(pilot, "SOCKET:A")
        await type_and_enter(pilot, "PK4S-000002")
        assert "already on socket B" in text_of(pilot, "#scan-message")
        await type_and_enter(pilot, "SUP-0001")
        assert "badge SUP-0001 ignored" in text_of(pilot, "#scan-message")
        await type_and_enter(pilot, "SOCKET:B")
        assert "busy with PK4S-000002" in text_of(pilot, "#scan-message")
        await type_and_enter(pilot, "PK4S-000009")
        assert screen.tiles["B"].mode is TileMode.RUNNING
        assert screen.tiles["B"].serial == "PK4S-000002"
        # A runs its pack to the end while B is still held.
        await type_and_enter(pilot, "SOCKET:A")
        await type_and_enter(pilot, "PK4S-000001")
        await until_done(pilot, station, "A")
        assert outcome(screen, "A") is Outcome.PASS
        assert screen.tiles["B"].mode is TileMode.RUNNING
        station.holds["B"].set()
        await settle(pilot)
        assert outcome(screen, "B") is Outcome.PASS
    assert attempts(station, "PK4S-000001") == [("A", "PASS")]
    assert attempts(station, "PK4S-000002") == [("B", "PASS")]
    assert attempts(station, "PK4S-000009") == []


async def until_done(pilot: Pilot[Any], station: SocketsStation, socket: str) -> None:
    """Until ``socket``'s verdict is on screen, while other sockets are held."""
    await asyncio.to_thread(_wait_idle, station, socket)
    for _ in range(5):
        await pilot.pause()


def _wait_idle(station: SocketsStation, socket: str) -> None:
    """Until ``socket``'s run has returned, while other sockets are held (so the app's workers
    never all settle). Polls a real thread; the bound only catches a hung station."""
    deadline = time.monotonic() + HUNG_AFTER_S
    while time.monotonic() < deadline:
        last = station.board.last(socket)
        if station.board.router.state(socket) is SocketState.IDLE and last and last.result:
            return
        time.sleep(0.01)
    raise AssertionError(f"socket {socket} never finished")


async def test_esc_esc_aborts_only_the_selected_socket(station: SocketsStation) -> None:
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await held_on(pilot, station, "A", "PK4S-000001")
        await held_on(pilot, station, "C", "PK4S-000003")
        # Select A with the arrow keys (C was selected by its scan), then Esc, Esc.
        await pilot.press("left", "left")
        assert screen.selected == "A"
        await pilot.press("escape")
        assert "Abort PK4S-000001 on socket A?" in text_of(pilot, "#scan-message")
        await pilot.press("escape")
        await until_done(pilot, station, "A")
        assert outcome(screen, "A") is Outcome.ABORTED
        assert screen.tiles["C"].mode is TileMode.RUNNING
        station.holds["C"].set()
        await settle(pilot)
        assert outcome(screen, "C") is Outcome.PASS
    assert attempts(station, "PK4S-000001") == [("A", "ABORTED")]
    assert attempts(station, "PK4S-000003") == [("C", "PASS")]


async def test_an_armed_abort_is_withdrawn_by_any_other_key(station: SocketsStation) -> None:
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await held_on(pilot, station, "B", "PK4S-000002")
        await pilot.press("escape")
        await pilot.press("x")
        assert "Abort withdrawn" in text_of(pilot, "#scan-message")
        await pilot.press("escape")  # a first Esc again: asks, does not abort
        assert screen.cancels["B"].requested is False
        station.holds["B"].set()
        await settle(pilot)
        assert outcome(screen, "B") is Outcome.PASS


async def test_retry_runs_the_selected_sockets_pack_again(station: SocketsStation) -> None:
    station.seat("D", "3-cells")
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await type_and_enter(pilot, "SOCKET:D")
        await type_and_enter(pilot, "PK4S-000004")
        await settle(pilot)
        assert outcome(screen, "D") is Outcome.FAIL
        station.seat("D")  # the operator reseats a good pack
        await pilot.press("f2")
        await settle(pilot)
        assert outcome(screen, "D") is Outcome.PASS
        assert screen.tiles["A"].mode is TileMode.IDLE


async def test_a_pack_that_passed_asks_for_a_rework_and_cancelling_frees_the_socket(
    station: SocketsStation,
) -> None:
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        await type_and_enter(pilot, "SOCKET:A")
        await type_and_enter(pilot, "PK4S-000001")
        await settle(pilot)
        station.seat("B")
        await type_and_enter(pilot, "SOCKET:B")
        await type_and_enter(pilot, "PK4S-000001")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AuthoriseScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert "rework cancelled" in screen.tiles["B"].note
        assert station.board.router.idle() == ["A", "B", "C", "D"]


async def test_next_idle_routing_puts_serials_in_the_first_idle_sockets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    station = sockets_station(4, routing="next-idle")
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(pilot)
        assert "next idle socket" in text_of(pilot, "#prompt")
        # no socket barcode is asked for where the station picks the socket
        assert screen.query_one("#scan", Input).placeholder == "scan the pack serial"
        await type_and_enter(pilot, "PK4S-000001")
        await settle(pilot)
        await type_and_enter(pilot, "SOCKET:C")
        await type_and_enter(pilot, "PK4S-000002")
        await settle(pilot)
        assert outcome(screen, "A") is Outcome.PASS
        assert outcome(screen, "C") is Outcome.PASS
        assert screen.tiles["B"].mode is TileMode.IDLE


async def test_one_socket_keeps_the_one_socket_screen(tmp_path: Path) -> None:
    from station.sequence import open_service
    from station.tui import LineOptions, make_app

    config = StationConfig(
        database=f"sqlite:///{tmp_path}/one.sqlite3", printer=f"file:{tmp_path}/labels"
    )
    service = open_service(config, demo=True)
    assert socket_board(service, config) is None
    options = LineOptions(
        recipe="pk4s3p-3500", operator="OP-0001", lot="L", gauge_refresh_s=0, ready_poll_s=0
    )
    app = make_app(service, options, board=socket_board(service, config))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, LineScreen)


async def test_a_service_stop_aborts_every_running_socket_before_closing(
    station: SocketsStation,
) -> None:
    app = station.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await held_on(pilot, station, "A", "PK4S-000001")
        await held_on(pilot, station, "B", "PK4S-000002")
        app.stop()  # SIGTERM from the service manager
        await until_done(pilot, station, "A")
        await until_done(pilot, station, "B")
        await settle(pilot)
    assert attempts(station, "PK4S-000001") == [("A", "ABORTED")]
    assert attempts(station, "PK4S-000002") == [("B", "ABORTED")]


async def test_engineer_mode_reads_the_pack_in_the_selected_socket(
    station: SocketsStation,
) -> None:
    station.seat("B", "hot")  # socket B holds a pack at 55 °C; A's is at room temperature
    async with station.app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for socket, temperature in (("B", "55."), ("A", "24.9 °C")):
            await pilot.press("right" if socket == "B" else "left")
            await pilot.press("f9")
            await type_and_enter(pilot, ENGINEER)
            await settle(pilot)
            await type_and_enter(pilot, PIN)
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, EngineerScreen)
            assert f"socket {socket}" in text_of(pilot, ".screen-title")
            shown = screen.query_one("#gauge-sections", SectionsView).text()
            assert re.search(rf"^ *temperature +{re.escape(temperature)}", shown, re.M), shown
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(pilot.app.screen, SocketsScreen)

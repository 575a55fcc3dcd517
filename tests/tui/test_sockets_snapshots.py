"""Pictures of a station with 4 and 8 sockets at 120x40, on the real station service behind the
emulated mux: tiles idle, running, PASS, FAIL and ERROR side by side.

Update after a deliberate change with ``pytest tests/tui/test_sockets_snapshots.py
--snapshot-update`` (look at ``snapshot_report.html`` first). What would differ between runs is
fixed: the terminal's clock, relative database and label paths, the running pack held at a step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.helpers import settle, type_and_enter
from tests.tui.sockets_station import SocketsStation, sockets_station

#: how long a held run may take to reach its hold before the station is called hung
HUNG_AFTER_S = 120.0


@pytest.fixture
def make_station(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[int], SocketsStation]]:
    """Stations of n sockets in the test's folder; held runs are let go at the end."""
    monkeypatch.chdir(tmp_path)
    made: list[SocketsStation] = []

    def make(sockets: int) -> SocketsStation:
        made.append(sockets_station(sockets))
        return made[-1]

    yield make
    for station in made:
        station.release_all()


async def run_on(pilot: Pilot[Any], socket: str, serial: str) -> None:
    await type_and_enter(pilot, f"SOCKET:{socket}")
    await type_and_enter(pilot, serial)
    await settle(pilot)


async def run_held(pilot: Pilot[Any], station: SocketsStation, socket: str, serial: str) -> None:
    station.hold(socket)
    await type_and_enter(pilot, f"SOCKET:{socket}")
    await type_and_enter(pilot, serial)
    reached = await asyncio.to_thread(station.reached[socket].wait, HUNG_AFTER_S)
    assert reached, f"socket {socket}'s run never reached its hold"
    for _ in range(5):
        await pilot.pause()


def test_four_sockets(snap_compare: Any, make_station: Callable[[int], SocketsStation]) -> None:
    station4 = make_station(4)
    station4.seat("C", "3-cells")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await run_on(pilot, "A", "PK4S-000001")
        await run_on(pilot, "C", "PK4S-000003")
        await run_held(pilot, station4, "B", "PK4S-000002")

    assert snap_compare(station4.app(), terminal_size=(120, 40), run_before=run_before)


def test_eight_sockets(snap_compare: Any, make_station: Callable[[int], SocketsStation]) -> None:
    station8 = make_station(8)
    station8.seat("B", "3-cells")
    station8.seat("E", "nack-mid-write")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await run_on(pilot, "A", "PK4S-000001")
        await run_on(pilot, "B", "PK4S-000002")
        await run_on(pilot, "E", "PK4S-000005")
        await run_held(pilot, station8, "C", "PK4S-000003")

    assert snap_compare(station8.app(), terminal_size=(120, 40), run_before=run_before)

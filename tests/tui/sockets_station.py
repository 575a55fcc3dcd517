"""A station with several sockets behind the emulated mux, for the terminal's tests: the real
line station and board, virtual time, a pack that can be held mid-run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from station.bus.adapters import AdapterRegistry
from station.clock import VirtualScheduler
from station.config import SocketConfig, StationConfig
from station.emulator import EmulatedMux, open_emulator
from station.sequence import open_service
from station.sequence.board import SocketBoard, socket_board
from station.sequence.events import CancelToken, Event, RunResult, StepId, StepStarted
from station.sequence.line import LineStation
from station.sequence.service import RunRequest, Shift
from station.tui import LineOptions, StationApp, make_app

RECIPE = "pk4s3p-3500"
OPERATOR = "OP-0001"
LOT = "LOT-M"
SHOWN_AT = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


@dataclass
class SocketsStation:
    clock: VirtualScheduler
    registry: AdapterRegistry
    service: LineStation
    board: SocketBoard
    mux_spec: str
    #: sockets whose next run waits at the start of a step until released
    holds: dict[str, threading.Event] = field(default_factory=dict)
    #: set when a held socket's run reached its hold
    reached: dict[str, threading.Event] = field(default_factory=dict)

    @property
    def mux(self) -> EmulatedMux:
        shared = self.registry.shared_adapter(self.mux_spec)
        assert shared is not None
        assert isinstance(shared.device, EmulatedMux)
        return shared.device

    def seat(self, socket: str, scenario: str = "default") -> None:
        channel = self.board.ids.index(socket)
        self.mux.seat(channel, open_emulator(scenario, clock=self.clock))

    def hold(self, socket: str, step: StepId = StepId.APPLY) -> threading.Event:
        """Hold ``socket``'s next run when ``step`` starts, until the returned event is set."""
        gate, reached = threading.Event(), threading.Event()
        self.holds[socket], self.reached[socket] = gate, reached
        station = self.board.stations[socket]
        run = station.run

        def held_run(
            shift: Shift, request: RunRequest, on_event: Any, cancel: CancelToken
        ) -> RunResult:
            def forward(event: Event) -> None:
                on_event(event)
                if isinstance(event, StepStarted) and event.step is step:
                    reached.set()
                    # Released by the test, or by the screen's abort when the app closes.
                    while not gate.wait(0.05) and not cancel.requested:
                        pass

            return run(shift, request, forward, cancel)

        station.run = held_run  # type: ignore[method-assign]
        return gate

    def release_all(self) -> None:
        for gate in self.holds.values():
            gate.set()

    def app(self, **overrides: Any) -> StationApp:
        values: dict[str, Any] = {
            "recipe": RECIPE,
            "operator": OPERATOR,
            "lot": LOT,
            "monotonic": lambda: 0.0,
            "now": lambda: SHOWN_AT,
            "tz": UTC,
            "gauge_refresh_s": 0,
            "ready_poll_s": 0,
            "bell": False,
        }
        values.update(overrides)
        return make_app(self.service, LineOptions(**values), board=self.board)


def sockets_station(
    n: int, *, routing: str = "socket-barcode", channels: int = 8
) -> SocketsStation:
    """``n`` sockets A, B, ... on channels 0, 1, ... of one emulated mux; the database and
    label folders are relative (the caller's working directory: a test's tmp_path), so
    what the header shows is the same on every machine."""
    mux = f"sim:mux?channels={channels}"
    clock = VirtualScheduler()
    registry = AdapterRegistry(waiter=clock, clock=clock)
    sockets = tuple(
        SocketConfig(chr(ord("A") + i), f"{mux}@0x70:{i}", printer=f"file:labels-{i}")
        for i in range(n)
    )
    config = StationConfig(
        station_id="ST-07",
        database="sqlite:///station.sqlite3",
        printer="file:labels",
        sockets=sockets,
        scan_routing=routing,
    )
    service = open_service(config, demo=True, adapters=registry)
    board = socket_board(service, config)
    assert board is not None
    registry.open(sockets[0].bus, speed_hz=100_000).close()
    return SocketsStation(clock, registry, service, board, mux)

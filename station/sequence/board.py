"""A station's sockets as the operator terminal drives them: one :class:`LineStation` per
socket, the scan routing rule, and each socket's run with its own cancel token.

The terminal asks the board where a scan goes (:meth:`SocketBoard.route`), checks the serial
with that socket's station, runs the pack in a worker of its own through
:meth:`SocketBoard.run`, and aborts only the socket the operator selected. Everything a socket
does goes through its own station (bus, pack lock, printer, instruments); the store, keys,
recipes, badges and adapter registry are the station's, shared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from station.bus.adapters import adapter_key
from station.bus.spec import parse_bus_spec
from station.config import StationConfig
from station.sequence.events import CancelToken, Event, LabelResult, RunResult
from station.sequence.line import LineStation
from station.sequence.routing import Route, RouteKind, ScanRouter, ScanRouting
from station.sequence.service import (
    Credentials,
    Readiness,
    Role,
    RunRequest,
    SerialCheck,
    Shift,
)
from station.sequence.sockets import socket_stations


@dataclass(frozen=True)
class SocketRun:
    """What the board remembers of a socket's last pack (retry, reprint)."""

    serial: str
    result: RunResult | None = None


class SocketBoard:
    """The sockets of one station, each running its own pack."""

    def __init__(self, stations: Mapping[str, LineStation], routing: ScanRouting) -> None:
        if not stations:
            raise ValueError("a station has at least one socket")
        self.stations = dict(stations)
        first = next(iter(self.stations.values()))
        rules = first.rules
        self.router = ScanRouter(
            list(self.stations),
            routing,
            is_badge=lambda code: rules.role_of(code) is not Role.OPERATOR,
        )
        self._guard = threading.Lock()
        self._cancels: dict[str, CancelToken] = {}
        self._last: dict[str, SocketRun] = {}

    @property
    def ids(self) -> tuple[str, ...]:
        return self.router.sockets

    def adapters(self) -> tuple[str, ...]:
        """The adapters the sockets hang off, each once, in the order of the sockets."""
        keys = (adapter_key(parse_bus_spec(s.config.bus)) for s in self.stations.values())
        return tuple(dict.fromkeys(keys))

    def station(self, socket: str) -> LineStation:
        return self.stations[socket]

    # -- scans ----------------------------------------------------------------------------------
    def route(self, scan: str) -> Route:
        return self.router.route(scan)

    def retry(self, socket: str) -> Route:
        """Claim ``socket`` for its last pack again (F2 on the selected socket)."""
        last = self._last.get(socket)
        if last is None:
            return Route(RouteKind.REFUSED, socket, message=f"socket {socket} has run no pack")
        return self.router.claim(socket, last.serial)

    def check_serial(self, shift: Shift, socket: str, serial: str) -> SerialCheck:
        """The serial checked by its socket's station (recipe, another station's claim, a
        pass already recorded, the socket's bus)."""
        return self.stations[socket].check_serial(shift, serial)

    def release(self, socket: str) -> None:
        """A claimed socket takes no pack after all (its serial refused, a rework declined)."""
        self.router.release(socket)

    def readiness(self, socket: str) -> Readiness:
        return self.stations[socket].readiness()

    # -- runs -----------------------------------------------------------------------------------
    def run(
        self,
        shift: Shift,
        socket: str,
        request: RunRequest,
        on_event: Callable[[Event], None],
        cancel: CancelToken,
    ) -> RunResult:
        """Run ``request`` on ``socket`` (blocking: call it from that socket's worker). The
        socket is busy until the result is returned, then idle, whatever happened."""
        with self._guard:
            self._cancels[socket] = cancel
            self._last[socket] = SocketRun(request.serial.strip())
        self.router.running(socket)
        try:
            result = self.stations[socket].run(shift, request, on_event, cancel)
            with self._guard:
                self._last[socket] = SocketRun(result.serial, result)
            return result
        finally:
            with self._guard:
                self._cancels.pop(socket, None)
            self.router.release(socket)

    def abort(self, socket: str) -> bool:
        """Ask ``socket``'s pack to stop at its next safe point; no other socket is touched.
        False when that socket runs nothing."""
        with self._guard:
            token = self._cancels.get(socket)
        if token is None or token.requested:
            return False
        token.request()
        return True

    def last(self, socket: str) -> SocketRun | None:
        with self._guard:
            return self._last.get(socket)

    def reprint_label(
        self, shift: Shift | None, socket: str, serial: str, reason: str, by: Credentials
    ) -> LabelResult:
        """Reprint on ``socket``'s printer (the station's when the socket names none)."""
        return self.stations[socket].reprint_label(shift, serial, reason, by)


def socket_board(station: LineStation, config: StationConfig) -> SocketBoard | None:
    """The board of a station with several ``[[sockets]]``; None for a station with one (the
    terminal then shows the one-socket screen)."""
    if len(config.socket_ids()) < 2:
        return None
    return SocketBoard(socket_stations(station, config), ScanRouting(config.scan_routing))

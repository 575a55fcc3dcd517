"""Where a scan goes on a station with several sockets: the one rule the terminal follows.

The operator has one scanner for every fixture. Each fixture carries a socket barcode
(``SOCKET:B``); with ``scan_routing = "socket-barcode"`` the operator scans it, then the pack
serial, and the pack runs in that socket. With ``"next-idle"`` a serial goes to the socket last
chosen by its barcode when it is idle, else the first idle socket in the order of the
configuration.

What a scan can never do: touch a socket that is running. A scan only ever claims an idle
socket, so a scanner (or a scan typed by mistake) cannot stop, replace or disturb another
socket's pack; stopping a run is Esc twice at the terminal, on the selected socket.

The cases, decided here and tested in tests/sockets/test_scan_routing.py:

* ``SOCKET:X`` for a socket of this station selects it (retry, reprint and abort act on it);
  an idle one also takes the next serial. A busy one is selected without taking a serial.
* ``SOCKET:X`` for a socket the station does not have is refused, naming its sockets; the
  selection stays as it was.
* A serial with no socket chosen (socket-barcode mode) is refused: scan the fixture first.
* A serial while no socket is idle (next-idle mode) is refused: nothing queues, scan it again
  when a socket shows its verdict.
* A serial already on a socket of this station is refused, naming that socket: one pack, one
  socket (another station's claim is the store's rule, checked when the serial is).
* A supervisor's or engineer's badge, or another command barcode (``WORD:...``), scanned on the
  line is ignored with a note: badges are scanned in the dialogs that ask for them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

SOCKET_PREFIX = "SOCKET:"
#: A command barcode: an upper-case word and a colon (no serial of a shipped recipe has one).
_COMMAND = re.compile(r"^[A-Z]{2,16}:")


class ScanRouting(StrEnum):
    SOCKET_BARCODE = "socket-barcode"
    NEXT_IDLE = "next-idle"


class RouteKind(StrEnum):
    SELECT = "select"  # a socket barcode: that socket is now the selected one
    RUN = "run"  # a serial for ``socket``: it is claimed until released
    REFUSED = "refused"  # nothing changed; the message says why and what to do
    IGNORED = "ignored"  # a badge or command with no meaning on the line


@dataclass(frozen=True)
class Route:
    """What one scan does."""

    kind: RouteKind
    socket: str = ""
    serial: str = ""
    message: str = ""


class SocketState(StrEnum):
    IDLE = "idle"
    CLAIMED = "claimed"  # a serial was routed to it: being checked, or waiting for a rework
    RUNNING = "running"


class ScanRouter:
    """The sockets' states as far as scans are concerned, and the routing rule. Thread-safe:
    the terminal routes on its event loop while runs end in workers."""

    def __init__(
        self,
        sockets: Sequence[str],
        routing: ScanRouting,
        *,
        is_badge: Callable[[str], bool] = lambda _: False,
    ) -> None:
        if not sockets:
            raise ValueError("a station has at least one socket")
        self.sockets = tuple(sockets)
        self.routing = routing
        self._is_badge = is_badge
        self._lock = threading.Lock()
        self._state = dict.fromkeys(self.sockets, SocketState.IDLE)
        self._serial: dict[str, str] = {}
        #: the socket keys act on
        self.selected = self.sockets[0]
        #: the socket whose barcode was scanned and that takes the next serial
        self.armed: str | None = None

    # -- what the terminal shows ----------------------------------------------------------------
    def state(self, socket: str) -> SocketState:
        with self._lock:
            return self._state[socket]

    def serial_on(self, socket: str) -> str:
        with self._lock:
            return self._serial.get(socket, "")

    def idle(self) -> list[str]:
        with self._lock:
            return [s for s in self.sockets if self._state[s] is SocketState.IDLE]

    def busy(self) -> bool:
        with self._lock:
            return any(s is not SocketState.IDLE for s in self._state.values())

    # -- the rule -------------------------------------------------------------------------------
    def route(self, scan: str) -> Route:
        text = scan.strip()
        if not text:
            return Route(RouteKind.IGNORED, message="empty scan")
        if text.upper().startswith(SOCKET_PREFIX):
            return self._socket_barcode(text[len(SOCKET_PREFIX) :].strip())
        if _COMMAND.match(text):
            return Route(
                RouteKind.IGNORED,
                message=f"{text}: not a barcode of the line (socket barcodes read SOCKET:ID); "
                "no socket was touched",
            )
        if self._is_badge(text):
            return Route(
                RouteKind.IGNORED,
                message=f"badge {text} ignored: badges are scanned where a dialog asks for one "
                "(F5 shift, F3 reprint, F9 engineer); no socket was touched",
            )
        with self._lock:
            return self._serial_route(text)

    def _socket_barcode(self, wanted: str) -> Route:
        found = next((s for s in self.sockets if s.upper() == wanted.upper()), None)
        if found is None:
            return Route(
                RouteKind.REFUSED,
                message=f"no socket {wanted!r} at this station (its sockets: "
                f"{', '.join(self.sockets)}): scan the barcode on the fixture the pack is in",
            )
        with self._lock:
            self.selected = found
            if self._state[found] is not SocketState.IDLE:
                self.armed = None
                serial = self._serial.get(found, "")
                return Route(
                    RouteKind.SELECT,
                    found,
                    message=f"socket {found} selected; it is busy with {serial}: a new pack goes "
                    "in once it shows its verdict",
                )
            self.armed = found
            return Route(RouteKind.SELECT, found, message=f"socket {found}: scan the pack serial")

    def _serial_route(self, serial: str) -> Route:
        for socket, held in self._serial.items():
            if held == serial and self._state[socket] is not SocketState.IDLE:
                return Route(
                    RouteKind.REFUSED,
                    serial=serial,
                    message=f"{serial} is already on socket {socket}: one pack is in one socket; "
                    "nothing was started",
                )
        target = self._target(serial)
        if isinstance(target, Route):
            return target
        self._state[target] = SocketState.CLAIMED
        self._serial[target] = serial
        self.armed = None
        self.selected = target
        return Route(RouteKind.RUN, target, serial)

    def _target(self, serial: str) -> str | Route:
        armed = self.armed
        if armed is not None and self._state[armed] is SocketState.IDLE:
            return armed
        if self.routing is ScanRouting.SOCKET_BARCODE:
            return Route(
                RouteKind.REFUSED,
                serial=serial,
                message=f"{serial} not started: scan the socket barcode (SOCKET:ID) on the "
                "fixture the pack sits in first, then the serial",
            )
        idle = [s for s in self.sockets if self._state[s] is SocketState.IDLE]
        if not idle:
            busy = ", ".join(f"{s} {self._serial.get(s, '')}" for s in self.sockets)
            return Route(
                RouteKind.REFUSED,
                serial=serial,
                message=f"every socket is busy ({busy}): {serial} was not started; scan it "
                "again when a socket shows its verdict",
            )
        return idle[0]

    # -- a socket's life ------------------------------------------------------------------------
    def select(self, socket: str) -> None:
        """Select ``socket`` by key (number keys, arrows): keys act on it; scans route as
        before."""
        if socket not in self._state:
            raise ValueError(f"no socket {socket!r} at this station")
        with self._lock:
            self.selected = socket

    def claim(self, socket: str, serial: str) -> Route:
        """Claim ``socket`` for ``serial`` without a scan (retry of its last pack); refused
        when the socket is not idle or the serial is on another socket."""
        with self._lock:
            if self._state[socket] is not SocketState.IDLE:
                return Route(
                    RouteKind.REFUSED,
                    socket,
                    serial,
                    f"socket {socket} is busy with {self._serial.get(socket, '')}",
                )
            for other, held in self._serial.items():
                if held == serial and self._state[other] is not SocketState.IDLE:
                    return Route(
                        RouteKind.REFUSED,
                        socket,
                        serial,
                        f"{serial} is already on socket {other}: one pack is in one socket",
                    )
            self._state[socket] = SocketState.CLAIMED
            self._serial[socket] = serial
            self.selected = socket
            return Route(RouteKind.RUN, socket, serial)

    def running(self, socket: str) -> None:
        with self._lock:
            self._state[socket] = SocketState.RUNNING

    def release(self, socket: str) -> None:
        """The socket is idle again (its run ended, or its serial was refused)."""
        with self._lock:
            self._state[socket] = SocketState.IDLE

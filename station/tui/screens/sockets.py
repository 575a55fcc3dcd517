"""The line screen of a station with several sockets: a tile per socket, one scan field.

Where a scan goes is the board's rule (station/sequence/routing.py); this screen shows the
answer, checks the serial with that socket's station, and runs the pack in a worker of that
socket's own, forwarding its events to its tile. Esc twice, F2 (retry) and F3 (reprint) act on
the selected socket, chosen by scanning its SOCKET:ID barcode or with the arrow keys; nothing
done to one socket touches another's pack.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.events import ScreenResume, ScreenSuspend, Unmount
from textual.timer import Timer
from textual.widgets import Input, Static

from station.sequence.board import SocketBoard
from station.sequence.events import (
    CancelToken,
    Event,
    LabelResult,
    Outcome,
    RunFinished,
    RunResult,
)
from station.sequence.routing import Route, RouteKind, ScanRouting
from station.sequence.service import (
    Readiness,
    ReworkAuthorisation,
    RunRequest,
    SerialCheck,
    Shift,
    ShiftCounters,
    SocketState,
)
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.faults import station_fault_result
from station.tui.fields import SERIAL_MAX, BoundedInput
from station.tui.messages import RunSettled, SocketEvent, SocketRunEnded
from station.tui.screens.engineer import SocketChoice, open_engineer_mode
from station.tui.screens.line_navigation import LineNavigation
from station.tui.screens.meter import ask_from_worker
from station.tui.screens.pack_actions import ask_reprint, ask_rework
from station.tui.text import plain, printable
from station.tui.widgets import StationFooter, StationHeader
from station.tui.widgets.result_details import label_line
from station.tui.widgets.socket_tile import SocketTile, TileMode, TileState

log = logging.getLogger("station.tui")


def grid_columns(sockets: int) -> int:
    """Tiles per row: 2 up to 4 sockets (block-letter verdicts fit), then 4."""
    return 2 if sockets <= 4 else 4


class SocketsScreen(LineNavigation):
    CSS_PATH = "sockets.tcss"
    AUTO_FOCUS = "#scan"
    BINDINGS: ClassVar[list[BindingType]] = [
        # As on one socket: no printable key acts (a scanner types them).
        Binding("escape", "abort", "Abort", key_display="Esc"),
        Binding("left", "select(-1)", "Socket", key_display="←→", priority=True),
        Binding("right", "select(1)", "Socket", show=False, priority=True),
        Binding("up", "select_row(-1)", "Socket", show=False, priority=True),
        Binding("down", "select_row(1)", "Socket", show=False, priority=True),
        Binding("f2", "retry", "Retry", key_display="F2", priority=True),
        Binding("f3", "reprint", "Reprint", key_display="F3", priority=True),
        Binding("f4", "trace", "Trace", key_display="F4", priority=True),
        Binding("f5", "shift", "Shift", key_display="F5", priority=True),
        Binding("f9", "engineer", "Engineer", key_display="F9", priority=True),
    ]

    def __init__(self, ctx: LineContext, board: SocketBoard, shift: Shift, typed: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.board = board
        self.shift = shift
        self.typed = typed
        self.tiles = {sock: TileState(sock) for sock in board.ids}
        self.cancels: dict[str, CancelToken] = {}
        self.started_at: dict[str, float] = {}
        #: the socket whose abort waits for its confirming Esc
        self.abort_armed: str | None = None
        #: every scan and what the screen did with it (a RouteKind value, or "rework")
        self.scans: list[tuple[str, str]] = []
        self.shift_since: datetime = ctx.options.now()
        self._counters: ShiftCounters | None = None
        self._ready_timer: Timer | None = None
        self._reading: set[str] = set()  # sockets whose readiness is being read

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StationHeader(self.ctx.info, self.shift, id="header")
        with Grid(id="tiles"):
            for state in self.tiles.values():
                yield SocketTile(state)
        with Vertical(id="scan-area"):
            yield Static("", id="prompt")
            yield BoundedInput(
                limit=SERIAL_MAX,
                clear_on_enter=True,
                placeholder=_placeholder(self.board),
                id="scan",
            )
            yield Static("", id="scan-message")
        yield StationFooter()

    def on_mount(self) -> None:
        self.query_one("#tiles", Grid).styles.grid_size_columns = grid_columns(len(self.tiles))
        self._show_selection()
        self.query_one("#scan", BoundedInput).focus()
        for sock in self.board.ids:
            self.check_readiness(sock)
        interval = self.ctx.options.ready_poll_s
        if interval > 0:
            self._ready_timer = self.set_interval(interval, self._poll_readiness)
        *whole, partial = (self.typed + self.ctx.key_hold.release()).split("\n")
        for text in whole:
            self._scan_arrived(text, 0)
        self.query_one("#scan", BoundedInput).insert_text_at_cursor(partial)
        self.typed = ""

    @property
    def selected(self) -> str:
        return self.board.router.selected

    @property
    def running(self) -> bool:
        """Some socket is checking or programming a pack."""
        return any(t.running for t in self.tiles.values())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tile = self.tiles[self.selected]
        if action == "abort":
            return tile.mode is TileMode.RUNNING
        if action == "retry":
            return tile.mode is TileMode.RESULT
        if action == "reprint":
            return not tile.running
        if action in ("trace", "engineer", "shift"):
            return not self.running
        return True

    def _tile(self, sock: str) -> SocketTile:
        return self.query_one(f"#tile-{sock}", SocketTile)

    def _update(self, sock: str, state: TileState) -> None:
        self.tiles[sock] = state
        self._tile(sock).show(state)

    def _show_selection(self) -> None:
        for sock in self.tiles:
            self._tile(sock).set_selected(sock == self.selected)
        self.query_one("#prompt", Static).update(_prompt(self.board, self.selected))
        self.refresh_bindings()

    def _message(self, text: Content | str, css_class: str = "-info") -> None:
        message = self.query_one("#scan-message", Static)
        message.update(plain(text) if isinstance(text, str) else text)
        for name in ("-refused", "-info", "-warning"):
            message.set_class(name == css_class, name)

    def action_engineer(self) -> None:
        # Engineer mode reads and compares the pack in the selected socket, not socket A's.
        if not self.running:
            chosen = SocketChoice(self.selected, self.board.station(self.selected))
            open_engineer_mode(self, self.ctx, self.shift, chosen)

    # -- selection by key -----------------------------------------------------------------------
    def action_select(self, step: int) -> None:
        ids = self.board.ids
        self.board.router.select(ids[(ids.index(self.selected) + step) % len(ids)])
        self._show_selection()

    def action_select_row(self, step: int) -> None:
        self.action_select(step * grid_columns(len(self.tiles)))

    # -- scanning -------------------------------------------------------------------------------
    @on(Input.Changed, "#scan")
    def _typing(self, event: Input.Changed) -> None:
        text = event.value.strip()
        maybe_socket = "SOCKET:".startswith(text.upper()[:7]) or ":" in text
        ok = not text or maybe_socket or self.ctx.service.partial_serial_ok(self.shift, text)
        event.input.set_class(not ok, "-bad")

    def _scan_arrived(self, text: str, dropped: int) -> None:
        scan = text.strip()
        if not scan and not dropped:
            return
        if dropped:
            self.scans.append((scan, RouteKind.REFUSED.value))
            self._refused_scan(
                f"Scan refused: {scan[:24]}… ({len(text) + dropped} characters) is too long; "
                "scan again"
            )
            return
        route = self.board.route(scan)
        self.scans.append((scan, route.kind.value))
        if route.kind is RouteKind.SELECT:
            busy = self.tiles[route.socket].running
            self._show_selection()
            self._message(route.message, "-warning" if busy else "-info")
        elif route.kind is RouteKind.RUN:
            self._show_selection()
            self._check(route)
        else:
            self._refused_scan(route.message)

    def _refused_scan(self, why: str) -> None:
        self._message(why, "-refused")
        if self.ctx.options.bell:
            self.app.bell()

    def _check(self, route: Route) -> None:
        sock, serial = route.socket, route.serial
        self._update(sock, self.tiles[sock].checking(serial))
        self._message(f"Socket {sock}: checking {serial}…")
        call_service(
            self,
            lambda: self.board.check_serial(self.shift, sock, serial),
            lambda check: self._checked(sock, check),
            lambda reason: self._refuse(sock, serial, reason),
            group=f"check-{sock}",
        )

    def _checked(self, sock: str, check: SerialCheck) -> None:
        if check.readiness is not None:
            self._update(sock, replace(self.tiles[sock], readiness=check.readiness))
        if check.busy_elsewhere:
            self._refuse(sock, check.serial, f"busy at {check.busy_elsewhere}. {check.reason}")
        elif check.previous_pass is not None:
            self.scans.append((check.serial, "rework"))
            self._message(f"Socket {sock}: {check.serial} already passed: rework?", "-warning")
            ask_rework(self.app, self.ctx, self.shift, check, lambda a: self._reworked(sock, a))
        elif not check.valid:
            self._refuse(sock, check.serial, check.reason or "not a valid serial for this recipe")
        else:
            self._message("")
            self.start_run(sock, RunRequest(serial=check.serial))

    def _reworked(self, sock: str, auth: ReworkAuthorisation | None) -> None:
        serial = self.tiles[sock].serial
        if auth is None:
            self.board.release(sock)
            self._update(sock, self.tiles[sock].refused(serial, "rework cancelled"))
            self._message(f"Rework cancelled: {serial} was not run on socket {sock}.")
        else:
            self.start_run(sock, RunRequest(serial=serial, rework=auth))
        self._focus_scan()

    def _refuse(self, sock: str, serial: str, reason: str) -> None:
        self.board.release(sock)
        self._update(sock, self.tiles[sock].refused(serial, reason))
        self._refused_scan(f"✘ REFUSED  {serial} on socket {sock}: {reason}")
        self._focus_scan()

    def _focus_scan(self) -> None:
        self.query_one("#scan", BoundedInput).focus()

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, sock: str, request: RunRequest) -> None:
        cancel = CancelToken()
        self.cancels[sock] = cancel
        self.started_at[sock] = self.ctx.options.monotonic()
        self._update(sock, self.tiles[sock].started(request.serial, self.shift.recipe.steps))
        self.refresh_bindings()
        board, shift, app = self.board, self.shift, self.app

        def ask(prompt: str) -> str:
            return ask_from_worker(app, cancel, f"{prompt} (socket {sock})")

        def forward(event: Event) -> None:
            self.post_message(SocketEvent(sock, event))

        def work() -> None:
            try:
                result = board.run(shift, sock, replace(request, ask=ask), forward, cancel)
            except Exception as exc:  # an ERROR verdict: a crash must never look like PASS
                log.exception("socket %s: run of %s stopped on a fault", sock, request.serial)
                self.post_message(SocketRunEnded(sock, None, f"{type(exc).__name__}: {exc}"))
                return
            self.post_message(SocketRunEnded(sock, result))

        self.run_worker(work, thread=True, exit_on_error=False, group=f"run-{sock}")

    @on(SocketEvent)
    def _socket_event(self, message: SocketEvent) -> None:
        sock, event = message.socket, message.event
        if isinstance(event, RunFinished):
            self._finished(sock, event.result)
        else:
            self._update(sock, self.tiles[sock].apply(event))

    @on(SocketRunEnded)
    def _socket_run_ended(self, message: SocketRunEnded) -> None:
        sock = message.socket
        tile = self.tiles[sock]
        if tile.mode is not TileMode.RUNNING:
            return  # RunFinished showed it
        result = message.result or station_fault_result(
            tile.serial,
            tile.step,
            message.error,
            self.ctx.options.monotonic() - self.started_at.get(sock, 0.0),
        )
        self._finished(sock, result)

    def _finished(self, sock: str, result: RunResult) -> None:
        self.cancels.pop(sock, None)
        if self.abort_armed == sock:
            self.abort_armed = None
        elapsed = self.ctx.options.monotonic() - self.started_at.get(sock, 0.0)
        self._update(sock, self.tiles[sock].finished(result, max(elapsed, 0.0)))
        self.refresh_bindings()
        if result.outcome in (Outcome.FAIL, Outcome.ERROR) and self.ctx.options.bell:
            self.app.bell()
        self.check_readiness(sock)
        self.refresh_counters()
        if not self.running:
            self.post_message(RunSettled())

    # -- abort, retry, reprint on the selected socket -------------------------------------------
    def action_abort(self) -> None:
        """First Esc: ask about the selected socket; second Esc: abort it at its next safe
        point. The other sockets go on."""
        sock = self.selected
        tile = self.tiles[sock]
        cancel = self.cancels.get(sock)
        if tile.mode is not TileMode.RUNNING or cancel is None or cancel.requested:
            return
        if self.abort_armed != sock:
            self.abort_armed = sock
            self._message(
                f"Abort {tile.serial} on socket {sock}? Esc again: stop at the next safe point. "
                "Any other key: carry on.",
                "-warning",
            )
            return
        self.abort_armed = None
        self.board.abort(sock)
        self._update(sock, replace(tile, aborting=True))
        self._message(f"Socket {sock}: abort requested, {tile.serial} stops at the next safe point")

    def disarm_abort(self) -> None:
        if self.abort_armed is not None:
            self.abort_armed = None
            self._message("Abort withdrawn: the pack carries on.")

    def stop_requested(self) -> bool:
        """The station is being stopped: abort every run like an operator would. True while a
        run is still finishing."""
        for sock, cancel in self.cancels.items():
            if not cancel.requested:
                cancel.request()
                self._update(sock, replace(self.tiles[sock], aborting=True))
        return self.running

    def on_unmount(self, event: Unmount) -> None:
        for cancel in self.cancels.values():
            cancel.request()

    def action_retry(self) -> None:
        route = self.board.retry(self.selected)
        if route.kind is RouteKind.RUN:
            self._check(route)
        else:
            self._refused_scan(route.message)

    def action_reprint(self) -> None:
        """Reprint, on the selected socket's printer, the label of a pack that passed."""
        sock = self.selected
        if not self.tiles[sock].running:
            self.pick_passed(lambda serial: self._reprint(sock, serial))

    def _reprint(self, sock: str, serial: str) -> None:
        board, shift = self.board, self.shift

        def after(label: LabelResult | None) -> None:
            if label is not None:
                note = label_line(label, passed=True)
                self._message(f"Reprint of {serial} on socket {sock}: {note.plain}")
                if not label.printed and self.ctx.options.bell:
                    self.app.bell()
            self._focus_scan()

        ask_reprint(
            self.app,
            self.ctx,
            serial,
            lambda by, reason: board.reprint_label(shift, sock, serial, reason, by),
            after,
            where=f" (socket {sock}'s printer)",
        )

    # -- readiness, counters --------------------------------------------------------------------
    def check_readiness(self, sock: str) -> None:
        """Whether a pack answers in ``sock`` (never while it runs: the run owns the socket)."""
        if self.tiles[sock].running or sock in self._reading:
            return
        self._reading.add(sock)  # one check at a time per socket, however slow its bus
        call_service(
            self,
            lambda: self.board.readiness(sock),
            lambda ready: self._ready(sock, ready),
            lambda reason: self._ready(sock, Readiness(SocketState.BUS_FAULT, reason)),
            group=f"ready-{sock}",
        )

    def _ready(self, sock: str, ready: Readiness) -> None:
        self._reading.discard(sock)
        self._update(sock, replace(self.tiles[sock], readiness=ready))

    def _poll_readiness(self) -> None:
        for sock in self.board.ids:
            self.check_readiness(sock)

    def on_screen_suspend(self, event: ScreenSuspend) -> None:
        if self._ready_timer is not None:
            self._ready_timer.pause()

    def on_screen_resume(self, event: ScreenResume) -> None:
        if self._ready_timer is not None:
            self._ready_timer.resume()

    def refresh_counters(self) -> None:
        svc, shift, since = self.ctx.service, self.shift, self.shift_since
        call_service(
            self,
            lambda: svc.shift_counters(shift, since),
            self._counted,
            lambda reason: None,
            group="history",
        )

    def _counted(self, counters: ShiftCounters) -> None:
        self._counters = counters

    # -- what the navigation needs -------------------------------------------------------------
    def result_serial(self) -> str:
        return self.tiles[self.selected].serial

    def refresh_history(self) -> None:
        self.refresh_counters()

    @property
    def counters(self) -> ShiftCounters | None:
        return self._counters


def _placeholder(board: SocketBoard) -> str:
    if board.router.routing is ScanRouting.NEXT_IDLE:
        return "scan the pack serial"
    return "scan SOCKET:ID, then the pack serial"


def _prompt(board: SocketBoard, selected: str) -> str:
    armed = board.router.armed
    if armed is not None:
        return printable(f"Socket {armed}: scan the pack serial")
    if board.router.routing is ScanRouting.NEXT_IDLE:
        return printable(f"Scan a pack serial (next idle socket)  ·  selected: socket {selected}")
    return printable(
        f"Scan the socket barcode (SOCKET:ID), then the pack serial  ·  selected: socket {selected}"
    )

"""The operator terminal: a thin App that wires the service into the screens.

``make_app`` is the one way to build it, shared by ``station run`` and the tests.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from station.sequence.board import SocketBoard
from station.sequence.failures import FAILURES, FailureCode
from station.sequence.service import StationService
from station.tui.context import LineContext, LineOptions
from station.tui.messages import RunSettled
from station.tui.screens import LineScreen, ShiftStartScreen
from station.tui.screens.shift_change import QuitScreen
from station.tui.screens.sockets import SocketsScreen
from station.tui.theme import STATION_THEME

log = logging.getLogger("station.tui")

#: What the screen says when a station defect stops the terminal (instead of a traceback).
STOPPED_ON_A_FAULT = (
    "Station fault: the operator terminal stopped on an unexpected {error}.\n"
    + FAILURES[FailureCode.STATION_FAULT].action
    + " The terminal starts again by itself."
)


#: the screens a shift runs on: one socket, or a tile per socket
LINE_SCREENS = (LineScreen, SocketsScreen)


class StationApp(App[None]):
    TITLE = "packline station"
    CSS_PATH = "app.tcss"
    # The line terminal shows only what the operator needs; engineer mode turns the palette on.
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", key_display="^Q", priority=True)
    ]

    def __init__(self, ctx: LineContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.register_theme(STATION_THEME)
        self.theme = STATION_THEME.name
        #: SIGTERM came (systemctl stop/restart, the installer): close once no run is on
        self.stopping = False
        self._sigterm_handled = False

    def _handle_exception(self, error: Exception) -> None:
        # Textual would leave a traceback, with local variables, on the screen it exits to: the
        # operator's tty1. The traceback goes to the log; the screen gets words instead.
        log.critical("the operator terminal stopped on a station fault", exc_info=error)
        self._return_code = 1
        if self._exception is None:
            self._exception = error  # run_test() raises it again, for the tests
            self._exception_event.set()
        self.bell()
        self.panic(Text(STOPPED_ON_A_FAULT.format(error=type(error).__name__)))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.ctx.key_hold.take(event):
            return  # a line screen is coming up and takes it (see KeyHold)
        # Any key but Esc withdraws an armed abort, whichever widget then takes the key.
        if isinstance(event, events.Key) and event.key != "escape":
            screen = self.screen
            if isinstance(screen, LINE_SCREENS):
                screen.disarm_abort()
        await super().on_event(event)

    def get_default_screen(self) -> Screen[None]:
        return ShiftStartScreen(self.ctx)

    def on_mount(self) -> None:
        # A service stop is an operator's abort at the next safe point, then a clean exit,
        # well within the unit's stop timeout; never a run killed mid-write.
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.stop)
        except (NotImplementedError, RuntimeError, ValueError):
            return  # not the main thread (some test runners): nothing to hook
        self._sigterm_handled = True

    def on_unmount(self) -> None:
        if self._sigterm_handled:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)

    def stop(self) -> None:
        """Stop the terminal as the service manager asks: abort a run first."""
        self.stopping = True
        for screen in self.screen_stack:
            if isinstance(screen, LINE_SCREENS) and screen.stop_requested():
                self.notify(
                    "Station stopping: the pack is aborted at the next safe point",
                    severity="warning",
                )
                return
        self.exit()

    @on(RunSettled)
    def _run_settled(self) -> None:
        if self.stopping:
            self.exit()

    async def action_quit(self) -> None:
        """Ctrl+Q asks first (a second Ctrl+Q quits); never while a pack is being programmed."""
        screen = self.screen
        if isinstance(screen, QuitScreen):
            screen.dismiss(True)
            return
        line = next((s for s in self.screen_stack if isinstance(s, LINE_SCREENS)), None)
        if line is not None and line.running:
            self.notify(
                "A pack is being programmed: abort it first (Esc, then Esc again), then quit.",
                severity="warning",
            )
            return
        summary = ""
        if line is not None:
            summary = line.shift_summary(line.counters)

        def after(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()

        self.push_screen(QuitScreen(summary), after)


def make_app(
    service: StationService,
    options: LineOptions | None = None,
    *,
    board: SocketBoard | None = None,
) -> StationApp:
    """The operator terminal for ``service`` (asks the service for its station info once);
    with a ``board``, a tile per socket of the station."""
    info = service.info()
    if board is not None:
        info = replace(info, socket=", ".join(board.ids), bus=", ".join(board.adapters()))
    ctx = LineContext(service=service, info=info, options=options or LineOptions(), board=board)
    return StationApp(ctx)

"""The operator terminal: a thin App that wires the service into the screens.

``make_app`` is the one way to build it, shared by ``station run`` and the tests.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from station.sequence.service import StationService
from station.tui.context import LineContext, LineOptions
from station.tui.screens import LineScreen, ShiftStartScreen
from station.tui.screens.shift_change import QuitScreen
from station.tui.theme import STATION_THEME


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

    async def on_event(self, event: events.Event) -> None:
        # Any key but Esc withdraws an armed abort, whichever widget then takes the key.
        if isinstance(event, events.Key) and event.key != "escape":
            screen = self.screen
            if isinstance(screen, LineScreen):
                screen.disarm_abort()
        await super().on_event(event)

    def get_default_screen(self) -> Screen[None]:
        return ShiftStartScreen(self.ctx)

    async def action_quit(self) -> None:
        """Ctrl+Q asks first (a second Ctrl+Q quits); never while a pack is being programmed."""
        screen = self.screen
        if isinstance(screen, QuitScreen):
            screen.dismiss(True)
            return
        line = next((s for s in self.screen_stack if isinstance(s, LineScreen)), None)
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


def make_app(service: StationService, options: LineOptions | None = None) -> StationApp:
    """The operator terminal for ``service`` (asks the service for its station info once)."""
    ctx = LineContext(service=service, info=service.info(), options=options or LineOptions())
    return StationApp(ctx)

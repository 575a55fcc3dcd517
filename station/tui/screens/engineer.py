"""Engineer mode, behind an engineer badge: live gauge values, the recipe and its difference
from the connected pack, and releasing a recipe file into the database.

The gauge is read on a key and on a slow timer that stops while the screen is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.events import ScreenResume, ScreenSuspend
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static, TabbedContent, TabPane

from station.sequence.service import Badge, Credentials, Release, Role, Shift, StationService
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import PATH_MAX, BoundedInput
from station.tui.screens.badge import BadgeScreen
from station.tui.text import plain
from station.tui.widgets import SectionsView, StationFooter, StationHeader


def open_engineer_mode(
    node: DOMNode, ctx: LineContext, shift: Shift | None, socket: SocketChoice | None = None
) -> None:
    """Ask for an engineer badge, then open engineer mode (on ``socket``'s pack where the
    station has several)."""

    def opened(given: tuple[Badge, Credentials] | None) -> None:
        if given is not None:
            badge, credentials = given
            node.app.push_screen(EngineerScreen(ctx, shift, badge, credentials, socket))

    node.app.push_screen(
        BadgeScreen(
            ctx,
            title="Engineer mode",
            purpose="engineer mode",
            required=Role.ENGINEER,
            verify=ctx.service.engineer_mode,
        ),
        opened,
    )


@dataclass(frozen=True)
class SocketChoice:
    """The socket engineer mode reads the pack of, on a station with several."""

    name: str
    service: StationService


class EngineerScreen(Screen[None]):
    CSS_PATH = "engineer.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back"),
        # The tab titles show their keys (F6 Gauge …): the footer keeps room for the rest.
        Binding("f6", "tab('gauge')", "Gauge", show=False),
        Binding("f7", "tab('recipe')", "Recipe", show=False),
        Binding("f8", "tab('release')", "Release", show=False),
        Binding("ctrl+r", "refresh_gauge", "Read", key_display="Ctrl+R", priority=True),
        Binding("ctrl+d", "diff", "Diff", key_display="Ctrl+D", priority=True),
        Binding("ctrl+p", "app.command_palette", "Commands", key_display="Ctrl+P", priority=True),
    ]

    def __init__(
        self,
        ctx: LineContext,
        shift: Shift | None,
        badge: Badge,
        credentials: Credentials,
        socket: SocketChoice | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        #: the socket whose pack is read and compared (the station's only one by default)
        self.socket = socket
        self.pack_service: StationService = socket.service if socket else ctx.service
        self.shift = shift
        self.badge = badge
        # Each release is authorised again by the service with the badge and PIN given here.
        self.credentials = credentials
        self.gauge_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StationHeader(self.ctx.info, self.shift)
        where = f"  ·  socket {self.socket.name}" if self.socket else ""
        yield Static(plain(f"Engineer mode  ·  {self.badge.code}{where}"), classes="screen-title")
        with TabbedContent(id="engineer-tabs", initial="gauge"):
            with TabPane("F6 Gauge", id="gauge"):
                yield SectionsView(id="gauge-sections")
            with TabPane("F7 Recipe", id="recipe"):
                yield SectionsView(id="recipe-sections")
                yield SectionsView(id="diff-sections")
            with TabPane("F8 Release", id="release"), Vertical(id="release-form"):
                yield Static("Recipe file to release (path, then Enter)", classes="field-label")
                yield BoundedInput(
                    limit=PATH_MAX, placeholder="recipes/pk4s-std.toml", id="release-path"
                )
                yield Static("", id="release-message")
        yield StationFooter(compact=True)

    def on_mount(self) -> None:
        self.app.use_command_palette = True
        self.query_one("#release-path", Input).cursor_blink = False
        self.refresh_gauge()
        self._load_recipe()
        self.query_one("#diff-sections", SectionsView).message(
            "Ctrl+D reads the pack and compares it with the recipe"
        )
        interval = self.ctx.options.gauge_refresh_s
        if interval > 0:
            self.gauge_timer = self.set_interval(interval, self.refresh_gauge)

    def on_screen_suspend(self, event: ScreenSuspend) -> None:
        if self.gauge_timer is not None:
            self.gauge_timer.pause()

    def on_screen_resume(self, event: ScreenResume) -> None:
        if self.gauge_timer is not None:
            self.gauge_timer.resume()

    # -- gauge ----------------------------------------------------------------------------------
    def action_refresh_gauge(self) -> None:
        self.refresh_gauge()

    def refresh_gauge(self) -> None:
        view = self.query_one("#gauge-sections", SectionsView)
        shift = self.shift
        call_service(
            self,
            lambda: self.pack_service.gauge_snapshot(shift),
            lambda sections: view.show(sections, "No gauge answered"),
            lambda reason: view.message(reason, error=True),
            group="gauge",
        )

    # -- recipe ---------------------------------------------------------------------------------
    def _load_recipe(self) -> None:
        view = self.query_one("#recipe-sections", SectionsView)
        shift = self.shift
        if shift is None:
            view.message("No shift started: start one to see its recipe")
            return
        call_service(
            self,
            lambda: self.ctx.service.recipe_details(shift),
            lambda sections: view.show(sections),
            lambda reason: view.message(reason, error=True),
        )

    def action_diff(self) -> None:
        view = self.query_one("#diff-sections", SectionsView)
        shift = self.shift
        self.query_one(TabbedContent).active = "recipe"
        if shift is None:
            view.message("No shift started: no recipe to compare with", error=True)
            return
        view.message("Reading the pack…")
        call_service(
            self,
            lambda: self.pack_service.recipe_diff_against_pack(shift),
            lambda sections: view.show(sections, "The pack matches the recipe"),
            lambda reason: view.message(reason, error=True),
        )

    # -- release --------------------------------------------------------------------------------
    @on(Input.Submitted, "#release-path")
    def _release(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        path = Path(text).expanduser()
        self._say(f"Releasing {path}…")
        call_service(
            self,
            lambda: self.ctx.service.release_recipe(path, by=self.credentials),
            self._released,
            lambda reason: self._say(reason, error=True),
        )

    def _released(self, done: Release) -> None:
        c = done.choice
        when = self.ctx.local(c.released_at).strftime("%Y-%m-%d %H:%M")
        if done.already_released:
            self._say(
                f"{c.name} {c.version} ({c.short_hash}) was already released by "
                f"{c.released_by} on {when}: nothing changed"
            )
            return
        self._say(f"✔ Released {c.name} {c.version} ({c.short_hash}) by {c.released_by}")

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#release-message", Static)
        message.update(plain(text))
        message.set_class(error, "-error")

    # -- navigation -----------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "release":
            self.query_one("#release-path", Input).focus()

    def action_leave(self) -> None:
        self.app.use_command_palette = False
        self.dismiss(None)

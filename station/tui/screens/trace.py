"""Any serial's full record: scan or type a serial, read the sections; Esc goes back."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from station.sequence.service import Section, Shift
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import SERIAL_MAX, BoundedInput
from station.tui.text import plain
from station.tui.widgets import SectionsView, StationFooter, StationHeader


class TraceScreen(Screen[None]):
    CSS_PATH = "trace.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("pageup", "scroll(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll(1)", "Scroll down", show=False),
    ]
    AUTO_FOCUS = "#trace-serial"

    def __init__(self, ctx: LineContext, serial: str = "", shift: Shift | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.serial = serial
        self.shift = shift

    def compose(self) -> ComposeResult:
        yield StationHeader(self.ctx.info, self.shift)
        with Vertical(id="trace-top"):
            yield Static("Trace a pack", classes="screen-title")
            yield BoundedInput(
                limit=SERIAL_MAX, placeholder="scan or type a serial", id="trace-serial"
            )
            yield Static("", id="trace-title")
        yield SectionsView(id="trace-sections")
        yield StationFooter()

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        if self.serial:
            self.load(self.serial)
        else:
            self.query_one(SectionsView).message("Scan or type a serial, then press Enter")

    @on(Input.Submitted, "#trace-serial")
    def _submitted(self, event: Input.Submitted) -> None:
        serial = event.value.strip()
        event.input.value = ""
        if serial:
            self.load(serial)

    def load(self, serial: str) -> None:
        self.serial = serial
        self.query_one("#trace-title", Static).update(plain(f"Record of {serial}"))
        view = self.query_one(SectionsView)
        view.message(f"Reading the record of {serial}…")
        call_service(
            self,
            lambda: self.ctx.service.trace(serial),
            lambda sections: self._show(serial, sections),
            lambda reason: view.message(reason, error=True),
        )

    def _show(self, serial: str, sections: list[Section]) -> None:
        self.query_one(SectionsView).show(sections, f"No record of {serial} in the database")

    def action_scroll(self, pages: int) -> None:
        view = self.query_one(SectionsView)
        if pages < 0:
            view.scroll_page_up()
        else:
            view.scroll_page_down()

    def action_back(self) -> None:
        self.dismiss(None)

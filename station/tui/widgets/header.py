"""The two header lines every screen shows: where we are and what the line is running."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from station.sequence.service import Shift, StationInfo
from station.tui.text import markup


class StationHeader(Widget):
    DEFAULT_CSS = """
    StationHeader {
        height: 2;
        background: $panel;
        padding: 0 1;
    }
    StationHeader > Static {
        width: 1fr;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        info: StationInfo,
        shift: Shift | None = None,
        *,
        id: str | None = None,  # noqa: A002 (Textual's name)
    ) -> None:
        super().__init__(id=id)
        self.info = info
        self.shift = shift

    def compose(self) -> ComposeResult:
        yield Static(self._station_line(), id="header-station")
        yield Static(self._shift_line(), id="header-shift")

    def set_shift(self, shift: Shift | None) -> None:
        self.shift = shift
        if self.is_mounted:
            self.query_one("#header-shift", Static).update(self._shift_line())

    def _station_line(self) -> Content:
        info = self.info
        bus = (
            markup("[b $warning]EMULATOR[/] ($bus)", bus=info.bus)
            if info.emulated
            else markup("[b]$bus[/]", bus=info.bus)
        )
        return Content.assemble(
            markup("[b $accent]$id[/]", id=info.station_id),
            f" socket {info.socket}  │  bus ",
            bus,
            f"  │  db {info.database}",
        )

    def _shift_line(self) -> Content:
        shift = self.shift
        if shift is None:
            return markup("[dim]No shift started[/]")
        r = shift.recipe
        return markup(
            "Recipe [b]$name $version[/] [dim]$hash[/]  │  Operator [b]$op[/]  │  Lot [b]$lot[/]",
            name=r.name,
            version=r.version,
            hash=r.hash[:12],
            op=shift.operator.code,
            lot=shift.lot,
        )

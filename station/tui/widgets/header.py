"""The two header lines every screen shows: where we are and what the line is running."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from station.sequence.service import Readiness, Shift, SocketState, StationInfo
from station.tui.text import markup, printable

#: the socket's state → its badge's colours (the verdict banners' pairs: 7:1 and more)
_READY_CLASSES = {
    SocketState.PACK_DETECTED: "-ready-pack",
    SocketState.PLACE_PACK: "-ready-empty",
    SocketState.BUS_FAULT: "-ready-fault",
}
_READY_MARKS = {
    SocketState.PACK_DETECTED: "●",
    SocketState.PLACE_PACK: "○",
    SocketState.BUS_FAULT: "✘",
}


class StationHeader(Widget):
    DEFAULT_CSS = """
    StationHeader {
        height: 2;
        background: $panel;
        padding: 0 1;
    }
    StationHeader Static {
        width: 1fr;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    StationHeader #header-top {
        height: 1;
    }
    StationHeader #header-ready {
        width: auto;
        padding: 0 1;
        text-style: bold;
        display: none;
    }
    StationHeader #header-ready.-shown { display: block; }
    StationHeader #header-ready.-ready-pack {
        background: $verdict-pass-bg;
        color: $verdict-pass-text;
    }
    StationHeader #header-ready.-ready-empty {
        background: $verdict-aborted-bg;
        color: $verdict-aborted-text;
    }
    StationHeader #header-ready.-ready-fault {
        background: $verdict-error-bg;
        color: $verdict-error-text;
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
        self.readiness: Readiness | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="header-top"):
            yield Static(self._station_line(), id="header-station")
            yield Static("", id="header-ready")
        yield Static(self._shift_line(), id="header-shift")

    def set_readiness(self, ready: Readiness | None) -> None:
        """Show whether the socket is ready for a pack (None: not known yet)."""
        self.readiness = ready
        if not self.is_mounted:
            return
        badge = self.query_one("#header-ready", Static)
        badge.set_class(True, "-shown")
        if ready is None:
            badge.update("Checking the bus…")
        else:
            badge.update(f"{_READY_MARKS[ready.state]} {ready.state.value}")
            # The detail (which bus error) is for a technician: shown on hover.
            badge.tooltip = printable(ready.detail)
        for state, css in _READY_CLASSES.items():
            badge.set_class(ready is not None and ready.state is state, css)

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

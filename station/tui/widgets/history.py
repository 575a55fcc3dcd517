"""This shift's packs and counters: the operator sees the yield without asking anyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from station.sequence.service import HistoryRow, ShiftCounters
from station.tui.formatting import percent, seconds

_COLUMNS = ("Time", "Serial", "Result", "Cycle", "Code")


class HistoryTable(DataTable[str | Text]):
    pass


class HistoryPanel(Vertical):
    """Counters on top, last packs below (newest first); the row key is the serial."""

    DEFAULT_CSS = """
    HistoryPanel {
        height: 1fr;
        border: round $primary-muted;
        border-title-color: $text;
        padding: 0 1;
    }
    HistoryPanel > #history-counters { height: 2; }
    HistoryPanel > HistoryTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "This shift"
        self.serials: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(self._counters_text(None), id="history-counters")
        yield HistoryTable(id="history-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(HistoryTable).add_columns(*_COLUMNS)

    def show(
        self,
        rows: list[HistoryRow],
        counters: ShiftCounters | None,
        local: Callable[[datetime], datetime],
    ) -> None:
        self.query_one("#history-counters", Static).update(self._counters_text(counters))
        table = self.query_one(HistoryTable)
        table.clear()
        self.serials = []
        theme = self.app.current_theme
        colours = {"PASS": theme.success, "FAIL": theme.error, "ERROR": theme.error}
        for row in rows:
            when = local(row.ended_at).strftime("%H:%M") if row.ended_at else "--:--"
            colour = colours.get(row.outcome, theme.warning)
            table.add_row(
                when,
                row.serial,
                Text(row.outcome, style=f"bold {colour}" if colour else "bold"),
                Text(seconds(row.cycle_time_s), justify="right"),
                row.failure_code,
                key=str(row.attempt_id),
            )
            self.serials.append(row.serial)

    def selected_serial(self) -> str | None:
        table = self.query_one(HistoryTable)
        if not self.serials or table.cursor_row < 0 or table.cursor_row >= len(self.serials):
            return None
        return self.serials[table.cursor_row]

    @staticmethod
    def _counters_text(counters: ShiftCounters | None) -> Content:
        if counters is None:
            return Content.from_markup("[dim]No pack yet this shift[/]")
        return Content.from_markup(
            "Passed [b $success]$p[/]  Failed [b $error]$f[/]  Errors [b]$e[/]\n"
            "First-pass yield [b]$y[/]",
            p=str(counters.passed),
            f=str(counters.failed),
            e=str(counters.errors),
            y=percent(counters.first_pass_yield),
        )

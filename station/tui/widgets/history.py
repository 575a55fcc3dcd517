"""This shift's packs and counters: the operator sees the yield without asking anyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from station.sequence.service import HistoryRow, Shift, ShiftCounters
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.formatting import percent, seconds
from station.tui.text import markup, printable

_COLUMNS = ("Time", "Serial", "Result", "Cycle")
#: the failure code column needs this much room; narrower panels leave it to the trace view
CODE_MIN_WIDTH = 60


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
    HistoryPanel > #history-counters { height: 3; }
    HistoryPanel > HistoryTable { height: 1fr; overflow-x: hidden; }
    HistoryPanel > HistoryTable:blur > .datatable--cursor {
        background: transparent;
        text-style: none;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.border_title = "This shift"
        self.serials: list[str] = []
        self._rows: list[HistoryRow] = []
        self._local: Callable[[datetime], datetime] = lambda when: when
        self._code_shown = False
        #: the shift's counters as last read (None before the first read)
        self.counters: ShiftCounters | None = None

    def load(self, ctx: LineContext, shift: Shift, since: datetime) -> None:
        """Read the shift's last packs and counters from the service, then show them."""
        svc, limit = ctx.service, ctx.options.history_limit

        def read() -> tuple[list[HistoryRow], ShiftCounters]:
            return svc.shift_history(shift, since, limit), svc.shift_counters(shift, since)

        def show(data: tuple[list[HistoryRow], ShiftCounters]) -> None:
            rows, self.counters = data
            self.show(rows, self.counters, ctx.local)

        def failed(reason: str) -> None:
            self.border_subtitle = printable(reason)

        call_service(self, read, show, failed, group="history")

    def compose(self) -> ComposeResult:
        yield Static(self._counters_text(None), id="history-counters")
        yield HistoryTable(id="history-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._columns()

    def on_resize(self) -> None:
        if self._with_code() != self._code_shown:
            self._columns()
            self._fill()

    def _with_code(self) -> bool:
        return self.size.width >= CODE_MIN_WIDTH

    def _columns(self) -> None:
        table = self.query_one(HistoryTable)
        table.clear(columns=True)
        self._code_shown = self._with_code()
        table.add_columns(*_COLUMNS, *(("Code",) if self._code_shown else ()))

    def show(
        self,
        rows: list[HistoryRow],
        counters: ShiftCounters | None,
        local: Callable[[datetime], datetime],
    ) -> None:
        self.query_one("#history-counters", Static).update(self._counters_text(counters))
        self._rows = rows
        self._local = local
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(HistoryTable)
        table.clear()
        self.serials = []
        theme = self.app.current_theme
        colours = {"PASS": theme.success, "FAIL": theme.error, "ERROR": theme.error}
        for row in self._rows:
            when = self._local(row.ended_at).strftime("%H:%M") if row.ended_at else "--:--"
            colour = colours.get(row.outcome, theme.warning)
            cells: list[str | Text] = [
                when,
                row.serial,
                Text(row.outcome, style=f"bold {colour}" if colour else "bold"),
                Text(seconds(row.cycle_time_s), justify="right"),
            ]
            if self._code_shown:
                cells.append(row.failure_code)
            table.add_row(*cells, key=str(row.attempt_id))
            self.serials.append(row.serial)

    def selected_serial(self) -> str | None:
        table = self.query_one(HistoryTable)
        if not self.serials or table.cursor_row < 0 or table.cursor_row >= len(self.serials):
            return None
        return self.serials[table.cursor_row]

    @staticmethod
    def _counters_text(counters: ShiftCounters | None) -> Content:
        if counters is None:
            return markup("[dim]No pack yet this shift[/]")
        # Aborted and interrupted runs are not failures: they are counted apart, and the
        # first-pass yield is over PASS + FAIL + ERROR.
        return markup(
            "Passed [b $success]$p[/]  Failed [b $error]$f[/]  Errors [b]$e[/]\n"
            "Aborted [b]$a[/]  Interrupted [b]$i[/]\n"
            "First-pass yield [b]$y[/]",
            p=str(counters.passed),
            f=str(counters.failed),
            e=str(counters.errors),
            a=str(counters.aborted),
            i=str(counters.interrupted),
            y=percent(counters.first_pass_yield),
        )

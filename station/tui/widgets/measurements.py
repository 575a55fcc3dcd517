"""Measurements against their limits, one row each, as the engine takes them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from station.sequence.events import Measurement, Outcome
from station.tui.formatting import number

COLUMNS = ("Measurement", "Value", "Unit", "Low", "High", "Result")


class MeasurementTable(DataTable[str | Text]):
    """Read-only: it never takes focus, so the run screen's keys always reach the screen."""

    can_focus = False

    DEFAULT_CSS = """
    MeasurementTable {
        height: auto;
        max-height: 12;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id, cursor_type="none", zebra_stripes=True, show_cursor=False)

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def add_measurement(self, m: Measurement) -> None:
        value = m.text if m.text is not None else number(m.value)
        self.add_row(
            m.name,
            value,
            m.unit,
            Text(number(m.low), justify="right"),
            Text(number(m.high), justify="right"),
            self._outcome(m.outcome),
        )
        self.move_cursor(row=self.row_count - 1)
        self.scroll_end(animate=False)

    def _outcome(self, outcome: Outcome) -> Text:
        theme = self.app.current_theme
        colour = {
            Outcome.PASS: theme.success,
            Outcome.FAIL: theme.error,
            Outcome.ERROR: theme.error,
        }.get(outcome, theme.warning)
        return Text(outcome.value, style=f"bold {colour}" if colour else "bold")

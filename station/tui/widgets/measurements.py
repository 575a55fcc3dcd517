"""Measurements against their limits, one row each, as the engine takes them.

Every column stays on screen at every width: the unit goes with the value, the numeric columns
keep their width, and the name and value are cut with "…" to fit what is left.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from station.sequence.events import Measurement, Verdict
from station.tui.formatting import number
from station.tui.text import printable

COLUMNS = ("Measurement", "Value", "Low", "High", "Result")
#: widths that do not shrink (Low, High, Result); padding is one cell each side of a column
_FIXED = (6, 6, 6)
_PADDING = 2
_SCROLLBAR = 2


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


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
        self.measurements: list[Measurement] = []
        self._shown_row = 0  # the row kept in view
        self._width = 0

    def on_mount(self) -> None:
        self._rebuild()

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._rebuild()

    def clear_measurements(self) -> None:
        self.measurements.clear()
        self.clear()

    def add_measurement(self, m: Measurement) -> None:
        self.measurements.append(m)
        self._add_row(m)
        self._shown_row = self.row_count - 1
        self.move_cursor(row=self._shown_row)
        self.scroll_end(animate=False)

    def show_verdict(self) -> None:
        """At the verdict: the first failed measurement in view (else the last one), so the
        check that stopped the pack is on screen without scrolling."""
        if not self.measurements:
            return
        failed = [i for i, m in enumerate(self.measurements) if m.verdict is Verdict.FAIL]
        self._shown_row = failed[0] if failed else len(self.measurements) - 1
        self.move_cursor(row=self._shown_row, scroll=True)

    def _widths(self) -> tuple[int, int]:
        """Width of the name and value columns at the current size."""
        # Two columns stay free for the scroll bar a long list of checks brings.
        room = self.size.width - sum(_FIXED) - _PADDING * len(COLUMNS) - _SCROLLBAR
        room = max(room, 16)
        value = min(max(room // 3, 8), 14)
        return room - value, value

    def _rebuild(self) -> None:
        self._width = self.size.width
        name_w, value_w = self._widths()
        self.clear(columns=True)
        for label, width in zip(COLUMNS, (name_w, value_w, *_FIXED), strict=True):
            self.add_column(label, width=width, key=label)
        for m in self.measurements:
            self._add_row(m)
        if self.measurements:
            # Rebuilt for a new width: the row that was in view stays in view.
            self.move_cursor(row=min(self._shown_row, self.row_count - 1), scroll=True)

    def _add_row(self, m: Measurement) -> None:
        name_w, value_w = self._widths()
        value = m.text if m.text is not None else number(m.value)
        if m.unit and m.text is None:
            value = f"{value} {m.unit}"
        self.add_row(
            _fit(printable(m.name), name_w),
            _fit(printable(value), value_w),
            Text(_fit(number(m.low), _FIXED[0]), justify="right"),
            Text(_fit(number(m.high), _FIXED[1]), justify="right"),
            self._verdict(m.verdict),
        )

    def _verdict(self, verdict: Verdict) -> Text:
        """The word the engine judged, as it judged it (INFO: recorded, not judged)."""
        theme = self.app.current_theme
        if verdict is Verdict.INFO:
            return Text(verdict.value, style="dim")
        colour = theme.success if verdict is Verdict.PASS else theme.error
        return Text(verdict.value, style=f"bold {colour}" if colour else "bold")

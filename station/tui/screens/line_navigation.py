"""What a line screen (one socket, or a tile per socket) shares: its scan field takes every
scan, whole; and what it opens beside the runs: the shift's history, the trace of a pack,
engineer mode, the shift dialog (none of them while a pack runs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.content import Content
from textual.events import Key
from textual.screen import Screen
from textual.widgets import DataTable

from station.sequence.service import Shift, ShiftCounters
from station.tui.context import LineContext
from station.tui.fields import BoundedInput
from station.tui.screens.engineer import open_engineer_mode
from station.tui.screens.pack_actions import pick_passed_pack
from station.tui.screens.scan_area import ScanArea
from station.tui.screens.scan_keys import forward_to_scan
from station.tui.screens.shift_change import END, ShiftChange, ShiftScreen, summary_text
from station.tui.screens.trace import TraceScreen
from station.tui.text import plain
from station.tui.widgets import HistoryPanel, StationHeader
from station.tui.widgets.history import HistoryTable


class LineNavigation(Screen[None]):
    """A line screen's ways out to other screens (the line screen provides the state)."""

    ctx: LineContext
    shift: Shift
    shift_since: datetime

    @property
    def running(self) -> bool:
        raise NotImplementedError

    def result_serial(self) -> str:
        """The serial whose result is shown ("" when none is)."""
        raise NotImplementedError

    def _message(self, text: Content | str, css_class: str) -> None:
        raise NotImplementedError

    def _focus_scan(self) -> None:
        raise NotImplementedError

    def _scan_arrived(self, text: str, dropped: int) -> None:
        """A whole scan (``dropped``: characters beyond the field's limit)."""
        raise NotImplementedError

    # -- the scan field -------------------------------------------------------------------------
    @on(BoundedInput.Entered, "#scan")
    def _scanned(self, event: BoundedInput.Entered) -> None:
        self._scan_arrived(event.value, event.dropped)

    def on_key(self, event: Key) -> None:
        """A key no widget took (the scan field was not focused yet): it goes to the field."""
        forward_to_scan(self, self.query_one("#scan", BoundedInput), event)

    # -- history, trace, engineer ---------------------------------------------------------------
    def refresh_history(self) -> None:
        self.query_one(HistoryPanel).load(self.ctx, self.shift, self.shift_since)

    @property
    def counters(self) -> ShiftCounters | None:
        """The shift's counters as last read, for the summary on quit."""
        return self.query_one(HistoryPanel).counters

    @on(DataTable.RowSelected, "#history-table")
    def _history_row_chosen(self, event: DataTable.RowSelected) -> None:
        serial = self.query_one(HistoryPanel).selected_serial()
        if serial:
            self.app.push_screen(TraceScreen(self.ctx, serial, self.shift))

    def action_trace(self) -> None:
        if self.running:
            return
        serial = self.result_serial()
        if isinstance(self.focused, HistoryTable):
            serial = self.query_one(HistoryPanel).selected_serial() or ""
        self.app.push_screen(
            TraceScreen(self.ctx, serial, self.shift), lambda _: self._focus_scan()
        )

    def action_engineer(self) -> None:
        if not self.running:
            open_engineer_mode(self, self.ctx, self.shift)

    def pick_passed(self, then: Callable[[str], None]) -> None:
        """The operator picks a pack that passed this shift, then ``then(serial)`` (Esc: back to
        the scan field)."""

        def picked(serial: str | None) -> None:
            if serial:
                then(serial)
            else:
                self._focus_scan()

        pick_passed_pack(
            self,
            self.ctx,
            self.shift,
            self.shift_since,
            picked,
            lambda reason: self._message(reason, "-refused"),
        )

    # -- the shift ------------------------------------------------------------------------------
    def action_shift(self) -> None:
        """Change lot, operator or recipe, or end the shift, without quitting."""
        if self.running:
            return

        def after(change: ShiftChange | None) -> None:
            if isinstance(change, Shift):
                self.set_shift(change)
            elif change == END:
                self.dismiss(None)  # back to the start of shift
                return
            self._focus_scan()

        self.app.push_screen(ShiftScreen(self.ctx, self.shift, self.shift_since), after)

    def set_shift(self, shift: Shift) -> None:
        changed = shift.recipe.hash != self.shift.recipe.hash
        self.shift = shift
        self.query_one(StationHeader).set_shift(shift)
        if changed:
            for area in self.query(ScanArea):
                area.set_recipe(shift.recipe)
        self._message(
            plain(
                f"Shift changed: operator {shift.operator.code}, lot {shift.lot}, recipe "
                f"{shift.recipe.name} {shift.recipe.version}"
            ),
            "-info",
        )

    def shift_summary(self, counters: ShiftCounters | None) -> str:
        return summary_text(self.shift, counters, self.ctx.local(self.shift_since))

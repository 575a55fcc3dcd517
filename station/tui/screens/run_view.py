"""The running pack on the one-socket line screen: status line, step checklist, data-flash
progress, measurements and the run's notes. It renders engine events; the screen decides when.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import ProgressBar, RichLog, Static

from station.sequence.events import (
    STEP_TITLES,
    Event,
    MeasurementTaken,
    Notice,
    RunResult,
    RunStarted,
    StepFinished,
    StepId,
    StepProgress,
    StepStarted,
)
from station.tui.text import markup, printable
from station.tui.widgets import MeasurementTable, StepChecklist


class RunView(Vertical):
    """The ``#run`` block of the line screen (its parts keep their ids for the screen's CSS)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        #: the run's notes as written (the log widget renders them only while it is shown)
        self.notice_lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="run-status")
        with Horizontal(id="run-body"):
            yield StepChecklist(id="steps")
            with Vertical(id="run-side"):
                yield Static("", id="flash-label")
                yield ProgressBar(total=None, show_eta=False, id="flash")
                yield MeasurementTable(id="measurements")
                notices = RichLog(
                    max_lines=200, wrap=True, markup=False, min_width=20, id="notices"
                )
                # Read-only, and never in the way of a scan: focusable, it took the focus
                # before the scan field did and swallowed the first scan.
                notices.can_focus = False
                yield notices

    def reset(self, steps: tuple[StepId, ...]) -> None:
        """A new run: every step pending, nothing measured or noted."""
        self.query_one(StepChecklist).reset(steps)
        self.query_one(MeasurementTable).clear_measurements()
        self.notice_lines.clear()
        self.query_one("#notices", RichLog).clear()
        self.show_progress(None)

    def render_event(self, event: Event) -> None:
        """Show one engine event (RunFinished is the screen's: it shows the verdict)."""
        checklist = self.query_one(StepChecklist)
        if isinstance(event, RunStarted):
            checklist.reset(event.steps)
        elif isinstance(event, StepStarted):
            checklist.started(event.step)
        elif isinstance(event, StepProgress):
            self.show_progress(event)
        elif isinstance(event, MeasurementTaken):
            self.query_one(MeasurementTable).add_measurement(event.measurement)
        elif isinstance(event, StepFinished):
            checklist.finished(event.result)
        elif isinstance(event, Notice):
            where = STEP_TITLES.get(event.step, "") if event.step else ""
            self.notice(f"{where}: {event.message}" if where else event.message)

    def show_progress(self, event: StepProgress | None) -> None:
        bar = self.query_one("#flash", ProgressBar)
        label = self.query_one("#flash-label", Static)
        active = event is not None
        bar.display = active
        label.display = active
        if event is None:
            bar.update(total=None, progress=0)
            return
        bar.update(total=max(event.total, 1), progress=event.done)
        title = STEP_TITLES.get(event.step, event.step.value)
        detail = event.detail or f"{event.done}/{event.total}"
        label.update(markup("$t: [b]$d[/]", t=title, d=detail))

    def settle(self, result: RunResult) -> None:
        """The run ended: the checklist and measurements as the result says."""
        self.query_one(StepChecklist).settle(result.steps)
        self.query_one(MeasurementTable).show_verdict()

    def notice(self, line: str) -> None:
        line = printable(line)
        self.notice_lines.append(line)
        self.query_one("#notices", RichLog).write(line)

    def set_status(self, text: Content) -> None:
        self.query_one("#run-status", Static).update(text)


def status_text(
    serial: str,
    elapsed: str,
    *,
    running: bool,
    rework_by: str | None,
    abort_armed: bool,
    aborting: bool,
) -> Content:
    """The run's status line: what runs and for how long, or the abort question."""
    if abort_armed and running:
        return markup(
            "[b $warning]Abort $s?[/]  Esc again: stop at the next safe point.  "
            "Any other key: carry on.",
            s=serial,
        )
    if aborting and running:
        return markup(
            "[b $warning]Aborting at the next safe point…[/]  $s  $e", s=serial, e=elapsed
        )
    rework = f"  rework by {rework_by}" if rework_by is not None else ""
    return markup(
        "$w [b]$s[/]$r  [dim]elapsed[/] [b]$e[/]",
        w="Running" if running else "Last run",
        s=serial,
        r=rework,
        e=elapsed,
    )

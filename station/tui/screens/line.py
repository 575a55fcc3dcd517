"""The line screen: Ready (scan a serial) → Running (live steps) → Result (verdict), in a loop.

One screen for the three phases so the scan field is always the same widget: on the result the
field keeps the focus and the next scan starts the next pack. The run itself happens in a thread
worker that forwards each engine event as an :class:`EngineEvent`; widgets change only in the
handlers below, so the screen never waits on the bus.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Unmount
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, ProgressBar, RichLog, Static

from station.sequence.events import (
    STEP_TITLES,
    CancelToken,
    Event,
    Failure,
    LabelResult,
    MeasurementTaken,
    Notice,
    Outcome,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
    StepId,
    StepProgress,
    StepStarted,
)
from station.sequence.service import (
    Credentials,
    HistoryRow,
    ReworkAuthorisation,
    RunRequest,
    SerialCheck,
    Shift,
    ShiftCounters,
)
from station.tui.background import call_service
from station.tui.context import REPRINT_REASONS, REWORK_REASONS, LineContext
from station.tui.formatting import seconds
from station.tui.messages import EngineEvent, RunEnded, RunSettled
from station.tui.screens.authorise import AuthoriseScreen
from station.tui.screens.engineer import open_engineer_mode
from station.tui.screens.meter import ask_from_worker
from station.tui.screens.trace import TraceScreen
from station.tui.widgets import (
    HistoryPanel,
    MeasurementTable,
    ResultDetails,
    StationHeader,
    StepChecklist,
    VerdictBanner,
)
from station.tui.widgets.history import HistoryTable
from station.tui.widgets.result_details import label_line

log = logging.getLogger("station.tui")


class Phase(StrEnum):
    READY = "ready"
    RUNNING = "running"
    RESULT = "result"


class LineScreen(Screen[None]):
    CSS_PATH = "line.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "abort", "Abort", key_display="A"),
        Binding("escape", "abort", "Abort", show=False),
        # Ctrl chords: the scan field keeps the focus, so plain letters belong to serials.
        Binding("ctrl+r", "retry", "Retry pack", key_display="Ctrl+R", priority=True),
        Binding("ctrl+p", "reprint", "Reprint label", key_display="Ctrl+P", priority=True),
        Binding("ctrl+t", "trace", "Trace", key_display="Ctrl+T", priority=True),
        Binding("ctrl+e", "engineer", "Engineer", key_display="Ctrl+E", priority=True),
    ]

    phase: reactive[Phase] = reactive(Phase.READY, bindings=True, init=False)

    def __init__(self, ctx: LineContext, shift: Shift) -> None:
        super().__init__()
        self.ctx = ctx
        self.shift = shift
        self.shift_since: datetime = ctx.options.now()
        self.serial = ""  # the pack on the socket (running) or just finished (result)
        self.last_result: RunResult | None = None
        self.request: RunRequest | None = None
        self.cancel: CancelToken | None = None
        self.checking = False
        self.started_at = 0.0
        self.current_step: StepId | None = None
        self.reprint_note: Content | None = None
        self._ticker: Timer | None = None
        #: the run's notes as written (the log widget renders them only while it is shown)
        self.notice_lines: list[str] = []

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        example = self.shift.recipe.serial_example
        yield StationHeader(self.ctx.info, self.shift, id="header")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield VerdictBanner(id="verdict")
                yield ResultDetails(id="details")
                with Vertical(id="run"):
                    yield Static("", id="run-status")
                    with Horizontal(id="run-body"):
                        yield StepChecklist(id="steps")
                        with Vertical(id="run-side"):
                            yield Static("", id="flash-label")
                            yield ProgressBar(total=None, show_eta=False, id="flash")
                            yield MeasurementTable(id="measurements")
                            yield RichLog(
                                max_lines=200, wrap=True, markup=False, min_width=20, id="notices"
                            )
                with Vertical(id="scan-area"):
                    yield Static("Scan pack serial", id="prompt")
                    yield Static(f"e.g. {example}", id="example")
                    yield Input(
                        placeholder="scan the serial here", id="scan", select_on_focus=False
                    )
                    yield Static("", id="scan-hint")
                    yield Static("", id="scan-message")
            yield HistoryPanel(id="history")
        yield Footer()

    def on_mount(self) -> None:
        scan = self.query_one("#scan", Input)
        scan.cursor_blink = False
        self.query_one("#notices", RichLog).can_focus = False
        self.set_class(True, f"-{self.phase.value}")
        self._ticker = self.set_interval(0.5, self._tick, pause=True)
        scan.focus()
        self.refresh_history()

    def watch_phase(self, old: Phase, new: Phase) -> None:
        self.remove_class(f"-{old.value}")
        self.add_class(f"-{new.value}")
        prompt = "Scan the next pack serial" if new is Phase.RESULT else "Scan pack serial"
        self.query_one("#prompt", Static).update(prompt)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.phase is Phase.RUNNING
        if action == "abort":
            return running
        if action == "retry":
            return self.phase is Phase.RESULT and bool(self.serial)
        if action == "reprint":
            return (
                self.phase is Phase.RESULT
                and self.last_result is not None
                and self.last_result.passed
            )
        if action in ("trace", "engineer"):
            return not running
        return True

    @property
    def running(self) -> bool:
        return self.phase is Phase.RUNNING

    # -- scanning -------------------------------------------------------------------------------
    @on(Input.Changed, "#scan")
    def _typing(self, event: Input.Changed) -> None:
        text = event.value.strip()
        ok = not text or self.ctx.service.partial_serial_ok(self.shift, text)
        event.input.set_class(not ok, "-bad")
        hint = self.query_one("#scan-hint", Static)
        if ok:
            hint.update("")
        else:
            hint.update(
                Content.from_markup(
                    "[b $error]$t[/] cannot become a serial of $p (e.g. $e)",
                    t=text,
                    p=self.shift.recipe.product,
                    e=self.shift.recipe.serial_example,
                )
            )

    @on(Input.Submitted, "#scan")
    def _scanned(self, event: Input.Submitted) -> None:
        serial = event.value.strip()
        event.input.value = ""
        if serial and not self.running and not self.checking:
            self.submit_serial(serial)

    def submit_serial(self, serial: str) -> None:
        """Check a scanned serial and, if the service allows it, run the pack."""
        self.phase = Phase.READY
        self.checking = True
        self._message(Content.from_markup("Checking [b]$s[/]…", s=serial), "-info")
        call_service(
            self,
            lambda: self.ctx.service.check_serial(self.shift, serial),
            self._checked,
            lambda reason: self._refuse(serial, reason),
        )

    def _checked(self, check: SerialCheck) -> None:
        self.checking = False
        if check.busy_elsewhere:
            self._refuse(check.serial, f"Busy at {check.busy_elsewhere}. {check.reason}".strip())
        elif check.previous_pass is not None:
            self._ask_rework(check)
        elif not check.valid:
            self._refuse(check.serial, check.reason or "Not a valid serial for this recipe")
        else:
            self._message("", "")
            self.start_run(RunRequest(serial=check.serial))

    def _refuse(self, serial: str, reason: str) -> None:
        self.checking = False
        self.phase = Phase.READY
        self._message(Content.from_markup("✘ REFUSED  $s\n$r", s=serial, r=reason), "-refused")
        self._focus_scan()

    def _message(self, text: Content | str, css_class: str) -> None:
        message = self.query_one("#scan-message", Static)
        message.update(text)
        for name in ("-refused", "-info", "-warning"):
            message.set_class(name == css_class, name)

    def _focus_scan(self) -> None:
        scan = self.query_one("#scan", Input)
        scan.disabled = False
        scan.focus()

    # -- rework ---------------------------------------------------------------------------------
    def _ask_rework(self, check: SerialCheck) -> None:
        previous = check.previous_pass
        assert previous is not None
        when = self.ctx.local(previous.ended_at)
        info = Content.from_markup(
            "[b]$s[/] already [b $success]PASSED[/] on [b]$when[/] at station [b]$st[/] "
            "(recipe $v, attempt #$a).\nRunning it again is a rework: a supervisor must "
            "authorise it.",
            s=check.serial,
            when=f"{when:%Y-%m-%d %H:%M}",
            st=previous.station_id,
            v=previous.recipe_version,
            a=str(previous.attempt_id),
        )
        serial = check.serial
        self._message(Content.from_markup("[b]$s[/] already passed: rework?", s=serial), "-warning")

        def confirm(supervisor: Credentials, reason: str) -> ReworkAuthorisation:
            return self.ctx.service.authorise_rework(self.shift, serial, supervisor, reason)

        def after(auth: ReworkAuthorisation | None) -> None:
            if auth is None:
                self._message(
                    Content.from_markup("Rework cancelled: [b]$s[/] was not run.", s=serial),
                    "-info",
                )
                self._focus_scan()
                return
            self._message("", "")
            self.start_run(RunRequest(serial=serial, rework=auth))

        screen: AuthoriseScreen[ReworkAuthorisation] = AuthoriseScreen(
            self.ctx,
            title="Rework of a passed pack",
            info=info,
            reasons=REWORK_REASONS,
            purpose="a rework",
            confirm=confirm,
        )
        self.app.push_screen(screen, after)

    # -- running --------------------------------------------------------------------------------
    def start_run(self, request: RunRequest) -> None:
        self.serial = request.serial
        self.request = request
        self.cancel = CancelToken()
        self.last_result = None
        self.reprint_note = None
        self.current_step = None
        self.started_at = self.ctx.options.monotonic()
        scan = self.query_one("#scan", Input)
        scan.disabled = True
        self.set_focus(None)
        self.query_one(StepChecklist).reset(self.shift.recipe.steps)
        self.query_one(MeasurementTable).clear()
        self.notice_lines.clear()
        self.query_one("#notices", RichLog).clear()
        self._show_progress(None)
        self._update_status()
        self.phase = Phase.RUNNING
        if self._ticker is not None:
            self._ticker.resume()
        self._run_pack(request, self.cancel)

    @work(thread=True, exit_on_error=False, group="run", exclusive=True)
    def _run_pack(self, request: RunRequest, cancel: CancelToken) -> None:
        # A manual reference instrument asks the operator through a dialog.
        request = replace(request, ask=lambda prompt: ask_from_worker(self.app, cancel, prompt))
        try:
            result = self.ctx.service.run(self.shift, request, self._forward, cancel)
        except Exception as exc:  # shown as an ERROR verdict: a crash must never look like PASS
            log.exception("run of %s stopped on a station fault", request.serial)
            self.post_message(RunEnded(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(RunEnded(result))

    def _forward(self, event: Event) -> None:
        self.post_message(EngineEvent(event))

    @on(EngineEvent)
    def _engine_event(self, message: EngineEvent) -> None:
        event = message.event
        checklist = self.query_one(StepChecklist)
        if isinstance(event, RunStarted):
            checklist.reset(event.steps)
        elif isinstance(event, StepStarted):
            self.current_step = event.step
            checklist.started(event.step)
        elif isinstance(event, StepProgress):
            self._show_progress(event)
        elif isinstance(event, MeasurementTaken):
            self.query_one(MeasurementTable).add_measurement(event.measurement)
        elif isinstance(event, StepFinished):
            checklist.finished(event.result)
        elif isinstance(event, Notice):
            where = STEP_TITLES.get(event.step, "") if event.step else ""
            line = f"{where}: {event.message}" if where else event.message
            self._notice(line)
        elif isinstance(event, RunFinished):
            self.show_result(event.result)
            return
        self._update_status()

    @on(RunEnded)
    def _run_ended(self, message: RunEnded) -> None:
        if self.phase is not Phase.RUNNING:
            return  # RunFinished already showed it
        if message.result is not None:
            self.show_result(message.result)
            return
        step = self.current_step or StepId.SERIAL
        self.show_result(
            RunResult(
                attempt_id=None,
                serial=self.serial,
                outcome=Outcome.ERROR,
                failure=Failure(
                    step=step,
                    code="STATION_FAULT",
                    reason=f"The station stopped the run on a fault: {message.error}",
                    action="Set the pack aside and call a technician: the station itself has "
                    "a fault (its details are in the station log).",
                    outcome=Outcome.ERROR,
                    pack_state="unknown: check it before any further use",
                ),
                steps=(),
                cycle_time_s=self.ctx.options.monotonic() - self.started_at,
                sealed=False,
            )
        )

    def _show_progress(self, event: StepProgress | None) -> None:
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
        label.update(Content.from_markup("$t: [b]$d[/]", t=title, d=detail))

    def _tick(self) -> None:
        if self.running:
            self._update_status()

    def _update_status(self) -> None:
        status = self.query_one("#run-status", Static)
        elapsed = seconds(max(0.0, self.ctx.options.monotonic() - self.started_at))
        rework = ""
        if self.request is not None and self.request.rework is not None:
            rework = f"  rework by {self.request.rework.supervisor}"
        if self.cancel is not None and self.cancel.requested and self.running:
            status.update(
                Content.from_markup(
                    "[b $warning]Aborting at the next safe point…[/]  $s  $e",
                    s=self.serial,
                    e=elapsed,
                )
            )
            return
        word = "Running" if self.running else "Last run"
        status.update(
            Content.from_markup(
                "$w [b]$s[/]$r  [dim]elapsed[/] [b]$e[/]",
                w=word,
                s=self.serial,
                r=rework,
                e=elapsed,
            )
        )

    def action_abort(self) -> None:
        if not self.running or self.cancel is None or self.cancel.requested:
            return
        self.cancel.request()
        self._notice("Abort requested: the run stops at the next safe point")
        self._update_status()

    def stop_requested(self) -> bool:
        """The station is being stopped: abort a run like an operator would. True while a run
        is still finishing (the terminal closes once its verdict is shown)."""
        if not self.running:
            return False
        if self.cancel is not None and not self.cancel.requested:
            self.cancel.request()
            self._notice("Station stopping: the run stops at the next safe point")
            self._update_status()
        return True

    def _notice(self, line: str) -> None:
        self.notice_lines.append(line)
        self.query_one("#notices", RichLog).write(line)

    def on_unmount(self, event: Unmount) -> None:
        # Leaving the app mid-run: let the engine stop at its next safe point.
        if self.cancel is not None and self.running:
            self.cancel.request()

    # -- result ---------------------------------------------------------------------------------
    def show_result(self, result: RunResult) -> None:
        self.last_result = result
        self.serial = result.serial
        if self._ticker is not None:
            self._ticker.pause()
        self.query_one(StepChecklist).settle(result.steps)
        caption = f"{result.serial}  ·  {seconds(result.cycle_time_s)}"
        self.query_one(VerdictBanner).show(result.outcome, caption)
        self.query_one(ResultDetails).show(result)
        self.phase = Phase.RESULT
        self._update_status()
        self._focus_scan()
        self.post_message(RunSettled())
        if result.outcome in (Outcome.FAIL, Outcome.ERROR):
            self.app.bell()
        self.refresh_history()

    def action_retry(self) -> None:
        if self.phase is Phase.RESULT and self.serial:
            self.submit_serial(self.serial)

    def action_reprint(self) -> None:
        result = self.last_result
        if self.phase is not Phase.RESULT or result is None:
            return
        serial = result.serial

        def confirm(supervisor: Credentials, reason: str) -> LabelResult:
            # The service decides who may reprint; it records the reason and the badge.
            return self.ctx.service.reprint_label(self.shift, serial, reason, supervisor)

        def after(label: LabelResult | None) -> None:
            if label is None:
                self._focus_scan()
                return
            self.reprint_note = label_line(label, passed=True)
            self.query_one(ResultDetails).show(result, self.reprint_note)
            if not label.printed:
                self.app.bell()
            self._focus_scan()

        screen: AuthoriseScreen[LabelResult] = AuthoriseScreen(
            self.ctx,
            title=f"Reprint the label of {serial}",
            info="A reprinted label is recorded with its reason.",
            reasons=REPRINT_REASONS,
            purpose="a label reprint",
            confirm=confirm,
        )
        self.app.push_screen(screen, after)

    # -- history, trace, engineer ---------------------------------------------------------------
    def refresh_history(self) -> None:
        svc, shift, since = self.ctx.service, self.shift, self.shift_since
        limit = self.ctx.options.history_limit

        def read() -> tuple[list[HistoryRow], ShiftCounters]:
            return svc.shift_history(shift, since, limit), svc.shift_counters(shift, since)

        call_service(self, read, self._history_read, self._history_failed, group="history")

    def _history_read(self, data: tuple[list[HistoryRow], ShiftCounters]) -> None:
        rows, counters = data
        self.query_one(HistoryPanel).show(rows, counters, self.ctx.local)

    def _history_failed(self, reason: str) -> None:
        self.query_one(HistoryPanel).border_subtitle = reason

    @on(DataTable.RowSelected, "#history-table")
    def _history_row_chosen(self, event: DataTable.RowSelected) -> None:
        serial = self.query_one(HistoryPanel).selected_serial()
        if serial:
            self.app.push_screen(TraceScreen(self.ctx, serial))

    def action_trace(self) -> None:
        if self.running:
            return
        serial = ""
        if isinstance(self.focused, HistoryTable):
            serial = self.query_one(HistoryPanel).selected_serial() or ""
        elif self.phase is Phase.RESULT:
            serial = self.serial
        self.app.push_screen(TraceScreen(self.ctx, serial), lambda _: self._focus_scan())

    def action_engineer(self) -> None:
        if not self.running:
            open_engineer_mode(self, self.ctx, self.shift)

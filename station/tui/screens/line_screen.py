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
from textual.events import ScreenResume, ScreenSuspend, Unmount
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Input, Static

from station.sequence.events import (
    CancelToken,
    Event,
    LabelResult,
    Outcome,
    RunFinished,
    RunResult,
    StepId,
    StepStarted,
)
from station.sequence.failures import FailureCode
from station.sequence.service import (
    Credentials,
    Readiness,
    ReworkAuthorisation,
    RunRequest,
    SerialCheck,
    Shift,
    SocketState,
)
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.faults import station_fault_result
from station.tui.fields import BoundedInput
from station.tui.formatting import seconds
from station.tui.messages import EngineEvent, RunEnded, RunSettled
from station.tui.screens.line_navigation import LineNavigation
from station.tui.screens.meter import ask_from_worker
from station.tui.screens.pack_actions import ask_reprint, ask_rework
from station.tui.screens.run_view import RunView, status_text
from station.tui.screens.scan_area import ScanArea
from station.tui.text import markup, plain
from station.tui.widgets import (
    HistoryPanel,
    ResultDetails,
    StationFooter,
    StationHeader,
    VerdictBanner,
)
from station.tui.widgets.result_details import label_line

log = logging.getLogger("station.tui")


def bus_fault(reason: str) -> Readiness:
    """The socket as shown when the readiness check itself failed."""
    return Readiness(SocketState.BUS_FAULT, reason, FailureCode.STATION_FAULT)


class Phase(StrEnum):
    READY = "ready"
    RUNNING = "running"
    RESULT = "result"


class LineScreen(LineNavigation):
    CSS_PATH = "line.tcss"
    AUTO_FOCUS = "#scan"
    BINDINGS: ClassVar[list[BindingType]] = [
        # No printable key acts: a scanner types printable keys. Abort is Esc, confirmed by a
        # second Esc; the other actions are function keys (one meaning on every screen), and
        # the scan field keeps the focus.
        Binding("escape", "abort", "Abort", key_display="Esc"),
        Binding("f2", "retry", "Retry", key_display="F2", priority=True),
        Binding("f3", "reprint", "Reprint", key_display="F3", priority=True),
        Binding("f4", "trace", "Trace", key_display="F4", priority=True),
        Binding("f5", "shift", "Shift", key_display="F5", priority=True),
        Binding("f9", "engineer", "Engineer", key_display="F9", priority=True),
    ]

    phase: reactive[Phase] = reactive(Phase.READY, bindings=True, init=False)

    def __init__(self, ctx: LineContext, shift: Shift, typed: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.shift = shift
        #: keys typed before this screen could take them (while the shift was starting)
        self.typed = typed
        #: the first Esc of an abort: the run stops only when a second Esc confirms it
        self.abort_armed = False
        #: every scan and what the screen said about it ("run", "refused", "ignored")
        self.scans: list[tuple[str, str]] = []
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
        self._ready_timer: Timer | None = None
        self.reading_ready = False  # a ready check is under way

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StationHeader(self.ctx.info, self.shift, id="header")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield VerdictBanner(id="verdict")
                yield ResultDetails(id="details")
                yield RunView(id="run")
                yield ScanArea(self.shift.recipe, id="scan-area")
            yield HistoryPanel(id="history")
        yield StationFooter()

    def on_mount(self) -> None:
        scan = self.query_one("#scan", BoundedInput)
        self.set_class(True, f"-{self.phase.value}")
        self._ticker = self.set_interval(0.5, self._tick, pause=True)
        scan.focus()
        self.refresh_history()
        self.query_one(StationHeader).set_readiness(None)
        self.check_readiness()
        interval = self.ctx.options.ready_poll_s
        if interval > 0:
            self._ready_timer = self.set_interval(interval, self.check_readiness)
        # What a scanner typed while the shift was starting is not lost: whole scans are
        # taken in order, a scan still arriving goes on in the field.
        *whole, partial = (self.typed + self.ctx.key_hold.release()).split("\n")
        for text in whole:
            self._scan_arrived(text, 0)
        scan.insert_text_at_cursor(partial)
        self.typed = ""

    def watch_phase(self, old: Phase, new: Phase) -> None:
        # One restyle of the whole screen, not two: every widget's rules depend on the phase.
        self.remove_class(f"-{old.value}", update=False)
        self.add_class(f"-{new.value}")
        prompt = "Scan the next pack serial" if new is Phase.RESULT else "Scan pack serial"
        self.query_one("#prompt", Static).update(prompt)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.phase is Phase.RUNNING
        if action == "abort":
            return running
        if action == "retry":
            return self.phase is Phase.RESULT and bool(self.serial)
        if action in ("trace", "engineer", "reprint", "shift"):
            return not running
        return True

    @property
    def running(self) -> bool:
        return self.phase is Phase.RUNNING

    def result_serial(self) -> str:
        return self.serial if self.phase is Phase.RESULT else ""

    # -- scanning -------------------------------------------------------------------------------
    # The scan field holds the focus in every phase, so a scanner's keys always land in one
    # place, whole: a scan is never split between the field and the screen, never lost, never
    # queued. What a scan does depends on the phase when its Enter arrives.

    @on(Input.Changed, "#scan")
    def _typing(self, event: Input.Changed) -> None:
        text = event.value.strip()
        ok = self.running or not text or self.ctx.service.partial_serial_ok(self.shift, text)
        self.query_one(ScanArea).hint(text, ok)

    def _scan_arrived(self, text: str, dropped: int) -> None:
        serial = text.strip()
        if not serial and not dropped:
            return
        if dropped:
            shown = f"{serial[:24]}… ({len(text) + dropped} characters)"
            self._ignore(serial, f"Scan refused: {shown} is too long for a serial; scan again")
        elif self.running:
            self._ignore(serial, f"Pack running: scan {serial} ignored, scan again when it ends")
        elif self.checking:
            self._ignore(
                serial, f"Still checking {self.serial}: scan {serial} ignored, scan it again"
            )
        else:
            self.submit_serial(serial)

    def _ignore(self, serial: str, why: str) -> None:
        self.scans.append((serial, "ignored"))
        self.query_one(ScanArea).note(why)
        if self.ctx.options.bell:
            self.app.bell()

    def submit_serial(self, serial: str) -> None:
        """Check a scanned serial and, if the service allows it, run the pack."""
        self.phase = Phase.READY
        self.checking = True
        self.serial = serial
        self.query_one(ScanArea).note(None)
        self._message(markup("Checking [b]$s[/]…", s=serial), "-info")
        call_service(
            self,
            lambda: self.ctx.service.check_serial(self.shift, serial),
            self._checked,
            lambda reason: self._refuse(serial, reason),
        )

    def _checked(self, check: SerialCheck) -> None:
        self.checking = False
        if check.readiness is not None:
            self.query_one(StationHeader).set_readiness(check.readiness)
        if check.busy_elsewhere:
            self._refuse(check.serial, f"Busy at {check.busy_elsewhere}. {check.reason}".strip())
        elif check.previous_pass is not None:
            self.scans.append((check.serial, "rework"))
            self._ask_rework(check)
        elif not check.valid:
            self._refuse(check.serial, check.reason or "Not a valid serial for this recipe")
        else:
            self._message("", "")
            self.scans.append((check.serial, "run"))
            self.start_run(RunRequest(serial=check.serial))

    def _refuse(self, serial: str, reason: str) -> None:
        self.checking = False
        self.phase = Phase.READY
        self.scans.append((serial, "refused"))
        self._message(markup("✘ REFUSED  $s\n$r", s=serial, r=reason), "-refused")
        self._focus_scan()

    def _message(self, text: Content | str, css_class: str) -> None:
        self.query_one(ScanArea).message(text, css_class)

    def _focus_scan(self) -> None:
        self.query_one("#scan", BoundedInput).focus()

    # -- rework ---------------------------------------------------------------------------------
    def _ask_rework(self, check: SerialCheck) -> None:
        serial = check.serial
        self._message(markup("[b]$s[/] already passed: rework?", s=serial), "-warning")

        def after(auth: ReworkAuthorisation | None) -> None:
            if auth is None:
                self._message(
                    markup("Rework cancelled: [b]$s[/] was not run.", s=serial),
                    "-info",
                )
                self._focus_scan()
                return
            self._message("", "")
            self.start_run(RunRequest(serial=serial, rework=auth))

        ask_rework(self.app, self.ctx, self.shift, check, after)

    # -- running --------------------------------------------------------------------------------
    def start_run(self, request: RunRequest) -> None:
        self.serial = request.serial
        self.request = request
        self.cancel = CancelToken()
        self.last_result = None
        self.reprint_note = None
        self.current_step = None
        self.started_at = self.ctx.options.monotonic()
        self.abort_armed = False
        self.query_one(RunView).reset(self.shift.recipe.steps)
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
        if isinstance(event, RunFinished):
            self.show_result(event.result)
            return
        if isinstance(event, StepStarted):
            self.current_step = event.step
        self.query_one(RunView).render_event(event)
        self._update_status()

    @on(RunEnded)
    def _run_ended(self, message: RunEnded) -> None:
        if self.phase is not Phase.RUNNING:
            return  # RunFinished already showed it
        if message.result is not None:
            self.show_result(message.result)
            return
        self.show_result(
            station_fault_result(
                self.serial,
                self.current_step,
                message.error,
                self.ctx.options.monotonic() - self.started_at,
            )
        )

    def _tick(self) -> None:
        if self.running:
            self._update_status()

    def _update_status(self) -> None:
        rework = self.request.rework if self.request is not None else None
        self.query_one(RunView).set_status(
            status_text(
                self.serial,
                seconds(max(0.0, self.ctx.options.monotonic() - self.started_at)),
                running=self.running,
                rework_by=rework.supervisor if rework is not None else None,
                abort_armed=self.abort_armed,
                aborting=self.cancel is not None and self.cancel.requested,
            )
        )

    def action_abort(self) -> None:
        """First Esc: ask; second Esc: abort at the next safe point."""
        if not self.running or self.cancel is None or self.cancel.requested:
            return
        if not self.abort_armed:
            self.abort_armed = True
            self._update_status()
            return
        self.abort_armed = False
        self.cancel.request()
        self._notice("Abort requested: the run stops at the next safe point")
        self._update_status()

    def disarm_abort(self) -> None:
        if self.abort_armed:
            self.abort_armed = False
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
        self.query_one(RunView).notice(line)

    @property
    def notice_lines(self) -> list[str]:
        """The run's notes as written."""
        return self.query_one(RunView).notice_lines

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
        self.query_one(RunView).settle(result)
        caption = f"{result.serial}  ·  {seconds(result.cycle_time_s)}"
        self.query_one(VerdictBanner).show(result.outcome, caption)
        self.query_one(ResultDetails).show(result)
        self.phase = Phase.RESULT
        self._update_status()
        self._focus_scan()
        self.post_message(RunSettled())
        if result.outcome in (Outcome.FAIL, Outcome.ERROR) and self.ctx.options.bell:
            self.app.bell()
        self.refresh_history()
        self.check_readiness()

    def action_retry(self) -> None:
        if self.phase is Phase.RESULT and self.serial:
            self.submit_serial(self.serial)

    def action_reprint(self) -> None:
        """Reprint the label of any pack that passed this shift: pick it from the list."""
        if not self.running:
            self.pick_passed(self._reprint)

    def _reprint(self, serial: str) -> None:
        result = (
            self.last_result if self.last_result and self.last_result.serial == serial else None
        )

        def confirm(supervisor: Credentials, reason: str) -> LabelResult:
            # The service decides who may reprint; it records the reason and the badge.
            return self.ctx.service.reprint_label(self.shift, serial, reason, supervisor)

        def after(label: LabelResult | None) -> None:
            if label is None:
                self._focus_scan()
                return
            note = label_line(label, passed=True)
            if result is not None and self.phase is Phase.RESULT:
                self.reprint_note = note
                self.query_one(ResultDetails).show(result, note)
            else:
                self._message(Content.assemble(plain(f"Reprint of {serial}: "), note), "-info")
            if not label.printed and self.ctx.options.bell:
                self.app.bell()
            self._focus_scan()

        ask_reprint(self.app, self.ctx, serial, confirm, after)

    # -- ready state ----------------------------------------------------------------------------
    def check_readiness(self) -> None:
        """Ask whether a pack answers (never while one runs: the run owns the socket)."""
        if self.running or self.checking or self.reading_ready:
            return
        self.reading_ready = True

        def show(ready: Readiness) -> None:
            self.reading_ready = False
            self.query_one(StationHeader).set_readiness(ready)

        call_service(
            self,
            self.ctx.service.readiness,
            show,
            lambda reason: show(bus_fault(reason)),
            group="ready",
        )

    def on_screen_suspend(self, event: ScreenSuspend) -> None:
        # Engineer mode, trace and dialogs do their own talking to the pack.
        if self._ready_timer is not None:
            self._ready_timer.pause()

    def on_screen_resume(self, event: ScreenResume) -> None:
        if self._ready_timer is not None:
            self._ready_timer.resume()
            self.check_readiness()

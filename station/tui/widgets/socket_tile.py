"""One socket's tile on a station with several: its pack, step, progress and verdict, large
enough to read from the operator's position.

The tile only renders: :class:`TileState` follows the engine's events for that socket (a pure
fold, tested without a screen), :class:`SocketTile` draws the state it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from station.sequence.events import (
    STEP_TITLES,
    Event,
    Outcome,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
    StepId,
    StepProgress,
    StepStarted,
)
from station.sequence.service import Readiness
from station.tui.formatting import seconds
from station.tui.text import markup, plain
from station.tui.widgets.step_bar import StepBar
from station.tui.widgets.verdict import VerdictBanner


class TileMode(StrEnum):
    IDLE = "idle"  # waiting for a pack (with its last verdict, if any)
    CHECKING = "checking"  # a serial was routed here and is being checked
    RUNNING = "running"
    RESULT = "result"


@dataclass(frozen=True)
class TileState:
    """What one socket's tile shows."""

    socket: str
    mode: TileMode = TileMode.IDLE
    serial: str = ""
    steps: tuple[StepId, ...] = ()
    step: StepId | None = None
    steps_done: int = 0
    #: the current step's own progress (data-flash blocks), when it reports one
    detail: str = ""
    result: RunResult | None = None
    note: str = ""  # a refusal or a word for the operator, shown under the serial
    aborting: bool = False
    readiness: Readiness | None = None
    #: the run's time as the terminal's clock saw it (start of the run to its verdict)
    elapsed_s: float | None = None

    def checking(self, serial: str) -> TileState:
        return replace(self, mode=TileMode.CHECKING, serial=serial, note="", aborting=False)

    def refused(self, serial: str, reason: str) -> TileState:
        """The serial routed here was not run: the tile is idle again, saying why."""
        mode = TileMode.RESULT if self.result is not None else TileMode.IDLE
        return replace(self, mode=mode, serial=serial, note=f"✘ {serial} refused: {reason}")

    def started(self, serial: str, steps: tuple[StepId, ...]) -> TileState:
        return TileState(self.socket, TileMode.RUNNING, serial, steps, readiness=self.readiness)

    def apply(self, event: Event) -> TileState:
        """The tile after one of its socket's engine events."""
        if isinstance(event, RunStarted):
            return replace(self, steps=event.steps or self.steps)
        if isinstance(event, StepStarted):
            return replace(self, step=event.step, detail="")
        if isinstance(event, StepProgress):
            return replace(self, detail=event.detail or f"{event.done}/{event.total}")
        if isinstance(event, StepFinished):
            return replace(self, steps_done=self.steps_done + 1, detail="")
        if isinstance(event, RunFinished):
            return self.finished(event.result)
        return self

    def finished(self, result: RunResult, elapsed_s: float | None = None) -> TileState:
        return replace(
            self,
            elapsed_s=elapsed_s,
            mode=TileMode.RESULT,
            serial=result.serial,
            result=result,
            step=None,
            detail="",
            aborting=False,
            note="",
        )

    @property
    def running(self) -> bool:
        return self.mode in (TileMode.RUNNING, TileMode.CHECKING)


_VERDICT_CLASSES = ("-pass", "-fail", "-error", "-aborted")


class SocketTile(Vertical):
    """A socket's tile: title (socket, readiness), serial, step, progress, verdict, reason."""

    DEFAULT_CSS = """
    SocketTile {
        border: round $panel-lighten-2;
        border-title-style: bold;
        border-title-align: left;
        height: 1fr;
        width: 1fr;
        padding: 0 1;
    }
    SocketTile.-selected {
        border: heavy $accent;
        border-title-color: $accent;
    }
    SocketTile .tile-serial { text-style: bold; height: 1; text-wrap: nowrap; }
    SocketTile .tile-step { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SocketTile StepBar { display: none; }
    SocketTile.-running StepBar { display: block; }
    SocketTile VerdictBanner { height: 1fr; min-height: 3; display: none; }
    SocketTile.-result VerdictBanner { display: block; }
    SocketTile .tile-note { height: auto; max-height: 4; color: $text-muted; }
    SocketTile.-refused .tile-note { color: $error; text-style: bold; }
    """

    def __init__(self, state: TileState) -> None:
        super().__init__(id=f"tile-{state.socket}", classes="-idle")
        self.state = state
        self.border_title = f"Socket {state.socket}"

    def compose(self) -> ComposeResult:
        yield Static("", classes="tile-serial")
        yield Static("", classes="tile-step")
        yield StepBar()
        yield VerdictBanner()
        yield Static("", classes="tile-note")

    def on_mount(self) -> None:
        self.show(self.state)

    def show(self, state: TileState) -> None:
        self.state = state
        if not self.is_mounted:
            return
        for mode in TileMode:
            self.set_class(state.mode is mode, f"-{mode.value}")
        self.set_class(state.note.startswith("✘"), "-refused")
        self.border_subtitle = _subtitle(state)
        serial = self.query_one(".tile-serial", Static)
        serial.update(plain(state.serial) if state.serial else markup("[dim]no pack[/]"))
        self.query_one(".tile-step", Static).update(_step_line(state))
        self.query_one(StepBar).show(state.steps_done, len(state.steps))
        banner = self.query_one(VerdictBanner)
        if state.result is not None and state.mode is TileMode.RESULT:
            banner.show(state.result.outcome, seconds(state.elapsed_s))
        self.query_one(".tile-note", Static).update(plain(_note(state)))

    def set_selected(self, selected: bool) -> None:
        self.set_class(selected, "-selected")
        self.border_title = (
            f"▶ Socket {self.state.socket}" if selected else (f"Socket {self.state.socket}")
        )


def _subtitle(state: TileState) -> str:
    if state.running:
        return "running" if state.mode is TileMode.RUNNING else "checking"
    if state.readiness is None:
        return ""
    return state.readiness.state.value


def _step_line(state: TileState) -> str:
    if state.mode is TileMode.CHECKING:
        return "Checking the serial…"
    if state.mode is TileMode.RUNNING:
        if state.aborting:
            return "Aborting at the next safe point…"
        title = STEP_TITLES.get(state.step, "Starting") if state.step else "Starting"
        count = f" ({state.steps_done + 1}/{len(state.steps)})" if state.steps else ""
        detail = f": {state.detail}" if state.detail else ""
        return f"{title}{count}{detail}"
    if state.mode is TileMode.RESULT:
        return "Scan the next pack"
    return "Ready for a pack"


def _note(state: TileState) -> str:
    """The verdict's reason (what happened, what to do), else the tile's note."""
    if state.note:
        return state.note
    result = state.result
    if state.mode is not TileMode.RESULT or result is None:
        return ""
    if result.outcome is Outcome.PASS:
        label = result.label
        if label is None or label.printed:
            return "sealed, label printed" if label else "sealed"
        return f"sealed; label NOT printed on {label.printer}: {label.detail}"
    failure = result.failure
    if failure is None:
        return result.outcome.value
    return f"{failure.code}: {failure.reason} → {failure.action}"

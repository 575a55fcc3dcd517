"""The operator reads a reference meter and types its value (a manual reference instrument).

Asked from the run's worker thread: the question comes up as a dialog, the worker waits for the
answer. The value is judged below (the instrument's plausibility window), not here. Esc gives no
value: the calibration then fails and the pack is not sealed.
"""

from __future__ import annotations

import queue
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from station.instruments.model import ManualValueRejected
from station.sequence.events import CancelToken


class MeterScreen(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Reference meter", classes="dialog-title")
            yield Static(
                f"Type the {self.prompt}, as the meter shows it, then Enter.", id="meter-prompt"
            )
            yield Input(id="meter-value", placeholder="value")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#meter-value", Input).focus()

    @on(Input.Submitted, "#meter-value")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_from_worker(app: App[object], cancel: CancelToken, prompt: str) -> str:
    """Show the meter dialog from a worker thread and wait for the operator's answer."""
    answers: queue.Queue[str | None] = queue.Queue()
    app.call_from_thread(app.push_screen, MeterScreen(prompt), answers.put)
    while True:
        try:
            answer = answers.get(timeout=0.2)
            break
        except queue.Empty:
            if cancel.requested:
                answer = None
                break
    if answer is None:
        raise ManualValueRejected(
            "the operator gave no reading of the reference meter",
            next_step="run the pack again and type what the meter shows",
        )
    return answer

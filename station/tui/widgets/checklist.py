"""The run's steps with their live state and duration."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget

from station.sequence.events import STEP_TITLES, Outcome, StepId, StepResult
from station.tui.formatting import seconds

PENDING = "pending"
RUNNING = "running"
SKIPPED = Outcome.SKIPPED.value

#: state → (mark, style); outcomes use the status colours, the running step the accent
_MARKS: dict[str, tuple[str, str]] = {
    PENDING: ("·", "dim"),
    RUNNING: ("▶", "b $accent"),
    Outcome.PASS.value: ("✔", "$success"),
    Outcome.FAIL.value: ("✘", "b $error"),
    Outcome.ERROR.value: ("✘", "b $error"),
    Outcome.ABORTED.value: ("■", "b $warning"),
    Outcome.SKIPPED.value: ("–", "dim"),
}

TITLE_WIDTH = max(len(t) for t in STEP_TITLES.values())


@dataclass
class _Line:
    step: StepId
    state: str = PENDING
    duration: float | None = None


class StepChecklist(Widget):
    DEFAULT_CSS = """
    StepChecklist {
        width: 28;
        height: auto;
        padding: 0 0 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self._lines: list[_Line] = []

    def reset(self, steps: tuple[StepId, ...]) -> None:
        self._lines = [_Line(step) for step in steps]
        self.refresh(layout=True)

    def state_of(self, step: StepId) -> str:
        """The state shown for ``step`` (``pending``, ``running`` or an outcome value)."""
        return self._line(step).state

    def started(self, step: StepId) -> None:
        self._line(step).state = RUNNING
        self.refresh()

    def finished(self, result: StepResult) -> None:
        line = self._line(result.step)
        line.state = result.outcome.value
        line.duration = result.duration_s
        self.refresh()

    def settle(self, results: tuple[StepResult, ...]) -> None:
        """At the end of a run: the result's steps are the truth; the rest did not run."""
        for result in results:
            self.finished(result)
        for line in self._lines:
            if line.state in (PENDING, RUNNING):
                line.state = Outcome.SKIPPED.value
        self.refresh()

    def _line(self, step: StepId) -> _Line:
        for line in self._lines:
            if line.step is step:
                return line
        line = _Line(step)
        self._lines.append(line)
        self.refresh(layout=True)
        return line

    def render(self) -> Content:
        rows: list[Content] = []
        for line in self._lines:
            mark, style = _MARKS[line.state]
            title = STEP_TITLES.get(line.step, line.step.value)
            duration = (
                "" if line.duration is None or line.state == SKIPPED else seconds(line.duration)
            )
            text_style = style if line.state != PENDING else "dim"
            rows.append(
                Content.assemble(
                    (mark, style),
                    " ",
                    (f"{title:<{TITLE_WIDTH}}", text_style if line.state != RUNNING else style),
                    f"{duration:>7}",
                )
            )
        return Content("\n").join(rows)

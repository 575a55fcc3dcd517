"""A run's progress through its steps, one row high, in whole cells.

Drawn from the row's width at the moment it is drawn: what it shows depends only on the steps
done, never on whether the row had been laid out when a step ended (Textual's progress bar
rounds to the width it had then, which a tile that has just appeared does not have yet).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class StepBar(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"step-bar--done", "step-bar--todo"}

    DEFAULT_CSS = """
    StepBar { height: 1; width: 1fr; }
    StepBar > .step-bar--done { color: $primary; }
    StepBar > .step-bar--todo { color: $surface; }
    """

    done: reactive[int] = reactive(0)
    total: reactive[int] = reactive(1)

    def show(self, done: int, total: int) -> None:
        self.total = max(total, 1)
        self.done = min(max(done, 0), self.total)

    def render(self) -> Text:
        width = self.size.width
        filled = width * self.done // self.total
        return Text.assemble(
            ("━" * filled, self.get_component_rich_style("step-bar--done")),
            ("━" * (width - filled), self.get_component_rich_style("step-bar--todo")),
        )

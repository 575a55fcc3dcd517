"""The scan area of the one-socket line screen: the prompt, the expected serial form, the scan
field and what the screen says about the last scan. It shows; the screen decides."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from station.sequence.service import ActiveRecipe
from station.tui.fields import SERIAL_MAX, BoundedInput
from station.tui.text import markup, plain


def serial_example(recipe: ActiveRecipe) -> Content:
    return plain(recipe.serial_form or f"e.g. {recipe.serial_example}")


class ScanArea(Vertical):
    """``#scan-area``: its parts keep their ids for the screen's CSS and the tests."""

    def __init__(self, recipe: ActiveRecipe, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.recipe = recipe

    def compose(self) -> ComposeResult:
        yield Static("Scan pack serial", id="prompt")
        yield Static(serial_example(self.recipe), id="example")
        yield BoundedInput(
            limit=SERIAL_MAX,
            clear_on_enter=True,
            placeholder="scan the serial here",
            id="scan",
        )
        yield Static("", id="scan-note")
        yield Static("", id="scan-hint")
        yield Static("", id="scan-message")

    def set_recipe(self, recipe: ActiveRecipe) -> None:
        self.recipe = recipe
        self.query_one("#example", Static).update(serial_example(recipe))

    def message(self, text: Content | str, css_class: str) -> None:
        """The answer to the last scan ("-refused", "-info", "-warning"; "" for plain)."""
        message = self.query_one("#scan-message", Static)
        message.update(plain(text) if isinstance(text, str) else text)
        for name in ("-refused", "-info", "-warning"):
            message.set_class(name == css_class, name)

    def note(self, why: str | None) -> None:
        """A scan that was ignored, and why (None: hide the note)."""
        note = self.query_one("#scan-note", Static)
        if why is None:
            note.display = False
            return
        note.update(plain(why))
        note.display = True

    def hint(self, text: str, ok: bool) -> None:
        """Live check while a serial is typed: what cannot become a serial of the recipe."""
        self.query_one("#scan", BoundedInput).set_class(not ok, "-bad")
        hint = self.query_one("#scan-hint", Static)
        if ok:
            hint.update("")
            return
        hint.update(
            markup(
                "[b $error]$t[/] cannot become a serial of $p ($f)",
                t=text,
                p=self.recipe.product,
                f=self.recipe.serial_form,
            )
        )

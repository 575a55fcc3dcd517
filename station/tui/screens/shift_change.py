"""A whole shift without quitting: change the lot or the operator, change the recipe (with a
supervisor badge and its PIN: the service decides, as for reworks), end the shift with its
summary; confirm a quit; pick a pack to reprint.

Each dialog takes keys only in its own fields, and confirms with a key a scanner cannot type
(Enter on a chosen line, or the same function key again), so a stray scan never acts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from station.sequence.service import (
    Badge,
    Credentials,
    HistoryRow,
    RecipeChoice,
    Role,
    Shift,
    ShiftCounters,
)
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import BADGE_MAX, LOT_MAX, BoundedInput
from station.tui.formatting import percent
from station.tui.screens.badge import BadgeScreen
from station.tui.text import plain
from station.tui.widgets import StationFooter

#: what the shift dialog hands back: a changed shift, or "end" (end of shift)
ShiftChange = Shift | str

END = "end"


def summary_text(shift: Shift, counters: ShiftCounters | None, since: datetime) -> str:
    if counters is None:
        return "No pack this shift."
    return (
        f"Shift since {since:%H:%M}  ·  recipe {shift.recipe.name} {shift.recipe.version}  ·  "
        f"lot {shift.lot}  ·  operator {shift.operator.code}\n"
        f"Passed {counters.passed}  Failed {counters.failed}  Errors {counters.errors}  "
        f"Aborted {counters.aborted}  Interrupted {counters.interrupted}\n"
        f"First-pass yield {percent(counters.first_pass_yield)} "
        "(PASS over PASS + FAIL + ERROR, each pack's first attempt)"
    )


class ShiftScreen(ModalScreen[ShiftChange | None]):
    """Change lot / operator / recipe, or end the shift (its summary is shown first)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    CHOICES = (
        ("lot", "Change the lot / work order"),
        ("operator", "Change the operator (scan the new badge)"),
        ("recipe", "Change the recipe (supervisor badge and PIN)"),
        ("end", "End of shift (show the summary)"),
    )

    def __init__(self, ctx: LineContext, shift: Shift, since: datetime) -> None:
        super().__init__()
        self.ctx = ctx
        self.shift = shift
        self.since = since
        self.step = ""
        self.supervisor: Credentials | None = None
        self.recipes: list[RecipeChoice] = []
        self.ending = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Shift", classes="dialog-title")
            yield Static(
                plain(
                    f"Operator {self.shift.operator.code}  ·  lot {self.shift.lot}  ·  "
                    f"recipe {self.shift.recipe.name} {self.shift.recipe.version}"
                ),
                id="shift-now",
            )
            yield OptionList(*(Option(t, id=k) for k, t in self.CHOICES), id="shift-choices")
            yield Static("", id="shift-field-label", classes="field-label")
            yield BoundedInput(limit=LOT_MAX, id="shift-field")
            yield OptionList(id="shift-recipes")
            yield Static("", id="shift-summary")
            yield Static("", id="shift-dialog-message", classes="dialog-message")
        yield StationFooter()

    def on_mount(self) -> None:
        for selector in ("#shift-field-label", "#shift-field", "#shift-recipes", "#shift-summary"):
            self.query_one(selector).display = False
        self.query_one("#shift-choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#shift-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.step = str(event.option.id)
        self.query_one("#shift-choices").disabled = True
        if self.step == "end":
            self._show_summary()
        elif self.step == "lot":
            self._ask("New lot / work order, then Enter", LOT_MAX)
        elif self.step == "operator":
            self._ask("Scan the new operator's badge", BADGE_MAX)
        else:
            self._ask_supervisor()

    def _ask_supervisor(self) -> None:
        svc, shift = self.ctx.service, self.shift

        def given(answer: tuple[Badge, Credentials] | None) -> None:
            if answer is None:  # Esc: back to the choices
                self.query_one("#shift-choices").disabled = False
                self.query_one("#shift-choices", OptionList).focus()
                return
            self.supervisor = answer[1]
            self.query_one("#shift-field-label", Static).update("Recipe (↑ ↓ then Enter)")
            self.query_one("#shift-field-label").display = True
            call_service(self, svc.released_recipes, self._recipes, self._say)

        self.app.push_screen(
            BadgeScreen(
                self.ctx,
                title="Change the recipe",
                purpose="a recipe change",
                required=Role.SUPERVISOR,
                verify=lambda credentials: svc.authorise_recipe_change(shift, credentials),
            ),
            given,
        )

    def _ask(self, label: str, limit: int) -> None:
        self.query_one("#shift-field-label", Static).update(label)
        self.query_one("#shift-field-label").display = True
        field = self.query_one("#shift-field", BoundedInput)
        field.limit = limit
        field.display = True
        field.focus()

    @on(BoundedInput.Submitted, "#shift-field")
    def _entered(self, event: BoundedInput.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        svc, shift = self.ctx.service, self.shift
        if self.step == "lot":
            call_service(
                self,
                lambda: svc.start_shift(shift.operator, shift.recipe.hash, text),
                self._changed,
                self._say,
            )
        elif self.step == "operator":
            call_service(
                self,
                lambda: svc.start_shift(svc.badge(text), shift.recipe.hash, shift.lot),
                self._changed,
                self._say,
            )

    def _recipes(self, choices: list[RecipeChoice]) -> None:
        self.recipes = choices
        listing = self.query_one("#shift-recipes", OptionList)
        listing.clear_options()
        listing.add_options(
            Option(plain(f"{c.name} {c.version}  {c.short_hash}"), id=c.hash) for c in choices
        )
        listing.display = True
        listing.highlighted = 0
        listing.focus()

    @on(OptionList.OptionSelected, "#shift-recipes")
    def _recipe_chosen(self, event: OptionList.OptionSelected) -> None:
        svc, shift, wanted = self.ctx.service, self.shift, str(event.option.id)
        supervisor = self.supervisor
        if supervisor is None:
            return
        call_service(
            self,
            lambda: svc.change_recipe(shift, wanted, supervisor),
            self._changed,
            self._say,
        )

    def _changed(self, shift: Shift) -> None:
        self.dismiss(shift)

    def _show_summary(self) -> None:
        svc, shift, since = self.ctx.service, self.shift, self.since
        call_service(self, lambda: svc.shift_counters(shift, since), self._summary, self._say)

    def _summary(self, counters: ShiftCounters) -> None:
        summary = self.query_one("#shift-summary", Static)
        summary.update(
            plain(
                summary_text(self.shift, counters, self.ctx.local(self.since))
                + "\n\nF5 again: end the shift.  Esc: carry on."
            )
        )
        summary.display = True
        self.ending = True

    def key_f5(self) -> None:
        if self.ending:
            self.dismiss(END)

    def _say(self, text: str) -> None:
        message = self.query_one("#shift-dialog-message", Static)
        message.update(plain(text))
        message.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitScreen(ModalScreen[bool]):
    """Ctrl+Q asks first: a second Ctrl+Q quits, Esc stays. The shift summary is shown."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "confirm", "Quit", key_display="^Q", priority=True),
        Binding("escape", "cancel", "Stay"),
    ]

    def __init__(self, summary: str = "") -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Quit the station?", classes="dialog-title")
            yield Static(plain(self.summary), id="quit-summary")
            yield Static("Ctrl+Q again: quit.  Esc: stay.", classes="field-label")
        yield StationFooter()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PickPackScreen(ModalScreen[str | None]):
    """Pick one of this shift's passed packs (newest first), e.g. to reprint its label."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, rows: list[HistoryRow], local: Callable[[datetime], datetime]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.local = local

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            if self.rows:
                yield Static("↑ ↓ then Enter", classes="field-label")
                options = []
                for row in self.rows:
                    when = self.local(row.ended_at).strftime("%H:%M") if row.ended_at else "--:--"
                    options.append(Option(plain(f"{when}  {row.serial}"), id=row.serial))
                yield OptionList(*options, id="packs")
            else:
                yield Static("No pack has passed this shift: nothing to reprint.", id="packs")
        yield StationFooter()

    def on_mount(self) -> None:
        if self.rows:
            self.query_one("#packs", OptionList).focus()

    @on(OptionList.OptionSelected, "#packs")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)

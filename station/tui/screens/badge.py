"""Ask for a badge with a given role (engineer mode); Esc cancels."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from station.sequence.service import Badge, Role
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import BADGE_MAX, BoundedInput
from station.tui.formatting import with_article
from station.tui.text import plain
from station.tui.widgets import StationFooter


def role_refusal(badge: Badge, required: Role, purpose: str) -> str:
    return (
        f"{badge.code} is {with_article(badge.role.value)} badge: {purpose} needs "
        f"{with_article(required.value)} badge."
    )


class BadgeScreen(ModalScreen[Badge | None]):
    """Dismisses with the badge when it has the ``required`` role, with None on Esc."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#badge-input"

    def __init__(self, ctx: LineContext, *, title: str, purpose: str, required: Role) -> None:
        super().__init__()
        self.ctx = ctx
        self.title_text = title
        self.purpose = purpose
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(f"Scan {with_article(self.required.value)} badge", classes="field-label")
            yield BoundedInput(limit=BADGE_MAX, placeholder="badge", id="badge-input")
            yield Static("", id="badge-message", classes="dialog-message")
        yield StationFooter()

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    @on(Input.Submitted, "#badge-input")
    def _submitted(self, event: Input.Submitted) -> None:
        code = event.value.strip()
        event.input.value = ""
        if not code:
            return
        call_service(self, lambda: self.ctx.service.badge(code), self._identified, self._refused)

    def _identified(self, badge: Badge) -> None:
        if badge.role is not self.required:
            self._refused(role_refusal(badge, self.required, self.purpose))
            return
        self.dismiss(badge)

    def _refused(self, reason: str) -> None:
        message = self.query_one("#badge-message", Static)
        message.update(plain(reason))
        message.add_class("-error")
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Ask for a badge with its PIN (engineer mode); Esc cancels.

The badge is scanned, then its PIN typed in a password field. Whether that badge may do what is
asked is the service's rule (``verify``); this dialog only collects and shows the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from station.sequence.service import Badge, Credentials, Role
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import BADGE_MAX, BoundedInput
from station.tui.formatting import with_article
from station.tui.text import plain
from station.tui.widgets import StationFooter

#: a PIN is 4 to 12 digits (the service checks it; the field only keeps it short)
PIN_MAX = 12


def role_refusal(badge: Badge, required: Role, purpose: str) -> str:
    return (
        f"{badge.code} is {with_article(badge.role.value)} badge: {purpose} needs "
        f"{with_article(required.value)} badge."
    )


def pin_input(field_id: str = "pin") -> Input:
    """The PIN field: a password field (dots on screen), digits only, short."""
    return Input(
        placeholder="PIN",
        id=field_id,
        password=True,
        max_length=PIN_MAX,
        restrict=r"[0-9]*",
        select_on_focus=False,
    )


class BadgeScreen(ModalScreen[tuple[Badge, Credentials] | None]):
    """Dismisses with the badge and its credentials once ``verify`` accepts them, with None on
    Esc."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#badge-input"

    def __init__(
        self,
        ctx: LineContext,
        *,
        title: str,
        purpose: str,
        required: Role,
        verify: Callable[[Credentials], Badge],
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.title_text = title
        self.purpose = purpose
        self.required = required
        self.verify = verify
        self.badge: Badge | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(f"Scan {with_article(self.required.value)} badge", classes="field-label")
            yield BoundedInput(limit=BADGE_MAX, placeholder="badge", id="badge-input")
            yield Static("Type its PIN, then Enter", id="pin-label", classes="field-label")
            yield pin_input()
            yield Static("", id="badge-message", classes="dialog-message")
        yield StationFooter()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self._show_pin(False)

    def _show_pin(self, shown: bool) -> None:
        self.query_one("#pin-label").display = shown
        self.query_one("#pin", Input).display = shown

    @on(Input.Submitted, "#badge-input")
    def _submitted(self, event: Input.Submitted) -> None:
        code = event.value.strip()
        event.input.value = ""
        if not code:
            return
        call_service(self, lambda: self.ctx.service.badge(code), self._identified, self._refused)

    def _identified(self, badge: Badge) -> None:
        if not badge.needs_pin:
            self._refused(role_refusal(badge, self.required, self.purpose))
            return
        self.badge = badge
        scanned = self.query_one("#badge-input", Input)
        scanned.value = f"✔ {badge.code}"
        scanned.disabled = True
        self._say("")
        self._show_pin(True)
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _pin_given(self, event: Input.Submitted) -> None:
        badge = self.badge
        pin = event.value
        event.input.value = ""
        if badge is None or not pin:
            return
        credentials = Credentials(badge.code, pin)
        call_service(
            self,
            lambda: (self.verify(credentials), credentials),
            self._accepted,
            self._pin_refused,
        )

    def _accepted(self, given: tuple[Badge, Credentials]) -> None:
        self.dismiss(given)

    def _pin_refused(self, reason: str) -> None:
        self._say(reason, error=True)
        self.query_one("#pin", Input).focus()

    def _refused(self, reason: str) -> None:
        self.badge = None
        scanned = self.query_one("#badge-input", Input)
        scanned.disabled = False
        scanned.value = ""
        self._show_pin(False)
        self._say(reason, error=True)
        scanned.focus()

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#badge-message", Static)
        message.update(plain(text))
        message.set_class(error, "-error")

    def action_cancel(self) -> None:
        self.dismiss(None)

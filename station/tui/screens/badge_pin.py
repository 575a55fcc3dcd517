"""Scan a badge, then type its PIN: the start of every dialog that asks for a badge with a PIN.

The badge is looked up by the service; one that has no PIN (an operator's) is refused with the
role the dialog needs. Once a badge is accepted its field shows a tick and the PIN field opens.
The PIN is never kept in a widget: a dialog gets it once, as credentials, in ``pin_given``.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual import on
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from station.sequence.service import Badge, Credentials, Role
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.formatting import with_article
from station.tui.text import plain

R = TypeVar("R")

#: a PIN is 4 to 12 digits (the service checks it; the field only keeps it short)
PIN_MAX = 12

#: the CSS class of the field a badge is scanned into
BADGE_SCAN = "badge-scan"


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


class BadgePinDialog(ModalScreen[R]):
    """A dialog that composes a badge field (class ``BADGE_SCAN``), a PIN field (``pin_input()``,
    with a ``#pin-label``) and a message line (id ``MESSAGE``), and says in ``pin_given`` what
    the credentials lead to. Esc cancels (dismisses with None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    MESSAGE: ClassVar[str]

    def __init__(self, ctx: LineContext, *, purpose: str, required: Role) -> None:
        super().__init__()
        self.ctx = ctx
        self.purpose = purpose
        self.required = required
        self.badge: Badge | None = None

    def pin_given(self, credentials: Credentials) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self._show_pin(False)

    def _show_pin(self, shown: bool) -> None:
        self.query_one("#pin-label").display = shown
        self.query_one("#pin", Input).display = shown

    @on(Input.Submitted, f".{BADGE_SCAN}")
    def _badge_scanned(self, event: Input.Submitted) -> None:
        code = event.value.strip()
        event.input.value = ""
        if code:
            call_service(
                self, lambda: self.ctx.service.badge(code), self._identified, self._badge_refused
            )

    def _identified(self, badge: Badge) -> None:
        if not badge.needs_pin:
            # A badge without a PIN (an operator's) may not; the service decides the rest.
            self._badge_refused(role_refusal(badge, self.required, self.purpose))
            return
        self.badge = badge
        scanned = self.query_one(f".{BADGE_SCAN}", Input)
        scanned.value = f"✔ {badge.code}"
        scanned.disabled = True
        self._say("")
        self._ask_pin()

    def _badge_refused(self, reason: str) -> None:
        self.badge = None
        scanned = self.query_one(f".{BADGE_SCAN}", Input)
        scanned.disabled = False
        scanned.value = ""
        self._show_pin(False)
        self._say(reason, error=True)
        scanned.focus()

    def _ask_pin(self) -> None:
        """An empty PIN field in focus (again, after a refused PIN)."""
        self._show_pin(True)
        pin = self.query_one("#pin", Input)
        pin.disabled = False
        pin.value = ""
        pin.placeholder = "PIN"
        pin.focus()

    @on(Input.Submitted, "#pin")
    def _pin_submitted(self, event: Input.Submitted) -> None:
        badge = self.badge
        pin = event.value
        event.input.value = ""  # the PIN is not kept in a widget
        if badge is not None and pin:
            self.pin_given(Credentials(badge.code, pin))

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one(f"#{self.MESSAGE}", Static)
        message.update(plain(text))
        message.set_class(error, "-error")

    def action_cancel(self) -> None:
        self.dismiss(None)

"""A supervisor's authorisation with a reason (rework of a passed pack, label reprint).

The supervisor scans a badge, types its PIN in a password field, then picks a reason with the
arrow keys; "Other" asks for a few words. ``confirm(credentials, reason)`` then runs in a thread
worker: it is the service call that decides (role, PIN, not the operator) and records the
authorisation. A refusal is shown, the PIN is asked again, and the dialog stays open. Esc cancels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from station.sequence.service import Credentials, Role
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import BADGE_MAX, REASON_MAX, BoundedInput
from station.tui.screens.badge_pin import BADGE_SCAN, BadgePinDialog, pin_input
from station.tui.text import plain
from station.tui.widgets import StationFooter

T = TypeVar("T")

OTHER = "Other"


class AuthoriseScreen(BadgePinDialog[T | None]):
    CSS_PATH = "dialogs.tcss"
    MESSAGE = "auth-message"

    def __init__(
        self,
        ctx: LineContext,
        *,
        title: str,
        info: Content | str,
        reasons: Sequence[str],
        purpose: str,
        confirm: Callable[[Credentials, str], T],
    ) -> None:
        super().__init__(ctx, purpose=purpose, required=Role.SUPERVISOR)
        self.title_text = title
        self.info = info
        self.reasons = tuple(reasons)
        self.confirm = confirm
        self.credentials: Credentials | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(
                plain(self.info) if isinstance(self.info, str) else self.info, id="auth-info"
            )
            yield Static("1  Supervisor: scan your badge", classes="field-label")
            yield BoundedInput(
                limit=BADGE_MAX,
                placeholder="supervisor badge",
                id="supervisor",
                classes=BADGE_SCAN,
            )
            yield Static("   then type your PIN and Enter", id="pin-label", classes="field-label")
            yield pin_input()
            yield Static("2  Reason (↑ ↓ then Enter)", classes="field-label")
            yield OptionList(*(Option(r, id=r) for r in self.reasons), id="reasons")
            yield BoundedInput(
                limit=REASON_MAX, placeholder="describe the reason", id="other-reason"
            )
            yield Static("", id="auth-message", classes="dialog-message")
        yield StationFooter()

    def on_mount(self) -> None:
        # The badge and PIN fields are set up by BadgePinDialog.on_mount (Textual calls both).
        self.query_one("#other-reason").display = False
        self.query_one("#reasons", OptionList).disabled = True
        self.query_one("#supervisor", Input).focus()

    def _ask_pin(self) -> None:
        self.credentials = None
        self.query_one("#reasons", OptionList).disabled = True
        super()._ask_pin()

    def pin_given(self, credentials: Credentials) -> None:
        self.credentials = credentials
        pin = self.query_one("#pin", Input)
        pin.placeholder = "PIN given"
        pin.disabled = True
        reasons = self.query_one("#reasons", OptionList)
        reasons.disabled = False
        reasons.highlighted = 0
        reasons.focus()

    # -- reason ---------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#reasons")
    def _reason_chosen(self, event: OptionList.OptionSelected) -> None:
        reason = str(event.option.id)
        if reason == OTHER:
            other = self.query_one("#other-reason", Input)
            other.display = True
            other.focus()
            return
        self._confirm(reason)

    @on(Input.Submitted, "#other-reason")
    def _other_given(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self._refused("Say in a few words why, then press Enter")
            return
        self._confirm(f"{OTHER}: {text}")

    def _confirm(self, reason: str) -> None:
        if self.busy:
            return
        credentials = self.credentials
        if credentials is None:
            self._refused("A supervisor badge and its PIN are needed first")
            self.query_one("#supervisor", Input).focus()
            return
        self.busy = True
        call_service(self, lambda: self.confirm(credentials, reason), self._done, self._not_done)

    def _done(self, value: T) -> None:
        self.busy = False
        self.dismiss(value)

    def _not_done(self, reason: str) -> None:
        # Refused (a wrong PIN, a badge that may not, a pack that may not): the PIN is asked
        # again, never kept.
        self.busy = False
        self._refused(reason)
        if self.badge is not None:
            self._ask_pin()

    def _refused(self, reason: str) -> None:
        self._say(reason, error=True)

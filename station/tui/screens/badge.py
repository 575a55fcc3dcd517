"""Ask for a badge with its PIN (engineer mode); Esc cancels.

The badge is scanned, then its PIN typed in a password field. Whether that badge may do what is
asked is the service's rule (``verify``); this dialog only collects and shows the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from station.sequence.service import Badge, Credentials, Role
from station.tui.background import call_service
from station.tui.context import LineContext
from station.tui.fields import BADGE_MAX, BoundedInput
from station.tui.formatting import with_article
from station.tui.screens.badge_pin import BADGE_SCAN, BadgePinDialog, pin_input
from station.tui.widgets import StationFooter


class BadgeScreen(BadgePinDialog[tuple[Badge, Credentials] | None]):
    """Dismisses with the badge and its credentials once ``verify`` accepts them, with None on
    Esc."""

    CSS_PATH = "dialogs.tcss"
    AUTO_FOCUS = "#badge-input"
    MESSAGE = "badge-message"

    def __init__(
        self,
        ctx: LineContext,
        *,
        title: str,
        purpose: str,
        required: Role,
        verify: Callable[[Credentials], Badge],
    ) -> None:
        super().__init__(ctx, purpose=purpose, required=required)
        self.title_text = title
        self.verify = verify

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(f"Scan {with_article(self.required.value)} badge", classes="field-label")
            yield BoundedInput(
                limit=BADGE_MAX, placeholder="badge", id="badge-input", classes=BADGE_SCAN
            )
            yield Static("Type its PIN, then Enter", id="pin-label", classes="field-label")
            yield pin_input()
            yield Static("", id="badge-message", classes="dialog-message")
        yield StationFooter()

    def pin_given(self, credentials: Credentials) -> None:
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
        self.query_one("#pin").focus()

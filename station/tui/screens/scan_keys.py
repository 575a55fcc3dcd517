"""The scan field of a line screen takes every scan, whole, whatever has the focus."""

from __future__ import annotations

from textual.events import Key
from textual.screen import Screen

from station.tui.fields import BoundedInput


def forward_to_scan(screen: Screen[None], scan: BoundedInput, event: Key) -> None:
    """A key no widget took (the scan field was not focused yet) goes to the scan field."""
    if screen.app.screen is not screen or screen.focused is scan:
        return
    if event.is_printable and event.character is not None:
        event.stop()
        scan.focus()
        scan.insert_text_at_cursor(event.character)
    elif event.key == "enter" and scan.value:
        event.stop()
        scan.focus()
        value, dropped = scan.take()
        scan.post_message(BoundedInput.Entered(scan, value, dropped))

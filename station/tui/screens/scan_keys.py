"""The scan field of a line screen takes every scan, whole, whatever has the focus."""

from __future__ import annotations

from textual.events import Key
from textual.screen import Screen

from station.tui.fields import BoundedInput


def forward_to_scan(screen: Screen[None], scan: BoundedInput, event: Key) -> None:
    """A key no widget took goes to the scan field.

    A key reaches the screen itself when no widget had the focus as it arrived: the scan field
    is focused only once the screen is mounted, and a scanner typing while the screen comes up
    has its keys sent to the screen. The field may have the focus by the time such a key is
    handled here, so whether it is focused now says nothing: the field itself takes every
    printable key and Enter it receives, so any such key seen here is one it never had.
    """
    if screen.app.screen is not screen:
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

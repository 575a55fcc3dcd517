"""Input fields with a length fit for what they hold, that take printable characters only.

A runaway scanner (or a paste) can send hundreds of thousands of characters: the field keeps at
most ``limit`` of them and counts what it dropped, so the screen can refuse the whole entry as
too long instead of acting on a truncated one. Control characters never enter a field, so they
are never echoed back to the terminal. No bell per dropped character (Textual's default).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input

from station.tui.text import only_printable

#: field lengths, by what the field holds (the database columns are the outer bound)
SERIAL_MAX = 64
BADGE_MAX = 32
LOT_MAX = 48
PATH_MAX = 1024
REASON_MAX = 200


class BoundedInput(Input):
    class Entered(Input.Submitted):
        """Enter on a field that empties itself: the entry, and how many characters were
        dropped from it because it was longer than the field."""

        def __init__(self, field: BoundedInput, value: str, dropped: int) -> None:
            super().__init__(field, value, None)
            self.dropped = dropped

    def __init__(self, *, limit: int, clear_on_enter: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(**kwargs)
        self.limit = limit
        #: a scan field empties itself on Enter, before the next key is taken: two scans in
        #: one burst stay two entries, never one run together
        self.clear_on_enter = clear_on_enter
        #: characters dropped since the field was last cleared (more than ``limit`` arrived)
        self.dropped = 0
        self.cursor_blink = False

    def replace(self, text: str, start: int, end: int) -> None:
        text = only_printable(text)
        start, end = sorted((max(0, start), min(len(self.value), end)))
        room = self.limit - (len(self.value) - (end - start))
        if len(text) > room:
            self.dropped += len(text) - max(room, 0)
            text = text[: max(room, 0)]
        if text or start != end:
            super().replace(text, start, end)

    def take(self) -> tuple[str, int]:
        """The entry and how many characters were dropped from it; clears the field."""
        value, dropped = self.value, self.dropped
        self.value = ""
        self.dropped = 0
        return value, dropped

    async def _on_key(self, event: events.Key) -> None:
        # Enter ends an entry here, in key order: as a binding it would run only after the
        # keys already queued behind it (the next scan of a burst) were typed into the field.
        if self.clear_on_enter and event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        if not self.clear_on_enter:
            await super().action_submit()
            return
        value, dropped = self.take()
        self.post_message(self.Entered(self, value, dropped))

    def restricted(self) -> None:
        """A dropped character is counted, not rung: a runaway scanner must not ring 200 000
        times."""

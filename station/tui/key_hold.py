"""Keys a scanner types while a started shift hands over to its line screen.

Between the moment a shift has started and the moment the line screen's scan field has the
focus, a key can land in a queue nobody reads any more (the shift start screen's, or the line
screen's before its field exists). The app holds every printable key and Enter meanwhile, in
the order they came, and the line screen takes them as if they were typed into its field.
"""

from __future__ import annotations

from textual.events import Key


class KeyHold:
    """Holds a scanner's keys while no screen can take them; off until :meth:`start`."""

    def __init__(self) -> None:
        self._text: list[str] | None = None

    @property
    def holding(self) -> bool:
        return self._text is not None

    def start(self) -> None:
        self._text = []

    def take(self, event: Key) -> bool:
        """Keep ``event`` if holding and it is part of a scan (printable or Enter)."""
        if self._text is None:
            return False
        if event.key == "enter":
            self._text.append("\n")
        elif event.is_printable and event.character is not None:
            self._text.append(event.character)
        else:
            return False  # Esc, F-keys and Ctrl+Q keep their meaning
        return True

    def release(self) -> str:
        """What was held ("\\n" for Enter); holding ends."""
        text, self._text = self._text or [], None
        return "".join(text)

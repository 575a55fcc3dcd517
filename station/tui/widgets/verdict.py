"""The PASS / FAIL banner: block letters five rows tall, readable from across the line."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from station.sequence.events import Outcome

# Six columns by five rows; vertical strokes are two cells wide so they stay bold at a distance.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": (" ████ ", "██  ██", "██████", "██  ██", "██  ██"),
    "B": ("█████ ", "██  ██", "█████ ", "██  ██", "█████ "),
    "D": ("█████ ", "██  ██", "██  ██", "██  ██", "█████ "),
    "E": ("██████", "██    ", "█████ ", "██    ", "██████"),
    "F": ("██████", "██    ", "█████ ", "██    ", "██    "),
    "I": ("██████", "  ██  ", "  ██  ", "  ██  ", "██████"),
    "L": ("██    ", "██    ", "██    ", "██    ", "██████"),
    "O": (" ████ ", "██  ██", "██  ██", "██  ██", " ████ "),
    "P": ("█████ ", "██  ██", "█████ ", "██    ", "██    "),
    "R": ("█████ ", "██  ██", "█████ ", "██ ██ ", "██  ██"),
    "S": (" █████", "██    ", " ████ ", "    ██", "█████ "),
    "T": ("██████", "  ██  ", "  ██  ", "  ██  ", "  ██  "),
    " ": ("   ", "   ", "   ", "   ", "   "),
}
GLYPH_ROWS = 5
_GAP = "  "


def block_letters(word: str) -> list[str]:
    """The rows of ``word`` in block letters (letters without a glyph are left out)."""
    glyphs = [_GLYPHS[c] for c in word.upper() if c in _GLYPHS]
    return [_GAP.join(g[row] for g in glyphs) for row in range(GLYPH_ROWS)]


#: Three columns by three rows (half blocks: six "pixels" tall), for a socket's tile too narrow
#: for the block letters.
_MEDIUM: dict[str, tuple[str, str, str]] = {
    "A": ("▄▀▄", "█▀█", "▀ ▀"),
    "B": ("█▀▄", "█▀▄", "▀▀ "),
    "D": ("█▀▄", "█ █", "▀▀ "),
    "E": ("█▀▀", "█▀▀", "▀▀▀"),
    "F": ("█▀▀", "█▀▀", "▀  "),
    "I": ("▀█▀", " █ ", "▀▀▀"),
    "L": ("█  ", "█  ", "▀▀▀"),
    "O": ("█▀█", "█ █", "▀▀▀"),
    "P": ("█▀█", "█▀▀", "▀  "),
    "R": ("█▀█", "█▀▄", "▀ ▀"),
    "S": ("█▀▀", "▀▀█", "▀▀▀"),
    "T": ("▀█▀", " █ ", " ▀ "),
    " ": (" ", " ", " "),
}


def medium_letters(word: str) -> list[str]:
    """The rows of ``word`` in letters three rows tall."""
    glyphs = [_MEDIUM[c] for c in word.upper() if c in _MEDIUM]
    return [" ".join(g[row] for g in glyphs) for row in range(3)]


# Own class names: a generic "-error" class elsewhere in the app's CSS once painted the ERROR
# banner's text in the banner's own colour.
_CLASSES = {
    Outcome.PASS: "-verdict-pass",
    Outcome.FAIL: "-verdict-fail",
    Outcome.ERROR: "-verdict-error",
    Outcome.ABORTED: "-verdict-aborted",
}


class VerdictBanner(Widget):
    """Full-width verdict; ``show(outcome, caption)`` sets the word, colour and caption line."""

    DEFAULT_CSS = """
    VerdictBanner {
        width: 1fr;
        height: 8;
        content-align: center middle;
        text-align: center;
        text-style: bold;
        background: $panel;
    }
    VerdictBanner.-verdict-pass { background: $verdict-pass-bg; color: $verdict-pass-text; }
    VerdictBanner.-verdict-fail { background: $verdict-fail-bg; color: $verdict-fail-text; }
    VerdictBanner.-verdict-error { background: $verdict-error-bg; color: $verdict-error-text; }
    VerdictBanner.-verdict-aborted {
        background: $verdict-aborted-bg;
        color: $verdict-aborted-text;
    }
    """

    outcome: reactive[Outcome | None] = reactive(None)
    caption: reactive[str] = reactive("")

    def show(self, outcome: Outcome, caption: str = "") -> None:
        self.outcome = outcome
        self.caption = caption
        self.set_class(True, _CLASSES.get(outcome, "-verdict-fail"))
        for other_outcome, css in _CLASSES.items():
            if other_outcome is not outcome:
                self.remove_class(css)

    @property
    def word(self) -> str:
        return "" if self.outcome is None else self.outcome.value

    def render(self) -> Content:
        word = self.word
        rows = block_letters(word)
        fits = bool(rows and rows[0]) and len(rows[0]) <= self.size.width - 2
        if not fits and self.size.height >= 4:
            # A socket's tile: letters half as tall still read from the operator's position.
            rows = medium_letters(word)
            fits = bool(rows and rows[0]) and len(rows[0]) <= self.size.width - 2
        lines = rows if fits else [word]
        if self.caption:
            lines = [*lines, "", self.caption] if not fits else [*lines, self.caption]
        return Content("\n".join(lines))

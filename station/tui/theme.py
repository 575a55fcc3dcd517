"""One calm theme: a single blue accent; green, red and yellow only ever mean status.

Verdicts are read from across the line: each banner's text has a contrast ratio of at least 7:1
against its background (WCAG AAA), in true colour and in the xterm 256-colour palette alike (the
colours below are palette entries, so a 256-colour terminal shows exactly these).
"""

from __future__ import annotations

from textual.theme import Theme

ACCENT = "#4A90C8"

#: verdict → (background, text); every pair ≥ 7:1 (tests/tui/test_legibility.py computes it)
VERDICT_COLOURS: dict[str, tuple[str, str]] = {
    "pass": ("#5FD787", "#000000"),
    "fail": ("#870000", "#FFFFFF"),
    "error": ("#870000", "#FFFFFF"),
    "aborted": ("#FFD75F", "#000000"),
    "refused": ("#870000", "#FFFFFF"),
}

STATION_THEME = Theme(
    name="station",
    primary=ACCENT,
    secondary=ACCENT,
    accent=ACCENT,
    foreground="#E6E6E6",
    background="#15181C",
    surface="#1D2126",
    panel="#262B31",
    success="#2FA84F",
    warning="#E2B714",
    error="#D83A3A",
    dark=True,
    variables={
        **{f"verdict-{name}-bg": bg for name, (bg, _) in VERDICT_COLOURS.items()},
        **{f"verdict-{name}-text": text for name, (_, text) in VERDICT_COLOURS.items()},
    },
)

"""One calm theme: a single blue accent; green, red and yellow only ever mean status."""

from __future__ import annotations

from textual.theme import Theme

ACCENT = "#4A90C8"

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
)

"""Screens of the operator terminal."""

from station.tui.screens.authorise import AuthoriseScreen
from station.tui.screens.badge import BadgeScreen
from station.tui.screens.engineer import EngineerScreen
from station.tui.screens.line_screen import LineScreen, Phase
from station.tui.screens.shift_start import ShiftStartScreen
from station.tui.screens.trace import TraceScreen

__all__ = [
    "AuthoriseScreen",
    "BadgeScreen",
    "EngineerScreen",
    "LineScreen",
    "Phase",
    "ShiftStartScreen",
    "TraceScreen",
]

"""The operator terminal (Textual). It talks only to ``station.sequence.StationService``."""

from station.tui.app import StationApp, make_app
from station.tui.context import LineContext, LineOptions

__all__ = ["LineContext", "LineOptions", "StationApp", "make_app"]

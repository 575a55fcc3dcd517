"""Reusable widgets of the operator terminal."""

from station.tui.widgets.checklist import StepChecklist
from station.tui.widgets.footer import StationFooter
from station.tui.widgets.header import StationHeader
from station.tui.widgets.history import HistoryPanel
from station.tui.widgets.measurements import MeasurementTable
from station.tui.widgets.result_details import ResultDetails
from station.tui.widgets.sections import SectionsView
from station.tui.widgets.verdict import VerdictBanner

__all__ = [
    "HistoryPanel",
    "MeasurementTable",
    "ResultDetails",
    "SectionsView",
    "StationFooter",
    "StationHeader",
    "StepChecklist",
    "VerdictBanner",
]

"""Pack labels: content, layout, PNG/SVG/ZPL artwork and printers.

Takes plain data (:class:`LabelData`) and a stock; knows nothing of gauges, recipes or the
database. The sequence calls it after a pack passed and was sealed, and records the
:class:`PrintResult`.
"""

from station.labels.code128 import Code128Symbol
from station.labels.data import PASS_MARK, LabelData
from station.labels.errors import (
    LabelDataError,
    LabelEncodingError,
    LabelError,
    LabelFitError,
    LabelStockError,
    PrinterCommandMissingError,
    PrinterError,
    PrinterNotConfirmedError,
    PrinterOfflineError,
    PrinterRefusedError,
    PrinterRejectedError,
    PrinterSpecError,
    PrinterTimeoutError,
    PrinterWriteError,
)
from station.labels.printers import (
    DEFAULT_PRINTER_SPEC,
    CupsPrinter,
    FilePrinter,
    Printer,
    PrinterSpec,
    PrintResult,
    ZplTcpPrinter,
    open_printer,
    parse_printer_spec,
)
from station.labels.render import LabelArtwork, render
from station.labels.stock import PRESETS, LabelStock, parse_stock

__all__ = [
    "DEFAULT_PRINTER_SPEC",
    "PASS_MARK",
    "PRESETS",
    "Code128Symbol",
    "CupsPrinter",
    "FilePrinter",
    "LabelArtwork",
    "LabelData",
    "LabelDataError",
    "LabelEncodingError",
    "LabelError",
    "LabelFitError",
    "LabelStock",
    "LabelStockError",
    "PrintResult",
    "Printer",
    "PrinterCommandMissingError",
    "PrinterError",
    "PrinterNotConfirmedError",
    "PrinterOfflineError",
    "PrinterRefusedError",
    "PrinterRejectedError",
    "PrinterSpec",
    "PrinterSpecError",
    "PrinterTimeoutError",
    "PrinterWriteError",
    "ZplTcpPrinter",
    "open_printer",
    "parse_printer_spec",
    "parse_stock",
    "render",
]

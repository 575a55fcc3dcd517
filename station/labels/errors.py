"""Typed label errors, each with a ``failure_code`` the database and the operator screen both use.

Label content and layout errors happen before anything is sent: they mean the recipe or the
station configuration asks for a label that cannot be made. Printer errors happen after a pack
has passed and been sealed: the pack keeps its result, only its label is missing.
"""

from __future__ import annotations

from typing import ClassVar

from station.refusal import Refused

#: the command an operator runs to print a missing label again
REPRINT_COMMAND = "station label print --serial {serial}"


class LabelError(Exception):
    """Base of every error raised by ``station.labels``."""

    failure_code: ClassVar[str] = "LABEL_ERROR"


class LabelDataError(LabelError, Refused):
    """A label field is missing, malformed or out of range; the message names the field."""

    failure_code = "LABEL_DATA_INVALID"


class LabelStockError(LabelError, Refused):
    """A label stock text or value is not usable; the message lists what is accepted."""

    failure_code = "LABEL_STOCK_INVALID"


class LabelFitError(LabelError):
    """The label content does not fit the stock in a scannable, readable form."""

    failure_code = "LABEL_DOES_NOT_FIT"


class LabelEncodingError(LabelError):
    """The bar code built for a serial does not decode back to it (never printed)."""

    failure_code = "LABEL_ENCODING"


class PrinterSpecError(LabelError, Refused):
    """A printer spec string is not one of the accepted forms."""

    failure_code = "PRINTER_SPEC_INVALID"


class PrinterError(LabelError):
    """The label could not be delivered to the printer.

    The message says what happened, that the pack stays PASS and sealed with its label NOT
    printed, and how to print it again once the printer is back.
    """

    failure_code: ClassVar[str] = "PRINTER_ERROR"
    next_step: ClassVar[str] = "check the printer is on, loaded and connected"

    def __init__(self, what: str, *, printer: str, serial: str, detail: str = "") -> None:
        self.what = what
        self.printer = printer
        self.serial = serial
        self.detail = detail
        reprint = REPRINT_COMMAND.format(serial=serial)
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"printer {printer}: {what}{extra}. Pack {serial} stays PASS and sealed; its label was "
            f"NOT printed. {self.next_step[0].upper()}{self.next_step[1:]}, then print it again "
            f"with `{reprint}`."
        )


class PrinterOfflineError(PrinterError):
    """The printer host is unreachable, or it dropped the connection while receiving."""

    failure_code = "PRINTER_OFFLINE"
    next_step = "check the printer is switched on and its network cable or Wi-Fi is connected"


class PrinterTimeoutError(PrinterError):
    """The printer did not accept the connection or the data within the timeout."""

    failure_code = "PRINTER_TIMEOUT"
    next_step = (
        "check the printer is not paused, out of labels, showing an error, or busy with another job"
    )


class PrinterRefusedError(PrinterError):
    """The printer host answered but refused the connection (nothing listening on the port)."""

    failure_code = "PRINTER_REFUSED"
    next_step = "check the printer address and raw port (usually 9100) in the station config"


class PrinterNotConfirmedError(PrinterError):
    """The printer took the label but did not confirm it could print it (its status answer was
    missing, unreadable, or showed an error)."""

    failure_code = "PRINTER_NOT_CONFIRMED"
    next_step = (
        "check the printer: paper and ribbon loaded, head closed, not paused, no error light"
    )


class PrinterCommandMissingError(PrinterError):
    """The CUPS ``lp`` command is not installed on this station."""

    failure_code = "PRINTER_LP_MISSING"
    next_step = "install the CUPS client (`lp`, e.g. the cups-client package)"


class PrinterRejectedError(PrinterError):
    """CUPS (``lp``) refused the job."""

    failure_code = "PRINTER_CUPS_REJECTED"
    next_step = "check the queue exists and accepts jobs (`lpstat -p`)"


class PrinterWriteError(PrinterError):
    """The label files could not be written to the label directory."""

    failure_code = "PRINTER_FILE_ERROR"
    next_step = "check the label directory exists, is writable and the disk is not full"

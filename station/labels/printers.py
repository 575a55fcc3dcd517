"""Printers, chosen by one spec string (station config ``printer =`` or ``--printer``).

- ``file:DIR``: writes ``<serial>-<attempt>.png/.svg/.zpl`` into DIR (the demo default);
- ``zpl-tcp:HOST[:PORT]``: raw ZPL to a Zebra printer's port 9100, then its host status
  (``~HS``): the label counts as printed only when the printer answers with no error flag;
- ``cups:QUEUE``: ZPL through ``lp -o raw`` to a CUPS queue.

A print result claims no more than it knows: a file was written, the printer confirmed its status
after taking the label, or CUPS queued a job. Every failure is a :class:`PrinterError` that tells
the operator the pack stays PASS and sealed and how to print the label again.
"""

from __future__ import annotations

from station.labels.cups import DEFAULT_LP_TIMEOUT_S, CupsPrinter
from station.labels.file_printer import FilePrinter, file_stem
from station.labels.printer_spec import (
    DEFAULT_PRINTER_SPEC,
    SPEC_FORMS,
    ZPL_RAW_PORT,
    Printer,
    PrinterKind,
    PrinterSpec,
    PrintResult,
    PrintStatus,
    parse_printer_spec,
)
from station.labels.zpl_tcp import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_SEND_TIMEOUT_S,
    DEFAULT_STATUS_TIMEOUT_S,
    ZplTcpPrinter,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_LP_TIMEOUT_S",
    "DEFAULT_PRINTER_SPEC",
    "DEFAULT_SEND_TIMEOUT_S",
    "DEFAULT_STATUS_TIMEOUT_S",
    "SPEC_FORMS",
    "ZPL_RAW_PORT",
    "CupsPrinter",
    "FilePrinter",
    "PrintResult",
    "PrintStatus",
    "Printer",
    "PrinterKind",
    "PrinterSpec",
    "ZplTcpPrinter",
    "file_stem",
    "open_printer",
    "parse_printer_spec",
]


def open_printer(
    spec: str,
    *,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
    lp_timeout_s: float = DEFAULT_LP_TIMEOUT_S,
    status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_S,
) -> Printer:
    """The printer for a spec string; raises :class:`PrinterSpecError` for a bad spec."""
    parsed = parse_printer_spec(spec)
    if parsed.kind == "file":
        return FilePrinter(parsed.target)
    if parsed.kind == "cups":
        return CupsPrinter(parsed.target, timeout_s=lp_timeout_s)
    return ZplTcpPrinter(
        parsed.target,
        parsed.port,
        connect_timeout_s=connect_timeout_s,
        send_timeout_s=send_timeout_s,
        status_timeout_s=status_timeout_s,
    )

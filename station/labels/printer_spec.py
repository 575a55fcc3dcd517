"""Printer spec strings (station config ``printer =`` or ``--printer``) and what a print returns.

- ``file:DIR``: writes ``<serial>-<attempt>.png/.svg/.zpl`` into DIR (the demo default);
- ``zpl-tcp:HOST[:PORT]``: raw ZPL to a Zebra printer's port 9100, then its host status;
- ``cups:QUEUE``: ZPL through ``lp -o raw`` to a CUPS queue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from station.labels.errors import PrinterSpecError
from station.labels.render import LabelArtwork

PrinterKind = Literal["file", "zpl-tcp", "cups"]
PrintStatus = Literal["written to files", "confirmed by the printer", "queued in CUPS"]

DEFAULT_PRINTER_SPEC = "file:labels"
ZPL_RAW_PORT = 9100

SPEC_FORMS = (
    "file:DIR (write PNG, SVG and ZPL files into DIR; the default is file:labels), "
    "zpl-tcp:HOST[:PORT] (raw ZPL to a Zebra printer, port 9100 by default), "
    "cups:QUEUE (ZPL through CUPS `lp -o raw`)"
)


@dataclass(frozen=True)
class PrinterSpec:
    """A parsed printer spec; ``str(spec)`` gives its canonical text (recorded with each print)."""

    kind: PrinterKind
    target: str  # directory, host name or address, or CUPS queue
    port: int = ZPL_RAW_PORT

    def __str__(self) -> str:
        if self.kind == "zpl-tcp":
            host = f"[{self.target}]" if ":" in self.target else self.target
            return f"zpl-tcp:{host}:{self.port}"
        return f"{self.kind}:{self.target}"


_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_QUEUE = re.compile(r"^[!-~]{1,127}$")


def parse_printer_spec(text: str) -> PrinterSpec:
    """Parse one of the three spec forms; raises :class:`PrinterSpecError` listing them."""
    kind, sep, rest = text.strip().partition(":") if isinstance(text, str) else ("", "", "")
    rest = rest.strip()

    def bad(why: str) -> PrinterSpecError:
        return PrinterSpecError(f"printer spec {text!r}: {why}; use one of: {SPEC_FORMS}")

    if not sep or kind not in ("file", "zpl-tcp", "cups"):
        raise bad("unknown printer kind")
    if not rest:
        raise bad(f"{kind}: needs a {'directory' if kind == 'file' else 'target'} after the ':'")
    if kind == "file":
        return PrinterSpec("file", rest)
    if kind == "cups":
        if not _QUEUE.match(rest) or "/" in rest or "#" in rest:
            raise bad(f"{rest!r} is not a CUPS queue name (no spaces, '/' or '#')")
        return PrinterSpec("cups", rest)
    host, port = _split_host_port(rest, bad)
    return PrinterSpec("zpl-tcp", host, port)


def _split_host_port(rest: str, bad: Callable[[str], PrinterSpecError]) -> tuple[str, int]:
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or not host or (tail and not tail.startswith(":")):
            raise bad(f"{rest!r} is not [IPv6-address] or [IPv6-address]:PORT")
        port_text = tail[1:]
    elif rest.count(":") > 1:
        raise bad("write an IPv6 address in brackets, e.g. zpl-tcp:[fd00::5]:9100")
    else:
        host, _, port_text = rest.partition(":")
        if not _HOST.match(host):
            raise bad(f"{host!r} is not a host name or IPv4 address")
    if rest.endswith(":"):
        raise bad("the port after ':' is missing")
    if not port_text:
        return host, ZPL_RAW_PORT
    # ASCII digits only: str.isdigit() also accepts superscripts, which int() refuses.
    if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 1 <= int(port_text) <= 65535:
        raise bad(f"port {port_text!r} must be a number from 1 to 65535")
    return host, int(port_text)


@dataclass(frozen=True)
class PrintResult:
    """What was sent where. ``status`` never says "printed": nothing here can see the paper."""

    serial: str
    printer: str  # canonical printer spec
    kind: PrinterKind
    status: PrintStatus
    destination: str  # directory, HOST:PORT, or CUPS queue
    job_name: str
    bytes_sent: int  # bytes of ZPL sent, or of all files written
    paths: tuple[Path, ...] = ()  # files written (file printer)
    attempt: int | None = None  # file printer: the attempt number in the file names
    request_id: str = ""  # CUPS job id, e.g. "zebra-42"

    @property
    def summary(self) -> str:
        if self.kind == "file":
            names = ", ".join(path.name for path in self.paths)
            return f"label {self.serial} written to {self.destination}: {names}"
        if self.kind == "cups":
            job = f" as job {self.request_id}" if self.request_id else ""
            return f"label {self.serial} queued in CUPS queue {self.destination}{job}"
        return (
            f"label {self.serial} printed on {self.destination} ({self.bytes_sent} bytes of "
            "ZPL; the printer's status confirmed it)"
        )


class Printer(Protocol):
    """Something that takes a rendered label and delivers it."""

    @property
    def spec(self) -> PrinterSpec: ...

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        """Deliver the label; raises :class:`PrinterError` if it could not."""
        ...

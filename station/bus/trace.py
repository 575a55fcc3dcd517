"""A bus trace on demand: every transaction of a run, as text an engineer can send to TI support
or lay beside a logic-analyser capture.

Each line is one try of one transaction: bus time (the transport's clock: virtual on the
emulator), how long it took, what it was, which try, the bytes written (``W``) and read (``R``) as
they were on the wire (command, count, data, PEC), and the result. Bytes that carry key material
are written ``<key>``: which ones is not known here (the bus knows no commands) but told by the
:data:`Redactor` the caller must give, from the layer that knows the gauge's commands. The file is
bounded: past ``max_bytes`` it is moved to ``FILE.1`` (replacing an older one) and starts again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

#: How a secret byte run is shown in the trace.
SECRET = "<key>"
#: Default size of the trace file before it is moved aside (two files at most: 32 MiB).
DEFAULT_MAX_BYTES = 16 * 1024 * 1024

log = logging.getLogger("station.bus")

_LEGEND = (
    "# columns: bus time s | duration | transaction, command | try | W: bytes to the device "
    "| R: bytes from it | result\n"
)


@dataclass(frozen=True)
class Transaction:
    """One try of one SMBus transaction, as it went on the wire."""

    at_s: float  # the transport's clock when it started
    took_s: float
    address: int
    operation: str  # "read word", "block write", ...
    command: int
    label: str | None
    wrote: bytes  # to the device: command byte, then data, count and PEC as sent
    read: bytes  # from the device (b"" for a write)
    result: str  # "ok", or the error
    attempt: int  # 1 for the first try
    retrying: bool = False  # another try follows


#: Called with every transaction tried (the transport's trace hook).
TransactionHook = Callable[[Transaction], None]


class Redactor(Protocol):
    """Where secrets start: offsets into ``wrote`` and ``read`` from which every byte (PEC
    included: it is computed over them) is shown as ``<key>``; None where nothing is secret.
    Called once per transaction in order, so it may remember what was asked before."""

    def __call__(self, tx: Transaction) -> tuple[int | None, int | None]: ...


def _hex(data: bytes, secret_from: int | None) -> str:
    if secret_from is None or secret_from >= len(data):
        return data.hex(" ").upper()
    shown = data[:secret_from].hex(" ").upper()
    return f"{shown} {SECRET}" if shown else SECRET


def render(tx: Transaction, secret: tuple[int | None, int | None]) -> str:
    """One line of the trace for ``tx`` (no newline)."""
    label = f" {tx.label}" if tx.label else ""
    parts = [
        f"{tx.at_s:12.6f}",
        f"{tx.took_s * 1000:8.3f} ms",
        f"0x{tx.address:02X} {tx.operation} 0x{tx.command & 0xFF:02X}{label}",
        f"try {tx.attempt}",
        f"W: {_hex(tx.wrote, secret[0])}",
    ]
    if tx.read or tx.operation.startswith("read") or tx.operation.endswith("read"):
        parts.append(f"R: {_hex(tx.read, secret[1]) or '-'}")
    result = tx.result + ("; retrying" if tx.retrying else "")
    parts.append(result)
    return " | ".join(parts)


class BusTrace:
    """The trace file: sessions (one per bus connection) of transaction lines, size-bounded."""

    def __init__(
        self,
        path: Path,
        *,
        redactor: Callable[[], Redactor],
        max_bytes: int = DEFAULT_MAX_BYTES,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if max_bytes < 4096:
            raise ValueError("a bus trace needs room for at least a few transactions (4 KiB)")
        self.path = path
        self.max_bytes = max_bytes
        self._redactor = redactor
        self._now = now or (lambda: datetime.now().astimezone())
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._size = 0
        self.dropped = 0

    def session(self, header: str) -> TransactionHook:
        """Start a session (a header line) and return the hook its transport calls."""
        redact = self._redactor()
        self._write(f"# session {self._now().isoformat(timespec='seconds')}: {header}\n")

        def hook(tx: Transaction) -> None:
            self._write(render(tx, redact(tx)) + "\n")

        return hook

    def _write(self, line: str) -> None:
        try:
            self._append(line)
        except OSError as exc:
            # A full disk ends the trace, never the run it traces.
            self.dropped += 1
            if self.dropped == 1:
                log.warning("bus trace %s: cannot write (%s); lines are lost", self.path, exc)

    def _append(self, line: str) -> None:
        data = line.encode("utf-8", "replace")
        with self._lock:
            if self._file is None:
                self._open()
            if self._size + len(data) > self.max_bytes:
                self._rotate()
            assert self._file is not None
            self._file.write(line)
            self._file.flush()
            self._size += len(data)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._size = self.path.stat().st_size
        if self._size == 0:
            self._file.write(_LEGEND)
            self._size = len(_LEGEND)

    def _rotate(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.replace(self.path.with_name(self.path.name + ".1"))
        self._file = self.path.open("w", encoding="utf-8")
        self._file.write(_LEGEND)
        self._size = len(_LEGEND)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

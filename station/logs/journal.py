"""Records to the systemd journal over its native protocol, with the station's fields.

The protocol (systemd's "Native Journal Protocol"): one datagram per entry to
``/run/systemd/journal/socket``, each field as ``NAME=value\\n``, or, for a value holding a newline,
``NAME\\n`` + its length as a little-endian 64-bit integer + the value + ``\\n``. An entry too big
for a datagram is written to a sealed memfd whose descriptor is sent instead.
"""

from __future__ import annotations

import array
import errno
import fcntl
import logging
import os
import re
import socket
import stat
import struct
from collections.abc import Mapping

from station.logs.fields import run_fields

JOURNAL_SOCKET = "/run/systemd/journal/socket"
IDENTIFIER = "station"

#: logging level → syslog priority (what ``journalctl -p`` filters on)
_PRIORITY = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_FIELD_NAME = re.compile(r"^[A-Z0-9][A-Z0-9_]*$")


def priority(level: int) -> int:
    for threshold, value in _PRIORITY:
        if level >= threshold:
            return value
    return 7


def encode_entry(fields: Mapping[str, str]) -> bytes:
    """One journal entry in the native protocol's wire form."""
    out = bytearray()
    for name, value in fields.items():
        if not _FIELD_NAME.match(name):
            raise ValueError(f"{name!r} is not a journal field name (capitals, digits, '_')")
        data = value.encode("utf-8", "replace")
        key = name.encode("ascii")
        if b"\n" in data:
            out += key + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key + b"=" + data + b"\n"
    return bytes(out)


def journal_fields(record: logging.LogRecord, text: str) -> dict[str, str]:
    """The journal fields of ``record`` whose formatted text is ``text``."""
    fields = {
        "MESSAGE": text,
        "PRIORITY": str(priority(record.levelno)),
        "SYSLOG_IDENTIFIER": IDENTIFIER,
        "LOGGER": record.name,
        "CODE_FILE": record.pathname,
        "CODE_LINE": str(record.lineno),
        "CODE_FUNC": record.funcName,
        "THREAD_NAME": record.threadName or "",
    }
    for name, value in run_fields(record).items():
        fields[name.upper()] = value
    return fields


class JournalHandler(logging.Handler):
    """Sends each record to journald as one entry (message with its traceback, and fields)."""

    def __init__(self, path: str = JOURNAL_SOCKET, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.path = path
        self.dropped = 0
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = encode_entry(journal_fields(record, self.format(record)))
            self._send(data)
        except Exception:
            self.handleError(record)

    def _send(self, data: bytes) -> None:
        try:
            self._socket.sendto(data, self.path)
        except OSError as exc:
            if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                raise
            self._send_large(data)

    def _send_large(self, data: bytes) -> None:
        fd = os.memfd_create("station-journal", os.MFD_ALLOW_SEALING | os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            # journald accepts only a sealed memfd: nobody can change the entry after it is sent.
            fcntl.fcntl(
                fd,
                fcntl.F_ADD_SEALS,
                fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL,
            )
            rights = array.array("i", [fd])
            self._socket.sendmsg([], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)], 0, self.path)
        finally:
            os.close(fd)

    def handleError(self, record: logging.LogRecord) -> None:
        # Never print to stderr: on the terminal that is the operator's screen. A journal that
        # cannot be reached loses the record, counted.
        self.dropped += 1

    def close(self) -> None:
        try:
            self._socket.close()
        finally:
            super().close()


def started_by_systemd(environ: Mapping[str, str], stderr_fd: int | None = 2) -> bool:
    """Whether this process is a systemd service (``INVOCATION_ID``), or its stderr is the
    journal (``JOURNAL_STREAM`` naming the very stream stderr is)."""
    if environ.get("INVOCATION_ID"):
        return True
    stream = environ.get("JOURNAL_STREAM", "")
    if not stream or stderr_fd is None:
        return False
    try:
        st = os.fstat(stderr_fd)
    except OSError:
        return False
    return stream == f"{st.st_dev}:{st.st_ino}"


def journal_reachable(path: str = JOURNAL_SOCKET) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False

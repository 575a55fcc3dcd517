"""The station's log file: one line per record (continuation lines indented), size-bounded.

A line reads ``2026-03-01T10:42:13.123+01:00 INFO    station.run [station=ST-01 socket=A
attempt=1234 serial=PK4S-000123 step=apply] step apply PASS in 0.812 s: ...``, so a ``grep
attempt=1234`` shows one pack's story and :func:`parse_entries` reads it back for ``station logs``.
The file rotates at a size, keeping a fixed number of old files: its folder never holds more than
``max_bytes * (backups + 1)``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from station.logs.fields import FIELD_NAMES, run_fields

#: One formatted record is cut to this many bytes (a runaway message must not defeat the bound).
MAX_RECORD_BYTES = 32 * 1024
_CUT = "\n  [... cut: the record was longer than 32 KiB]"

_START = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d) (?P<level>[A-Z]+) +"
    r"(?P<logger>\S+) (?P<rest>.*)$"
)
_TOKEN = re.compile(r'\s*(?P<name>[a-z_]+)=(?P<value>"(?:[^"\\]|\\.)*"|[^\s\]]+)')


_NEEDS_QUOTES = re.compile(r'[\s\]"=\\]')


def _quote(value: str) -> str:
    if value and not _NEEDS_QUOTES.search(value):
        return value
    return json.dumps(value, ensure_ascii=False)


class FileFormatter(logging.Formatter):
    """The file's line format; the time is local with its offset, to the millisecond."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created).astimezone()
        fields = run_fields(record)
        shown = " ".join(f"{n}={_quote(fields[n])}" for n in FIELD_NAMES if n in fields)
        head = f"{at.isoformat(timespec='milliseconds')} {record.levelname:<7} {record.name} " + (
            f"[{shown}] " if shown else ""
        )
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        # Continuation lines are indented, so a line that starts with a time starts a record.
        line = head + text.replace("\r", "").replace("\n", "\n  ")
        data = line.encode("utf-8", "replace")
        if len(data) > MAX_RECORD_BYTES:
            keep = MAX_RECORD_BYTES - len(_CUT.encode())
            line = data[:keep].decode("utf-8", "ignore") + _CUT
        return line


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file whose size bound holds in bytes, and which never prints its own errors."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int, level: int) -> None:
        if max_bytes <= MAX_RECORD_BYTES:
            raise ValueError(f"a log file must hold more than one record ({MAX_RECORD_BYTES} B)")
        if backups < 1:
            raise ValueError("a rotating log keeps at least one old file")
        super().__init__(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )
        self.setLevel(level)
        self.setFormatter(FileFormatter())
        self.dropped = 0
        self.last_error = ""
        self._size = 0

    def emit(self, record: logging.LogRecord) -> None:
        # Formatted once and measured in bytes (the base class measures characters and formats
        # twice); a record never makes the file pass max_bytes.
        try:
            text = self.format(record) + self.terminator
            size = len(text.encode("utf-8", "replace"))
            stream = self.stream
            if stream is None:
                # The folder is made when the first record comes: a command that logs nothing
                # leaves nothing behind.
                Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
                stream = self.stream = self._open()
                self._size = stream.seek(0, 2)
            if self._size + size > self.maxBytes:
                self.doRollover()
                stream = self.stream = self._open()
                self._size = 0
            stream.write(text)
            stream.flush()
            self._size += size
        except Exception:
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        # A full or read-only disk loses log records, never the operator's screen (stderr).
        self.dropped += 1
        self.last_error = str(sys.exc_info()[1] or "unknown error")


@dataclass(frozen=True)
class Entry:
    """One record as read back from a log file or the journal."""

    at: datetime
    level: str
    logger: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)


def parse_entries(lines: Iterable[str]) -> Iterator[Entry]:
    """Records from the lines of a log file; lines before the first record are skipped."""
    current: Entry | None = None
    more: list[str] = []
    for raw in lines:
        line = raw.rstrip("\n")
        match = _START.match(line)
        if match is None:
            if current is not None:
                more.append(line[2:] if line.startswith("  ") else line)
            continue
        if current is not None:
            yield _with_more(current, more)
        current, more = _entry(match), []
    if current is not None:
        yield _with_more(current, more)


def _entry(match: re.Match[str]) -> Entry:
    rest = match["rest"]
    fields: dict[str, str] = {}
    if rest.startswith("["):
        pos = 1
        while True:
            token = _TOKEN.match(rest, pos)
            if token is None:
                break
            value = token["value"]
            fields[token["name"]] = json.loads(value) if value.startswith('"') else value
            pos = token.end()
        if rest.startswith("] ", pos):
            rest = rest[pos + 2 :]
        else:
            fields = {}  # not a fields block after all: keep the text as it was
    return Entry(
        at=datetime.fromisoformat(match["at"]),
        level=match["level"],
        logger=match["logger"],
        message=rest,
        fields=fields,
    )


def _with_more(entry: Entry, more: list[str]) -> Entry:
    if not more:
        return entry
    return Entry(
        entry.at, entry.level, entry.logger, "\n".join([entry.message, *more]), entry.fields
    )


def log_files(path: Path) -> list[Path]:
    """The file and its rotated copies, oldest first."""
    rotated = sorted(
        (p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
        reverse=True,
    )
    return [*rotated, *([path] if path.exists() else [])]

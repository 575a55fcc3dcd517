"""The one logging set-up, made by the ``station`` entry point at start-up.

* Started by systemd (the terminal service): every record to the journal, with fields.
* Otherwise: a rotating file ``station.log`` in the station's log folder, size-bounded.
* A command-line command asked for ``-v`` / ``--log-level``: also to stderr. The operator
  terminal never gets a stderr handler: its screen is the terminal the TUI draws on.

Nothing reaches stderr otherwise: not Python's last-resort handler (the root logger always has a
handler), not ``warnings`` (routed into logging), not a handler's own failure (counted, dropped).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from station.logs.fields import FieldsFilter
from station.logs.files import FileFormatter, LogFileHandler
from station.logs.journal import (
    JOURNAL_SOCKET,
    JournalHandler,
    journal_reachable,
    started_by_systemd,
)

LOG_FILE_NAME = "station.log"
#: The file rotates at this size and keeps this many old files: at most 25 MiB in all.
MAX_FILE_BYTES = 5 * 1024 * 1024
BACKUP_FILES = 4
#: What the journal or file always keeps, whatever a command asks for on stderr.
PERSISTENT_LEVEL = logging.INFO

_MARK = "_station_handler"


class Face(StrEnum):
    TERMINAL = "terminal"  # the operator terminal: never a byte of log on its screen
    CLI = "cli"  # an engineer's or technician's command: stderr when asked


@dataclass(frozen=True)
class LogSettings:
    """What the set-up needs from the configuration and the command line."""

    station_id: str
    socket: str
    log_dir: Path
    #: "auto" (journal when started by systemd, else the file), "journal", "file", or "none"
    #: (stderr only, if asked: commands that only read)
    log_to: str = "auto"
    #: the level asked for on the command line (-v, -vv, --log-level), None when not asked
    console_level: int | None = None
    max_file_bytes: int = MAX_FILE_BYTES
    backup_files: int = BACKUP_FILES

    @property
    def log_file(self) -> Path:
        return self.log_dir / LOG_FILE_NAME


@dataclass
class LogSetup:
    """What :func:`configure` installed; :meth:`close` takes it out again."""

    destination: str  # "journal" or "file"
    log_file: Path | None
    handlers: list[logging.Handler] = field(default_factory=list)
    problem: str = ""  # why the intended destination is not used, for the command to say

    def lost(self) -> str:
        """What was lost, if records could not be written (for a command to say at its end)."""
        for handler in self.handlers:
            if isinstance(handler, LogFileHandler) and handler.dropped:
                return (
                    f"{handler.dropped} log record(s) could not be written to {self.log_file} "
                    f"({handler.last_error})"
                )
        return ""

    def describe(self) -> str:
        """Where this process's records go, in words for a technician."""
        if self.destination == "journal":
            return "the systemd journal (journalctl -t station, or station logs)"
        if self.destination == "file":
            return f"{self.log_file} (station logs)"
        return "nowhere"

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers.clear()
        logging.captureWarnings(False)


def configure(
    settings: LogSettings,
    face: Face,
    *,
    environ: Mapping[str, str] | None = None,
    journal_socket: str = JOURNAL_SOCKET,
    stderr: TextIO | None = None,
) -> LogSetup:
    """Install the station's handlers on the root logger (replacing any earlier set-up)."""
    env = os.environ if environ is None else environ
    _remove_earlier()
    static = {"station": settings.station_id, "socket": settings.socket}
    persistent = PERSISTENT_LEVEL
    if settings.console_level is not None:
        persistent = min(persistent, settings.console_level)

    use_journal = settings.log_to == "journal" or (
        settings.log_to == "auto" and started_by_systemd(env)
    )
    setup: LogSetup
    if settings.log_to == "none":
        setup = LogSetup("nowhere", None, [])
    elif use_journal and journal_reachable(journal_socket):
        setup = LogSetup("journal", None, [JournalHandler(journal_socket, persistent)])
    else:
        setup = _file_setup(settings, persistent)
        if use_journal:
            setup.problem = f"the journal socket {journal_socket} is not there"
    if face is Face.CLI and settings.console_level is not None:
        console = logging.StreamHandler(stderr if stderr is not None else sys.stderr)
        console.setLevel(settings.console_level)
        console.setFormatter(FileFormatter())
        setup.handlers.append(console)
    # A root logger with no handler would hand WARNINGs to Python's last resort: stderr.
    setup.handlers.append(logging.NullHandler())

    root = logging.getLogger()
    for handler in setup.handlers:
        handler.addFilter(FieldsFilter(static))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(min(persistent, settings.console_level or persistent))
    # Alembic says "Context impl SQLiteImpl." at every start: keep its warnings only.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return setup


def _file_setup(settings: LogSettings, level: int) -> LogSetup:
    handler = LogFileHandler(
        settings.log_file,
        max_bytes=settings.max_file_bytes,
        backups=settings.backup_files,
        level=level,
    )
    return LogSetup("file", settings.log_file, [handler])


def _remove_earlier() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()

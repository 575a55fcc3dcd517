"""Reading the station's records back for a technician: ``station logs``.

Records are wherever the set-up sent them: the journal (the terminal service) and the log file
(commands run in a shell). Both are read, merged in time order, and filtered by attempt, serial
and time, so nobody needs to know journalctl's syntax or where the file is.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from station.logs.fields import FIELD_NAMES
from station.logs.files import Entry, log_files, parse_entries
from station.logs.journal import IDENTIFIER

#: syslog priority → the level name the file uses
_LEVELS = ("CRITICAL", "CRITICAL", "CRITICAL", "ERROR", "WARNING", "INFO", "INFO", "DEBUG")
_RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d)$")


class LogReadError(Exception):
    """A log source cannot be read; the message says which, why, and what to do."""


@dataclass(frozen=True)
class LogQuery:
    """Which records to show: every condition given must hold; at most ``limit`` (the newest)."""

    attempt: int | None = None
    serial: str | None = None
    since: datetime | None = None  # aware
    limit: int = 500

    def matches(self, entry: Entry) -> bool:
        if self.attempt is not None and entry.fields.get("attempt") != str(self.attempt):
            return False
        if self.serial is not None and entry.fields.get("serial") != self.serial:
            return False
        return self.since is None or entry.at >= self.since


def parse_since(text: str, now: datetime) -> datetime:
    """A start time as a technician types it: ``2026-03-01``, ``2026-03-01 22:00``, ``22:00``
    (today), ``90m``, ``8h``, ``2d`` (ago), ``today`` or ``yesterday``. ``now`` is aware."""
    value = text.strip().lower()
    local_now = now.astimezone()
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if value == "today":
        return midnight
    if value == "yesterday":
        return midnight - timedelta(days=1)
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = int(relative[1]), relative[2]
        step = {"m": timedelta(minutes=1), "min": timedelta(minutes=1)}.get(
            unit, timedelta(hours=1) if unit == "h" else timedelta(days=1)
        )
        return local_now - amount * step
    clock = re.fullmatch(r"(\d\d?):(\d\d)(?::(\d\d))?", value)
    if clock:
        try:
            return midnight.replace(
                hour=int(clock[1]), minute=int(clock[2]), second=int(clock[3] or 0)
            )
        except ValueError:
            pass  # 25:00: said below
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use 2026-03-01, '2026-03-01 22:00', 22:00, 90m, 8h, 2d, "
            "today or yesterday"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


def file_entries(path: Path, query: LogQuery) -> list[Entry]:
    """Matching records of the log file and its rotated copies, oldest first."""
    found: list[Entry] = []
    for part in log_files(path):
        try:
            with part.open(encoding="utf-8", errors="replace") as lines:
                found.extend(e for e in parse_entries(lines) if query.matches(e))
        except OSError as exc:
            raise LogReadError(f"cannot read the log file {part}: {exc.strerror or exc}") from None
    return found


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def journal_command(query: LogQuery, journalctl: str = "journalctl") -> list[str]:
    """The journalctl call that selects the station's records for ``query``."""
    args = [journalctl, "--no-pager", "--output=json", f"SYSLOG_IDENTIFIER={IDENTIFIER}"]
    if query.attempt is not None:
        args.append(f"ATTEMPT={query.attempt}")
    if query.serial is not None:
        args.append(f"SERIAL={query.serial}")
    if query.since is not None:
        args.append("--since=" + query.since.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
    args.append(f"--lines={query.limit}")
    return args


def journal_entries(
    query: LogQuery, *, journalctl: str | None = None, run: Runner = _run
) -> list[Entry]:
    """Matching records from the journal, oldest first; :class:`LogReadError` if it cannot be
    read (no journalctl, no permission)."""
    program = journalctl or shutil.which("journalctl")
    if program is None:
        raise LogReadError("journalctl is not installed: there is no journal to read here")
    done = run(journal_command(query, program))
    if done.returncode != 0:
        why = (done.stderr or "").strip().splitlines()
        raise LogReadError(
            f"journalctl failed ({why[-1] if why else f'exit {done.returncode}'}); to read the "
            "terminal's records, run as a user in the systemd-journal or adm group (or with sudo)"
        )
    return [e for e in (_journal_entry(line) for line in done.stdout.splitlines()) if e]


def _journal_entry(line: str) -> Entry | None:
    if not line.strip():
        return None
    try:
        raw = json.loads(line)
        at = datetime.fromtimestamp(int(raw["__REALTIME_TIMESTAMP"]) / 1e6, UTC).astimezone()
    except (ValueError, KeyError, TypeError):
        return None
    fields = {n: _text(raw[n.upper()]) for n in FIELD_NAMES if n.upper() in raw}
    message = _text(raw.get("MESSAGE", ""))
    return Entry(
        at, _level(raw.get("PRIORITY")), _text(raw.get("LOGGER", IDENTIFIER)), message, fields
    )


def _level(priority: object) -> str:
    try:
        return _LEVELS[int(str(priority))]
    except (ValueError, IndexError):
        return "INFO"


def _text(value: object) -> str:
    # journalctl's JSON gives a non-UTF-8 value as a list of byte values.
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


def merged(sources: Iterable[list[Entry]], limit: int) -> list[Entry]:
    """Records of several sources in time order, the newest ``limit``."""
    everything = sorted((e for source in sources for e in source), key=lambda e: e.at)
    return everything[-limit:] if limit > 0 else everything


def format_entry(entry: Entry) -> str:
    """One record for the screen: time, level, where, then the message (continuations indented)."""
    f = entry.fields
    where = [f"{f['station']}/{f.get('socket', '?')}"] if "station" in f else []
    if "attempt" in f:
        where.append(f"attempt {f['attempt']}")
    where += [f[n] for n in ("serial", "step", "failure_code") if n in f]
    at = entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    head = f"{at} {entry.level:<7} " + (f"[{' '.join(where)}] " if where else "")
    return head + entry.message.replace("\n", "\n    ")

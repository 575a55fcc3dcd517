"""Reading records back: times as a technician types them, the journal through journalctl, the
file and its rotated copies, merged in time order."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.logs.files import Entry
from station.logs.reading import (
    LogQuery,
    LogReadError,
    file_entries,
    format_entry,
    journal_command,
    journal_entries,
    merged,
    parse_since,
)

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args).astimezone()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW - timedelta(minutes=90)),
        ("8h", NOW - timedelta(hours=8)),
        ("2d", NOW - timedelta(days=2)),
        ("2026-03-01", local(2026, 3, 1)),
        ("2026-03-01 22:00", local(2026, 3, 1, 22, 0)),
        ("2026-03-01T22:00:00+00:00", datetime(2026, 3, 1, 22, tzinfo=UTC)),
    ],
)
def test_since_forms(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_since_relative_to_today() -> None:
    today = NOW.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_since("today", NOW) == today
    assert parse_since("yesterday", NOW) == today - timedelta(days=1)
    assert parse_since("06:15", NOW) == today.replace(hour=6, minute=15)


@pytest.mark.parametrize("text", ["last night", "25:00", "2026-13-01", ""])
def test_a_time_that_is_not_one_is_refused_with_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match="use 2026-03-01"):
        parse_since(text, NOW)


def journal_line(at: datetime, message: str, **fields: object) -> str:
    entry = {
        "__REALTIME_TIMESTAMP": str(int(at.timestamp() * 1_000_000)),
        "PRIORITY": "6",
        "MESSAGE": message,
        "LOGGER": "station.run",
        "SYSLOG_IDENTIFIER": "station",
    }
    entry.update({k.upper(): v for k, v in fields.items()})
    return json.dumps(entry)


def test_the_journal_is_asked_for_the_stations_records_only() -> None:
    query = LogQuery(attempt=1234, serial="PK4S-000123", since=NOW, limit=50)
    args = journal_command(query, "/usr/bin/journalctl")
    assert args[:4] == [
        "/usr/bin/journalctl",
        "--no-pager",
        "--output=json",
        "SYSLOG_IDENTIFIER=station",
    ]
    assert "ATTEMPT=1234" in args
    assert "SERIAL=PK4S-000123" in args
    since = NOW.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert f"--since={since}" in args
    assert "--lines=50" in args


def test_journal_records_are_read_with_their_fields() -> None:
    calls: list[Sequence[str]] = []
    lines = [
        journal_line(NOW, "attempt 1234 started", attempt="1234", serial="PK4S-000123"),
        json.dumps(
            {
                "__REALTIME_TIMESTAMP": str(int(NOW.timestamp() * 1e6) + 5),
                "PRIORITY": "3",
                "MESSAGE": list(b"station fault\nTraceback"),
                "ATTEMPT": "1234",
            }
        ),
        "",
        "not json",
    ]

    def journalctl(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, "\n".join(lines), "")

    first, second = journal_entries(LogQuery(attempt=1234), journalctl="jc", run=journalctl)
    assert calls[0][0] == "jc"
    assert (first.message, first.fields["serial"], first.level) == (
        "attempt 1234 started",
        "PK4S-000123",
        "INFO",
    )
    assert (second.message, second.level) == ("station fault\nTraceback", "ERROR")
    assert first.at == NOW


def test_a_journal_that_cannot_be_read_says_what_to_do() -> None:
    def denied(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "Failed to open journal: Permission denied")

    with pytest.raises(LogReadError, match=r"Permission denied.*systemd-journal"):
        journal_entries(LogQuery(), journalctl="jc", run=denied)


def write_log(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_file_and_its_rotated_copies_are_read_oldest_first(tmp_path: Path) -> None:
    log = tmp_path / "station.log"
    head = "INFO    station.run [station=ST-01 socket=A"
    write_log(
        tmp_path / "station.log.2",
        [f"2026-03-01T22:00:00.000+00:00 {head} attempt=7 serial=PK-7] attempt 7 started"],
    )
    write_log(
        tmp_path / "station.log.1",
        [
            f"2026-03-01T23:00:00.000+00:00 {head} attempt=8 serial=PK-8] attempt 8 started",
            "2026-03-01T23:00:01.000+00:00 ERROR   station.sequence [station=ST-01 socket=A "
            "attempt=8 serial=PK-8 step=apply] station fault during apply",
            "  Traceback (most recent call last):",
            "  KeyError: 'x'",
        ],
    )
    write_log(log, [f"2026-03-02T01:00:00.000+00:00 {head} attempt=9 serial=PK-7] rework"])
    every = file_entries(log, LogQuery())
    assert [e.fields["attempt"] for e in every] == ["7", "8", "8", "9"]
    (fault,) = [e for e in every if e.level == "ERROR"]
    assert fault.message == "station fault during apply\nTraceback (most recent call last):\n" + (
        "KeyError: 'x'"
    )
    assert [e.fields["attempt"] for e in file_entries(log, LogQuery(serial="PK-7"))] == ["7", "9"]
    since = datetime(2026, 3, 1, 23, 0, 1, tzinfo=UTC)
    assert len(file_entries(log, LogQuery(since=since))) == 2
    assert file_entries(tmp_path / "elsewhere.log", LogQuery()) == []


def test_sources_merge_in_time_order_and_show_plainly() -> None:
    a = Entry(NOW, "INFO", "station.run", "from the journal", {"attempt": "1"})
    b = Entry(NOW - timedelta(seconds=1), "INFO", "station.cli", "from the file", {})
    c = Entry(
        NOW + timedelta(seconds=1),
        "ERROR",
        "station.sequence",
        "station fault\nTraceback",
        {"station": "ST-01", "socket": "A", "attempt": "1", "serial": "PK-1", "step": "apply"},
    )
    assert merged([[a, c], [b]], limit=2) == [a, c]
    shown = format_entry(c)
    at = c.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert shown == f"{at} ERROR   [ST-01/A attempt 1 PK-1 apply] station fault\n    Traceback"

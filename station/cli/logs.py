"""``station logs``: the station's log records for one attempt, one pack or a time span, from
wherever they went (the journal for the terminal service, the log file for commands run in a
shell), for technicians who do not know journalctl."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from station.cli.common import UsageProblem, config_option, handle_errors, load_station_config
from station.logs.files import Entry
from station.logs.reading import (
    LogQuery,
    LogReadError,
    file_entries,
    format_entry,
    journal_entries,
    merged,
    parse_since,
)
from station.logs.setup import LOG_FILE_NAME


def register(group: click.Group) -> None:
    group.add_command(logs_cmd)


@click.command("logs")
@config_option
@click.option("--attempt", type=int, default=None, metavar="N", help="Records of attempt N.")
@click.option("--serial", default=None, metavar="S", help="Records of the pack with serial S.")
@click.option(
    "--since",
    default=None,
    metavar="T",
    help="Records from T on: 2026-03-01, '2026-03-01 22:00', 22:00 (today), 90m, 8h, 2d, today, "
    "yesterday.",
)
@click.option(
    "-n", "--lines", default=500, show_default=True, help="At most this many (the newest) records."
)
@click.option(
    "--source",
    type=click.Choice(["all", "journal", "file"]),
    default="all",
    show_default=True,
    help="Where to read: the journal (the terminal service), the log file (commands), or both.",
)
@handle_errors
def logs_cmd(
    config_path: Path | None,
    attempt: int | None,
    serial: str | None,
    since: str | None,
    lines: int,
    source: str,
) -> None:
    """Print the station's log records: one attempt's story, one pack's, or a time span's.

    Reads the systemd journal (where the terminal service logs) and the log file (where commands
    run in a shell log), in time order. Reading the journal needs root or the systemd-journal
    group: run it with sudo on a line terminal."""
    config = load_station_config(config_path)
    try:
        start = parse_since(since, datetime.now().astimezone()) if since else None
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    query = LogQuery(
        attempt=attempt,
        serial=serial.strip() if serial else None,
        since=start,
        limit=max(lines, 1),
    )
    found: list[list[Entry]] = []
    searched: list[str] = []
    path = Path(config.log_dir) / LOG_FILE_NAME
    if source in ("all", "file"):
        searched.append(str(path))
        try:
            found.append(file_entries(path, query))
        except LogReadError as exc:
            _problem(str(exc), fatal=source == "file")
    if source in ("all", "journal"):
        searched.append("the journal")
        try:
            found.append(journal_entries(query))
        except LogReadError as exc:
            _problem(str(exc), fatal=source == "journal")
    entries = merged(found, query.limit)
    for entry in entries:
        click.echo(format_entry(entry))
    if not entries:
        click.echo(f"no log records match (searched {' and '.join(searched)})", err=True)


def _problem(text: str, *, fatal: bool) -> None:
    if fatal:
        raise UsageProblem(text)
    click.echo(f"note: {text}", err=True)

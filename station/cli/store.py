"""Traceability commands: ``station db upgrade|current``, ``station trace``, ``station report``,
``station export``.

Exit codes: 0 done, 1 the database refused or could not be reached, 2 usage (bad date, bad URL,
bad configuration).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from station.cli.common import Failed, config_option, echo, handle_errors
from station.cli.store_options import (
    When,
    database_url,
    db_option,
    filter_options,
    open_store,
    plain,
)
from station.cli.store_text import calibration_stat_lines, report_lines, trace_lines
from station.store import (
    EXPORT_COLUMNS,
    MEASUREMENT_EXPORT_COLUMNS,
    ReportFilter,
    SchemaError,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from station.store.connection import describe, parse_url, unavailable
from station.store.errors import DatabaseMissingError

#: ``When`` stays importable from here: other commands' date options use it
__all__ = ["When", "register"]


# -- commands ---------------------------------------------------------------------------------


def register(group: click.Group) -> None:
    group.add_command(db)
    group.add_command(trace)
    group.add_command(report)
    group.add_command(export)


@click.group()
def db() -> None:
    """The traceability database: create or upgrade its schema, show where it stands."""


@db.command("upgrade")
@db_option
@config_option
@handle_errors
def db_upgrade(db_url: str | None, config_path: Path | None) -> None:
    """Create the database, or bring its schema to this software's version."""
    engine = make_engine(database_url(config_path, db_url))
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = describe(engine.url)
    if before == after:
        echo(f"{where}: already at schema {after}; nothing to do")
    else:
        echo(f"{where}: upgraded schema {before or '(empty)'} -> {after}")


@db.command("current")
@db_option
@config_option
@handle_errors
def db_current(db_url: str | None, config_path: Path | None) -> None:
    """Show the database's schema version and whether it is this software's (read only)."""
    url = database_url(config_path, db_url)
    try:
        engine = make_engine(url, read_only=True)
    except DatabaseMissingError:
        echo(
            f"{describe(parse_url(url))}: no database there yet (nothing was created); "
            "`station db upgrade` creates it"
        )
        return
    try:
        current = current_revision(engine)
        found = sorted(inspect(engine).get_table_names()) if current is None else []
    except DBAPIError as exc:
        raise unavailable(engine, exc) from exc
    finally:
        engine.dispose()
    head = head_revision()
    where = describe(engine.url)
    if current is None and found:
        shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
        echo(
            f"{where}: no station schema (no alembic_version table); it holds {len(found)} "
            f"other table(s): {shown}"
        )
        raise Failed(
            f"[{SchemaError.failure_code}] this is not a station database (or one made without "
            "its migrations); check the URL, or give the station a database of its own"
        )
    if current is None:
        echo(f"{where}: empty (no tables, no station schema); run `station db upgrade`")
    elif current == head:
        echo(f"{where}: schema {current} (current)")
    else:
        echo(f"{where}: schema {current}; this software uses {head}")
        raise Failed(
            f"[{SchemaError.failure_code}] the database schema is not this software's; run "
            "`station db upgrade` (or update the station software if the database is newer)"
        )


@click.command()
@click.argument("serial")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@click.option(
    "--all-parameters", is_flag=True, help="List unchanged parameters too, not only the diff."
)
@db_option
@config_option
@handle_errors
def trace(
    serial: str,
    as_json: bool,
    all_parameters: bool,
    db_url: str | None,
    config_path: Path | None,
) -> None:
    """Everything kept about one pack: attempts, steps, measurements, changes, images, labels."""
    with open_store(config_path, db_url) as store:
        found = store.trace(serial)
    if found is None:
        raise Failed(f"pack {serial} is not in the traceability database; check the serial")
    if as_json:
        echo(json.dumps(plain(found), indent=2))
        return
    for line in trace_lines(found, all_parameters=all_parameters):
        echo(line)


@click.command()
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@db_option
@config_option
@handle_errors
def report(
    filters: ReportFilter,
    as_json: bool,
    db_url: str | None,
    config_path: Path | None,
) -> None:
    """Counts, first-pass yield, failures by code and by step, median cycle time."""
    with open_store(config_path, db_url) as store:
        r = store.report(filters)
        stats = store.calibration_distribution(filters)
    if as_json:
        echo(json.dumps({**plain(r), "calibration": plain(stats)}, indent=2))
        return
    for line in report_lines(r):
        echo(line)
    for line in calibration_stat_lines(stats):
        echo(line)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    required=True,
    help="csv (one header line, then a row per record) or json (an array of objects).",
)
@click.option(
    "--rows",
    type=click.Choice(["attempts", "measurements"]),
    default="attempts",
    show_default=True,
    help="One row per attempt, or one row per measurement.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (replaced only once complete); default standard output.",
)
@filter_options
@db_option
@config_option
@handle_errors
def export(
    fmt: str,
    rows: str,
    out: Path | None,
    filters: ReportFilter,
    db_url: str | None,
    config_path: Path | None,
) -> None:
    """Export attempts (or measurements) as CSV or JSON for customers and MES."""
    with open_store(config_path, db_url) as store:
        if rows == "attempts":
            records: Iterable[Any] = store.export(filters)
            columns = EXPORT_COLUMNS
        else:
            records = store.export_measurements(filters)
            columns = MEASUREMENT_EXPORT_COLUMNS
        if out is None:
            count = _write(sys.stdout, fmt, columns, records)
        else:
            partial = out.with_name(out.name + ".partial")
            try:
                with partial.open("w", encoding="utf-8", newline="") as stream:
                    count = _write(stream, fmt, columns, records)
                os.replace(partial, out)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise Failed(f"cannot write {out}: {exc.strerror or exc}") from None
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            echo(f"exported {count} {rows} to {out}", err=True)


def _write(stream: IO[str], fmt: str, columns: tuple[str, ...], records: Iterable[Any]) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            values = plain(record)
            writer.writerow(["" if values[c] is None else values[c] for c in columns])
            count += 1
        return count
    stream.write("[")
    for record in records:
        stream.write(",\n  " if count else "\n  ")
        stream.write(json.dumps(plain(record)))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count

"""Traceability commands: ``station db upgrade|current``, ``station trace``, ``station report``,
``station export``.

Exit codes: 0 done, 1 the database refused or could not be reached, 2 usage (bad date, bad URL,
bad configuration).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import click
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from station.cli.common import (
    Failed,
    UsageProblem,
    config_option,
    echo,
    handle_errors,
    load_station_config,
)
from station.store import (
    EXPORT_COLUMNS,
    MEASUREMENT_EXPORT_COLUMNS,
    AttemptTrace,
    CalibrationStat,
    PackTrace,
    Report,
    ReportFilter,
    SchemaError,
    Store,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from station.store.connection import describe, parse_url, unavailable
from station.store.errors import DatabaseMissingError

P = ParamSpec("P")
R = TypeVar("R")


# -- options and errors ----------------------------------------------------------------------


def _db_option(f: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--db",
        "db_url",
        default=None,
        metavar="URL",
        help="Database URL (default: the configuration's 'database', e.g. "
        "sqlite:///db/station.sqlite3 or postgresql+psycopg://user@host/traceability).",
    )(f)


def _database_url(config_path: Path | None, db_url: str | None) -> str:
    return load_station_config(config_path, database=db_url).database


class When(click.ParamType[datetime]):
    """An ISO date or date-time. Without an offset it is this terminal's local time.

    A bare date as an upper bound means the end of that day, so ``--since D --until D`` is day D.
    """

    name = "DATE"

    def __init__(self, *, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        try:
            if day is not None:
                when = datetime.combine(day, time())
                if self.end_of_day:
                    when += timedelta(days=1)
            else:
                when = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO date or date-time; use e.g. 2026-07-01, "
                "2026-07-01T14:30 (local time) or 2026-07-01T14:30+02:00",
                param,
                ctx,
            )
        if when.tzinfo is None:
            when = when.astimezone()  # the terminal's local time zone
        return when.astimezone(UTC)


def _filter_options(f: Callable[P, R]) -> Callable[P, R]:
    f = click.option(
        "--include-emulated",
        is_flag=True,
        help="Count runs on the emulator too (left out by default: they are not real packs).",
    )(f)
    f = click.option("--lot", default=None, help="Only this lot.")(f)
    f = click.option("--station", "station_id", default=None, help="Only this station id.")(f)
    f = click.option("--recipe", default=None, help="Only this recipe (name or hash).")(f)
    f = click.option(
        "--until",
        type=When(end_of_day=True),
        default=None,
        help="Attempts started before this (a bare date includes that whole day).",
    )(f)
    return click.option(
        "--since", type=When(), default=None, help="Attempts started at or after this."
    )(f)


def _filters(
    since: datetime | None,
    until: datetime | None,
    recipe: str | None,
    station_id: str | None,
    lot: str | None,
    include_emulated: bool = False,
) -> ReportFilter:
    if since is not None and until is not None and until <= since:
        raise UsageProblem(
            f"--until ({_stamp(until)}) is not after --since ({_stamp(since)}); nothing can match"
        )
    return ReportFilter(since, until, recipe, station_id, lot, include_emulated)


def _open(config_path: Path | None, db_url: str | None) -> Store:
    # Read-only tools never migrate a database behind the operator's back, nor create one.
    return Store.open(_database_url(config_path, db_url), upgrade=False, read_only=True)


# -- plain values for JSON and CSV ---------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:g}"
    return f"{text} {unit}".rstrip()


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
@_db_option
@config_option
@handle_errors
def db_upgrade(db_url: str | None, config_path: Path | None) -> None:
    """Create the database, or bring its schema to this software's version."""
    engine = make_engine(_database_url(config_path, db_url))
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
@_db_option
@config_option
@handle_errors
def db_current(db_url: str | None, config_path: Path | None) -> None:
    """Show the database's schema version and whether it is this software's (read only)."""
    url = _database_url(config_path, db_url)
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
@_db_option
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
    with _open(config_path, db_url) as store:
        found = store.trace(serial)
    if found is None:
        raise Failed(f"pack {serial} is not in the traceability database; check the serial")
    if as_json:
        echo(json.dumps(_plain(found), indent=2))
        return
    for line in _trace_lines(found, all_parameters=all_parameters):
        echo(line)


def _trace_lines(t: PackTrace, *, all_parameters: bool) -> Iterator[str]:
    yield f"Pack {t.serial}: first seen {_stamp(t.first_seen)}, {len(t.attempts)} attempt(s)"
    if t.claim is not None:
        c = t.claim
        yield (
            f"  in work: station {c.station} socket {c.socket} (host {c.host}, pid {c.pid}) "
            f"since {_stamp(c.claimed_at)}, last heartbeat {_stamp(c.heartbeat_at)}"
        )
    for a in t.attempts:
        yield ""
        yield from _attempt_lines(a, all_parameters=all_parameters)
    if t.audit:
        yield ""
        yield "Audit:"
        for e in t.audit:
            detail = json.dumps(_plain(e.detail), sort_keys=True)
            yield f"  {_stamp(e.at)}  {e.action}  by {e.who} at {e.station or '-'}  {detail}"


def _attempt_lines(a: AttemptTrace, *, all_parameters: bool) -> Iterator[str]:
    s = a.summary
    verdict = str(s.outcome)
    if s.failure_code:
        verdict += f" [{s.failure_code}]"
    if s.failing_step:
        verdict += f" at step {s.failing_step!r}"
    emulated = "  [EMULATED: a run on the emulator, not a real pack]" if s.emulated else ""
    yield f"Attempt {s.attempt_no} (id {s.id}): {verdict}{emulated}"
    yield (
        f"  started {_stamp(s.started_at)}, ended {_stamp(s.ended_at)}, "
        f"cycle {_seconds(s.cycle_time_s)}"
    )
    yield (
        f"  station {s.station_id} socket {s.socket}, operator {s.operator}, work order "
        f"{s.work_order or '-'}, lot {s.lot or '-'}"
    )
    released = "released" if a.recipe_released else "NOT RELEASED"
    yield f"  recipe {s.recipe_name} {s.recipe_version} ({released}) sha256 {s.recipe_hash}"
    yield (
        f"  software {s.software_version}, key set {s.key_set_id}, label "
        f"{s.label_state}, host {s.host} pid {s.pid}"
    )
    if s.rework_of is not None:
        yield f"  rework of attempt id {s.rework_of}, authorised by {s.rework_authorised_by}"
    if s.reason:
        yield f"  reason: {s.reason}"
    if a.steps:
        yield "  steps:"
        for st in a.steps:
            code = f" [{st.failure_code}]" if st.failure_code else ""
            message = f"  {st.message}" if st.message else ""
            yield (
                f"    {st.ordinal:>3}  {st.name:<28} {st.outcome:<7} "
                f"{_seconds(st.duration_s):>8}{code}{message}"
            )
            for m in st.measurements:
                shown = m.text if m.text is not None else _number(m.value, m.unit)
                limits = f"[{_number(m.low)} .. {_number(m.high)}]"
                if m.low is None and m.high is None:
                    limits = ""
                yield f"           {m.name:<26} {shown:>14}  {limits:<22} {m.outcome}"
    yield from _calibration_lines(a)
    changed = [p for p in a.parameters if p.changed]
    shown_params = a.parameters if all_parameters else tuple(changed)
    if a.parameters:
        unchanged = len(a.parameters) - len(changed)
        yield f"  parameters: {len(changed)} changed, {unchanged} unchanged"
        for p in shown_params:
            mark = "*" if p.changed else " "
            unit = f" {p.unit}" if p.unit else ""
            yield f"   {mark} {p.name:<32} {p.before or '-'} -> {p.after or '-'}{unit}"
    if a.images:
        yield "  data-flash images:"
        for i in a.images:
            held = (
                f"{i.ranges_text} ({i.length} bytes)"
                if i.sparse
                else f"0x{i.start:04X} +{i.length} bytes"
            )
            yield f"    {i.role:<11} {held}  sha256 {i.sha256}  (stored {i.stored_bytes} bytes)"
    if a.labels:
        yield "  labels:"
        for lab in a.labels:
            extra = f"  reprint: {lab.reprint_reason}" if lab.reprint_reason else ""
            error = f"  error: {lab.error}" if lab.error else ""
            yield (
                f"    {_stamp(lab.printed_at)}  {lab.outcome}  {lab.printer}  by {lab.by}"
                f"{extra}{error}"
            )


_CALIBRATION_TITLES = {
    "reference": "references",
    "raw": "raw averages",
    "constant": "constants (old -> new)",
    "residual": "residual errors after calibration",
}


def _calibration_lines(a: AttemptTrace) -> Iterator[str]:
    if not a.calibration:
        return
    yield "  calibration:"
    for kind, title in _CALIBRATION_TITLES.items():
        rows = [v for v in a.calibration if v.kind == kind]
        if not rows:
            continue
        yield f"    {title}:"
        for v in rows:
            if kind == "reference":
                yield f"      {v.name:<12} {_number(v.value, v.unit):>14}  by {v.instrument}"
            elif kind == "raw":
                yield f"      {v.name:<26} {_number(v.value):>10}  {v.detail}"
            elif kind == "constant":
                yield f"      {v.name:<14} {_number(v.old_value)} -> {_number(v.value)}  {v.detail}"
            else:
                mark = "ok" if v.passed else "OUT"
                yield (
                    f"      {v.name:<22} {_number(v.value, v.unit):>12} (±{_number(v.tolerance)}"
                    f" vs {_number(v.old_value)})  {mark}"
                )


def _calibration_stat_lines(stats: list[CalibrationStat]) -> Iterator[str]:
    if not stats:
        return
    yield "  calibration per lot (mean, sigma, min, max over the attempts):"
    for st in stats:
        what = "error " if st.kind == "residual" else ""
        yield (
            f"    lot {st.lot or '-':<10} {what}{st.name:<22} n={st.count:<4} "
            f"mean {st.mean:.6g}  sigma {st.sigma:.3g}  min {st.minimum:.6g}  "
            f"max {st.maximum:.6g} {st.unit}"
        )


@click.command()
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_db_option
@config_option
@handle_errors
def report(
    since: datetime | None,
    until: datetime | None,
    recipe: str | None,
    station_id: str | None,
    lot: str | None,
    include_emulated: bool,
    as_json: bool,
    db_url: str | None,
    config_path: Path | None,
) -> None:
    """Counts, first-pass yield, failures by code and by step, median cycle time."""
    filters = _filters(since, until, recipe, station_id, lot, include_emulated)
    with _open(config_path, db_url) as store:
        r = store.report(filters)
        stats = store.calibration_distribution(filters)
    if as_json:
        echo(json.dumps({**_plain(r), "calibration": _plain(stats)}, indent=2))
        return
    for line in _report_lines(r):
        echo(line)
    for line in _calibration_stat_lines(stats):
        echo(line)


def _report_lines(r: Report) -> Iterator[str]:
    f = r.filters
    scope = [
        f"from {_stamp(f.since)}" if f.since else "",
        f"until {_stamp(f.until)}" if f.until else "",
    ]
    scope += [
        f"{k} {v}" for k, v in (("recipe", f.recipe), ("station", f.station), ("lot", f.lot)) if v
    ]
    if f.include_emulated:
        scope.append("runs on the emulator included")
    yield "Report: " + (", ".join(s for s in scope if s) or "all attempts on real packs")
    yield f"  attempts           {r.attempts}  (on {r.packs} packs)"
    yield f"  passed             {r.passed}"
    yield f"  failed             {r.failed}  (FAIL and ERROR)"
    yield f"  aborted            {r.aborted}  (stopped by the operator; not a failure)"
    yield f"  interrupted        {r.interrupted}  (the station stopped; not a failure)"
    if r.running:
        yield f"  still running      {r.running}"
    if r.first_pass_yield is None:
        yield "  first-pass yield   -  (no pack had its first attempt in this selection)"
    else:
        yield (
            f"  first-pass yield   {100 * r.first_pass_yield:.1f} %  ({r.first_pass} of "
            f"{r.first_attempts} packs passed their first attempt; PASS over PASS + FAIL + "
            "ERROR)"
        )
    yield f"  packs passed       {r.packs_passed}"
    yield f"  median cycle time  {_seconds(r.median_cycle_time_s)}"
    if len(r.attempts_by_socket) > 1:
        yield "  attempts by station/socket:"
        for c in r.attempts_by_socket:
            yield f"    {c.count:>7}  {c.key}"
    for title, counts in (("code", r.failures_by_code), ("step", r.failures_by_step)):
        if counts:
            yield f"  failures by {title}:"
            for c in counts:
                yield f"    {c.count:>7}  {c.key}"


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
@_filter_options
@_db_option
@config_option
@handle_errors
def export(
    fmt: str,
    rows: str,
    out: Path | None,
    since: datetime | None,
    until: datetime | None,
    recipe: str | None,
    station_id: str | None,
    lot: str | None,
    include_emulated: bool,
    db_url: str | None,
    config_path: Path | None,
) -> None:
    """Export attempts (or measurements) as CSV or JSON for customers and MES."""
    filters = _filters(since, until, recipe, station_id, lot, include_emulated)
    with _open(config_path, db_url) as store:
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
            values = _plain(record)
            writer.writerow(["" if values[c] is None else values[c] for c in columns])
            count += 1
        return count
    stream.write("[")
    for record in records:
        stream.write(",\n  " if count else "\n  ")
        stream.write(json.dumps(_plain(record)))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count

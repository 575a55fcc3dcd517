"""Options and plain values shared by the traceability commands (``station trace``, ``report``,
``export``, ``db``): the database option, report filters, dates, and values made printable."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import click

from station.cli.common import UsageProblem, load_station_config
from station.store import ReportFilter, Store

R = TypeVar("R")

#: the report filter options, as the decorated command would receive them
_FILTER_PARAMS = ("since", "until", "recipe", "station_id", "lot", "include_emulated")


def db_option(f: Callable[..., R]) -> Callable[..., R]:
    return click.option(
        "--db",
        "db_url",
        default=None,
        metavar="URL",
        help="Database URL (default: the configuration's 'database', e.g. "
        "sqlite:///db/station.sqlite3 or postgresql+psycopg://user@host/traceability).",
    )(f)


def database_url(config_path: Path | None, db_url: str | None) -> str:
    return load_station_config(config_path, database=db_url).database


def open_store(config_path: Path | None, db_url: str | None) -> Store:
    # Read-only tools never migrate a database behind the operator's back, nor create one.
    return Store.open(database_url(config_path, db_url), upgrade=False, read_only=True)


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


def filter_options(f: Callable[..., R]) -> Callable[..., R]:
    """The report filter options, handed to the command as one ``filters`` argument."""

    @functools.wraps(f)
    def command(**kwargs: Any) -> R:
        chosen = {name: kwargs.pop(name) for name in _FILTER_PARAMS}
        return f(filters=report_filter(**chosen), **kwargs)

    options = (
        click.option(
            "--since", type=When(), default=None, help="Attempts started at or after this."
        ),
        click.option(
            "--until",
            type=When(end_of_day=True),
            default=None,
            help="Attempts started before this (a bare date includes that whole day).",
        ),
        click.option("--recipe", default=None, help="Only this recipe (name or hash)."),
        click.option("--station", "station_id", default=None, help="Only this station id."),
        click.option("--lot", default=None, help="Only this lot."),
        click.option(
            "--include-emulated",
            is_flag=True,
            help="Count runs on the emulator too (left out by default: they are not real packs).",
        ),
    )
    decorated: Callable[..., R] = command
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def report_filter(
    since: datetime | None,
    until: datetime | None,
    recipe: str | None,
    station_id: str | None,
    lot: str | None,
    include_emulated: bool = False,
) -> ReportFilter:
    if since is not None and until is not None and until <= since:
        raise UsageProblem(
            f"--until ({stamp(until)}) is not after --since ({stamp(since)}); nothing can match"
        )
    return ReportFilter(since, until, recipe, station_id, lot, include_emulated)


# -- plain values for JSON, CSV and text -----------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:g}"
    return f"{text} {unit}".rstrip()

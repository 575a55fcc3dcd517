"""Running ``station`` commands in tests as an engineer at a terminal would: a clean environment,
what is typed at the prompts (a PIN), and the usual ``program`` and ``label print`` lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from station.cli import cli
from tests.sequence.conftest import RECIPE_4S

SERIAL = "PK4S-000123"


def clean_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No ``STATION_*`` setting from the caller's shell (but the test PostgreSQL), and ``folder``
    as the working directory."""
    for var in list(os.environ):
        if var.startswith("STATION_") and var != "STATION_TEST_PG_URL":
            monkeypatch.delenv(var)
    monkeypatch.chdir(folder)


def station(*args: str, typed: str | None = None) -> Result:
    """``station ARGS``, with ``typed`` typed at its prompts."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, input=typed)


def db_of(tmp: Path) -> str:
    return f"sqlite:///{tmp}/db.sqlite3"


def program_args(
    tmp: Path, *, bus: str = "sim", serial: str = SERIAL, operator: str = "OP-1"
) -> list[str]:
    return [
        "program",
        "--bus",
        bus,
        "--recipe",
        str(RECIPE_4S),
        "--serial",
        serial,
        "--operator",
        operator,
        "--printer",
        f"file:{tmp}/labels",
    ]


def program(
    tmp: Path,
    *extra: str,
    bus: str = "sim",
    operator: str = "OP-1",
    typed: str | None = None,
) -> Result:
    """``station program`` of the 4S recipe on ``tmp``'s database and label folder."""
    args = program_args(tmp, bus=bus, operator=operator)
    return station(*args, "--db", db_of(tmp), *extra, typed=typed)


def label_print_args(db: str, by: str, printer: str, *, serial: str = SERIAL) -> list[str]:
    return [
        "label",
        "print",
        "--serial",
        serial,
        "--by",
        by,
        "--reason",
        "torn",
        "--db",
        db,
        "--printer",
        printer,
    ]

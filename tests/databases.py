"""Throw-away databases for tests that need one per backend: SQLite always, and PostgreSQL (a
fresh schema on the server) when ``STATION_TEST_PG_URL`` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "STATION_TEST_PG_URL"


def backends() -> list[object]:
    """pytest params: "sqlite", and "postgresql" when a server is configured."""
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV):
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir}/station.sqlite3"
        return
    with fresh_schema(os.environ[PG_ENV]) as url:
        yield url


@contextmanager
def fresh_schema(server_url: str, prefix: str = "test") -> Iterator[str]:
    """A URL whose search path is a new, empty schema on a PostgreSQL server; dropped after."""
    base = make_url(server_url)
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

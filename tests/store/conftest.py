"""Store fixtures: every store test runs on SQLite (a tmp_path file, never :memory:, since the
station uses threads) and, when ``STATION_TEST_PG_URL`` is set, on PostgreSQL in a fresh schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from station.store import Store
from tests.store.helpers import Liveness, WallClock

PG_ENV = "STATION_TEST_PG_URL"


def _backends() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV):
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_backends())
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/station.sqlite3"
        return
    base = make_url(os.environ[PG_ENV])
    schema = f"test_{uuid.uuid4().hex[:16]}"
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


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def liveness() -> Liveness:
    return Liveness()


@pytest.fixture
def store(store_url: str, clock: WallClock, liveness: Liveness) -> Iterator[Store]:
    with Store.open(store_url, now=clock, pid_alive=liveness) as opened:
        yield opened

"""Store fixtures: every store test runs on SQLite (a tmp_path file, never :memory:, since the
station uses threads) and, when ``STATION_TEST_PG_URL`` is set, on PostgreSQL in a fresh schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.store import Store
from tests.databases import backends, fresh_database
from tests.store.helpers import Liveness, WallClock


@pytest.fixture(params=backends())
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each backend."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


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

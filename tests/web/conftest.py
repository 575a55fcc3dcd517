"""The dashboard over one line's database (built once per test module) and an HTTP client that
comes from this computer, as a browser on the supervisor's desk would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from station.store.reader import StoreReader
from station.store.shifts import ShiftPlan
from station.web import DashboardSettings, create_app
from tests.web.line import Clock, Line, build

LOCAL = ("127.0.0.1", 50000)
BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Line:
    folder = tmp_path_factory.mktemp("line")
    return build(f"sqlite:///{folder / 'station.sqlite3'}")


@pytest.fixture(scope="module")
def reader(line: Line) -> Iterator[StoreReader]:
    with StoreReader.open(line.url, plan=ShiftPlan(tz=UTC), now=Clock(line.now)) as opened:
        yield opened


def client_for(
    reader: StoreReader, settings: DashboardSettings | None = None, **kwargs: object
) -> TestClient:
    app = create_app(reader, settings or DashboardSettings())
    options = {"base_url": BASE, "client": LOCAL, **kwargs}
    return TestClient(app, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(reader: StoreReader) -> Iterator[TestClient]:
    with client_for(reader) as c:
        yield c


def db_file(line: Line) -> Path:
    return Path(line.url.removeprefix("sqlite:///"))

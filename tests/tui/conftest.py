from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.fake_service import FakeStationService
from tests.tui.real_station import RealStation, open_station


@pytest.fixture
def station(tmp_path: Path) -> Iterator[RealStation]:
    """The real station service on the emulator, SQLite in ``tmp_path``, virtual time."""
    real = open_station(tmp_path)
    yield real
    real.close()


@pytest.fixture
def fake() -> Iterator[FakeStationService]:
    """The scripted station the snapshots draw (see ``test_snapshots``)."""
    service = FakeStationService()
    yield service
    service.resume.set()  # never leave a paused fake run behind a finished test

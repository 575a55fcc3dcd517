from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tui.fake_service import FakeStationService


@pytest.fixture
def fake() -> Iterator[FakeStationService]:
    service = FakeStationService()
    yield service
    service.resume.set()  # never leave a paused fake run behind a finished test

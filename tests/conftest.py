"""Settings for the whole suite.

Every test's station logs go to its own folder, never the checkout or the real journal.

Hypothesis never times a test case: the machine running the suite is shared, and a deadline
fails a test for the load, not for the code (no wall-clock deadlines). Performance is measured
by the benchmarks instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("station", deadline=None)
settings.load_profile("station")


@pytest.fixture(autouse=True)
def _station_logs_stay_in_the_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATION_LOG_DIR", str(tmp_path / "station-logs"))
    # A test run started by systemd (a CI service) must not log to the host's journal.
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)

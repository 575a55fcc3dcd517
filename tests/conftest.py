"""Every test's station logs go to its own folder, never the checkout or the real journal."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _station_logs_stay_in_the_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATION_LOG_DIR", str(tmp_path / "station-logs"))
    # A test run started by systemd (a CI service) must not log to the host's journal.
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)

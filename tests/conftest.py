"""Settings for the whole suite.

Every test's station logs go to its own folder, never the checkout or the real journal.

Hypothesis never times a test case: the machine running the suite is shared, and a deadline
fails a test for the load, not for the code (no wall-clock deadlines), nor does its "too slow"
health check fail one. Every property test runs a fixed number of examples (the profile's, or the
one its own ``@settings`` names); under CI (``CI`` set) they are derandomised: the same cases every
run. Performance is measured by the benchmarks instead.

The campaigns, the concurrent stations and the terminal's Pilot flows are marked ``slow``:
``make quick`` leaves them out, ``make test`` runs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "station",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("station")

TESTS = Path(__file__).resolve().parent
#: folders of long campaigns and whole-terminal flows
SLOW_FOLDERS = frozenset({"campaign", "line", "tui"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(TESTS).parts if item.path.is_relative_to(TESTS) else ()
        if parts and parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
    # A test of several minutes starts first: the other worker runs the rest meanwhile, instead
    # of the whole suite waiting for it at the end (the soak once added 7 minutes that way).
    items.sort(key=lambda item: item.get_closest_marker("runs_long") is None)


@pytest.fixture(autouse=True)
def _station_logs_stay_in_the_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATION_LOG_DIR", str(tmp_path / "station-logs"))
    # A test run started by systemd (a CI service) must not log to the host's journal.
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)


@pytest.fixture(autouse=True)
def _brisk_idle_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot's ``pause()`` waits for the process to go idle in steps of 20 ms, each step at
    least one sleep; the same check in 5 ms steps decides as well and sooner."""
    import textual._wait

    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", 1 / 200)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", 1 / 200 / 20)

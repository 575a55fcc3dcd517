"""The default liveness probe: is the process that claimed a pack still the one running?"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.store.database import process_alive


def test_a_running_process_is_alive() -> None:
    assert process_alive(os.getpid(), datetime.now(UTC))


def test_a_finished_process_is_dead() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert not process_alive(int(child.stdout), datetime.now(UTC))


def test_no_pid_is_dead() -> None:
    assert not process_alive(0, datetime.now(UTC))
    assert not process_alive(-1, datetime.now(UTC))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_reused_pid_is_not_the_claimer() -> None:
    # This process started long after a claim made a day ago: it cannot be that claimer, even if
    # the pid is the same (pids are reused after a reboot).
    assert not process_alive(os.getpid(), datetime.now(UTC) - timedelta(days=1))

"""Time as an injected service.

Every wait in the station goes through a :class:`Clock`, so the emulator can run the same code in
virtual time: tests and benchmarks never sleep for real, and bus time is accounted exactly.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


def utc_now() -> datetime:
    """The wall clock, timezone-aware in UTC: the station's one source of dates."""
    return datetime.now(UTC)


class Clock(Protocol):
    """A source of monotonic time that can also wait."""

    def monotonic(self) -> float:
        """Seconds since an arbitrary origin; never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait at least ``seconds`` (no-op for zero or negative values)."""
        ...


class RealClock:
    """Wall time for real hardware."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """Virtual time: ``sleep`` and the emulator's bus time advance it instantly.

    ``realtime_factor`` > 0 also sleeps that fraction of every advance for real, so a demo on the
    emulator moves at a human pace without changing what is measured.
    """

    def __init__(self, start: float = 0.0, realtime_factor: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.realtime_factor = realtime_factor

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (the emulator calls this for bus and device time)."""
        if seconds <= 0:
            return
        with self._lock:
            self._now += seconds
        if self.realtime_factor > 0:
            time.sleep(seconds * self.realtime_factor)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

"""Asking the gauge again until it is ready: the one poll loop of the driver.

Every wait goes through the injected clock, so the emulator runs it in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from station.clock import Clock

T = TypeVar("T")


def poll_until(
    clock: Clock,
    ready: Callable[[], T | None],
    *,
    timeout_s: float,
    every_s: float,
    give_up: Callable[[float], Exception],
    started: float | None = None,
    backoff_to_s: float | None = None,
) -> T:
    """Call ``ready`` until it returns something (not None) and return that; between calls wait
    ``every_s`` (doubling up to ``backoff_to_s`` when given). Once ``timeout_s`` has passed since
    ``started`` (default: now) without an answer, raise ``give_up(waited_s)``."""
    origin = clock.monotonic() if started is None else started
    delay = every_s
    while True:
        found = ready()
        if found is not None:
            return found
        waited = clock.monotonic() - origin
        if waited >= timeout_s:
            raise give_up(waited)
        clock.sleep(delay)
        if backoff_to_s is not None:
            delay = min(delay * 2, backoff_to_s)

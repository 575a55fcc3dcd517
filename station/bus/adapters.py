"""One lock per physical adapter, shared by everyone who talks through it.

A run, the engineer screen's status poll and an unseal-and-read each open their own connection
to the pack, but on a real adapter they share one bus: the gauge takes a key as two Write Words
with nothing between them, so a poll from another thread must never land between the two. Every
transaction, and every driver call that must be back to back, holds the adapter's lock; the
registry (owned by the station's socket context) hands the same lock to every user of the same
adapter.
"""

from __future__ import annotations

import os
import threading

from station.bus.lock import AdapterLock
from station.bus.spec import BusSpec, parse_bus_spec


def adapter_key(spec: BusSpec) -> str:
    """What identifies the physical adapter behind a spec: the device node a path resolves to
    (``/dev/i2c-1`` and a udev symlink to it are one adapter); the spec itself for the emulator
    and third-party adapters."""
    if spec.kind == "i2c-dev":
        return os.path.realpath(spec.target)
    return spec.text


class AdapterRegistry:
    """The adapters a station talks through, one :class:`AdapterLock` each."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, AdapterLock] = {}

    def lock_for(self, spec: str | BusSpec) -> AdapterLock:
        """The lock of the adapter ``spec`` names (the same object for every caller)."""
        key = adapter_key(parse_bus_spec(spec) if isinstance(spec, str) else spec)
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = AdapterLock(key)
            return lock

    def locks(self) -> tuple[AdapterLock, ...]:
        with self._guard:
            return tuple(self._locks.values())

"""The lock of one physical adapter (see :mod:`station.bus.adapters` for who shares it)."""

from __future__ import annotations

import threading
from types import TracebackType


class AdapterLock:
    """A re-entrant lock for one adapter: one thread's sequence of transactions at a time."""

    def __init__(self, adapter: str = "") -> None:
        self.adapter = adapter
        self._lock = threading.RLock()
        self._count = threading.Lock()
        self._waits = 0

    @property
    def waits(self) -> int:
        """How many times a user had to wait for another (the adapter was busy)."""
        return self._waits

    def acquire(self) -> None:
        if self._lock.acquire(blocking=False):
            return
        with self._count:
            self._waits += 1
        self._lock.acquire()

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> AdapterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"AdapterLock({self.adapter!r}, waits={self._waits})"

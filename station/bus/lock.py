"""The lock of one physical adapter (see :mod:`station.bus.adapters` for who shares it)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Protocol


class LockWaiter(Protocol):
    """How a thread waits for a lock in virtual time (:class:`station.clock.VirtualScheduler`):
    ``block_until(ready)`` lets the other threads run until ``ready()``; it returns False when
    the calling thread is not one it schedules (the lock then waits for real)."""

    def block_until(self, ready: Callable[[], bool]) -> bool: ...

    def pause(self) -> None:
        """Let every thread whose turn came first run before the caller goes on."""
        ...


class AdapterLock:
    """A re-entrant lock for one adapter (or one pack on it): one thread's sequence of
    transactions at a time.

    It also remembers, for each I2C multiplexer on the adapter, which channel was selected last
    (``selected``): only the holder of the lock reads or changes it.
    """

    def __init__(self, adapter: str = "", waiter: LockWaiter | None = None) -> None:
        self.adapter = adapter
        self.waiter = waiter
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._waits = 0
        self._waiting = 0  # threads waiting in virtual time
        #: mux address -> the channel its control register holds (absent: unknown)
        self.selected: dict[int, int] = {}

    @property
    def waits(self) -> int:
        """How many times a user had to wait for another (the adapter was busy)."""
        return self._waits

    def _free(self) -> bool:
        return self._owner is None

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner is None or self._owner == me:
                self._owner = me
                self._depth += 1
                return
            self._waits += 1
        if self.waiter is not None:
            self._waiting += 1
            try:
                scheduled = self.waiter.block_until(self._free)
            finally:
                self._waiting -= 1
            if scheduled:
                # Virtual time: the scheduler runs one thread at a time and woke this one with
                # the lock free, so nobody can take it first.
                with self._cond:
                    self._owner, self._depth = me, 1
                return
        with self._cond:
            while self._owner is not None:
                self._cond.wait()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError(f"adapter lock {self.adapter!r} released by a non-holder")
            self._depth -= 1
            if self._depth != 0:
                return
            self._owner = None
            self._cond.notify()
            handover = self._waiting > 0 and self.waiter is not None
        if handover:
            # In virtual time a thread that releases the lock and takes it again at once would
            # never let a waiting one in: the one that has waited longest goes first.
            assert self.waiter is not None
            self.waiter.pause()

    @property
    def held(self) -> bool:
        """Whether the calling thread holds the lock."""
        return self._owner == threading.get_ident()

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

"""The lock of one physical adapter (see :mod:`station.bus.adapters` for who shares it)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    Waiters are served by rank, lowest first: a transport takes a rank (:meth:`ticket`) when it
    is made, one connection per pack, so the pack that came first on the adapter goes first.
    The sockets then work as a pipeline (one pack's reads while the others wait for their
    gauges) instead of all crawling through the same step together, and no pack waits behind
    packs that came after it. A holder that takes the lock again at once keeps it unless a
    waiter ranks before it. An acquire without a rank gets the thread's last one on this lock,
    else a fresh ticket (behind everyone there now).

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
        self._tickets = itertools.count()
        self._mine = threading.local()  # .rank: the calling thread's last rank here
        self._waiting: dict[int, int] = {}  # waiting thread -> its rank
        #: mux address -> the channel its control register holds (absent: unknown)
        self.selected: dict[int, int] = {}

    @property
    def waits(self) -> int:
        """How many times a user had to wait for another (the adapter was busy)."""
        return self._waits

    def ticket(self) -> int:
        """A rank behind every one handed out so far."""
        return next(self._tickets)

    def _my_turn(self, me: int) -> bool:
        return self._owner is None and self._waiting[me] == min(self._waiting.values())

    def acquire(self, rank: int | None = None) -> None:
        me = threading.get_ident()
        if rank is not None:
            self._mine.rank = rank
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            mine = getattr(self._mine, "rank", None)
            mine = self.ticket() if mine is None else mine
            if self._owner is None and not self._waiting:
                self._owner, self._depth = me, 1
                return
            self._waits += 1
            self._waiting[me] = mine
        try:
            self._wait_turn(me)
        finally:
            with self._cond:
                del self._waiting[me]

    def _wait_turn(self, me: int) -> None:
        if self.waiter is not None and self.waiter.block_until(lambda: self._my_turn(me)):
            # Virtual time: the scheduler runs one thread at a time and woke this one with
            # the lock free and its turn, so nobody can take it first.
            with self._cond:
                self._owner, self._depth = me, 1
            return
        with self._cond:
            while not self._my_turn(me):
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
            self._cond.notify_all()
            mine = getattr(self._mine, "rank", None)
            handover = (
                self.waiter is not None
                and bool(self._waiting)
                and (mine is None or min(self._waiting.values()) <= mine)
            )
        if handover:
            # In virtual time a thread that releases the lock and takes it again at once would
            # never let a waiting one in: a waiter that ranks before it (or as well) goes first.
            assert self.waiter is not None
            self.waiter.pause()

    @contextmanager
    def ranked(self, rank: int) -> Iterator[None]:
        """Hold the lock, waiting in ``rank``'s turn."""
        self.acquire(rank)
        try:
            yield
        finally:
            self.release()

    @property
    def held(self) -> bool:
        """Whether the calling thread holds the lock."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> AdapterLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"AdapterLock({self.adapter!r}, waits={self._waits})"

"""Time as an injected service.

Every wait in the station goes through a :class:`Clock`, so the emulator can run the same code in
virtual time: tests and benchmarks never sleep for real, and bus time is accounted exactly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
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


class _Participant:
    """One thread of a :class:`VirtualScheduler` run and what it waits for."""

    def __init__(self, name: str, order: int) -> None:
        self.name = name
        self.order = order
        self.go = threading.Event()
        self.wake = 0.0
        self.ready: Callable[[], bool] | None = None
        self.queued = 0
        self.done = False
        self.error: BaseException | None = None


class SchedulerDeadlock(RuntimeError):
    """Every thread of a virtual-time run waits for something no other thread will ever give."""


class VirtualScheduler(VirtualClock):
    """Virtual time shared by several threads, one running at a time: a discrete-event run.

    :meth:`run` starts one thread per task. A thread runs until it waits: ``sleep``/``advance``
    (a pause, or bus time while it holds the bus) or :meth:`block_until` (a lock another thread
    holds). Then the thread whose wait ends first runs next, ties in the order they began to
    wait; time moves on only when no thread can run now. The result is the same on an idle
    machine and under load, and the time a run takes is what several sockets on real hardware
    would take, waits overlapped, bus transactions on a shared adapter one after another.

    Outside :meth:`run`, it is a plain :class:`VirtualClock`.
    """

    def __init__(self, start: float = 0.0) -> None:
        super().__init__(start)
        self._mutex = threading.Lock()
        self._threads: dict[int, _Participant] = {}
        self._queue = 0
        self._finished = threading.Event()
        self._deadlock: SchedulerDeadlock | None = None
        self._all: list[_Participant] = []

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        me = self._threads.get(threading.get_ident())
        if me is None:
            super().advance(seconds)
            return
        self._wait(me, self._now + max(seconds, 0.0), None)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def block_until(self, ready: Callable[[], bool]) -> bool:
        """Let the other threads run until ``ready()`` holds; False (nothing done) when the
        caller is not a thread of a run, which must then wait by its own means."""
        me = self._threads.get(threading.get_ident())
        if me is None:
            return False
        if not ready():
            self._wait(me, self._now, ready)
        return True

    def pause(self) -> None:
        """Let the threads that are due now (and waited longer) run first."""
        me = self._threads.get(threading.get_ident())
        if me is not None:
            self._wait(me, self._now, None)

    def run(self, tasks: Sequence[tuple[str, Callable[[], None]]]) -> None:
        """Run ``(name, task)`` pairs to their end, each in its own thread, in virtual time.

        A task's exception is raised here once every task has ended (several in a group).
        """
        parts = [_Participant(name, i) for i, (name, _task) in enumerate(tasks)]
        registered = threading.Barrier(len(parts) + 1)
        self._finished.clear()
        self._deadlock = None
        self._all = parts

        def body(part: _Participant, task: Callable[[], None]) -> None:
            with self._mutex:
                self._threads[threading.get_ident()] = part
                part.wake, part.queued = self._now, self._next()
            registered.wait()
            part.go.wait()
            try:
                self._raise_if_deadlocked()
                task()
            except BaseException as exc:  # handed to the caller of run()
                part.error = exc
            finally:
                with self._mutex:
                    part.done = True
                    del self._threads[threading.get_ident()]
                    self._dispatch()

        threads = [
            threading.Thread(target=body, args=(part, task), name=name, daemon=True)
            for part, (name, task) in zip(parts, tasks, strict=True)
        ]
        for thread in threads:
            thread.start()
        registered.wait()
        if parts:
            with self._mutex:
                self._dispatch()
            self._finished.wait()
        for thread in threads:
            thread.join()
        errors = [p.error for p in parts if p.error is not None]
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise BaseExceptionGroup("tasks of a virtual-time run failed", errors)

    # -- the baton --------------------------------------------------------------------------

    def _next(self) -> int:
        self._queue += 1
        return self._queue

    def _wait(self, me: _Participant, wake: float, ready: Callable[[], bool] | None) -> None:
        with self._mutex:
            me.wake, me.ready, me.queued = wake, ready, self._next()
            me.go.clear()
            self._dispatch()
        me.go.wait()
        self._raise_if_deadlocked()

    def _dispatch(self) -> None:
        """Hand the run to the next thread (called with the mutex held, by the thread that just
        stopped running)."""
        waiting = [p for p in self._all if not p.done]
        if not waiting:
            self._finished.set()
            return
        while True:
            runnable = [
                p for p in waiting if (p.ready() if p.ready is not None else p.wake <= self._now)
            ]
            if runnable:
                chosen = min(runnable, key=lambda p: (p.wake, p.queued))
                chosen.ready = None
                chosen.go.set()
                return
            sleepers = [p.wake for p in waiting if p.ready is None]
            if not sleepers:
                names = ", ".join(p.name for p in waiting)
                self._deadlock = SchedulerDeadlock(
                    f"virtual-time run stuck: {names} wait for locks no running thread holds"
                )
                for p in waiting:
                    p.go.set()
                return
            with self._lock:
                self._now = max(self._now, min(sleepers))

    def _raise_if_deadlocked(self) -> None:
        if self._deadlock is not None:
            raise self._deadlock

"""Virtual time shared by several threads: one runs at a time, the earliest wait ends first."""

from __future__ import annotations

import pytest

from station.bus.lock import AdapterLock
from station.clock import SchedulerDeadlock, VirtualScheduler


def test_threads_take_turns_in_virtual_time_whatever_the_machine_does() -> None:
    clock = VirtualScheduler()
    log: list[tuple[str, float]] = []

    def every(name: str, period: float) -> tuple[str, object]:
        def task() -> None:
            for _ in range(3):
                clock.sleep(period)
                log.append((name, round(clock.monotonic(), 6)))

        return name, task

    clock.run([every("slow", 1.0), every("fast", 0.4)])  # type: ignore[list-item]
    assert log == [
        ("fast", 0.4),
        ("fast", 0.8),
        ("slow", 1.0),
        ("fast", 1.2),
        ("slow", 2.0),
        ("slow", 3.0),
    ]
    assert clock.monotonic() == 3.0


def test_a_lock_held_across_a_wait_makes_the_other_thread_wait_in_virtual_time() -> None:
    clock = VirtualScheduler()
    lock = AdapterLock("bus", clock)
    got: list[tuple[str, float]] = []

    def holder() -> None:
        with lock:
            clock.sleep(0.5)  # a transaction on the bus
        got.append(("holder", clock.monotonic()))

    def other() -> None:
        clock.sleep(0.1)
        with lock:
            got.append(("other", clock.monotonic()))

    clock.run([("holder", holder), ("other", other)])
    assert ("other", 0.5) in got
    assert lock.waits == 1


def test_a_thread_that_can_never_get_its_lock_is_reported_not_hung() -> None:
    clock = VirtualScheduler()
    lock = AdapterLock("bus", clock)

    def forgets() -> None:
        lock.acquire()  # and never releases it

    def waits() -> None:
        clock.sleep(1.0)
        lock.acquire()

    with pytest.raises(SchedulerDeadlock, match="waits"):
        clock.run([("forgets", forgets), ("waits", waits)])


def test_an_exception_in_a_task_reaches_the_caller_after_the_others_end() -> None:
    clock = VirtualScheduler()
    ended: list[str] = []

    def fails() -> None:
        raise ValueError("socket B broke")

    def works() -> None:
        clock.sleep(2.0)
        ended.append("A")

    with pytest.raises(ValueError, match="socket B broke"):
        clock.run([("B", fails), ("A", works)])
    assert ended == ["A"]

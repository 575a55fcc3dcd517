"""Virtual time shared by several threads: one runs at a time, the earliest wait ends first."""

from __future__ import annotations

from collections.abc import Callable

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


def test_the_adapter_goes_to_the_waiter_of_the_oldest_pack_first() -> None:
    """Ranks, not arrival: the pack that came first on the adapter is served first, so the
    sockets work as a pipeline instead of crawling through the same step together."""
    clock = VirtualScheduler()
    lock = AdapterLock("bus", clock)
    order: list[str] = []

    def holder() -> None:
        lock.acquire(9)
        clock.sleep(1.0)
        lock.release()

    def pack(name: str, rank: int, arrives: float) -> tuple[str, Callable[[], None]]:
        def task() -> None:
            clock.sleep(arrives)
            with lock.ranked(rank):
                order.append(name)
                clock.sleep(0.01)

        return name, task

    clock.run(
        [("holder", holder), pack("newest", 3, 0.1), pack("middle", 2, 0.2), pack("oldest", 1, 0.3)]
    )
    assert order == ["oldest", "middle", "newest"]


def test_the_oldest_pack_keeps_the_adapter_for_its_next_transaction() -> None:
    clock = VirtualScheduler()
    lock = AdapterLock("bus", clock)
    order: list[str] = []

    def oldest() -> None:
        for n in range(3):
            with lock.ranked(1):
                order.append(f"oldest {n}")
                clock.sleep(0.01)

    def newer() -> None:
        clock.sleep(0.005)
        with lock.ranked(2):
            order.append("newer")

    clock.run([("oldest", oldest), ("newer", newer)])
    assert order == ["oldest 0", "oldest 1", "oldest 2", "newer"]

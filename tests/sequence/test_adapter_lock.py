"""One bus lock per physical adapter, held by the socket, for every user of the adapter.

The engineer screen reads the gauge every 5 s (``gauge_snapshot``) while Ctrl+D unseals the pack,
reads it and seals it again (``recipe_diff_against_pack``), each on its own connection. On a real
adapter both go through one bus: a status poll that lands between the two unseal key words
breaks the unseal. Here the poll is made to arrive exactly there, on the emulator (which, like the
gauge, takes a key only when nothing comes between its two words).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smbus2 import i2c_msg

from station.bus.spec import BusSpec, OpenedBus
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.sequence import LineStation, open_service
from station.sequence.service import Section, Shift

#: how long a test thread may wait for another before the test calls it hung (never reached)
HUNG_AFTER_S = 60.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds: another thread makes it true, not the passing of time."""
    pause = threading.Event()
    for _ in range(int(HUNG_AFTER_S / 0.001)):
        if condition():
            return
        pause.wait(0.001)
    raise AssertionError(f"hung waiting for {what}")


def is_key_word(msgs: tuple[i2c_msg, ...]) -> bool:
    """A Write Word to ManufacturerAccess 0x00 (with or without PEC): how key words are sent."""
    return len(msgs) == 1 and msgs[0].len in (3, 4) and bytes(msgs[0])[0] == 0x00


class Socket:
    """The emulated pack in the socket; every transaction is logged with the thread that made it.

    When the thread called ``diff`` sends its first key word, the call holds there until the
    thread called ``poll`` has either reached the bus (nothing kept it out) or is waiting for the
    adapter (the lock kept it out).
    """

    emulated = True

    def __init__(self, device: EmulatedGauge) -> None:
        self.device = device
        self.clock = device._clock
        self.log: list[tuple[str, bool]] = []  # (thread, is a key word)
        self.first_word_sent = threading.Event()
        self.poll_reached_bus = threading.Event()
        self.poll_waits: Callable[[], bool] = lambda: False

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        me = threading.current_thread().name
        key = is_key_word(msgs)
        self.log.append((me, key))
        if me == "poll":
            self.poll_reached_bus.set()
        self.device.i2c_rdwr(*msgs)
        if me == "diff" and key and not self.first_word_sent.is_set():
            self.first_word_sent.set()
            wait_for(
                lambda: self.poll_reached_bus.is_set() or self.poll_waits(),
                "the poll to reach the bus or wait for it",
            )


def station(tmp_path: Path) -> tuple[LineStation, Shift, Socket]:
    clock = VirtualClock()
    socket = Socket(open_emulator("default", clock=clock))
    config = StationConfig(
        bus="sim",
        database=f"sqlite:///{tmp_path}/t.sqlite3",
        printer=f"file:{tmp_path}/labels",
    )

    def same_pack() -> OpenedBus:
        # The pack stays in the socket: every connection reaches the same gauge.
        return OpenedBus(BusSpec("sim", "default", {}, "sim"), socket, clock, emulated=True)

    service = open_service(config, demo=True, bus_factory=same_pack)
    choice = service.find_released("pk4s3p-3500")
    shift = service.start_shift(service.badge("OP-0001"), choice.hash, "LOT-1")
    return service, shift, socket


def test_a_status_poll_never_lands_between_the_two_unseal_key_words(tmp_path: Path) -> None:
    service, shift, socket = station(tmp_path)
    adapters = getattr(service.socket, "adapters", None)
    if adapters is not None:
        socket.poll_waits = lambda: any(lock.waits for lock in adapters.locks())
    results: dict[str, Any] = {}

    def diff() -> None:
        try:
            results["diff"] = service.recipe_diff_against_pack(shift)
        except Exception as exc:
            results["diff"] = exc

    def poll() -> None:
        socket.first_word_sent.wait(HUNG_AFTER_S)
        try:
            results["poll"] = service.gauge_snapshot(shift)
        except Exception as exc:
            results["poll"] = exc

    threads = [threading.Thread(target=f, name=f.__name__) for f in (poll, diff)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HUNG_AFTER_S)
    assert not any(t.is_alive() for t in threads), "a thread hung"

    # The poll did try to use the bus during the key sequence...
    assert socket.first_word_sent.is_set()
    first = socket.log.index(("diff", True))
    # ... and the second key word still came right after the first.
    assert socket.log[first + 1] == ("diff", True), socket.log[first : first + 4]
    assert sum(lock.waits for lock in service.socket.adapters.locks()) >= 1

    # Both users got their answer: the pack opened with its keys, was read and sealed again.
    assert isinstance(results["diff"], list), results["diff"]
    assert isinstance(results["poll"], list), results["poll"]
    differing = dict(results["diff"][0].rows)["parameters differing"]
    assert differing.endswith(f"of {len(results['diff'][1].rows)}")
    assert all(isinstance(s, Section) for s in results["poll"])
    assert socket.device.security_mode == "SEALED"


def test_every_user_of_one_adapter_gets_the_same_lock(tmp_path: Path) -> None:
    service, _, _ = station(tmp_path)
    a = service.socket.connect()
    b = service.socket.connect()
    assert a.transport.lock is b.transport.lock
    assert a.gauge.transport.lock is service.socket.adapters.lock_for("sim")
    a.close()
    b.close()

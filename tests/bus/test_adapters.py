"""One lock per physical adapter: transports on the same adapter take turns, whole sequences at a
time; the registry gives every user of an adapter the same lock."""

from __future__ import annotations

import threading
from pathlib import Path

from station.bus import AdapterLock, SMBusTransport
from station.bus.adapters import AdapterRegistry
from station.clock import VirtualClock
from tests.bus.fakes import ScriptedDevice

HUNG_AFTER_S = 60.0


def test_a_transaction_waits_while_another_user_holds_the_adapter() -> None:
    device = ScriptedDevice()
    device.registers[0x16] = bytes([0x80, 0x00])
    lock = AdapterLock("test")
    mine = SMBusTransport(device, VirtualClock(), lock=lock)
    theirs = SMBusTransport(device, VirtualClock(), lock=lock)
    got: list[int] = []

    with mine.lock:  # a sequence of mine (two key words, say) is under way
        mine.write_word(0x00, 0x0414)
        poll = threading.Thread(target=lambda: got.append(theirs.read_word(0x16)))
        poll.start()
        pause = threading.Event()
        for _ in range(int(HUNG_AFTER_S / 0.001)):
            if lock.waits:
                break
            pause.wait(0.001)
        assert lock.waits == 1  # their poll is waiting for the adapter...
        mine.write_word(0x00, 0x3672)  # ... so my second word follows the first
        assert device.transactions == 2
    poll.join(HUNG_AFTER_S)
    assert got == [0x0080]
    assert device.transactions == 3


def test_a_transport_without_a_registry_has_a_lock_of_its_own() -> None:
    a = SMBusTransport(ScriptedDevice(), VirtualClock())
    b = SMBusTransport(ScriptedDevice(), VirtualClock())
    assert a.lock is not b.lock


def test_the_registry_names_an_adapter_by_its_device(tmp_path: Path) -> None:
    registry = AdapterRegistry()
    node = tmp_path / "i2c-7"
    node.touch()
    alias = tmp_path / "fixture-bus"
    alias.symlink_to(node)  # a udev symlink to the same adapter
    assert registry.lock_for(str(alias)) is registry.lock_for(str(node))
    assert registry.lock_for(str(node)) is not registry.lock_for("/dev/i2c-2")
    assert registry.lock_for("sim:3-cells") is registry.lock_for("sim:3-cells")
    assert registry.lock_for("sim:3-cells") is not registry.lock_for("sim")
    assert len(registry.locks()) == 4

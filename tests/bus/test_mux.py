"""Several packs on one adapter behind an I2C multiplexer (TCA9548A style): the bus spec, the
emulated mux, channel selection under the adapter's lock, and the key sequence held whole.

Runs of several sockets are in virtual time (:class:`VirtualScheduler`): one thread at a time,
so what interleaves is decided by the timing model, never by the machine's load.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

import pytest
from smbus2 import i2c_msg

from station.bus import BusOpenError, SMBusTransport
from station.bus.adapters import AdapterRegistry
from station.bus.mux import MuxChannel, MuxChannelBus
from station.bus.spec import OpenedBus, open_bus, parse_bus_spec
from station.clock import VirtualClock, VirtualScheduler
from station.emulator import EmulatedMux, open_emulated_mux, open_emulator
from station.gauge import Gauge, SecurityMode
from station.keys import KeyStore

MUX = "sim:mux?channels=8"
KEYS = KeyStore.builtin().get("ti-default")


def test_a_mux_channel_in_a_bus_spec() -> None:
    spec = parse_bus_spec("/dev/i2c-1@0x70:3")
    assert (spec.kind, spec.target, spec.adapter) == ("i2c-dev", "/dev/i2c-1", "/dev/i2c-1")
    assert spec.mux == MuxChannel(0x70, 3)
    assert spec.text == "/dev/i2c-1@0x70:3"
    sim = parse_bus_spec(f"{MUX}@0x71:7")
    assert (sim.kind, sim.target, sim.adapter) == ("sim", "mux", MUX)
    assert sim.mux == MuxChannel(0x71, 7)
    assert parse_bus_spec("/dev/i2c-1").mux is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/dev/i2c-1@0x20:3", "0x70-0x77"),
        ("/dev/i2c-1@0x70:8", "channel 0-7"),
        ("/dev/i2c-1@70:1", "@0xAA:C"),
        ("/dev/i2c-1@0x70:", "@0xAA:C"),
        ("sim:mux?channels=4@0x70:5", "channels 0-3, not 5"),
        ("sim:mux?channels=9@0x70:1", "channels is the number"),
        ("sim:mux?state=/tmp/x@0x70:1", "unknown emulator option"),
        ("@0x70:1", "not a bus spec"),
    ],
)
def test_a_wrong_mux_channel_is_refused_saying_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(BusOpenError, match=says):
        parse_bus_spec(text)


def test_the_emulated_mux_nacks_a_pack_transaction_while_no_channel_is_selected() -> None:
    mux = open_emulated_mux(2, clock=VirtualClock())
    port = mux.port(0)
    with pytest.raises(OSError, match="No such device") as info:
        port.i2c_rdwr(i2c_msg.write(0x0B, [0x16]), i2c_msg.read(0x0B, 2))
    assert info.value.errno == errno.ENXIO
    assert mux.stats.unrouted == 1
    port.i2c_rdwr(i2c_msg.write(0x70, [0b01]))  # channel 0
    read = i2c_msg.read(0x70, 1)
    port.i2c_rdwr(read)
    assert bytes(read) == b"\x01"
    port.i2c_rdwr(i2c_msg.write(0x0B, [0x16]), i2c_msg.read(0x0B, 2))
    assert mux.stats.stray == 0


def test_the_emulated_mux_counts_traffic_that_lands_on_another_socket_s_pack() -> None:
    mux = open_emulated_mux(2, clock=VirtualClock())
    mux.port(1).i2c_rdwr(i2c_msg.write(0x70, [0b01]))  # channel 1's socket selects channel 0
    mux.port(1).i2c_rdwr(i2c_msg.write(0x0B, [0x16]), i2c_msg.read(0x0B, 2))
    assert mux.stats.stray == 1
    assert mux.stats.stray_by_channel == {0: 1}


def gauge_on(opened: OpenedBus, registry: AdapterRegistry, spec: str) -> Gauge:
    transport = SMBusTransport(
        opened.bus, opened.clock, lock=opened.lock, pack_lock=registry.pack_lock_for(spec)
    )
    return Gauge(transport, clock=opened.clock)


def test_each_socket_reaches_its_own_pack_and_reselects_when_another_moved_the_mux() -> None:
    registry = AdapterRegistry()
    a = registry.open(f"{MUX}@0x70:2", speed_hz=100_000)
    b = registry.open(f"{MUX}@0x70:5", speed_hz=100_000)
    assert a.lock is b.lock  # one adapter, one lock
    shared = registry.shared_adapter(MUX)
    assert shared is not None
    mux = shared.device
    assert isinstance(mux, EmulatedMux)
    assert a.device is mux.pack(2)
    assert b.device is mux.pack(5)
    mux.pack(5).security_mode = "UNSEALED"
    ga, gb = gauge_on(a, registry, f"{MUX}@0x70:2"), gauge_on(b, registry, f"{MUX}@0x70:5")

    assert ga.security_mode() is SecurityMode.SEALED
    assert ga.security_mode() is SecurityMode.SEALED
    assert mux.stats.selects == 1  # the register still held channel 2
    assert gb.security_mode() is SecurityMode.UNSEALED
    assert ga.security_mode() is SecurityMode.SEALED  # re-selected: b had moved it
    assert mux.stats.selects == 3
    assert mux.stats.stray == 0
    assert mux.pack(2).counters.transactions > 0
    assert mux.pack(5).counters.transactions > 0
    assert mux.pack(0).counters.transactions == 0


def test_a_socket_that_trusts_a_stale_channel_is_caught_as_stray_traffic() -> None:
    """The stray counter can fail: a bus that believes the mux still holds its channel after
    another socket moved it sends to the wrong pack."""
    registry = AdapterRegistry()
    a = registry.open(f"{MUX}@0x70:2", speed_hz=100_000)
    b = registry.open(f"{MUX}@0x70:5", speed_hz=100_000)
    ga, gb = gauge_on(a, registry, f"{MUX}@0x70:2"), gauge_on(b, registry, f"{MUX}@0x70:5")
    ga.security_mode()
    gb.security_mode()
    a.lock.selected[0x70] = 2  # wrong: the register holds 5
    ga.security_mode()
    mux = a.device
    shared = registry.shared_adapter(MUX)
    assert shared is not None
    assert isinstance(shared.device, EmulatedMux)
    assert shared.device.stats.stray > 0
    assert mux is shared.device.pack(2)


def test_a_mux_that_does_not_answer_is_a_bus_error_naming_the_mux() -> None:
    clock = VirtualClock()
    pack = open_emulator("default", clock=clock)  # a pack, no mux at 0x70
    lock = open_bus("sim").lock
    bus = MuxChannelBus(pack, lock, MuxChannel(0x70, 1))
    with pytest.raises(OSError, match="multiplexer at 0x70 did not take channel 1"):
        bus.i2c_rdwr(i2c_msg.write(0x0B, [0x16]), i2c_msg.read(0x0B, 2))
    assert 0x70 not in lock.selected


def is_key_word(msgs: tuple[i2c_msg, ...]) -> bool:
    return (
        len(msgs) == 1 and msgs[0].addr == 0x0B and msgs[0].len in (3, 4) and bytes(msgs[0])[0] == 0
    )


def scheduled_mux(channels: int) -> tuple[VirtualScheduler, AdapterRegistry]:
    clock = VirtualScheduler()
    return clock, AdapterRegistry(waiter=clock, clock=clock)


def poller(gauge: Gauge, until: Callable[[], bool]) -> Callable[[], None]:
    def poll() -> None:
        while not until():
            gauge.answers()  # the engineer screen's presence read, as fast as the bus allows

    return poll


def test_a_key_sequence_holds_the_adapter_from_its_first_word_to_its_second() -> None:
    clock, registry = scheduled_mux(2)
    a = registry.open(f"{MUX}@0x70:0", speed_hz=100_000)
    b = registry.open(f"{MUX}@0x70:1", speed_hz=100_000)
    ga, gb = gauge_on(a, registry, f"{MUX}@0x70:0"), gauge_on(b, registry, f"{MUX}@0x70:1")
    shared = registry.shared_adapter(MUX)
    assert shared is not None
    assert isinstance(shared.device, EmulatedMux)
    wire: list[tuple[int | None, bool]] = []
    shared.device.listener = lambda meant, msgs: wire.append((meant, is_key_word(msgs)))
    done: list[SecurityMode] = []

    def unseal_and_seal() -> None:
        done.append(ga.unseal(KEYS))
        done.append(ga.full_access(KEYS))
        ga.seal()

    clock.run([("a", unseal_and_seal), ("b", poller(gb, lambda: len(done) == 2))])

    assert done == [SecurityMode.UNSEALED, SecurityMode.FULL_ACCESS]
    keys = [i for i, (meant, key) in enumerate(wire) if key]
    assert len(keys) == 4
    assert all(wire[i][0] == 0 for i in keys)
    # The other socket did use the bus throughout (the quiet period and the settle hold only
    # the pack) but never between two words of a pair.
    assert any(meant == 1 for meant, _ in wire[: keys[0]])
    assert any(meant == 1 for meant, _ in wire[keys[1] : keys[2]])
    assert keys[1] == keys[0] + 1, wire[keys[0] - 2 : keys[1] + 2]
    assert keys[3] == keys[2] + 1, wire[keys[2] - 2 : keys[3] + 2]
    assert shared.device.stats.stray == 0


def test_a_pack_s_waits_leave_the_shared_bus_to_the_other_sockets() -> None:
    """Two resets behind one mux take hardly longer than one: the 300 ms wait holds the pack,
    not the adapter."""

    def two_resets(sockets: int) -> float:
        clock, registry = scheduled_mux(sockets)
        gauges = [
            gauge_on(
                registry.open(f"{MUX}@0x70:{c}", speed_hz=100_000), registry, f"{MUX}@0x70:{c}"
            )
            for c in range(sockets)
        ]
        clock.run([(f"s{i}", g.reset) for i, g in enumerate(gauges)])
        return clock.monotonic()

    one, two = two_resets(1), two_resets(2)
    assert one > 0.3
    assert two < one * 1.2


def test_sockets_on_separate_adapters_never_wait_for_each_other() -> None:
    clock = VirtualScheduler()
    registry = AdapterRegistry(waiter=clock, clock=clock)
    specs = ["sim?adapter=1", "sim?adapter=2"]
    gauges = [gauge_on(registry.open(s, speed_hz=100_000), registry, s) for s in specs]

    def work(g: Gauge) -> Callable[[], None]:
        def run() -> None:
            g.unseal(KEYS)
            g.read_df(0x4000, 256)
            g.seal()

        return run

    clock.run([(s, work(g)) for s, g in zip(specs, gauges, strict=True)])
    assert len(registry.adapter_locks()) == 2
    assert all(lock.waits == 0 for lock in registry.locks())

"""One lock per physical adapter, shared by everyone who talks through it.

A run, the engineer screen's status poll and an unseal-and-read each open their own connection
to the pack, and several sockets may hang off one adapter behind an I2C multiplexer: all of them
share one bus. Two locks keep them apart:

* the adapter's lock, held for every transaction (with the mux channel selected inside it) and
  for a whole key sequence (the gauge takes a key as two Write Words with nothing between);
* the pack's lock, held by every driver call that must not be interleaved with another call to
  the same pack (a data-flash auto-increment read, a MAC write and its answer, a flash write and
  its busy wait). Sockets on one mux each have their own, so one socket's waits never hold up
  another's transactions.

The registry (owned by the station, shared by its sockets) hands the same locks to every user of
the same adapter and pack, and keeps open the adapters several sockets share (the emulated mux).
"""

from __future__ import annotations

import os
import threading

from station.bus.lock import AdapterLock, LockWaiter
from station.bus.spec import BusSpec, OpenedBus, open_bus, parse_bus_spec
from station.clock import VirtualClock


def adapter_key(spec: BusSpec) -> str:
    """What identifies the physical adapter behind a spec: the device node a path resolves to
    (``/dev/i2c-1`` and a udev symlink to it are one adapter); the spec itself (without a mux
    channel) for the emulator and third-party adapters."""
    if spec.kind == "i2c-dev":
        return os.path.realpath(spec.target)
    return spec.adapter


def pack_key(spec: BusSpec) -> str:
    """What identifies one pack: its adapter and, behind a mux, the mux channel."""
    return adapter_key(spec) + (spec.mux.text if spec.mux is not None else "")


class AdapterRegistry:
    """The adapters a station talks through, one :class:`AdapterLock` each, one per pack.

    ``waiter`` makes lock waits part of a virtual-time run and ``clock`` is the virtual time the
    emulated adapters run on (:class:`station.clock.VirtualScheduler`; tests and benchmarks).
    """

    def __init__(self, waiter: LockWaiter | None = None, clock: VirtualClock | None = None) -> None:
        self.waiter = waiter
        self.clock = clock
        self._guard = threading.Lock()
        self._locks: dict[str, AdapterLock] = {}
        self._pack_locks: dict[str, AdapterLock] = {}
        self._shared: dict[str, OpenedBus] = {}

    def _parse(self, spec: str | BusSpec) -> BusSpec:
        return parse_bus_spec(spec) if isinstance(spec, str) else spec

    def lock_for(self, spec: str | BusSpec) -> AdapterLock:
        """The lock of the adapter ``spec`` names (the same object for every caller)."""
        return self._lock_in(self._locks, adapter_key(self._parse(spec)))

    def pack_lock_for(self, spec: str | BusSpec) -> AdapterLock:
        """The lock of the one pack ``spec`` reaches (its adapter and mux channel)."""
        return self._lock_in(self._pack_locks, pack_key(self._parse(spec)))

    def _lock_in(self, table: dict[str, AdapterLock], key: str) -> AdapterLock:
        with self._guard:
            if key not in table:
                table[key] = AdapterLock(key, self.waiter)
            return table[key]

    def locks(self) -> tuple[AdapterLock, ...]:
        """Every lock handed out: the adapters' and the packs'."""
        with self._guard:
            return (*self._locks.values(), *self._pack_locks.values())

    def adapter_locks(self) -> tuple[AdapterLock, ...]:
        with self._guard:
            return tuple(self._locks.values())

    def open(self, text: str, *, speed_hz: int) -> OpenedBus:
        """Open the bus to the pack ``text`` names, with its adapter's lock.

        An emulated mux is opened once and shared by every socket on it (its packs stay seated
        between connections, as in a fixture); anything else is opened afresh.
        """
        spec = parse_bus_spec(text)
        lock = self.lock_for(spec)
        if spec.kind == "sim" and spec.target == "mux" and spec.mux is not None:
            key = adapter_key(spec)
            with self._guard:
                adapter = self._shared.get(key)
                if adapter is None:
                    adapter = open_bus(spec.adapter, speed_hz=speed_hz, clock=self.clock)
                    self._shared[key] = adapter
            return open_bus(text, speed_hz=speed_hz, lock=lock, adapter=adapter)
        return open_bus(text, speed_hz=speed_hz, lock=lock, clock=self.clock)

    def shared_adapter(self, text: str) -> OpenedBus | None:
        """The shared adapter behind ``text`` once opened (tests and benchmarks look at the
        emulated mux through it)."""
        key = adapter_key(parse_bus_spec(text))
        with self._guard:
            return self._shared.get(key)

    def close(self) -> None:
        with self._guard:
            shared, self._shared = list(self._shared.values()), {}
        for bus in shared:
            bus.close()

"""Helpers to drive the emulator as a black box through the bus spec, as the station does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from station.bus import SMBusTransport
from station.bus.spec import OpenedBus, open_bus
from station.clock import VirtualClock
from station.gauge import Gauge, GaugeTimings


@dataclass
class Sim:
    opened: OpenedBus
    transport: SMBusTransport
    gauge: Gauge

    @property
    def device(self) -> Any:
        return self.opened.device

    @property
    def clock(self) -> VirtualClock:
        clock = self.opened.clock
        assert isinstance(clock, VirtualClock)
        return clock


@contextmanager
def sim(
    scenario: str = "default", *, pec: bool = False, timings: GaugeTimings | None = None
) -> Iterator[Sim]:
    # ``pec``: the pack appends PEC (SBS Configuration HPE set) and the station checks it.
    opened = open_bus(f"sim:{scenario}" + ("?hpe=1" if pec else ""))
    try:
        transport = SMBusTransport(opened.bus, opened.clock, pec=pec)
        yield Sim(opened, transport, Gauge(transport, clock=opened.clock, timings=timings))
    finally:
        opened.close()

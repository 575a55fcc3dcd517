"""A third-party bus for ``--bus tests.gauge.plugin_bus:make``: an emulated pack behind a thin
adapter that offers only ``i2c_rdwr``, its own clock and ``close`` (no emulator flag)."""

from __future__ import annotations

from smbus2 import i2c_msg

from station.clock import VirtualClock
from station.emulator import open_emulator


class ThinAdapter:
    def __init__(self, scenario: str = "default") -> None:
        self.clock = VirtualClock()
        self._device = open_emulator(scenario, clock=self.clock)
        self.closed = False

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        self._device.i2c_rdwr(*msgs)

    def close(self) -> None:
        self.closed = True
        self._device.close()


def make() -> ThinAdapter:
    return ThinAdapter()


def make_unsealed() -> ThinAdapter:
    return ThinAdapter("unsealed")

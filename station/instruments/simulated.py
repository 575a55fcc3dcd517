"""Instruments bound to the emulated pack's true values (tests and the demo).

The voltage reference reads the stack the cells really make, the current "load" sets the
pack's real current, the thermometer reads its real temperature. ``drift`` adds that much to
every further reading (a reference that drifts mid-step).
"""

from __future__ import annotations

from station.emulator import EmulatedGauge
from station.instruments.model import InstrumentIdentity, InstrumentSettings, Measurand


class SimulatedInstrument:
    def __init__(
        self, settings: InstrumentSettings, device: EmulatedGauge, *, drift: float = 0.0
    ) -> None:
        self.settings = settings
        self.device = device
        self.drift = drift
        self.readings = 0

    def identity(self) -> InstrumentIdentity:
        s = self.settings
        return InstrumentIdentity(
            s.maker or "packline", s.model or "simulated", s.serial or s.name, "emulator"
        )

    def measure(self, quantity: Measurand) -> float:
        pack = self.device.pack
        if quantity == "voltage":
            value = float(pack.voltage_mv(self.device.cell_count))
        elif quantity == "current":
            value = float(pack.current_ma)
        else:
            value = pack.temperature_c
        value += self.drift * self.readings
        self.readings += 1
        return value

    def set_current(self, ma: float) -> None:
        """The load (or source) drives ``ma``; it flows only through a FET that is on."""
        chg, dsg, _ = self.device.fets
        flows = (ma < 0 and dsg) or (ma > 0 and chg)
        value = round(ma) if flows else 0
        self.device.pack.current_ma = value
        self.device.pack.average_current_ma = value

    def close(self) -> None:
        return None

"""A BQ40Z50 fuel gauge behind smbus2's ``i2c_rdwr``, in virtual time.

Written from the protocol reference, not from the station's driver, so that a misreading in one
cannot hide in the other. ``open_emulator(name, clock=...)`` builds a named scenario;
``SCENARIOS`` lists them.
"""

from station.emulator.device import AdvancingClock, EmulatedGauge
from station.emulator.faults import FaultPlan
from station.emulator.firmware import Firmware, load_firmware
from station.emulator.mux import MUX_ADDRESS, EmulatedMux, MuxPort, open_emulated_mux
from station.emulator.pack import PackModel
from station.emulator.persist import EmulatorStateError, PackCounters
from station.emulator.scenarios import SCENARIOS, Scenario, open_emulator
from station.emulator.security import SecurityMode
from station.emulator.timing import BusStats, NackStage, TimingModel

__all__ = [
    "MUX_ADDRESS",
    "SCENARIOS",
    "AdvancingClock",
    "BusStats",
    "EmulatedGauge",
    "EmulatedMux",
    "EmulatorStateError",
    "FaultPlan",
    "Firmware",
    "MuxPort",
    "NackStage",
    "PackCounters",
    "PackModel",
    "Scenario",
    "SecurityMode",
    "TimingModel",
    "load_firmware",
    "open_emulated_mux",
    "open_emulator",
]

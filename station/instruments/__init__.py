"""Reference instruments beside the bus: what the gauge's readings are calibrated against.

An instrument gives a reference voltage (mV), a known current (mA, SBS sign: charge positive)
or a reference temperature (°C), names itself (model, serial) and carries its own calibration
due date. Backends: SCPI through PyVISA (:mod:`.scpi`), an operator typing what a meter shows
(:mod:`.manual`), and the emulator's true values (:mod:`.simulated`).
"""

from station.instruments.model import (
    Instrument,
    InstrumentError,
    InstrumentIdentity,
    InstrumentPastDue,
    InstrumentSettings,
    ManualValueRejected,
    Measurand,
    Reading,
    check_due,
)

__all__ = [
    "Instrument",
    "InstrumentError",
    "InstrumentIdentity",
    "InstrumentPastDue",
    "InstrumentSettings",
    "ManualValueRejected",
    "Measurand",
    "Reading",
    "check_due",
]

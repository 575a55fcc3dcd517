"""What every reference instrument is: an identity, a due date, and readings in station units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

from station.refusal import Refused

#: What an instrument can measure: voltage in mV, current in mA (charge positive), temperature °C.
Measurand = Literal["voltage", "current", "temperature"]
QUANTITIES: tuple[Measurand, ...] = ("voltage", "current", "temperature")
UNITS: dict[Measurand, str] = {"voltage": "mV", "current": "mA", "temperature": "°C"}
BACKENDS = ("scpi", "manual", "simulated")


class InstrumentError(Exception):
    """A reference instrument cannot be used. Says what happened, what it means, what to do."""

    failure_code: ClassVar[str] = "INSTRUMENT"

    def __init__(self, what: str, *, next_step: str) -> None:
        self.what = what
        super().__init__(
            f"{what}; the pack cannot be calibrated against it and is not sealed; {next_step}"
        )


class InstrumentPastDue(InstrumentError, Refused):
    """The station refuses an instrument past its calibration due date."""

    failure_code = "INSTRUMENT_PAST_DUE"

    def __init__(self, name: str, due: dt.date, today: dt.date) -> None:
        self.name = name
        self.due = due
        super().__init__(
            f"instrument {name!r} was due for calibration on {due.isoformat()} "
            f"(today is {today.isoformat()})",
            next_step="have it calibrated and its due date updated in the instrument file",
        )


class ManualValueRejected(InstrumentError, Refused):
    """The station refuses a typed reading outside what may be typed (or none at all)."""

    failure_code = "INSTRUMENT_VALUE_REJECTED"


@dataclass(frozen=True)
class InstrumentIdentity:
    """Who the instrument is: from ``*IDN?`` where it has one, else from the configuration."""

    maker: str
    model: str
    serial: str
    firmware: str = ""

    def text(self) -> str:
        return " ".join(p for p in (self.maker, self.model, f"s/n {self.serial}") if p)

    @classmethod
    def from_idn(cls, answer: str) -> InstrumentIdentity:
        """``*IDN?``: maker, model, serial, firmware separated by commas (IEEE 488.2)."""
        parts = [p.strip() for p in answer.strip().split(",")]
        parts += [""] * (4 - len(parts))
        return cls(parts[0], parts[1], parts[2], ",".join(parts[3:]).strip(","))


@dataclass(frozen=True)
class InstrumentSettings:
    """One instrument as the instrument file configures it."""

    name: str
    backend: str
    quantities: tuple[Measurand, ...]
    due: dt.date
    #: VISA resource ("TCPIP::10.0.0.5::INSTR", "USB0::...", "ASRL/dev/ttyUSB0::INSTR")
    resource: str = ""
    #: what the instrument must say it is (``*IDN?`` model and serial; empty = not checked);
    #: for a manual meter, its identity
    model: str = ""
    serial: str = ""
    maker: str = ""
    #: manual backend: the values an operator may type, per quantity (station units)
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: SCPI commands that differ from the defaults of :mod:`station.instruments.scpi`
    commands: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """A reference value, and which instrument gave it."""

    quantity: Measurand
    value: float
    instrument: str
    identity: InstrumentIdentity
    due: dt.date

    @property
    def unit(self) -> str:
        return UNITS[self.quantity]

    def text(self) -> str:
        return f"{self.value:g} {self.unit} by {self.instrument} ({self.identity.text()})"


class Instrument(Protocol):
    """A reference instrument, opened."""

    settings: InstrumentSettings

    def identity(self) -> InstrumentIdentity: ...

    def measure(self, quantity: Measurand) -> float:
        """The reference value now, in station units."""
        ...

    def set_current(self, ma: float) -> None:
        """Make ``ma`` flow through the pack (SBS sign; 0 = nothing); a source or a load."""
        ...

    def close(self) -> None: ...


def check_due(settings: InstrumentSettings, today: dt.date) -> None:
    """Refuse an instrument past its calibration due date (due today is still good)."""
    if today > settings.due:
        raise InstrumentPastDue(settings.name, settings.due, today)


def read(instrument: Instrument, quantity: Measurand, today: dt.date) -> Reading:
    """A reference value with its instrument named, refused past the due date."""
    s = instrument.settings
    if quantity not in s.quantities:
        raise InstrumentError(
            f"instrument {s.name!r} does not give {quantity}",
            next_step=f"assign a {quantity} instrument to this socket in the instrument file",
        )
    check_due(s, today)
    value = instrument.measure(quantity)
    return Reading(quantity, value, s.name, instrument.identity(), s.due)

"""The Smart Battery Data commands of the BQ40Z50 (reference §3), as data.

These are command codes of the SBS specification and the BQ40Z50 command set, not data-flash
addresses. Values read come back as :class:`SbsValue`: raw value, engineering value and unit.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from station.gauge.errors import ImplausibleValueError, ShortBlockError
from station.gauge.lookup import look_up
from station.gauge.modes import ALL_R, ALL_RW, SE_R_US_RW, US_R, ModeAccess

#: 0 °C in kelvin; Temperature() counts in 0.1 K.
ZERO_CELSIUS_K = 273.15


class SbsProtocol(enum.Enum):
    WORD = "word"
    BLOCK = "block"  # bytes, little-endian number when decoded as one
    STRING = "string"  # block of ASCII


@dataclass(frozen=True)
class SbsCommand:
    code: int
    name: str
    protocol: SbsProtocol = SbsProtocol.WORD
    unit: str = ""
    #: engineering value = raw * scale + offset
    scale: float = 1.0
    offset: float = 0.0
    signed: bool = False
    access: ModeAccess = ALL_R
    #: bytes a block carries (at least, at most)
    length: tuple[int, int] = (2, 2)
    #: the range of engineering values a real pack can report; outside it the gauge is lying
    plausible: tuple[float, float] | None = None
    #: a bit field or code: shown in hex
    hex: bool = False


@dataclass(frozen=True)
class SbsValue:
    """One value read from the gauge."""

    command: SbsCommand
    raw: int | bytes
    value: int | float | str | bytes
    unit: str

    @property
    def name(self) -> str:
        return self.command.name

    def __str__(self) -> str:
        if isinstance(self.value, float):
            shown = f"{self.value:.1f}"
        elif isinstance(self.value, int) and self.command.hex:
            width = 2 * (
                self.command.length[1] if self.command.protocol is SbsProtocol.BLOCK else 2
            )
            shown = f"0x{self.value:0{width}X}"
        elif isinstance(self.value, bytes):
            shown = self.value.hex(" ")
        else:
            shown = str(self.value)
        return f"{shown} {self.unit}".strip()


W = SbsProtocol.WORD
B = SbsProtocol.BLOCK
S = SbsProtocol.STRING

_COMMANDS: tuple[SbsCommand, ...] = (
    SbsCommand(0x01, "RemainingCapacityAlarm", W, "mAh", access=ALL_RW),
    SbsCommand(0x02, "RemainingTimeAlarm", W, "min", access=ALL_RW),
    SbsCommand(0x03, "BatteryMode", W, access=ALL_RW, hex=True),
    SbsCommand(0x04, "AtRate", W, "mA", signed=True, access=ALL_RW),
    SbsCommand(0x05, "AtRateTimeToFull", W, "min"),
    SbsCommand(0x06, "AtRateTimeToEmpty", W, "min"),
    SbsCommand(0x07, "AtRateOK", W),
    SbsCommand(0x08, "Temperature", W, "°C", scale=0.1, offset=-ZERO_CELSIUS_K,
               plausible=(-100.0, 150.0)),
    SbsCommand(0x09, "Voltage", W, "mV", plausible=(0, 30_000)),
    SbsCommand(0x0A, "Current", W, "mA", signed=True),
    SbsCommand(0x0B, "AverageCurrent", W, "mA", signed=True),
    SbsCommand(0x0C, "MaxError", W, "%", plausible=(0, 100)),
    SbsCommand(0x0D, "RelativeStateOfCharge", W, "%", plausible=(0, 100)),
    SbsCommand(0x0E, "AbsoluteStateOfCharge", W, "%", plausible=(0, 200)),
    SbsCommand(0x0F, "RemainingCapacity", W, "mAh"),
    SbsCommand(0x10, "FullChargeCapacity", W, "mAh"),
    SbsCommand(0x11, "RunTimeToEmpty", W, "min"),
    SbsCommand(0x12, "AverageTimeToEmpty", W, "min"),
    SbsCommand(0x13, "AverageTimeToFull", W, "min"),
    SbsCommand(0x14, "ChargingCurrent", W, "mA"),
    SbsCommand(0x15, "ChargingVoltage", W, "mV"),
    SbsCommand(0x16, "BatteryStatus", W, hex=True),
    SbsCommand(0x17, "CycleCount", W, "cycles"),
    SbsCommand(0x18, "DesignCapacity", W, "mAh"),
    SbsCommand(0x19, "DesignVoltage", W, "mV"),
    SbsCommand(0x1A, "SpecificationInfo", W, hex=True),
    SbsCommand(0x1B, "ManufactureDate", W),
    SbsCommand(0x1C, "SerialNumber", W, hex=True),
    SbsCommand(0x20, "ManufacturerName", S, length=(0, 32)),
    SbsCommand(0x21, "DeviceName", S, length=(0, 32)),
    SbsCommand(0x22, "DeviceChemistry", S, length=(0, 32)),
    SbsCommand(0x3C, "CellVoltage4", W, "mV", plausible=(0, 6000)),
    SbsCommand(0x3D, "CellVoltage3", W, "mV", plausible=(0, 6000)),
    SbsCommand(0x3E, "CellVoltage2", W, "mV", plausible=(0, 6000)),
    SbsCommand(0x3F, "CellVoltage1", W, "mV", plausible=(0, 6000)),
    SbsCommand(0x4A, "BTPDischargeSet", W, "mAh", signed=True, access=ALL_RW),
    SbsCommand(0x4B, "BTPChargeSet", W, signed=True, access=ALL_RW),
    SbsCommand(0x4F, "StateOfHealth", W),
    SbsCommand(0x50, "SafetyAlert", B, access=US_R, length=(4, 4), hex=True),
    SbsCommand(0x51, "SafetyStatus", B, access=US_R, length=(4, 4), hex=True),
    SbsCommand(0x52, "PFAlert", B, access=US_R, length=(4, 4), hex=True),
    SbsCommand(0x53, "PFStatus", B, access=US_R, length=(4, 4), hex=True),
    SbsCommand(0x54, "OperationStatus", B, access=US_R, length=(4, 4), hex=True),
    SbsCommand(0x55, "ChargingStatus", B, access=US_R, length=(3, 4), hex=True),
    SbsCommand(0x56, "GaugingStatus", B, access=US_R, length=(3, 4), hex=True),
    SbsCommand(0x57, "ManufacturingStatus", B, access=US_R, length=(2, 2), hex=True),
    SbsCommand(0x70, "ManufacturerInfo", B, access=SE_R_US_RW, length=(1, 32)),
)  # fmt: skip

SBS_COMMANDS: Mapping[int, SbsCommand] = MappingProxyType({c.code: c for c in _COMMANDS})
_BY_NAME: Mapping[str, SbsCommand] = MappingProxyType({c.name.lower(): c for c in _COMMANDS})

#: CellVoltage1 is 0x3F and CellVoltage4 is 0x3C (reference §3.2).
CELL_VOLTAGE_CODES = (0x3F, 0x3E, 0x3D, 0x3C)


def sbs_command(which: int | str) -> SbsCommand:
    """The table entry for a code or a name (case-insensitive)."""
    return look_up(SBS_COMMANDS, _BY_NAME, which, what="an SBS command", digits=2)


def decode_word(command: SbsCommand, raw: int) -> SbsValue:
    """Scale a word, check it is something a pack can report."""
    number = raw - 0x10000 if command.signed and raw & 0x8000 else raw
    value: int | float
    if command.scale != 1.0 or command.offset:
        value = round(number * command.scale + command.offset, 2)
    else:
        value = number
    _check_plausible(command, value)
    return SbsValue(command, raw, value, command.unit)


def decode_block(command: SbsCommand, data: bytes) -> SbsValue:
    low, _high = command.length
    if len(data) < low:
        raise ShortBlockError(command=_label(command), expected=low, got=len(data))
    if command.protocol is SbsProtocol.STRING:
        text = data.split(b"\x00", 1)[0].decode("ascii", errors="replace")
        return SbsValue(command, bytes(data), text, "")
    if command.length[1] > 4:  # a record, not a number
        return SbsValue(command, bytes(data), bytes(data), command.unit)
    return SbsValue(command, bytes(data), int.from_bytes(data, "little"), command.unit)


def _check_plausible(command: SbsCommand, value: float) -> None:
    if command.plausible is None:
        return
    low, high = command.plausible
    if not low <= value <= high:
        raise ImplausibleValueError(
            command=_label(command),
            value=value,
            unit=command.unit,
            why=f"a real pack reports {low:g} to {high:g} {command.unit}".rstrip(),
        )


def _label(command: SbsCommand) -> str:
    return f"{command.name} (SBS 0x{command.code:02X})"

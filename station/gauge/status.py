"""Bit decoders for the gauge's status words.

Bit positions: OperationStatus, ManufacturingStatus and BatteryStatus from the reference
(§3.1, §6.2, §6.3; sources agree [S4][S6][S14]). SafetyAlert/SafetyStatus, PFAlert/PFStatus,
ChargingStatus and GaugingStatus from the BQ40Z50-R1 register map [S6] (device_r1.yaml); firmware
revisions may add bits, which then show as "bitN".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from station.gauge.modes import SecurityMode

BitNames = tuple[tuple[int, str], ...]

OPERATION_STATUS_BITS: BitNames = (
    (0, "PRES"), (1, "DSG"), (2, "CHG"), (3, "PCHG"), (5, "FUSE"), (7, "BTP_INT"),
    (10, "SDV"), (11, "SS"), (12, "PF"), (13, "XDSG"), (14, "XCHG"), (15, "SLEEP"),
    (16, "SDM"), (17, "LED"), (18, "AUTH"), (19, "AUTOCALM"), (20, "CAL"), (21, "CAL_OFFSET"),
    (22, "XL"), (23, "SLEEPM"), (24, "INIT"), (25, "SMBLCAL"), (26, "SLPAD"), (27, "SLPCC"),
    (28, "CB"), (29, "EMSHUT"),
)  # fmt: skip
#: Bits 9:8 of OperationStatus hold SEC1:SEC0; decoded separately.
SEC_SHIFT = 8
SEC_MASK = 0b11

MANUFACTURING_STATUS_BITS: BitNames = (
    (0, "PCHG_TEST"), (1, "CHG_TEST"), (2, "DSG_TEST"), (3, "GAUGE_EN"), (4, "FET_EN"),
    (5, "LF_EN"), (6, "PF_EN"), (7, "BBR_EN"), (8, "FUSE_EN"), (9, "LED_EN"),
    (14, "LT_TEST"), (15, "CAL_TEST"),
)  # fmt: skip

SAFETY_STATUS_BITS: BitNames = (
    (0, "CUV"), (1, "COV"), (2, "OCC1"), (3, "OCC2"), (4, "OCD1"), (5, "OCD2"), (6, "AOLD"),
    (7, "AOLDL"), (8, "ASCC"), (9, "ASCCL"), (10, "ASCD"), (11, "ASCDL"), (12, "OTC"),
    (13, "OTD"), (14, "CUVC"), (16, "OTF"), (18, "PTO"), (19, "PTOS"), (20, "CTO"),
    (21, "CTOS"), (22, "OC"), (23, "CHGC"), (24, "CHGV"), (25, "PCHGC"), (26, "UTC"),
    (27, "UTD"),
)  # fmt: skip

PF_STATUS_BITS: BitNames = (
    (0, "SUV"), (1, "SOV"), (2, "SOCC"), (3, "SOCD"), (4, "SOT"), (6, "SOTF"), (7, "QIM"),
    (8, "CB"), (9, "IMP"), (10, "CD"), (11, "VIMR"), (12, "VIMA"), (16, "CFETF"),
    (17, "DFETF"), (19, "FUSE"), (20, "AFER"), (21, "AFEC"), (22, "2LVL"), (23, "PTC"),
    (24, "IFC"), (25, "OPNC"), (26, "DFW"), (28, "TS1"), (29, "TS2"), (30, "TS3"), (31, "TS4"),
)  # fmt: skip

CHARGING_STATUS_BITS: BitNames = (
    (0, "UT"), (1, "LT"), (2, "STL"), (3, "RT"), (4, "STH"), (5, "HT"), (6, "OT"), (8, "PV"),
    (9, "LV"), (10, "MV"), (11, "HV"), (12, "IN"), (13, "MCHG"), (14, "VCT"), (15, "CCR"),
    (16, "CVR"), (17, "CCC"),
)  # fmt: skip

GAUGING_STATUS_BITS: BitNames = (
    (0, "FD"), (1, "FC"), (2, "TD"), (3, "TC"), (4, "BAL_EN"), (5, "EDV"), (6, "DSG"),
    (7, "CF"), (8, "REST"), (10, "R_DIS"), (11, "VOK"), (12, "QEN"), (13, "SLPQMAX"),
    (15, "NSFM"), (16, "VDQ"), (17, "QMAX"), (18, "RX"), (19, "LDMD"), (20, "OCVFR"),
)  # fmt: skip

#: BatteryStatus (SBS 0x16); bits 2:0 are an error code, decoded separately.
BATTERY_STATUS_BITS: BitNames = (
    (4, "FD"), (5, "FC"), (6, "DSG"), (7, "INIT"), (8, "RTA"), (9, "RCA"), (11, "TDA"),
    (12, "OTA"), (14, "TCA"), (15, "OCA"),
)  # fmt: skip

BATTERY_ERROR_CODES = (
    "OK", "Busy", "Reserved Command", "Unsupported Command", "Access Denied", "Overflow/Underflow",
    "Bad Size", "Unknown Error",
)  # fmt: skip


@dataclass(frozen=True)
class StatusWord:
    """A decoded status word: its raw value and the names of the bits that are set."""

    name: str
    raw: int
    width: int
    bits: BitNames

    @property
    def flags(self) -> tuple[str, ...]:
        named = dict(self.bits)
        out = []
        for bit in range(self.width):
            if self.raw >> bit & 1 and bit not in self._decoded_elsewhere():
                out.append(named.get(bit, f"bit{bit}"))
        return tuple(out)

    def _decoded_elsewhere(self) -> frozenset[int]:
        return frozenset()

    def __contains__(self, flag: object) -> bool:
        return flag in self.flags

    def is_set(self, flag: str) -> bool:
        """Whether the named bit is set (KeyError for a name this word does not have)."""
        for bit, name in self.bits:
            if name == flag:
                return bool(self.raw >> bit & 1)
        raise KeyError(f"{self.name} has no bit named {flag!r}")

    @property
    def hex(self) -> str:
        return f"0x{self.raw:0{self.width // 4}X}"

    def describe(self) -> str:
        names = " ".join(self.flags)
        return f"{self.hex} {names}" if names else f"{self.hex} (none)"

    def __str__(self) -> str:
        return f"{self.name} {self.describe()}"


@dataclass(frozen=True)
class OperationStatus(StatusWord):
    """OperationStatus with its security mode (None when SEC reads the reserved 00)."""

    @property
    def security_mode(self) -> SecurityMode | None:
        sec = (self.raw >> SEC_SHIFT) & SEC_MASK
        return SecurityMode(sec) if sec else None

    def _decoded_elsewhere(self) -> frozenset[int]:
        return frozenset({8, 9})

    def describe(self) -> str:
        mode = self.security_mode
        sec = f"SEC={mode.label if mode else 'reserved'}"
        names = " ".join((*self.flags, sec))
        return f"{self.hex} {names}"


@dataclass(frozen=True)
class BatteryStatus(StatusWord):
    @property
    def error_code(self) -> int:
        return self.raw & 0b111

    @property
    def error(self) -> str:
        return BATTERY_ERROR_CODES[self.error_code]

    def _decoded_elsewhere(self) -> frozenset[int]:
        return frozenset({0, 1, 2})

    def describe(self) -> str:
        return f"{self.hex} {' '.join((*self.flags, f'EC={self.error}'))}"


def operation_status(raw: int) -> OperationStatus:
    return OperationStatus("OperationStatus", raw, 32, OPERATION_STATUS_BITS)


def manufacturing_status(raw: int) -> StatusWord:
    return StatusWord("ManufacturingStatus", raw, 16, MANUFACTURING_STATUS_BITS)


def safety_status(raw: int, *, name: str = "SafetyStatus") -> StatusWord:
    return StatusWord(name, raw, 32, SAFETY_STATUS_BITS)


def pf_status(raw: int, *, name: str = "PFStatus") -> StatusWord:
    return StatusWord(name, raw, 32, PF_STATUS_BITS)


def charging_status(raw: int) -> StatusWord:
    return StatusWord("ChargingStatus", raw, 32, CHARGING_STATUS_BITS)


def gauging_status(raw: int) -> StatusWord:
    return StatusWord("GaugingStatus", raw, 32, GAUGING_STATUS_BITS)


def battery_status(raw: int) -> BatteryStatus:
    return BatteryStatus("BatteryStatus", raw, 16, BATTERY_STATUS_BITS)


def decode_status(name: str, raw: int) -> StatusWord:
    """Decode a status word by its MAC/SBS name (SafetyAlert, PFStatus, ...)."""
    decoders: dict[str, Callable[[int], StatusWord]] = {
        "OperationStatus": lambda r: operation_status(r),
        "ManufacturingStatus": manufacturing_status,
        "SafetyStatus": safety_status,
        "SafetyAlert": lambda r: safety_status(r, name="SafetyAlert"),
        "PFStatus": pf_status,
        "PFAlert": lambda r: pf_status(r, name="PFAlert"),
        "ChargingStatus": charging_status,
        "GaugingStatus": gauging_status,
        "BatteryStatus": lambda r: battery_status(r),
    }
    try:
        return decoders[name](raw)
    except KeyError:
        raise KeyError(f"no status decoder for {name!r}") from None

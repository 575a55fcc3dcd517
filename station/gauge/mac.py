"""ManufacturerAccess (MAC) subcommands of the BQ40Z50 (reference §5), as data.

Each entry says what the command returns, in which security modes it is allowed, whether it changes
the pack (the CLI asks for confirmation), whether it is a toggle (not idempotent: sent exactly once,
never retried) and whether its result is only ready some time after the command (signatures).

Deliberately absent: ROMMode 0x0F00 (leaves the firmware; a station has no business there) and
AuthenticationKey 0x0037. The calibration outputs 0xF081/0xF082 are reads whose result is a raw
frame the gauge refreshes every 250 ms: read it again with ``Gauge.mac_result`` (calibration
reference §2).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from station.gauge.lookup import look_up
from station.gauge.modes import ALL_R, ALL_W, FA_RW, US_W, ModeAccess


class MacKind(enum.Enum):
    READ = "read"  # send the code, read the response (2-byte echo + data) from 0x44
    COMMAND = "command"  # the write alone is the whole command
    WRITE = "write"  # the code followed by data in one block write


@dataclass(frozen=True)
class MacCommand:
    code: int
    name: str
    kind: MacKind
    access: ModeAccess
    #: data bytes after the 2-byte echo (at least, at most); (0, 0) for commands
    response: tuple[int, int] = (0, 0)
    changes_pack: bool = False
    #: sending it twice is not the same as once: never retried automatically
    toggle: bool = False
    #: the result is ready only some time after the command (signatures: >= 250 ms)
    needs_wait: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def retry_safe(self) -> bool:
        """Whether a failed send may be repeated. Toggles, resets and shutdowns may not: the
        gauge may have acted on the first one."""
        return not self.toggle and self.code not in _ONE_SHOT

    @property
    def label(self) -> str:
        return f"{self.name} (MAC 0x{self.code:04X})"


def _read(
    code: int,
    name: str,
    low: int,
    high: int | None = None,
    *,
    wait: bool = False,
    aliases: tuple[str, ...] = (),
    description: str = "",
) -> MacCommand:
    return MacCommand(
        code, name, MacKind.READ, ALL_R, (low, low if high is None else high), needs_wait=wait,
        aliases=aliases, description=description,
    )  # fmt: skip


def _cmd(
    code: int,
    name: str,
    access: ModeAccess = US_W,
    *,
    toggle: bool = False,
    aliases: tuple[str, ...] = (),
    description: str = "",
) -> MacCommand:
    return MacCommand(
        code, name, MacKind.COMMAND, access, changes_pack=True, toggle=toggle, aliases=aliases,
        description=description,
    )  # fmt: skip


DEVICE_TYPE = 0x0001
FIRMWARE_VERSION = 0x0002
HARDWARE_VERSION = 0x0003
STATIC_DF_SIGNATURE = 0x0005
CHEM_ID = 0x0006
SHUTDOWN = 0x0010
SEAL = 0x0030
SECURITY_KEYS = 0x0035
DEVICE_RESET = 0x0041
OPERATION_STATUS = 0x0054
MANUFACTURING_STATUS = 0x0057

_ONE_SHOT = frozenset({SHUTDOWN, 0x0011, DEVICE_RESET})

_COMMANDS: tuple[MacCommand, ...] = (
    _read(0x0001, "DeviceType", 2, description="IC part number (0x4500 for BQ40Z50)"),
    _read(0x0002, "FirmwareVersion", 11, 13),
    _read(0x0003, "HardwareVersion", 1, 2),
    _read(0x0004, "IFChecksum", 2, wait=True, aliases=("InstructionFlashSignature",)),
    _read(0x0005, "StaticDFSignature", 2, wait=True),
    _read(0x0006, "ChemID", 2),
    _read(0x0008, "StaticChemDFSignature", 2, wait=True),
    _read(0x0009, "AllDFSignature", 2, wait=True),
    _cmd(0x0010, "ShutdownMode", ALL_W, aliases=("Shutdown",),
         description="ship mode: the gauge goes silent until charger voltage wakes it"),
    _cmd(0x0011, "SleepMode"),
    _cmd(0x0013, "AutoCCOffset"),
    _cmd(0x001D, "FuseToggle", toggle=True),
    _cmd(0x001E, "PCHGFETToggle", toggle=True),
    _cmd(0x001F, "CHGFETToggle", toggle=True),
    _cmd(0x0020, "DSGFETToggle", toggle=True),
    _cmd(0x0021, "Gauging", toggle=True, description="toggle GAUGE_EN (Impedance Track)"),
    _cmd(0x0022, "FETControl", toggle=True,
         description="toggle FET_EN (also rewrites FET_EN in Mfg Status Init)"),
    _cmd(0x0023, "LifetimeDataCollection", toggle=True),
    _cmd(0x0024, "PermanentFailure", toggle=True),
    _cmd(0x0025, "BlackBoxRecorder", toggle=True),
    _cmd(0x0026, "Fuse", toggle=True),
    _cmd(0x0027, "LEDDisplayEnable", toggle=True),
    _cmd(0x0028, "LifetimeDataReset"),
    _cmd(0x0029, "PFDataReset"),
    _cmd(0x002A, "BlackBoxRecorderReset"),
    _cmd(0x002B, "LEDToggle", toggle=True),
    _cmd(0x002C, "LEDDisplayPress", toggle=True),
    _cmd(0x002D, "CalibrationMode", toggle=True),
    _cmd(0x002E, "LifetimeDataFlush"),
    _cmd(0x002F, "LifetimeDataSpeedUpMode", toggle=True),
    _cmd(0x0030, "SealDevice", aliases=("Seal",), description="enter SEALED"),
    MacCommand(0x0035, "SecurityKeys", MacKind.WRITE, FA_RW, (8, 8), changes_pack=True,
               description="the unseal and full-access keys (FULL ACCESS only)"),
    _cmd(0x0041, "DeviceReset", ALL_W, aliases=("Reset",),
         description="full reset; the gauge is silent for a while afterwards"),
    _read(0x0050, "SafetyAlert", 4),
    _read(0x0051, "SafetyStatus", 4),
    _read(0x0052, "PFAlert", 4),
    _read(0x0053, "PFStatus", 4),
    _read(0x0054, "OperationStatus", 4),
    _read(0x0055, "ChargingStatus", 3, 4),
    _read(0x0056, "GaugingStatus", 3, 4),
    _read(0x0057, "ManufacturingStatus", 2),
    _read(0x0058, "AFERegister", 20, 21),
    _read(0x0060, "LifetimeDataBlock1", 1, 32),
    _read(0x0061, "LifetimeDataBlock2", 1, 32),
    _read(0x0062, "LifetimeDataBlock3", 1, 32),
    _read(0x0063, "LifetimeDataBlock4", 1, 32),
    _read(0x0064, "LifetimeDataBlock5", 1, 32),
    _read(0x0070, "ManufacturerInfo", 1, 32),
    _read(0x0071, "DAStatus1", 32),
    _read(0x0072, "DAStatus2", 14),
    _read(0x0073, "GaugeStatus1", 1, 32),
    _read(0x0074, "GaugeStatus2", 1, 32),
    _read(0x0075, "GaugeStatus3", 1, 32),
    _read(0x0076, "CBStatus", 8),
    _read(0x0077, "StateOfHealth", 4),
    _read(0x0078, "FilteredCapacity", 8),
    _cmd(0xF080, "StopCalibrationOutput", ALL_W,
         description="stop the calibration raw output"),
    _read(0xF081, "CalibrationOutput", 24,
          description="raw ADC and CC counts every 250 ms (needs CAL_EN)"),
    _read(0xF082, "ShortedCalibrationOutput", 24,
          description="raw counts with SRP/SRN shorted inside the chip (needs CAL_EN)"),
)  # fmt: skip

MAC_COMMANDS: Mapping[int, MacCommand] = MappingProxyType({c.code: c for c in _COMMANDS})
_BY_NAME: Mapping[str, MacCommand] = MappingProxyType(
    {n.lower(): c for c in _COMMANDS for n in (c.name, *c.aliases)}
)


def _codes(*spans: tuple[int, int]) -> frozenset[int]:
    return frozenset(c for lo, hi in spans for c in range(lo, hi + 1))


#: Every ManufacturerAccess code the reference lists for the BQ40Z50 family (§5 MAC table, §1 R5
#: additions), the ones this driver does not implement included: ROMMode 0x0F00, the legacy
#: DeviceReset 0x0012, AuthenticationKey 0x0037, the calibration outputs 0xF080-0xF082, the R4/R5
#: lifetime blocks, PowerEvents 0x006F, ManufacturerInfoB 0x007A, ChargingVoltageOverride 0x00B0,
#: and data-flash addresses 0x4000-0x5FFF (DataFlashAccess puts the address where the code goes).
#: A key's first word must be none of them (SLUUAQ3A, production-flow §1.3 step 12).
RESERVED_MAC_CODES: frozenset[int] = _codes(
    (0x0001, 0x0006),
    (0x0008, 0x0013),
    (0x001D, 0x0030),
    (0x0035, 0x0035),
    (0x0037, 0x0037),
    (0x0041, 0x0041),
    (0x0050, 0x0058),
    (0x005A, 0x005A),
    (0x0060, 0x007A),
    (0x007E, 0x007E),
    (0x00B0, 0x00B0),
    (0x0F00, 0x0F00),
    (0x4000, 0x5FFF),
    (0xF080, 0xF082),
) | frozenset(MAC_COMMANDS)


CALIBRATION_MODE = 0x002D
CAL_STOP, CAL_OUTPUT, CAL_OUTPUT_SHORTED = 0xF080, 0xF081, 0xF082

#: Status words readable through MAC in every security mode, in display order.
STATUS_MACS = (0x0054, 0x0051, 0x0050, 0x0053, 0x0052, 0x0057, 0x0055, 0x0056)


def mac_command(which: int | str) -> MacCommand:
    """The table entry for a code, a name or an alias (case-insensitive)."""
    return look_up(MAC_COMMANDS, _BY_NAME, which, what="a MAC command", digits=4)


def parse_mac(text: str) -> MacCommand:
    """A MAC from what an engineer types: a name, an alias, or a code (0x0021, 33)."""
    word = text.strip()
    try:
        code = int(word, 0)
    except ValueError:
        return mac_command(word)
    return mac_command(code)

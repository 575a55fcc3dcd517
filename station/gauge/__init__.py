"""Gauge layer: the BQ40Z50 driver (SBS table, MAC commands, security modes, data flash)."""

from station.gauge.dataflash import DataFlashRegion
from station.gauge.driver import Gauge, Progress, WriteGuard
from station.gauge.errors import (
    BadKeysError,
    DataFlashRangeError,
    EchoMismatchError,
    FlashWriteTimeoutError,
    FullAccessRefusedError,
    GaugeError,
    GaugeNotRespondingError,
    GaugeResponseError,
    ImplausibleValueError,
    KeyWindowMissedError,
    MissingKeysError,
    PecNotSentError,
    SealFailedError,
    SecurityModeError,
    ShortBlockError,
    ShutdownFailedError,
    SignatureTimeoutError,
    UnconfirmedReadError,
    UnsealRefusedError,
)
from station.gauge.identity import DfSignature, FirmwareVersion, GaugeIdentity
from station.gauge.mac import MAC_COMMANDS, MacCommand, MacKind, mac_command, parse_mac
from station.gauge.modes import ModeAccess, SecurityMode
from station.gauge.sbs import SBS_COMMANDS, SbsCommand, SbsProtocol, SbsValue, sbs_command
from station.gauge.status import BatteryStatus, OperationStatus, StatusWord
from station.gauge.timings import GaugeTimings

__all__ = [
    "MAC_COMMANDS",
    "SBS_COMMANDS",
    "BadKeysError",
    "BatteryStatus",
    "DataFlashRangeError",
    "DataFlashRegion",
    "DfSignature",
    "EchoMismatchError",
    "FirmwareVersion",
    "FlashWriteTimeoutError",
    "FullAccessRefusedError",
    "Gauge",
    "GaugeError",
    "GaugeIdentity",
    "GaugeNotRespondingError",
    "GaugeResponseError",
    "GaugeTimings",
    "ImplausibleValueError",
    "KeyWindowMissedError",
    "MacCommand",
    "MacKind",
    "MissingKeysError",
    "ModeAccess",
    "OperationStatus",
    "PecNotSentError",
    "Progress",
    "SbsCommand",
    "SbsProtocol",
    "SbsValue",
    "SealFailedError",
    "SecurityMode",
    "SecurityModeError",
    "ShortBlockError",
    "ShutdownFailedError",
    "SignatureTimeoutError",
    "StatusWord",
    "UnconfirmedReadError",
    "UnsealRefusedError",
    "WriteGuard",
    "mac_command",
    "parse_mac",
    "sbs_command",
]

"""What the gauge says it is: device type, firmware, hardware version, ChemID (reference §1)."""

from __future__ import annotations

from dataclasses import dataclass

from station.gauge.errors import ShortBlockError

#: Device types by MAC 0x0001 (reference §1); for display only, the recipe decides what it accepts.
KNOWN_DEVICE_TYPES = {0x4500: "BQ40Z50", 0x4600: "BQ40Z60", 0x0550: "BQ30Z55"}


@dataclass(frozen=True)
class FirmwareVersion:
    """MAC 0x0002: device number (big-endian), version major.minor, build (big-endian), firmware
    type, Impedance Track version (big-endian), as bytes ``45 00 | 01 09 | 00 16 | 00 | 03 85``."""

    device_number: int
    major: int
    minor: int
    build: int
    firmware_type: int
    it_version: int
    raw: bytes

    @property
    def version(self) -> str:
        """As TI prints it: bytes ``01 09`` are "1.09" (the bytes are read as hex digits)."""
        return f"{self.major:x}.{self.minor:02x}"

    def __str__(self) -> str:
        return (
            f"{self.version} build {self.build} (device 0x{self.device_number:04X}, "
            f"type 0x{self.firmware_type:02X}, IT 0x{self.it_version:04X})"
        )


def parse_firmware_version(
    data: bytes, *, command: str = "FirmwareVersion (MAC 0x0002)"
) -> FirmwareVersion:
    if len(data) < 9:
        raise ShortBlockError(command=command, expected=11, got=len(data))
    return FirmwareVersion(
        device_number=int.from_bytes(data[0:2], "big"),
        major=data[2],
        minor=data[3],
        build=int.from_bytes(data[4:6], "big"),
        firmware_type=data[6],
        it_version=int.from_bytes(data[7:9], "big"),
        raw=bytes(data),
    )


@dataclass(frozen=True)
class GaugeIdentity:
    device_type: int
    firmware: FirmwareVersion
    hardware_version: int
    chem_id: int

    @property
    def device_type_hex(self) -> str:
        return f"0x{self.device_type:04X}"

    @property
    def part(self) -> str:
        return KNOWN_DEVICE_TYPES.get(self.device_type, "unknown part")

    @property
    def firmware_version(self) -> str:
        return self.firmware.version

    @property
    def firmware_build(self) -> int:
        return self.firmware.build


@dataclass(frozen=True)
class DfSignature:
    """A signature MAC result: 15-bit value, MSB set when the stored one does not match."""

    raw: int

    @property
    def value(self) -> int:
        return self.raw & 0x7FFF

    @property
    def mismatch(self) -> bool:
        return bool(self.raw & 0x8000)

    def __str__(self) -> str:
        flag = " (MISMATCH flagged by the gauge)" if self.mismatch else ""
        return f"0x{self.raw:04X}{flag}"

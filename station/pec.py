"""SMBus Packet Error Code: CRC-8, poly x^8 + x^2 + x + 1 (0x07), initial value 0, no reflection.

This is the one piece of code the host side and the emulator share: both must compute the same
checksum over the same bytes, and a misreading here would show up against real hardware at once.
"""

from __future__ import annotations

from collections.abc import Iterable


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc8(data: Iterable[int], crc: int = 0) -> int:
    """CRC-8/SMBUS of ``data``, optionally continuing from a previous ``crc``."""
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF]
    return crc


def write_address(address7: int) -> int:
    """The 8-bit address byte of a write to a 7-bit address (what the PEC covers)."""
    return (address7 << 1) & 0xFE


def read_address(address7: int) -> int:
    """The 8-bit address byte of a read from a 7-bit address."""
    return ((address7 << 1) | 1) & 0xFF

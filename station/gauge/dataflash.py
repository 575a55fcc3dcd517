"""Data-flash geometry and the checks that run before anything touches the bus (reference §7.1).

The region bounds are the BQ40Z50 address space, not parameter addresses (those live in profiles).
A profile for another firmware may pass its own :class:`DataFlashRegion`.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.gauge.errors import DataFlashRangeError, EchoMismatchError, ShortBlockError


@dataclass(frozen=True)
class DataFlashRegion:
    #: first address of data flash
    start: int = 0x4000
    #: one past the last address (0x5FFF is the last)
    end: int = 0x6000
    #: one past the last writable address: 0x5F80-0x5FFF do not take writes and read back 0 [S38]
    writable_end: int = 0x5F80
    #: data bytes per auto-increment read and the most one write may carry [S2]
    block: int = 32

    def check_read(self, start: int, length: int) -> None:
        op = f"data-flash read 0x{start:04X}+{length}"
        if length < 1:
            raise DataFlashRangeError(f"a read of {length} bytes is not possible", operation=op)
        if start < self.start or start + length > self.end:
            raise DataFlashRangeError(
                f"0x{start:04X}-0x{start + length - 1:04X} is outside data flash "
                f"0x{self.start:04X}-0x{self.end - 1:04X}",
                operation=op,
            )

    def check_write(self, address: int, length: int) -> None:
        op = f"data-flash write 0x{address:04X}+{length}"
        if not 1 <= length <= self.block:
            raise DataFlashRangeError(
                f"one write carries 1-{self.block} bytes, not {length}", operation=op
            )
        if address < self.start or address + length > self.writable_end:
            raise DataFlashRangeError(
                f"0x{address:04X}-0x{address + length - 1:04X} is outside the writable data "
                f"flash 0x{self.start:04X}-0x{self.writable_end - 1:04X}",
                operation=op,
            )


def df_address_bytes(address: int) -> bytes:
    """The 2-byte little-endian address that goes where a MAC code would."""
    return bytes([address & 0xFF, (address >> 8) & 0xFF])


def parse_df_block(region: DataFlashRegion, address: int, raw: bytes) -> bytes:
    """Check one auto-increment read (2-byte address echo + data) and return its data.

    A block must carry the full ``region.block`` bytes, except one that reaches the end of data
    flash, which may carry only what is left.
    """
    command = f"data-flash read 0x{address:04X}"
    if len(raw) < 2:
        raise ShortBlockError(command=command, expected=region.block, got=max(0, len(raw) - 2))
    echo = raw[0] | (raw[1] << 8)
    if echo != address:
        raise EchoMismatchError(command=command, expected=address, got=echo)
    data = raw[2:]
    needed = min(region.block, region.end - address)
    if len(data) < needed:
        raise ShortBlockError(command=command, expected=needed, got=len(data))
    return bytes(data[: region.block])

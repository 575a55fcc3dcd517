"""Data-flash images: the bytes of some 32-byte blocks, and how the recipe layer reaches a gauge.

The recipe layer never talks to the bus itself: the caller hands it a :class:`DataFlashAccess`
(the gauge driver, or a test double) or blocks it has already read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

#: Data flash occupies 0x4000-0x5FFF; 0x5F80-0x5FFF does not take writes and reads back 0x00.
DF_START = 0x4000
DF_END = 0x6000
DF_SIZE = DF_END - DF_START
WRITABLE_END = 0x5F80
#: The gauge reads and writes data flash in blocks of up to 32 bytes; plans align to them.
BLOCK_SIZE = 32


def block_of(address: int) -> int:
    """Start address of the aligned 32-byte block holding ``address``."""
    return address - (address % BLOCK_SIZE)


class DataFlashAccess(Protocol):
    """What the recipe layer needs from a gauge driver (unsealed pack)."""

    def read_df(self, start: int, length: int) -> bytes:
        """``length`` bytes of data flash from ``start``."""
        ...

    def write_df(self, address: int, data: bytes) -> None:
        """Write 1-32 bytes at ``address`` (one ManufacturerBlockAccess write)."""
        ...


@dataclass
class DataFlashImage:
    """Some aligned 32-byte blocks of a gauge's data flash, keyed by block start address."""

    blocks: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, start: int, data: bytes) -> DataFlashImage:
        """An image from a contiguous dump (``start`` and length must be block-aligned)."""
        if start % BLOCK_SIZE or len(data) % BLOCK_SIZE:
            raise ValueError("a data-flash dump must start and end on 32-byte block boundaries")
        if start < DF_START or start + len(data) > DF_END:
            raise ValueError("a data-flash dump must lie inside 0x4000-0x5FFF")
        return cls(
            {
                start + off: bytes(data[off : off + BLOCK_SIZE])
                for off in range(0, len(data), BLOCK_SIZE)
            }
        )

    @classmethod
    def read_from(cls, df: DataFlashAccess, blocks: Iterable[int]) -> DataFlashImage:
        """Read the given blocks through a gauge driver."""
        image = cls()
        for address in sorted(set(blocks)):
            image.set_block(address, df.read_df(address, BLOCK_SIZE))
        return image

    def set_block(self, address: int, data: bytes) -> None:
        if address % BLOCK_SIZE or not DF_START <= address < DF_END:
            raise ValueError(f"0x{address:04X} is not the start of a data-flash block")
        if len(data) != BLOCK_SIZE:
            raise ValueError(f"block 0x{address:04X} has {len(data)} bytes, not {BLOCK_SIZE}")
        self.blocks[address] = bytes(data)

    def read(self, address: int, length: int) -> bytes | None:
        """The bytes at ``address``, or None when a block they span is not in the image."""
        out = bytearray()
        for a in range(address, address + length):
            block = self.blocks.get(block_of(a))
            if block is None:
                return None
            out.append(block[a - block_of(a)])
        return bytes(out)

    def byte(self, address: int) -> int | None:
        block = self.blocks.get(block_of(address))
        return None if block is None else block[address - block_of(address)]

    def apply(self, address: int, data: bytes) -> None:
        """Overwrite bytes in blocks already present (as a write would)."""
        for i, value in enumerate(data):
            a = address + i
            start = block_of(a)
            if start not in self.blocks:
                raise ValueError(f"block 0x{start:04X} is not in the image")
            block = bytearray(self.blocks[start])
            block[a - start] = value
            self.blocks[start] = bytes(block)

    def copy(self) -> DataFlashImage:
        return DataFlashImage(dict(self.blocks))

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.blocks))

    def to_bytes(self, fill: int = 0xFF) -> bytes:
        """The whole 8 KiB, with ``fill`` where a block is missing."""
        out = bytearray([fill]) * DF_SIZE
        for address, data in self.blocks.items():
            out[address - DF_START : address - DF_START + BLOCK_SIZE] = data
        return bytes(out)

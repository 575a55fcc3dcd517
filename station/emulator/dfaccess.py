"""Data-flash access through ManufacturerBlockAccess 0x44 (ref §7.1).

Write: block write ``44 N addr_lo addr_hi d0..`` with 1-32 data bytes. Read: block write of the
address alone, then block reads of 0x44 returning ``[34][addr lo][addr hi][32 bytes]``, each
further read the next 32 bytes. Both need UNSEALED or FULL ACCESS; SEALED refuses (NACK).
A data-flash write does not leave anything to read: the host addresses the row again to verify.
"""

from __future__ import annotations

from station.emulator.chip import Chip, Effects

ROW = 32


def is_df_address(chip: Chip, code: int) -> bool:
    return chip.df.start <= code < chip.df.end


def is_df_write(chip: Chip, payload: bytes) -> bool:
    """Whether a 0x44 block-write payload (after the count byte) is a data-flash write."""
    return len(payload) >= 3 and is_df_address(chip, payload[0] | payload[1] << 8)


def df_block_write(
    chip: Chip, payload: bytes, fx: Effects, *, lost: bool = False, misaligned: bool = False
) -> bool:
    """An address write (2 bytes) or a data write (3-34 bytes); False = NACK.

    ``misaligned``: the write came while the previous one was still being programmed, and lands
    one byte further on (cut at the end of its 32-byte row), as the reference warns (§7.1).
    """
    if chip.security.mode == "SEALED":
        return False
    address = payload[0] | payload[1] << 8
    data = payload[2:]
    if len(data) > ROW or not chip.df.contains(address, len(data)):
        return False
    chip.response = None
    if not data:
        chip.df_pointer = address
        return True
    chip.df_pointer = None
    fx.busy_s = chip.timing.df_write_busy_s(len(data))
    if misaligned:
        row_end = address - address % ROW + ROW
        address += 1
        data = data[: max(row_end - address, 0)]
    if not lost and data:
        chip.df.write(address, data)
        fx.changed = True
    return True


def df_block_read(chip: Chip) -> bytes | None:
    """The next row at the read pointer, as ``[count][addr lo][addr hi][data]``; None = NACK."""
    address = chip.df_pointer
    if address is None or chip.security.mode == "SEALED" or address >= chip.df.end:
        return None
    data = chip.df.read(address, min(ROW, chip.df.end - address))
    chip.df_pointer = address + ROW
    return bytes([2 + len(data), address & 0xFF, address >> 8]) + data

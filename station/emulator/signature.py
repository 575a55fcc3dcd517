"""Data-flash signatures of the emulated firmware (MAC 0x0005/0x0008/0x0009).

The algorithm is the emulator's own: CRC-16/CCITT (poly 0x1021, init 0xFFFF) over the bytes the
covered layout rows occupy, in address order, each byte once, with the top bit cleared. The top
bit of the reported value is the reference's rule (§5): set when the stored signature in data
flash does not match the computed one.
"""

from __future__ import annotations

from collections.abc import Iterable

from station.emulator.dataflash import DataFlash, Param
from station.emulator.firmware import Firmware

MISMATCH = 0x8000


def crc16_ccitt(data: Iterable[int], crc: int = 0xFFFF) -> int:
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _covered_bytes(df: DataFlash, params: Iterable[Param]) -> bytes:
    addresses = sorted({a for p in params for a in range(p.address, p.address + p.size)})
    return bytes(df.read(a, 1)[0] for a in addresses)


def compute(df: DataFlash, params: Iterable[Param]) -> int:
    return crc16_ccitt(_covered_bytes(df, params)) & 0x7FFF


def covered(fw: Firmware, kind: str) -> list[Param]:
    """The rows a signature covers: "static", "chemistry" or "all"."""
    rows = [p for p in fw.layout if not any(p.in_group(g) for g in fw.signature_always_excluded)]
    if kind == "all":
        return rows
    if kind == "static":
        return [p for p in rows if not any(p.in_group(g) for g in fw.signature_dynamic)]
    if kind == "chemistry":
        return [p for p in rows if any(p.in_group(g) for g in fw.signature_chemistry)]
    raise ValueError(f"unknown signature kind {kind!r}")


#: Signature kind -> the [params] role of the word that stores it.
STORED = {
    "static": "static_df_signature",
    "chemistry": "static_chem_df_signature",
    "all": "all_df_signature",
}


def report(fw: Firmware, df: DataFlash, kind: str) -> int:
    """The value the MAC reports: the signature, with the top bit set on a mismatch."""
    value = compute(df, covered(fw, kind))
    stored = df.get_int(fw.param(STORED[kind]))
    return value if stored == value else value | MISMATCH

"""Motorola S-record files (what bqStudio's "Read Srec from device" writes), parsed strictly.

Records S0 (header), S1/S2/S3 (data, 16/24/32-bit address), S5/S6 (record count), S7/S8/S9
(end, start address). Every checksum is verified and every problem is reported with its line.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.recipe.errors import FileFormatError, Problem

_ADDRESS_BYTES = {"0": 2, "1": 2, "2": 3, "3": 4, "5": 2, "6": 3, "7": 4, "8": 3, "9": 2}
_HEX = set("0123456789abcdefABCDEF")
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class SRecord:
    line: int
    kind: str  # "0".."9"
    address: int
    data: bytes


@dataclass(frozen=True)
class SRecFile:
    name: str
    header: bytes
    records: tuple[SRecord, ...]
    start_address: int | None

    def extract(self, start: int, end: int) -> tuple[bytes, bytes]:
        """Bytes ``start..end-1`` and a presence mask (1 where a record gave the byte, else 0;
        missing bytes read as 0xFF)."""
        data = bytearray([0xFF]) * (end - start)
        present = bytearray(end - start)
        for r in self.records:
            for i, b in enumerate(r.data):
                a = r.address + i
                if start <= a < end:
                    data[a - start] = b
                    present[a - start] = 1
        return bytes(data), bytes(present)

    def outside(self, start: int, end: int) -> int:
        """How many data bytes lie outside ``start..end-1`` (firmware, integrity area...)."""
        return sum(
            1 for r in self.records for i in range(len(r.data)) if not start <= r.address + i < end
        )


def parse_srec(text: str, name: str = "<srec>") -> SRecFile:
    """Parse S-record text; :class:`FileFormatError` lists every malformed line."""
    problems: list[Problem] = []
    records: list[SRecord] = []
    header = b""
    start: int | None = None
    data_count = 0
    ended_at: int | None = None
    seen: dict[int, tuple[int, int]] = {}

    def bad(line: int, why: str, value: str | None = None) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(name, line, why, value=value, code="SREC_FORMAT"))

    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip()
        if not line:
            continue
        shown = line if len(line) <= 24 else line[:21] + "..."
        if ended_at is not None:
            bad(lineno, f"data after the end record on line {ended_at}", shown)
            continue
        if len(line) < 4 or line[0] not in "Ss" or line[1] not in _ADDRESS_BYTES:
            bad(lineno, "not an S-record (S0, S1-S3, S5/S6 or S7-S9 followed by hex)", shown)
            continue
        body = line[2:]
        if any(c not in _HEX for c in body):
            bad(lineno, "contains characters that are not hexadecimal", shown)
            continue
        if len(body) % 2:
            bad(lineno, "odd number of hex digits", shown)
            continue
        raw = bytes.fromhex(body)
        kind = line[1]
        count = raw[0]
        if count != len(raw) - 1:
            bad(lineno, f"byte count says {count}, the record holds {len(raw) - 1}", shown)
            continue
        n_addr = _ADDRESS_BYTES[kind]
        if count < n_addr + 1:
            bad(lineno, f"too short for an S{kind} record", shown)
            continue
        checksum = 0xFF - (sum(raw[:-1]) & 0xFF)
        if raw[-1] != checksum:
            bad(
                lineno,
                f"checksum 0x{raw[-1]:02X}, expected 0x{checksum:02X}: the file is corrupted",
                shown,
            )
            continue
        address = int.from_bytes(raw[1 : 1 + n_addr], "big")
        data = raw[1 + n_addr : -1]
        if kind == "0":
            header = data
        elif kind in "123":
            for i, b in enumerate(data):
                prev = seen.get(address + i)
                if prev is not None and prev[0] != b:
                    bad(
                        lineno,
                        f"0x{address + i:X} given again with another value (first on "
                        f"line {prev[1]})",
                        shown,
                    )
                    break
                seen[address + i] = (b, lineno)
            records.append(SRecord(lineno, kind, address, data))
            data_count += 1
        elif kind in "56":
            if data:
                bad(lineno, f"an S{kind} record carries no data", shown)
            elif address != data_count % (1 << (8 * n_addr)):
                bad(
                    lineno,
                    f"record count says {address}, the file has {data_count} data records "
                    "before it: records are missing",
                    shown,
                )
        else:
            if data:
                bad(lineno, f"an S{kind} record carries no data", shown)
            start = address
            ended_at = lineno
    if not records and not problems:
        bad(1, "no data records (S1/S2/S3): nothing to program")
    if problems:
        raise FileFormatError(problems)
    return SRecFile(name, header, tuple(records), start)

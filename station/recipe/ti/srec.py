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
    reader = _Reader(name)
    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip()
        if line:
            reader.record(lineno, line)
    if not reader.records and not reader.problems:
        reader.bad(1, "no data records (S1/S2/S3): nothing to program")
    if reader.problems:
        raise FileFormatError(reader.problems)
    return SRecFile(name, reader.header, tuple(reader.records), reader.start)


class _Reader:
    """Reads records in order, keeping what the file says so far and its problems."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.records: list[SRecord] = []
        self.header = b""
        self.start: int | None = None
        self.ended_at: int | None = None
        #: every data address given so far: (byte, line)
        self.seen: dict[int, tuple[int, int]] = {}

    def bad(self, line: int, why: str, value: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.name, line, why, value=value, code="SREC_FORMAT"))

    def record(self, lineno: int, line: str) -> None:
        shown = line if len(line) <= 24 else line[:21] + "..."
        raw = self._bytes(lineno, line, shown)
        if raw is None:
            return
        kind = line[1]
        n_addr = _ADDRESS_BYTES[kind]
        address = int.from_bytes(raw[1 : 1 + n_addr], "big")
        data = raw[1 + n_addr : -1]
        if kind == "0":
            self.header = data
        elif kind in "123":
            self._data(lineno, kind, address, data, shown)
        elif kind in "56":
            if data:
                self.bad(lineno, f"an S{kind} record carries no data", shown)
            elif address != len(self.records) % (1 << (8 * n_addr)):
                self.bad(
                    lineno,
                    f"record count says {address}, the file has {len(self.records)} data "
                    "records before it: records are missing",
                    shown,
                )
        else:
            if data:
                self.bad(lineno, f"an S{kind} record carries no data", shown)
            self.start = address
            self.ended_at = lineno

    def _bytes(self, lineno: int, line: str, shown: str) -> bytes | None:
        """The record's bytes (count, address, data, checksum) once its form is checked."""
        if self.ended_at is not None:
            self.bad(lineno, f"data after the end record on line {self.ended_at}", shown)
            return None
        if len(line) < 4 or line[0] not in "Ss" or line[1] not in _ADDRESS_BYTES:
            self.bad(lineno, "not an S-record (S0, S1-S3, S5/S6 or S7-S9 followed by hex)", shown)
            return None
        body = line[2:]
        if any(c not in _HEX for c in body):
            self.bad(lineno, "contains characters that are not hexadecimal", shown)
            return None
        if len(body) % 2:
            self.bad(lineno, "odd number of hex digits", shown)
            return None
        raw = bytes.fromhex(body)
        count = raw[0]
        if count != len(raw) - 1:
            self.bad(lineno, f"byte count says {count}, the record holds {len(raw) - 1}", shown)
            return None
        if count < _ADDRESS_BYTES[line[1]] + 1:
            self.bad(lineno, f"too short for an S{line[1]} record", shown)
            return None
        checksum = 0xFF - (sum(raw[:-1]) & 0xFF)
        if raw[-1] != checksum:
            why = f"checksum 0x{raw[-1]:02X}, expected 0x{checksum:02X}: the file is corrupted"
            self.bad(lineno, why, shown)
            return None
        return raw

    def _data(self, lineno: int, kind: str, address: int, data: bytes, shown: str) -> None:
        for i, b in enumerate(data):
            prev = self.seen.get(address + i)
            if prev is not None and prev[0] != b:
                self.bad(
                    lineno,
                    f"0x{address + i:X} given again with another value (first on line {prev[1]})",
                    shown,
                )
                break
            self.seen[address + i] = (b, lineno)
        self.records.append(SRecord(lineno, kind, address, data))

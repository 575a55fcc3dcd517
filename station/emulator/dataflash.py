"""Data flash of the emulated gauge: the layout (rows by name) and the byte image.

The layout comes from the emulator's own data file; code names parameters, never addresses.
Numbers are little-endian (ref §7.1). Strings (S<n>) are a length byte followed by up to n-1
ASCII bytes, n bytes in all.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

Value = int | float | str


@dataclass(frozen=True)
class Param:
    """One data-flash row of the layout file."""

    cls: str
    subclass: str
    name: str
    address: int
    type: str
    default: str
    unit: str
    verified: bool
    source: str
    #: the layout file's limits, as written (empty: none)
    minimum: str = ""
    maximum: str = ""

    @property
    def key(self) -> str:
        return f"{self.cls}:{self.subclass}:{self.name}"

    @property
    def size(self) -> int:
        return type_size(self.type)

    def in_group(self, group: str) -> bool:
        """``group`` is "Class" or "Class:Subclass"."""
        return group in (self.cls, f"{self.cls}:{self.subclass}")

    def encode(self, value: Value) -> bytes:
        return encode_value(self.type, value)

    def decode(self, raw: bytes) -> Value:
        return decode_value(self.type, raw)

    def default_bytes(self) -> bytes:
        return self.encode(parse_default(self.type, self.default))


def type_size(kind: str) -> int:
    if kind[0] in "IUH" and kind[1:] in ("1", "2", "4"):
        return int(kind[1:])
    if kind == "F4":
        return 4
    if kind.startswith("S") and kind[1:].isdigit() and int(kind[1:]) >= 2:
        return int(kind[1:])
    raise ValueError(f"unknown data-flash type {kind!r}")


def parse_default(kind: str, text: str) -> Value:
    if kind.startswith("S"):
        return text
    if kind == "F4":
        return float(text)
    return int(text, 0)


def encode_value(kind: str, value: Value) -> bytes:
    size = type_size(kind)
    if kind.startswith("S"):
        if not isinstance(value, str):
            raise TypeError(f"{kind} holds text, not {value!r}")
        text = value.encode("ascii")
        if len(text) > size - 1:
            raise ValueError(f"{value!r} is longer than the {size - 1} characters {kind} holds")
        return bytes([len(text)]) + text.ljust(size - 1, b"\x00")
    if kind == "F4":
        if isinstance(value, str):
            raise TypeError(f"F4 holds a number, not {value!r}")
        return struct.pack("<f", float(value))
    if not isinstance(value, int):
        raise TypeError(f"{kind} holds an integer, not {value!r}")
    signed = kind[0] == "I"
    return value.to_bytes(size, "little", signed=signed)


def decode_value(kind: str, raw: bytes) -> Value:
    size = type_size(kind)
    if len(raw) != size:
        raise ValueError(f"{kind} takes {size} bytes, not {len(raw)}")
    if kind.startswith("S"):
        length = min(raw[0], size - 1)
        return raw[1 : 1 + length].decode("ascii", errors="replace")
    if kind == "F4":
        return float(struct.unpack("<f", raw)[0])
    return int.from_bytes(raw, "little", signed=kind[0] == "I")


class Layout:
    """The rows of a data-flash layout, looked up by "class:subclass:name"."""

    def __init__(self, params: Iterable[Param]) -> None:
        self.params: tuple[Param, ...] = tuple(sorted(params, key=lambda p: p.address))
        self._by_key = {p.key: p for p in self.params}
        if len(self._by_key) != len(self.params):
            raise ValueError("the data-flash layout names a parameter twice")

    def __getitem__(self, key: str) -> Param:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"the emulated data-flash layout has no parameter {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def in_groups(self, groups: Sequence[str]) -> list[Param]:
        return [p for p in self.params if any(p.in_group(g) for g in groups)]

    @classmethod
    def from_csv(cls, text: str) -> Layout:
        rows = csv.DictReader(io.StringIO(text))
        return cls(
            Param(
                cls=r["class"],
                subclass=r["subclass"],
                name=r["name"],
                address=int(r["address"], 16),
                type=r["type"],
                default=r["default"],
                unit=r["unit"],
                verified=r["verified"].strip().lower() == "yes",
                source=r["source"],
                minimum=r.get("min", "") or "",
                maximum=r.get("max", "") or "",
            )
            for r in rows
        )


class DataFlash:
    """The byte image of data flash ``start``..``end`` (exclusive).

    Bytes from ``read_only_from`` on do not take writes and read back 0x00 (ref §7.1 [S38]).
    """

    def __init__(self, start: int, end: int, read_only_from: int, image: bytes) -> None:
        if len(image) != end - start:
            raise ValueError(f"a data-flash image is {end - start} bytes, not {len(image)}")
        self.start = start
        self.end = end
        self.read_only_from = read_only_from
        self._image = bytearray(image)

    def contains(self, address: int, length: int = 1) -> bool:
        return self.start <= address and address + length <= self.end and length >= 0

    def read(self, address: int, length: int) -> bytes:
        """What the bus sees: the read-only tail reads 0x00."""
        self._check(address, length)
        out = bytearray(self._image[address - self.start : address - self.start + length])
        for i in range(max(self.read_only_from - address, 0), length):
            out[i] = 0
        return bytes(out)

    def write(self, address: int, data: bytes) -> int:
        """Program ``data``; returns how many bytes took (the read-only tail never does)."""
        self._check(address, len(data))
        took = max(min(self.read_only_from - address, len(data)), 0)
        offset = address - self.start
        self._image[offset : offset + took] = data[:took]
        return took

    def get(self, param: Param) -> Value:
        return param.decode(self.read(param.address, param.size))

    def get_int(self, param: Param) -> int:
        value = self.get(param)
        if not isinstance(value, int):
            raise TypeError(f"{param.key} is {param.type}, not an integer")
        return value

    def get_str(self, param: Param) -> str:
        value = self.get(param)
        if not isinstance(value, str):
            raise TypeError(f"{param.key} is {param.type}, not text")
        return value

    def set(self, param: Param, value: Value) -> None:
        self.write(param.address, param.encode(value))

    def image(self) -> bytes:
        """The raw stored image (the tail as stored, not as read)."""
        return bytes(self._image)

    def _check(self, address: int, length: int) -> None:
        if not self.contains(address, length):
            raise ValueError(
                f"data-flash range 0x{address:04X}+{length} is outside "
                f"0x{self.start:04X}-0x{self.end - 1:04X}"
            )

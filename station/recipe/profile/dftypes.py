"""Data-flash types and the byte codec (little-endian, as the BQ40Z50 stores them).

TI's type names: ``I1/I2/I4`` signed, ``U1/U2/U4`` unsigned, ``H1/H2/H4`` unsigned shown in hex,
``F4`` IEEE-754 single, ``S<n>`` a string of ``n`` bytes in all: one length byte then up to
``n - 1`` ASCII bytes, the rest padded with zeros.

Raw values are what the gauge stores: ``int`` for I/U/H, ``float`` for F4, ``str`` for S.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from dataclasses import dataclass
from typing import Literal

from station.recipe.errors import CodecError

RawValue = int | float | str
Kind = Literal["I", "U", "H", "F", "S"]

_TYPE = re.compile(r"^([IUHFS])(\d{1,3})$")
_F32_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]


@dataclass(frozen=True)
class DFType:
    """A data-flash type: kind letter and total size in bytes."""

    kind: Kind
    size: int

    @classmethod
    def parse(cls, text: str) -> DFType:
        m = _TYPE.match(text.strip().upper())
        if not m:
            raise CodecError(
                f"unknown data-flash type {text!r}; use I1/I2/I4, U1/U2/U4, H1/H2/H4, F4 or S<n>"
            )
        kind, size = m.group(1), int(m.group(2))
        if kind in "IUH" and size not in (1, 2, 4):
            raise CodecError(f"type {text!r}: integers are 1, 2 or 4 bytes")
        if kind == "F" and size != 4:
            raise CodecError(f"type {text!r}: floats are F4 (IEEE-754 single precision)")
        if kind == "S" and not 2 <= size <= 255:
            raise CodecError(f"type {text!r}: a string needs 2-255 bytes (length byte + text)")
        return cls(kind, size)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return f"{self.kind}{self.size}"

    def __str__(self) -> str:
        return self.name

    @property
    def is_integer(self) -> bool:
        return self.kind in "IUH"

    @property
    def raw_min(self) -> int:
        if self.kind == "I":
            return -(1 << (8 * self.size - 1))
        return 0

    @property
    def raw_max(self) -> int:
        if self.kind == "I":
            return (1 << (8 * self.size - 1)) - 1
        return (1 << (8 * self.size)) - 1

    @property
    def max_chars(self) -> int:
        """Longest text an S type holds (its size minus the length byte)."""
        return self.size - 1


def encode(t: DFType, raw: RawValue) -> bytes:
    """Bytes for a raw value; :class:`CodecError` if it does not fit the type."""
    if t.is_integer:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise CodecError(f"{t} holds a whole number, not {raw!r}")
        if not t.raw_min <= raw <= t.raw_max:
            raise CodecError(f"{raw} does not fit {t} ({t.raw_min}..{t.raw_max})")
        return raw.to_bytes(t.size, "little", signed=t.kind == "I")
    if t.kind == "F":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise CodecError(f"F4 holds a number, not {raw!r}")
        value = float(raw)
        if not math.isfinite(value) or abs(value) > _F32_MAX:
            raise CodecError(f"{value!r} is not a finite single-precision float")
        return struct.pack("<f", value)
    if not isinstance(raw, str):
        raise CodecError(f"{t} holds text, not {raw!r}")
    try:
        text = raw.encode("ascii")
    except UnicodeEncodeError:
        raise CodecError(f"{raw!r} is not plain ASCII; the gauge stores ASCII text") from None
    if any(b < 0x20 or b > 0x7E for b in text):
        raise CodecError(f"{raw!r} holds control characters; use printable ASCII only")
    if len(text) > t.max_chars:
        raise CodecError(f"{raw!r} is {len(text)} characters; {t} holds at most {t.max_chars}")
    return bytes([len(text)]) + text + bytes(t.size - 1 - len(text))


def decode(t: DFType, data: bytes) -> RawValue:
    """The raw value stored in ``data``; :class:`CodecError` if the bytes cannot be that type."""
    if len(data) != t.size:
        raise CodecError(f"{t} needs {t.size} bytes, got {len(data)}")
    if t.is_integer:
        return int.from_bytes(data, "little", signed=t.kind == "I")
    if t.kind == "F":
        value: float = struct.unpack("<f", data)[0]
        return value
    length = data[0]
    if length > t.max_chars:
        raise CodecError(
            f"length byte {length} is more than the {t.max_chars} characters {t} holds"
        )
    body = data[1 : 1 + length]
    if any(b < 0x20 or b > 0x7E for b in body):
        raise CodecError(f"{t} holds non-printable bytes {body.hex(' ')}")
    return body.decode("ascii")


# -- SBS dates (parameters of unit "date") ------------------------------------------------------


def sbs_date(day: dt.date) -> int:
    """SBS packed date: (year - 1980) × 512 + month × 32 + day."""
    if not 1980 <= day.year <= 2107:
        raise ValueError(f"{day.isoformat()} cannot be stored as an SBS date (1980-2107)")
    return (day.year - 1980) * 512 + day.month * 32 + day.day


def decode_sbs_date(value: int) -> dt.date | None:
    """The date an SBS packed value stands for, or None if it is not a real date."""
    try:
        return dt.date(1980 + (value >> 9), (value >> 5) & 0x0F, value & 0x1F)
    except ValueError:
        return None

"""One data-flash parameter of a profile: where it is, its type, limits, unit and scale, its named
bits, and the conversions between stored and engineering values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from station.recipe.errors import CodecError
from station.recipe.profile import dftypes
from station.recipe.profile.dftypes import DFType, RawValue, decode_sbs_date
from station.recipe.units import UnitError, convert, format_number

EngValue = int | Decimal | float | str


@dataclass(frozen=True)
class BitField:
    """A named bit or group of bits inside an H-type parameter.

    A single bit with no offset is a flag (true/false); a wider field holds a number, shown as
    ``bits + offset`` (DA Configuration's cell count: code 0b11 + 1 = 4 cells).
    """

    name: str
    low: int
    high: int
    offset: int = 0
    verified: bool = False
    source: str = ""
    note: str = ""

    @property
    def width(self) -> int:
        return self.high - self.low + 1

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.low

    @property
    def is_flag(self) -> bool:
        return self.width == 1 and self.offset == 0

    @property
    def min_value(self) -> int:
        return self.offset

    @property
    def max_value(self) -> int:
        return self.offset + (1 << self.width) - 1

    def get(self, raw: int) -> int:
        return ((raw & self.mask) >> self.low) + self.offset

    def put(self, raw: int, value: int) -> int:
        if not self.min_value <= value <= self.max_value:
            raise CodecError(f"{self.name} = {value} is outside {self.min_value}..{self.max_value}")
        return (raw & ~self.mask) | ((value - self.offset) << self.low)

    def bits_text(self) -> str:
        return f"b{self.low}" if self.width == 1 else f"b{self.high}:{self.low}"


@dataclass(frozen=True)
class Parameter:
    """One data-flash parameter of a profile. Limits and default are stored (raw) values."""

    class_name: str
    subclass: str
    name: str
    address: int
    dtype: DFType
    unit: str = ""
    scale: Decimal = Decimal(1)
    minimum: int | float | None = None
    maximum: int | float | None = None
    default: RawValue = 0
    verified: bool = False
    source: str = ""
    fields: tuple[BitField, ...] = ()
    line: int | None = None

    @property
    def key(self) -> str:
        return f"{self.class_name}:{self.subclass}:{self.name}"

    @property
    def size(self) -> int:
        return self.dtype.size

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.address + self.dtype.size

    @property
    def addresses(self) -> range:
        return range(self.address, self.end)

    @property
    def is_hex(self) -> bool:
        return self.dtype.kind == "H"

    def field(self, name: str) -> BitField | None:
        wanted = name.strip().casefold()
        for f in self.fields:
            if f.name.casefold() == wanted:
                return f
        return None

    def encode(self, raw: RawValue) -> bytes:
        return dftypes.encode(self.dtype, raw)

    def decode(self, data: bytes) -> RawValue:
        return dftypes.decode(self.dtype, data)

    def limits_problem(self, raw: RawValue) -> str | None:
        """Why ``raw`` is outside this parameter's limits, or None when it fits."""
        try:
            self.encode(raw)
        except CodecError as exc:
            return str(exc)
        if isinstance(raw, str):
            return None
        if self.minimum is not None and raw < self.minimum:
            return "below the profile minimum"
        if self.maximum is not None and raw > self.maximum:
            return "above the profile maximum"
        return None

    def to_engineering(self, raw: RawValue) -> EngValue:
        """Stored value → engineering value (``550`` → ``Decimal("55.0")`` for 0.1 °C)."""
        if isinstance(raw, str):
            return raw
        if isinstance(raw, float):
            return raw * float(self.scale)
        if self.scale == 1:
            return raw
        return Decimal(raw) * self.scale

    def from_engineering(self, value: Fraction, unit: str) -> RawValue:
        """An engineering value (in ``unit``, or the profile unit when ``unit`` is empty) → raw.

        Raises :class:`UnitError` for a foreign unit and :class:`CodecError` when the value is
        not a whole number of stored steps.
        """
        if unit and unit != self.unit:
            if not self.unit:
                raise UnitError(f"{self.name} has no unit; write a plain number")
            value = convert(value, unit, self.unit)
        stored = value / Fraction(self.scale)
        if self.dtype.kind == "F":
            return float(stored)
        if stored.denominator != 1:
            step = f"{format_number(self.scale)} {self.unit}".strip()
            raise CodecError(f"not a whole number of steps of {step}")
        return int(stored)

    def format(self, raw: RawValue) -> str:
        """Display text in engineering units: ``55.0 °C``, ``0x0012``, ``"BQ40Z50"``."""
        if isinstance(raw, str):
            return f'"{raw}"'
        if self.is_hex and isinstance(raw, int):
            return f"0x{raw:0{2 * self.size}X}"
        if self.unit == "date" and isinstance(raw, int):
            day = decode_sbs_date(raw)
            return f"{raw} ({day.isoformat()})" if day else f"{raw} (no date)"
        eng = self.to_engineering(raw)
        text = f"{eng:.7g}" if isinstance(eng, float) else str(eng)
        return f"{text} {self.unit}".strip()

    def range_text(self) -> str:
        """The allowed range in engineering units."""
        if self.dtype.kind == "S":
            return f"printable ASCII, at most {self.dtype.max_chars} characters"
        lo = self.minimum if self.minimum is not None else self.dtype.raw_min
        hi = self.maximum if self.maximum is not None else self.dtype.raw_max
        if self.is_hex:
            return f"0x{int(lo):0{2 * self.size}X}..0x{int(hi):0{2 * self.size}X}"
        return f"{self.format(lo)} .. {self.format(hi)}"

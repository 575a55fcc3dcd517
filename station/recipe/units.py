"""Engineering units: parse ``"4250 mV"``, convert between units of one dimension, read TI units.

Conversions are exact (``Fraction``): a recipe value either converts to a whole stored value or is
refused, never silently rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

# unit → (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, Fraction]] = {
    "V": ("voltage", Fraction(1)),
    "mV": ("voltage", Fraction(1, 1000)),
    "µV": ("voltage", Fraction(1, 10**6)),
    "nV": ("voltage", Fraction(1, 10**9)),
    "A": ("current", Fraction(1)),
    "mA": ("current", Fraction(1, 1000)),
    "µA": ("current", Fraction(1, 10**6)),
    "Ah": ("charge", Fraction(1)),
    "mAh": ("charge", Fraction(1, 1000)),
    "kWh": ("energy", Fraction(1000)),
    "Wh": ("energy", Fraction(1)),
    "cWh": ("energy", Fraction(1, 100)),
    "mWh": ("energy", Fraction(1, 1000)),
    "W": ("power", Fraction(1)),
    "cW": ("power", Fraction(1, 100)),
    "mW": ("power", Fraction(1, 1000)),
    "h": ("time", Fraction(3600)),
    "min": ("time", Fraction(60)),
    "s": ("time", Fraction(1)),
    "ms": ("time", Fraction(1, 1000)),
    "µs": ("time", Fraction(1, 10**6)),
    "°C": ("temperature", Fraction(1)),
    "K": ("kelvin", Fraction(1)),
    "%": ("ratio", Fraction(1)),
    "%/day": ("ratio-rate", Fraction(1)),
    "mΩ": ("resistance", Fraction(1, 1000)),
    "Ω": ("resistance", Fraction(1)),
}

_ALIASES = {
    "v": "V",
    "mv": "mV",
    "uv": "µV",
    "µv": "µV",
    "nv": "nV",
    "a": "A",
    "ma": "mA",
    "ua": "µA",
    "µa": "µA",
    "ah": "Ah",
    "mah": "mAh",
    "wh": "Wh",
    "kwh": "kWh",
    "cwh": "cWh",
    "mwh": "mWh",
    "w": "W",
    "cw": "cW",
    "mw": "mW",
    "s": "s",
    "sec": "s",
    "ms": "ms",
    "us": "µs",
    "µs": "µs",
    "min": "min",
    "h": "h",
    "hr": "h",
    "°c": "°C",
    "degc": "°C",
    "c": "°C",
    "℃": "°C",
    "deg c": "°C",
    "k": "K",
    "°k": "K",
    "%": "%",
    "%/day": "%/day",
    "mohm": "mΩ",
    "mω": "mΩ",
    "ohm": "Ω",
    "ω": "Ω",
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class UnitError(ValueError):
    """A quantity or unit that cannot be read or converted."""


def canonical_unit(text: str) -> str | None:
    """The station's spelling of a unit (``"mv"`` → ``"mV"``), or None if unknown."""
    t = text.strip()
    if t in _UNITS:
        return t
    return _ALIASES.get(t.lower().replace("μ", "µ"))


@dataclass(frozen=True)
class WrittenQuantity:
    """A number with an optional unit, as written by an engineer."""

    number: Decimal
    unit: str  # canonical unit, or "" for a plain number

    def __str__(self) -> str:
        return f"{self.number} {self.unit}".strip()


#: Quantities in recipes lie well within 10^±18 of their unit.
MAX_EXPONENT = 18


def parse_quantity(text: str) -> WrittenQuantity:
    """``"4250 mV"``, ``"-20 A"``, ``"55.0 °C"``, ``"151.2 Wh"``, ``"0x12"`` is not a quantity."""
    m = _QUANTITY.match(text)
    if not m:
        raise UnitError(f'{text!r} is not a number with a unit (e.g. "4250 mV")')
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:
        raise UnitError(f"{text!r} is not a number") from None
    if number and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        # 1e400 is a number, but none a gauge holds; exact arithmetic on it would take ages.
        raise UnitError(f"{text!r} is far outside any value a gauge can hold")
    unit_text = m.group(2)
    if not unit_text:
        return WrittenQuantity(number, "")
    unit = canonical_unit(unit_text)
    if unit is None:
        raise UnitError(f"unknown unit {unit_text!r} in {text!r}")
    return WrittenQuantity(number, unit)


def convert(value: Fraction, from_unit: str, to_unit: str) -> Fraction:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (same dimension), exactly."""
    if from_unit == to_unit:
        return value
    a, b = _UNITS.get(from_unit), _UNITS.get(to_unit)
    if a is None or b is None or a[0] != b[0]:
        raise UnitError(
            f"cannot convert {from_unit or 'a plain number'} to {to_unit or 'a number'}"
        )
    return value * a[1] / b[1]


def parse_ti_unit(text: str) -> tuple[str, Decimal]:
    """A unit column of TI's data-flash table → (engineering unit, scale).

    The scale turns a stored value into engineering units: ``"0.1°C"`` → ``("°C", 0.1)``, so a
    stored 550 is 55.0 °C. Hex/dimensionless columns give ``("", 1)``.
    """
    t = text.strip().replace("da y", "day")  # a line break inside a TI table cell
    if t in ("", "—", "-", "–", "Hex", "hex", "x"):
        return "", Decimal(1)
    m = re.match(r"^([0-9]*\.?[0-9]+)?\s*(.+)$", t)
    if not m:
        return t, Decimal(1)
    scale = Decimal(m.group(1)) if m.group(1) else Decimal(1)
    unit = canonical_unit(m.group(2)) or m.group(2).strip()
    return unit, scale


def format_number(value: Fraction | Decimal | int) -> str:
    """A compact decimal rendering without float noise (``Fraction(151, 10)`` → ``"15.1"``)."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _strip(format(value, "f"))
    if value.denominator == 1:
        return str(value.numerator)
    d = Decimal(value.numerator) / Decimal(value.denominator)
    return _strip(format(d.normalize(), "f"))


def _strip(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"

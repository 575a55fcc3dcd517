"""What a pack label says: plain data handed over by the sequence after a pack is sealed."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field

from station.labels.errors import LabelDataError

MAX_SERIAL_LENGTH = 48
MAX_TEXT_LENGTH = 64
MAX_VERSION_LENGTH = 16
MAX_STATION_ID_LENGTH = 32
MAX_EXTRA_LINES = 3
#: the marked energy may differ this much (relative) from voltage x capacity before we refuse it
ENERGY_TOLERANCE = 0.05
#: the result mark every label carries: labels are only made for packs that passed and are sealed
PASS_MARK = "PASS"


@dataclass(frozen=True)
class LabelData:
    """Content of one pack label. Validated on construction; every error names the field.

    ``energy_wh`` is required: transport rules for lithium-ion packs ask for the watt-hour rating
    on the pack, so the label shows it prominently, and it must agree with
    ``nominal_voltage_v`` x ``capacity_mah`` (within 5 %) to catch unit mix-ups (mAh/Ah, Wh/mWh).
    """

    serial: str
    product: str
    recipe: str
    recipe_version: str
    nominal_voltage_v: float
    capacity_mah: float
    energy_wh: float
    manufactured: dt.date
    station_id: str
    extra_lines: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_serial(self.serial)
        _check_text("product", self.product, MAX_TEXT_LENGTH)
        _check_text("recipe", self.recipe, MAX_TEXT_LENGTH)
        _check_text("recipe_version", self.recipe_version, MAX_VERSION_LENGTH)
        _check_ascii_id("station_id", self.station_id, MAX_STATION_ID_LENGTH)
        _check_positive("nominal_voltage_v", self.nominal_voltage_v, "V", upper=1000.0)
        _check_positive("capacity_mah", self.capacity_mah, "mAh", upper=10_000_000.0)
        _check_positive("energy_wh", self.energy_wh, "Wh", upper=100_000.0)
        expected = self.nominal_voltage_v * self.capacity_mah / 1000.0
        if abs(self.energy_wh - expected) > ENERGY_TOLERANCE * expected:
            raise LabelDataError(
                f"label field energy_wh = {self.energy_wh:g} Wh does not match "
                f"{self.nominal_voltage_v:g} V x {self.capacity_mah:g} mAh = {expected:.2f} Wh "
                f"(allowed difference {ENERGY_TOLERANCE:.0%}); check the recipe's units "
                "(capacity in mAh, energy in Wh) before labelling packs"
            )
        if not isinstance(self.manufactured, dt.date):
            raise LabelDataError(
                f"label field manufactured = {self.manufactured!r} must be a date (YYYY-MM-DD)"
            )
        if isinstance(self.manufactured, dt.datetime):
            # only the calendar date is printed; keep equality and the golden files simple
            object.__setattr__(self, "manufactured", self.manufactured.date())
        lines = tuple(self.extra_lines)
        if len(lines) > MAX_EXTRA_LINES:
            raise LabelDataError(
                f"label has {len(lines)} extra lines; at most {MAX_EXTRA_LINES} fit on a label"
            )
        for index, line in enumerate(lines):
            _check_text(f"extra_lines[{index}]", line, MAX_TEXT_LENGTH)
        object.__setattr__(self, "extra_lines", lines)

    @property
    def energy_text(self) -> str:
        """The energy as printed, e.g. ``96.5 Wh``."""
        return f"{format_quantity(self.energy_wh)} Wh"

    @property
    def rating_text(self) -> str:
        """Voltage and capacity as printed, e.g. ``14.4 V  6700 mAh``."""
        return f"{format_quantity(self.nominal_voltage_v)} V  {self.capacity_mah:.0f} mAh"

    @property
    def recipe_text(self) -> str:
        return f"Recipe {self.recipe} v{self.recipe_version}"

    @property
    def origin_text(self) -> str:
        return f"Made {self.manufactured.isoformat()}  Station {self.station_id}"


def format_quantity(value: float) -> str:
    """One decimal, without a trailing ``.0``: 7.2 → ``7.2``, 100.0 → ``100``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _check_serial(serial: object) -> None:
    if not isinstance(serial, str) or not serial:
        raise LabelDataError(f"label field serial = {serial!r}: a pack serial is required")
    if len(serial) > MAX_SERIAL_LENGTH:
        raise LabelDataError(
            f"label field serial has {len(serial)} characters; at most {MAX_SERIAL_LENGTH} "
            "can be printed as a bar code"
        )
    for index, char in enumerate(serial):
        if not "!" <= char <= "~":
            raise LabelDataError(
                f"label field serial {serial!r} has {char!r} at position {index + 1}; a serial "
                "must be printable ASCII without spaces (letters, digits and !\"#$%&'()*+,-./:;<=>?"
                "@[\\]^_`{|}~) so Code 128 can encode it and scanners return it unchanged"
            )


def _check_text(name: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise LabelDataError(f"label field {name} = {value!r} must be non-empty text")
    if len(value) > limit:
        raise LabelDataError(
            f"label field {name} has {len(value)} characters; at most {limit} fit on a label"
        )
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            raise LabelDataError(
                f"label field {name} = {value!r} contains the control or unassigned character "
                f"U+{ord(char):04X}; use printable text only"
            )


def _check_ascii_id(name: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise LabelDataError(f"label field {name} = {value!r} must be 1-{limit} characters")
    if not all("!" <= char <= "~" for char in value):
        raise LabelDataError(
            f"label field {name} = {value!r} must be printable ASCII without spaces"
        )


def _check_positive(name: str, value: object, unit: str, *, upper: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LabelDataError(f"label field {name} = {value!r} must be a number of {unit}")
    if not math.isfinite(value) or not 0 < value <= upper:
        raise LabelDataError(
            f"label field {name} = {value!r} {unit}; allowed: greater than 0 and at most "
            f"{upper:g} {unit}"
        )

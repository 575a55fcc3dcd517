"""The tables of a recipe file, declared once: the entries each holds, of what kind, with what
default, and what is wrong with a bad value (read by :mod:`station.recipe.tomlschema`).

``[parameters]`` is open (its keys are parameter names of the profile) and ``[serial]``'s rule,
the firmware, the cell count and the chemistry are judged against the profile and each other by
the loader (:mod:`station.recipe.product.recipe_loader`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from station.recipe.errors import FileFormatError
from station.recipe.product.chemistry import load_chemistries
from station.recipe.product.serial import template_names
from station.recipe.profile.profile_model import FIRMWARE_RE
from station.recipe.ti.golden import parse_ranges
from station.recipe.tomlschema import (
    MISSING,
    Choice,
    File,
    Flag,
    Kind,
    Place,
    QuantityEntry,
    Raw,
    Text,
    Texts,
    Window,
    entry,
)

Mode = Literal["parameters", "image", "flashstream"]
MODES: tuple[Mode, ...] = ("parameters", "image", "flashstream")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_STOCK_RE = re.compile(r"^\d+(?:\.\d+)?x\d+(?:\.\d+)?(?:mm|in)$")


@dataclass(frozen=True)
class RecipeTable:
    """``[recipe]``: what the recipe is, and for which gauge and pack."""

    name: str = entry(
        Text(
            required=True,
            pattern=_NAME_RE,
            why="a recipe name is letters, digits, . _ - (it names files and database rows)",
        )
    )
    version: str = entry(Text(required=True))
    description: str = entry(Text())
    profile: str = entry(Text(required=True))
    firmware: tuple[str, ...] = entry(
        Texts(
            why='firmware lists the gauge firmware versions allowed, e.g. ["1.09"]',
            pattern=FIRMWARE_RE,
            item_why='a firmware version is major.minor as the gauge reports it, e.g. "1.09"',
        )
    )
    #: cells in series: the range comes from the profile's cell-count field
    cells: object = entry(Raw(default=MISSING))
    chemistry: str | None = entry(
        Choice(
            lambda: load_chemistries().keys(),
            "unknown chemistry",
            default="li-ion",
            lists_options=True,
        )
    )
    #: narrows the chemistry's nominal cell voltage
    nominal_cell_voltage: tuple[Fraction, Fraction] | None = entry(Window("mV"))


@dataclass(frozen=True)
class SbsSerial(Kind):
    """``sbs_serial = { group = "unit", base = 10, modulo = 65536 }``: (group, base, modulo)."""

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("group"), str):
            at.add(
                'sbs_serial = { group = "unit" } names the '
                "regex group that becomes the 16-bit SBS serial number"
            )
            return None
        base = value.get("base", 10)
        modulo = value.get("modulo")
        if base not in (10, 16):
            at.add("base is 10 or 16", value=str(base))
            base = 10
        if modulo is not None and (
            isinstance(modulo, bool) or not isinstance(modulo, int) or not 1 <= modulo <= 65536
        ):
            at.add("modulo is a whole number 1..65536", value=at.style.show(modulo))
            modulo = None
        return str(value["group"]), int(base), modulo


@dataclass(frozen=True)
class Template(Kind):
    """A text with ``{serial}`` and ``{group}`` placeholders (``{{``/``}}`` for braces)."""

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return None
        if not isinstance(value, str):
            at.add('a template like "{serial}"')
            return None
        try:
            template_names(value)
        except ValueError as exc:
            at.add(str(exc))
            return None
        return value


@dataclass(frozen=True)
class SerialTable:
    """``[serial]``: which scanned serials the recipe accepts and what each one writes."""

    pattern: str = entry(Text(required=True))
    example: str = entry(Text(required=True))
    #: (regex group, base, modulo) of the 16-bit SBS SerialNumber
    sbs_serial: tuple[str, int, int | None] | None = entry(SbsSerial())
    manufacturer_info_a: str | None = entry(Template())
    manufacture_date: bool = entry(Flag(True))


@dataclass(frozen=True)
class VerifyMask(Kind):
    """``["0x4066-0x406B", "0x4100"]``: data-flash ranges never compared after programming."""

    default: object = ()

    def read(self, at: Place, value: object) -> object:
        spec = [] if value is MISSING else value
        if not isinstance(spec, list):
            at.add('verify_mask is a list like ["0x4066-0x406B"]')
            return ()
        try:
            return tuple(parse_ranges(spec, at.reader.file, at.reader.line(*at.path)))
        except FileFormatError as exc:
            at.reader.problems.extend(exc.problems)
            return ()


@dataclass(frozen=True)
class ImageTable:
    """``[image]``: a golden data-flash image (raw dump or S-record) and its verify mask."""

    file: object = entry(File())
    verify_mask: tuple[tuple[int, int], ...] = entry(VerifyMask())


@dataclass(frozen=True)
class FlashStreamTable:
    """``[flashstream]``: a ``.bq.fs``/``.df.fs`` run as written."""

    file: object = entry(File())


@dataclass(frozen=True)
class ChecksTable:
    """``[checks]``: what the pack must show after programming."""

    cell_voltage: tuple[Fraction, Fraction] | None = entry(Window("mV"))
    max_cell_imbalance: Fraction | None = entry(QuantityEntry("mV", positive=True))
    temperature: tuple[Fraction, Fraction] | None = entry(Window("°C"))
    safety_status_clear: bool = entry(Flag(True))
    pf_status_clear: bool = entry(Flag(True))
    manufacturing_status_equals_init: bool = entry(Flag(True))


_LABEL_FIGURE = "label {key} is required"


@dataclass(frozen=True)
class LabelTable:
    """``[label]``: what the pack's label says (checked against the data flash)."""

    product: str = entry(Text(required=True))
    stock: str = entry(
        Text(
            required=True,
            pattern=_STOCK_RE,
            why="label stock is WIDTHxHEIGHT in mm or in",
            allowed='"62x29mm", "4x2in"',
        )
    )
    nominal_voltage: Fraction | None = entry(QuantityEntry("V", required=_LABEL_FIGURE))
    capacity: Fraction | None = entry(QuantityEntry("mAh", required=_LABEL_FIGURE))
    energy: Fraction | None = entry(QuantityEntry("Wh", required=_LABEL_FIGURE))


@dataclass(frozen=True)
class SecuritySettings:
    """``[security]``: the keys to unseal with, and what the pack is left with."""

    key_set: str = entry(Text(required=True))
    full_access: bool = entry(Flag(False))
    production_key_set: str | None = entry(Text(blank_is_none=True, default=None))
    ship_mode: bool = entry(Flag(False))


@dataclass(frozen=True)
class BackupPolicy:
    """``[backup]``: what is backed up before anything is written."""

    policy: Literal["touched", "full"] = entry(
        Choice(
            ("touched", "full"),
            'policy is "touched" (the blocks a pack gets '
            'written, plus its signature) or "full" (the whole 8 KiB)',
            default="touched",
            fallback="touched",
        )
    )
    signature: bool = entry(Flag(True))


#: Every table a recipe file may hold; None: open (any entry).
TABLES: dict[str, type | None] = {
    "recipe": RecipeTable,
    "serial": SerialTable,
    "parameters": None,
    "image": ImageTable,
    "flashstream": FlashStreamTable,
    "checks": ChecksTable,
    "label": LabelTable,
    "security": SecuritySettings,
    "backup": BackupPolicy,
    "calibration": None,  # read by station.recipe.product.calibration
}

"""A bqStudio ``.gg.csv`` export read against a gauge profile: its values as stored values, its
key rows kept apart, and, when no profile is named and the export carries addresses, the layout
it describes as a profile of its own (every address unverified).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from station.recipe.errors import CodecError, FileFormatError, Problem, RecipeError
from station.recipe.profile.dftypes import DFType, RawValue
from station.recipe.profile.image import DF_START, WRITABLE_END
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile
from station.recipe.profile.values import SettingError, parse_setting
from station.recipe.ti.formula import FormulaError, parse_formula
from station.recipe.ti.ggcsv import (
    KEY_ROWS,
    GGFile,
    GGRow,
    check_row,
    display_to_raw,
    formula_problem,
    raw_limits,
    row_type,
)
from station.recipe.ti.output import slug
from station.recipe.units import canonical_unit

#: TI family conventions used when an export brings its own layout (no profile to ask).
DEFAULT_RUNTIME_CLASSES = (
    "PF Status",
    "Black Box",
    "Lifetimes",
    "Gas Gauging:State",
    "System Data:Integrity",
)
DEFAULT_CALIBRATION_CLASSES = ("Calibration",)


@dataclass(frozen=True)
class GGImport:
    gg: GGFile
    profile: Profile
    new_profile: bool
    values: tuple[tuple[Parameter, RawValue], ...]
    keys: dict[str, int] = field(repr=False)


def import_gg(
    gg: GGFile, profile: Profile | None, *, profile_id: str = "", firmware: str = ""
) -> GGImport:
    """Values (and keys) of an export, against ``profile`` or a layout built from the export."""
    problems: list[Problem] = []
    new_profile = profile is None
    if profile is not None:
        check_origin(gg, profile)
    else:
        profile = _profile_from_gg(
            gg,
            profile_id or slug(Path(gg.name).stem) + "-layout",
            firmware or gg.firmware or "",
            problems,
        )
    values: list[tuple[Parameter, RawValue]] = []
    keys: dict[str, int] = {}
    for row in gg.rows:
        if row.is_key_row:
            _key_row(row, keys, problems, gg.name)
            continue
        found = _row_value(gg, row, profile, new_profile, problems)
        if found is not None:
            values.append(found)
    if problems:
        raise FileFormatError(problems[:50])
    return GGImport(gg, profile, new_profile, tuple(values), keys)


def check_origin(gg: GGFile, profile: Profile) -> None:
    """The export must come from the device and firmware ``profile`` describes."""
    problems: list[Problem] = []
    if gg.device_number is not None and gg.device_number != profile.device_type:
        problems.append(
            Problem(
                gg.name,
                1,
                f"the export is from device 0x{gg.device_number:04X}"
                f"; profile {profile.id} is for 0x{profile.device_type:04X}",
                code="DEVICE_MISMATCH",
            )
        )
    if gg.firmware is not None and gg.firmware not in profile.firmware:
        problems.append(
            Problem(
                gg.name,
                1,
                f"the export is from firmware {gg.firmware}; "
                f"profile {profile.id} describes {', '.join(profile.firmware)}",
                code="FIRMWARE_MISMATCH",
            )
        )
    if problems:
        raise FileFormatError(problems)


def _row_value(
    gg: GGFile, row: GGRow, profile: Profile, new_profile: bool, problems: list[Problem]
) -> tuple[Parameter, RawValue] | None:
    """The parameter a row sets and its stored value; None (a problem) when it cannot be."""

    def refuse(why: str, code: str, value: str | None = None, allowed: str | None = None) -> None:
        problems.append(
            Problem(gg.name, row.line, why, row.key, value=value, allowed=allowed, code=code)
        )

    try:
        p = profile.get(row.key)
    except RecipeError:
        refuse(
            "the profile has no such parameter: the export is from another firmware, or the "
            "profile is incomplete",
            "UNKNOWN_PARAMETER",
        )
        return None
    address_text = row.cells.get("address", "").strip()
    if address_text and not new_profile and _address(address_text) != p.address:
        refuse(
            f"the export puts it at {address_text}, profile {profile.id} at 0x{p.address:04X}"
            ": the layouts differ (another firmware?)",
            "ADDRESS_MISMATCH",
        )
        return None
    why = formula_problem(row)
    if why is not None:
        refuse(why, "GG_FORMULA")
        return None
    try:
        if "format" not in row.cells and not new_profile:
            raw = _engineering_value(row, p)
        else:
            raw = display_to_raw(row, p.dtype)
    except (ValueError, CodecError) as exc:
        refuse(str(exc), "GG_VALUE", row.cells.get("value"))
        return None
    why = check_row(row, p.dtype, raw) or p.limits_problem(raw)
    if why is not None:
        refuse(why, "GG_VALUE", row.cells.get("value"), p.range_text())
        return None
    return p, raw


def _address(text: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        return -1


def _engineering_value(row: GGRow, p: Parameter) -> RawValue:
    """A short export without Display Format: the value is in its Units, read like a recipe."""
    text = row.cells.get("value", "").strip()
    units = row.cells.get("units", "").strip()
    if p.dtype.kind == "H" and not text.lower().startswith("0x"):
        text = "0x" + text
    elif p.dtype.kind not in "HS" and units and canonical_unit(units):
        text = f"{text} {units}"
    try:
        return parse_setting(p, text)
    except SettingError as exc:
        raise ValueError(exc.why) from None


def _key_row(row: GGRow, keys: dict[str, int], problems: list[Problem], name: str) -> None:
    role = KEY_ROWS[row.name.strip().casefold()]
    text = row.cells.get("value", "").strip()
    digits = text[2:] if text.lower().startswith("0x") else text
    try:
        value = int(digits, 16)
    except ValueError:
        value = -1
    if not 0 <= value <= 0xFFFFFFFF:
        # The value is a secret: never repeat it in a message.
        problems.append(
            Problem(
                name,
                row.line,
                "a key row holds one 32-bit hex value (two key words, first word low)",
                parameter=row.name,
                code="GG_KEY",
            )
        )
        return
    keys[role] = value


# -- a layout from the export -----------------------------------------------------------------


def layout_profile(gg: GGFile, profile_id: str, firmware: str) -> Profile:
    """The layout an export with addresses describes, as a profile (every address unverified);
    :class:`FileFormatError` lists the rows that cannot be read."""
    problems: list[Problem] = []
    return _profile_from_gg(gg, profile_id, firmware, problems)


def _profile_from_gg(
    gg: GGFile, profile_id: str, firmware: str, problems: list[Problem]
) -> Profile:
    source = f"bqStudio export {Path(gg.name).name} (addresses as exported; unverified)"
    params: list[Parameter] = []
    for row in gg.rows:
        if row.is_key_row:
            continue
        if not row.cells.get("address", "").strip():
            problems.append(
                Problem(
                    gg.name,
                    row.line,
                    "no Address Offset: a layout cannot be "
                    "made from this export; name an existing profile with "
                    "--profile",
                    parameter=row.key,
                    code="GG_NO_ADDRESS",
                )
            )
            break
        p = _layout_parameter(gg, row, source, problems)
        if p is not None:
            params.append(p)
    if problems:
        raise FileFormatError(problems)
    return Profile(
        id=profile_id,
        description=f"layout exported by bqStudio in {Path(gg.name).name}",
        device_type=gg.device_number or 0,
        firmware=(firmware,) if firmware else (),
        parameters=tuple(params),
        runtime_classes=DEFAULT_RUNTIME_CLASSES,
        calibration_classes=DEFAULT_CALIBRATION_CLASSES,
        sources={"gg-export": source},
    )


def _layout_parameter(
    gg: GGFile, row: GGRow, source: str, problems: list[Problem]
) -> Parameter | None:
    """The parameter a row of an export with addresses describes."""
    address_text = row.cells.get("address", "").strip()
    try:
        t = row_type(row)
        address = int(address_text, 16)
        minimum, maximum = raw_limits(row, t)
    except (ValueError, CodecError) as exc:
        problems.append(Problem(gg.name, row.line, str(exc), parameter=row.key, code="GG_FORMAT"))
        return None
    if not DF_START <= address <= WRITABLE_END - t.size:
        problems.append(
            Problem(
                gg.name,
                row.line,
                "address outside the writable data flash",
                parameter=row.key,
                value=address_text,
                allowed="0x4000..0x5F7F",
                code="GG_FORMAT",
            )
        )
        return None
    scale, linear = _scale_from_read(row)
    unit = row.cells.get("units", "").strip() if linear else row.cells.get("native", "").strip()
    unit = canonical_unit(unit) or unit
    return Parameter(
        row.class_name,
        row.subclass,
        row.name,
        address,
        t,
        unit,
        scale,
        minimum,
        maximum,
        _layout_default(row, t),
        False,
        source,
        line=row.line,
    )


def _layout_default(row: GGRow, t: DFType) -> RawValue:
    """The row's Default Value as a stored value (zero or empty when it cannot be read)."""
    default: RawValue = "" if t.kind == "S" else (0.0 if t.kind == "F" else 0)
    d = row.cells.get("default", "").strip()
    if d and t.kind == "S":
        return d
    if d:
        shadow = GGRow(row.line, row.class_name, row.subclass, row.name, {**row.cells, "value": d})
        try:
            return display_to_raw(shadow, t)
        except (ValueError, CodecError):
            return default
    return default


def _scale_from_read(row: GGRow) -> tuple[Decimal, bool]:
    """The stored→engineering scale of a row, if its read formula is a plain factor."""
    read = row.cells.get("read", "").strip() or "x"
    fmt = row.cells.get("format", "").strip().lower()
    m = re.search(r"\.(d+)", fmt)
    decimals = len(m.group(1)) if m else 0
    try:
        f = parse_formula(read)
    except FormulaError:
        return Decimal(1), False
    if f.b != 0 or f.a <= 0:
        return Decimal(1), False
    scale = f.a / Fraction(10) ** decimals
    d = Decimal(scale.numerator) / Decimal(scale.denominator)
    if Fraction(d) != scale:
        return Decimal(1), False
    return d.normalize() if d != d.to_integral_value() else d.to_integral_value(), True

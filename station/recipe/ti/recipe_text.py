"""The text of a recipe made from a TI file: what the file says, and empty entries (serial rule,
label, checks) that ``station recipe validate`` then names for an engineer to fill in.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from station.recipe import tomltext
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile
from station.recipe.units import canonical_unit


def setting_toml(p: Parameter, raw: RawValue) -> str:
    """A recipe value that reads back to exactly ``raw``."""
    if isinstance(raw, str):
        return tomltext.basic_string(raw)
    if isinstance(raw, float):
        return tomltext.value(raw)
    if p.is_hex:
        return f'"0x{raw:0{2 * p.size}X}"'
    eng = Decimal(raw) * p.scale
    number = format(eng, "f")
    if p.unit and canonical_unit(p.unit) == p.unit:
        return f'"{number} {p.unit}"'
    return number


def render_recipe(
    *,
    name: str,
    description: str,
    profile_id: str,
    firmware: Sequence[str],
    cells: int | None,
    body: Sequence[str],
    key_set: str,
    source: str,
    serial_pattern: str = "",
    serial_example: str = "",
    label: dict[str, str] | None = None,
) -> str:
    label = label or {}
    lines = [
        f"# Imported from {source}. Fill in what is empty, then run",
        f"# `station recipe validate {name}.toml` until it passes.",
        "",
        "[recipe]",
        f"name = {tomltext.basic_string(name)}",
        'version = "0.1.0"',
        f"description = {tomltext.basic_string(description)}",
        f"profile = {tomltext.basic_string(profile_id)}",
        f"firmware = {tomltext.value(list(firmware))}",
        f"cells = {cells if cells else 0}" + ("" if cells else "    # fill in: cells in series"),
        'chemistry = "li-ion"',
        "",
        "[serial]",
        f"pattern = {tomltext.literal_or_basic(serial_pattern)}"
        + ("" if serial_pattern else "    # fill in, e.g. '^PK-(?P<unit>\\d{5})$'"),
        f"example = {tomltext.basic_string(serial_example)}",
        "manufacture_date = true",
        "",
        *body,
        "",
        "[checks]",
        "safety_status_clear = true",
        "pf_status_clear = true",
        "manufacturing_status_equals_init = true",
        "",
        "[label]",
        f"product = {tomltext.basic_string(label.get('product', ''))}",
        *(
            f"{k} = {tomltext.basic_string(label[k])}"
            for k in ("nominal_voltage", "capacity", "energy")
            if k in label
        ),
        'stock = "62x29mm"',
        "",
        "[security]",
        f"key_set = {tomltext.basic_string(key_set)}",
        "full_access = false",
        "ship_mode = false",
        "",
    ]
    return "\n".join(lines)


def label_from(profile: Profile, values: dict[str, RawValue]) -> dict[str, str]:
    """The label figures the design values give (nominal voltage, capacity, energy)."""
    out: dict[str, str] = {}
    for role, key, unit in (
        ("design_voltage", "nominal_voltage", "V"),
        ("design_capacity_mah", "capacity", "mAh"),
        ("design_energy_cwh", "energy", "Wh"),
    ):
        p = profile.role(role)
        raw = values.get(p.key) if p else None
        if p is None or not isinstance(raw, int):
            continue
        eng = Decimal(raw) * p.scale
        if unit == "V" and p.unit == "mV":
            out[key] = f"{format(eng / 1000, 'f')} V"
        elif unit == "Wh" and p.unit == "cWh":
            out[key] = f"{format(eng / 100, 'f')} Wh"
        elif p.unit == unit:
            out[key] = f"{format(eng, 'f')} {unit}"
    return out


def cells_from(profile: Profile, values: dict[str, RawValue]) -> int | None:
    """The cells in series the profile's cell-count field holds in ``values``."""
    if profile.roles.cell_count is None:
        return None
    p = profile.get(profile.roles.cell_count[0])
    f = p.field(profile.roles.cell_count[1])
    raw = values.get(p.key)
    return f.get(raw) if f is not None and isinstance(raw, int) else None

"""Rules across a recipe's entries, and between the recipe and its gauge profile: firmware and
cell count against the profile, the chemistry's range, the serial rule against its pattern and
the profile's roles, the checks against the protections, the label against the data flash, the
key sets against the key store, and the parameter cross-checks.

Each reports into the :class:`~station.recipe.tomlschema.Reader` the file was read with, on the
line of the entry an engineer should change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from station.recipe.errors import SerialRejected
from station.recipe.product.checks import PostChecks
from station.recipe.product.chemistry import Chemistry, load_chemistries
from station.recipe.product.crosschecks import cross_check, value_in
from station.recipe.product.recipe_model import LabelFields, Setting
from station.recipe.product.sections import (
    ChecksTable,
    LabelTable,
    RecipeTable,
    SecuritySettings,
    SerialTable,
)
from station.recipe.product.serial import SerialRule, template_names
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.profile_model import FIRMWARE_RE, Profile
from station.recipe.tomlschema import MISSING, Reader
from station.recipe.tomltext import show_value
from station.recipe.units import format_number

#: Label figures must agree with the data flash within this fraction.
LABEL_TOLERANCE = Fraction(2, 100)


# -- [recipe] ---------------------------------------------------------------------------------


def firmware_in_profile(r: Reader, head: RecipeTable, profile: Profile | None) -> None:
    """Every firmware the recipe allows must be one the profile describes."""
    for f in head.firmware:
        if profile is not None and FIRMWARE_RE.match(f) and f not in profile.firmware:
            r.add(
                ["recipe", "firmware"],
                f"profile {profile.id} does not describe firmware {f}; its layout may differ",
                value=repr(f),
                allowed=", ".join(profile.firmware),
            )


def cells(r: Reader, head: RecipeTable, profile: Profile | None) -> int:
    """Cells in series, within what the profile's cell-count field can hold (1..4 without)."""
    cells = head.cells
    lo, hi = 1, 4
    if profile is not None and profile.roles.cell_count is not None:
        f = profile.get(profile.roles.cell_count[0]).field(profile.roles.cell_count[1])
        if f is not None:
            lo, hi = f.min_value, f.max_value
    if isinstance(cells, bool) or not isinstance(cells, int) or not lo <= cells <= hi:
        r.add(
            ["recipe"] if cells is MISSING else ["recipe", "cells"],
            "cells is the number of cells in series",
            value=show_value(None if cells is MISSING else cells),
            allowed=f"{lo}..{hi}",
        )
        return 0
    return cells


def chemistry(r: Reader, head: RecipeTable) -> tuple[Chemistry | None, tuple[int, int] | None]:
    """The chemistry, and its nominal cell voltage as the recipe narrows it."""
    if head.chemistry is None:
        return None, None
    chem = load_chemistries()[head.chemistry]
    nominal = chem.nominal_cell_mv
    if head.nominal_cell_voltage is not None:
        lo, hi = (int(v) for v in head.nominal_cell_voltage)
        if lo < chem.nominal_cell_mv[0] or hi > chem.nominal_cell_mv[1]:
            r.add(
                ["recipe", "nominal_cell_voltage"],
                f"may only narrow the {chem.id} range",
                value=f"{lo}..{hi} mV",
                allowed=f"within {chem.nominal_cell_mv[0]}..{chem.nominal_cell_mv[1]} mV",
            )
        else:
            nominal = (lo, hi)
    return chem, nominal


# -- [serial] ---------------------------------------------------------------------------------


def serial_rule(
    r: Reader, table: SerialTable, info_given: bool, profile: Profile | None
) -> SerialRule | None:
    """The serial rule, its regex groups and per-unit fields checked against each other and
    against the roles of the profile."""
    if not table.pattern:
        return None
    try:
        regex = re.compile(table.pattern)
    except re.error as exc:
        r.add(
            ["serial", "pattern"],
            f"not a valid regular expression: {exc}",
            value=repr(table.pattern),
        )
        return None
    group, base, modulo = table.sbs_serial or (None, 10, None)
    if group is not None:
        if group not in regex.groupindex:
            r.add(
                ["serial", "sbs_serial"],
                f"the pattern has no group named {group!r}",
                allowed=", ".join(regex.groupindex) or "add (?P<unit>...)",
            )
        if profile is not None and profile.roles.serial_number is None:
            r.add(
                ["serial", "sbs_serial"],
                f"profile {profile.id} has no serial_number role to write it to",
            )
    info, info_size = _info_template(r, table, regex, profile if info_given else None)
    if table.manufacture_date and profile is not None and profile.roles.manufacture_date is None:
        r.add(["serial", "manufacture_date"], f"profile {profile.id} has no manufacture_date role")
    rule = SerialRule(
        table.pattern, table.example, group, base, modulo, info, info_size, table.manufacture_date
    )
    if table.example:
        try:
            rule.identify(table.example)
        except SerialRejected as exc:
            r.add(
                ["serial", "example"],
                f"the example must be a serial this recipe accepts: {exc}",
                value=repr(table.example),
            )
    return rule


def _info_template(
    r: Reader, table: SerialTable, regex: re.Pattern[str], profile: Profile | None
) -> tuple[str | None, int]:
    """Manufacturer Info A's template (None when it names what the serial lacks) and size
    (``profile``: when the recipe gives a template, to check the profile can hold it)."""
    info = table.manufacturer_info_a
    for n in template_names(info) if info is not None else []:
        if n != "serial" and n not in regex.groupindex:
            r.add(
                ["serial", "manufacturer_info_a"],
                f"{{{n}}} is neither {{serial}} nor a group of the pattern",
                value=repr(info),
            )
            info = None
    size = 32
    if profile is not None:
        if profile.roles.manufacturer_info_a is None:
            r.add(
                ["serial", "manufacturer_info_a"],
                f"profile {profile.id} has no manufacturer_info_a role",
            )
        else:
            size = profile.roles.manufacturer_info_a.size
    return info, size


# -- [checks], [label], [security] -----------------------------------------------------------


def post_checks(
    r: Reader,
    table: ChecksTable,
    cells: int,
    profile: Profile | None,
    values: Mapping[str, RawValue],
) -> PostChecks:
    """``[checks]``, whose cell-voltage window must sit inside the protections."""
    window = table.cell_voltage
    volts = (int(window[0]), int(window[1])) if window else None
    temps = table.temperature
    if volts is not None and profile is not None:
        cuv = value_in(profile.role("cuv_threshold"), values, "mV")
        covs = [value_in(p, values, "mV") for p in profile.role_list("cov_thresholds")]
        cov = min((c for c in covs if c is not None), default=None)
        if cuv is not None and volts[0] <= cuv:
            r.add(
                ["checks", "cell_voltage"],
                "the low end must be above the CUV "
                f"threshold ({format_number(cuv)} mV): a pack passing the check "
                "could already be in under-voltage protection",
                value=f"{volts[0]} mV",
                allowed=f"> {format_number(cuv)} mV",
            )
        if cov is not None and volts[1] >= cov:
            r.add(
                ["checks", "cell_voltage"],
                f"the high end must be below the COV threshold ({format_number(cov)} mV)",
                value=f"{volts[1]} mV",
                allowed=f"< {format_number(cov)} mV",
            )
    mfg = profile.role("mfg_status_init") if profile is not None else None
    expected = values.get(mfg.key) if mfg is not None else None
    imbalance = table.max_cell_imbalance
    return PostChecks(
        cells=cells,
        cell_voltage_mv=volts,
        max_cell_imbalance_mv=int(imbalance) if imbalance is not None else None,
        temperature_c=(
            (Decimal(format_number(temps[0])), Decimal(format_number(temps[1]))) if temps else None
        ),
        safety_status_clear=table.safety_status_clear,
        pf_status_clear=table.pf_status_clear,
        manufacturing_status_equals_init=table.manufacturing_status_equals_init,
        expected_manufacturing_status=expected if isinstance(expected, int) else None,
    )


def label_fields(
    r: Reader, table: LabelTable, profile: Profile | None, values: Mapping[str, RawValue]
) -> LabelFields | None:
    """The label's figures, which must agree with each other and with the data flash."""
    v, c, e = table.nominal_voltage, table.capacity, table.energy
    if v is None or c is None or e is None:
        return None
    if c.denominator != 1:
        r.add(["label", "capacity"], "capacity is a whole number of mAh")
    expected_wh = v * c / 1000
    if expected_wh and abs(e - expected_wh) > LABEL_TOLERANCE * expected_wh:
        r.add(
            ["label", "energy"],
            "label energy does not match nominal voltage × "
            f"capacity = {format_number(expected_wh)} Wh",
            value=f"{format_number(e)} Wh",
            allowed="within 2 %",
        )
    if profile is not None:
        _label_vs_flash(r, profile, values, table)
    return LabelFields(
        table.product, Decimal(format_number(v)), int(c), Decimal(format_number(e)), table.stock
    )


def _label_vs_flash(
    r: Reader, profile: Profile, values: Mapping[str, RawValue], table: LabelTable
) -> None:
    for role, unit, key in (
        ("design_capacity_mah", "mAh", "capacity"),
        ("design_voltage", "V", "nominal_voltage"),
        ("design_energy_cwh", "Wh", "energy"),
    ):
        p = profile.role(role)
        flash = value_in(p, values, unit)
        got: Fraction | None = getattr(table, key)
        if p is None or flash is None or flash == 0 or got is None:
            continue
        if abs(got - flash) > LABEL_TOLERANCE * flash:
            r.add(
                ["label", key],
                f"the label says {format_number(got)} {unit} "
                f"but {profile.short_name(p)} is {format_number(flash)} {unit}: the "
                "label would not describe the pack",
                value=f"{format_number(got)} {unit}",
                allowed=f"{format_number(flash)} {unit} ±2 %",
            )


def security(
    r: Reader, table: SecuritySettings, known_key_sets: Sequence[str] | None
) -> SecuritySettings | None:
    if table.production_key_set and not table.full_access:
        r.add(
            ["security", "production_key_set"],
            "installing keys (SecurityKeys, MAC 0x0035) needs FULL ACCESS: set full_access = true",
        )
    if known_key_sets is not None:
        for k, entry_name in (
            (table.key_set, "key_set"),
            (table.production_key_set, "production_key_set"),
        ):
            if k and k not in known_key_sets:
                r.add(
                    ["security", entry_name],
                    f"key set {k!r} is not in the key store",
                    allowed=", ".join(known_key_sets),
                )
    return table if table.key_set else None


# -- across the whole recipe -----------------------------------------------------------------


def cross_checks(
    r: Reader,
    table: str,
    profile: Profile,
    values: Mapping[str, RawValue],
    settings: Sequence[Setting],
    *,
    cells: int,
    chemistry: Chemistry,
    nominal: tuple[int, int] | None,
) -> None:
    """The cross-checks of :mod:`station.recipe.product.crosschecks`, each reported on the line
    that sets the value (or on ``table``, the one that programs the recipe, for a value the
    recipe does not set)."""
    by_key = {s.parameter.key: s for s in settings}
    findings = cross_check(
        profile, values, cells=cells, chemistry=chemistry, nominal_cell_mv=nominal
    )
    name: str | None
    for f in findings:
        setting = by_key.get(f.parameter.key) if f.parameter is not None else None
        if setting is not None:
            path, name, why = ["parameters", setting.written_name], setting.written_name, f.why
        else:
            path = [table]
            name = profile.short_name(f.parameter) if f.parameter else None
            # A FlashStream's values are its own (or the pack's), not profile defaults.
            why = f.why + (
                ""
                if table == "flashstream"
                else " (the recipe does not set it: this is the profile default)"
            )
        r.add(path, why, parameter=name, value=f.value, allowed=f.allowed, code=f.code)

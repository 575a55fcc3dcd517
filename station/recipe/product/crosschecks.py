"""Cross-checks between parameters: the mistakes a range check alone lets through.

They run on a set of stored values (a recipe over the profile defaults, a golden image, or a pack's
image with a plan applied), using the profile's roles to find the parameters, so no name is
hard-wired here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from station.recipe.product.chemistry import Chemistry
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile
from station.recipe.units import UnitError, convert, format_number

#: Design energy must be within this fraction of capacity × design voltage.
ENERGY_TOLERANCE = Fraction(2, 100)


@dataclass(frozen=True)
class Finding:
    """One failed cross-check, attached to the parameter an engineer should look at."""

    parameter: Parameter | None
    value: str
    why: str
    allowed: str | None = None
    code: str = "CROSS_CHECK"


def value_in(p: Parameter | None, values: Mapping[str, RawValue], unit: str) -> Fraction | None:
    """The value of ``p`` in ``unit``, or None when it is unknown or not numeric."""
    if p is None:
        return None
    raw = values.get(p.key)
    if raw is None or isinstance(raw, str):
        return None
    eng = Fraction(raw) * Fraction(p.scale)
    try:
        return convert(eng, p.unit, unit) if p.unit else eng
    except UnitError:
        return None


def _fmt(v: Fraction, unit: str) -> str:
    return f"{format_number(v)} {unit}"


def cross_check(
    profile: Profile,
    values: Mapping[str, RawValue],
    *,
    cells: int,
    chemistry: Chemistry,
    nominal_cell_mv: tuple[int, int] | None = None,
) -> list[Finding]:
    """Every cross-check that fails on ``values`` ({parameter key: stored value})."""
    out: list[Finding] = []
    out += _cell_count(profile, values, cells)
    out += _energy(profile, values)
    out += _design_voltage(
        profile, values, cells, nominal_cell_mv or chemistry.nominal_cell_mv, chemistry
    )
    out += _voltage_protections(profile, values, chemistry)
    out += _current_protections(profile, values)
    out += _temperature(profile, values, chemistry)
    return out


def _cell_count(profile: Profile, values: Mapping[str, RawValue], cells: int) -> list[Finding]:
    if profile.roles.cell_count is None:
        return []
    key, field_name = profile.roles.cell_count
    p = profile.get(key)
    f = p.field(field_name)
    raw = values.get(p.key)
    if f is None or not isinstance(raw, int):
        return []
    seen = f.get(raw)
    if seen == cells:
        return []
    return [
        Finding(
            p,
            f"0x{raw:02X} ({field_name} = {seen})",
            f"configures {seen} cells in series but the recipe is for {cells}; the gauge "
            "would measure the wrong cells and trip or mis-gauge",
            f"{field_name} = {cells}",
        )
    ]


def _energy(profile: Profile, values: Mapping[str, RawValue]) -> list[Finding]:
    cap_p, energy_p = profile.role("design_capacity_mah"), profile.role("design_energy_cwh")
    volt_p = profile.role("design_voltage")
    cap = value_in(cap_p, values, "mAh")
    energy = value_in(energy_p, values, "cWh")
    volts = value_in(volt_p, values, "mV")
    if cap is None or energy is None or volts is None or energy_p is None:
        return []
    expected = cap * volts / 10_000  # mAh × mV = µWh·1000; /10000 gives cWh
    if expected == 0 or abs(energy - expected) <= ENERGY_TOLERANCE * expected:
        return []
    ratio = energy / expected
    hint = ""
    if Fraction(9, 100) <= ratio <= Fraction(11, 100) or Fraction(9) <= ratio <= Fraction(11):
        hint = (
            f"; off by a factor of ten: cWh are hundredths of a watt-hour, so "
            f"{format_number(expected / 100)} Wh is {format_number(expected)} cWh"
        )
    return [
        Finding(
            energy_p,
            _fmt(energy, "cWh") + f" ({format_number(energy / 100)} Wh)",
            f"design energy does not match design capacity × design voltage = "
            f"{_fmt(cap, 'mAh')} × {_fmt(volts, 'mV')} = {_fmt(expected, 'cWh')}{hint}",
            f"{format_number(expected * (1 - ENERGY_TOLERANCE))}.."
            f"{format_number(expected * (1 + ENERGY_TOLERANCE))} cWh (±2 %)",
        )
    ]


def _design_voltage(
    profile: Profile,
    values: Mapping[str, RawValue],
    cells: int,
    nominal: tuple[int, int],
    chemistry: Chemistry,
) -> list[Finding]:
    p = profile.role("design_voltage")
    volts = value_in(p, values, "mV")
    if volts is None or cells <= 0:
        return []
    lo, hi = nominal[0] * cells, nominal[1] * cells
    if lo <= volts <= hi:
        return []
    return [
        Finding(
            p,
            _fmt(volts, "mV"),
            f"is {_fmt(volts / cells, 'mV')} per cell for {cells} cells; a {chemistry.id} "
            f"cell is nominally {nominal[0]}-{nominal[1]} mV",
            f"{lo}..{hi} mV for {cells} cells",
        )
    ]


def _voltage_protections(
    profile: Profile, values: Mapping[str, RawValue], chem: Chemistry
) -> list[Finding]:
    return _over_voltage(profile, values, chem) + _under_voltage(profile, values, chem)


def _over_voltage(
    profile: Profile, values: Mapping[str, RawValue], chem: Chemistry
) -> list[Finding]:
    """COV thresholds within the chemistry and above CUV; each recovery below its threshold."""
    out: list[Finding] = []
    cuv_p = profile.role("cuv_threshold")
    cuv = value_in(cuv_p, values, "mV")
    covs = [(p, value_in(p, values, "mV")) for p in profile.role_list("cov_thresholds")]
    recs = [(p, value_in(p, values, "mV")) for p in profile.role_list("cov_recoveries")]
    for p, cov in covs:
        if cov is None:
            continue
        if cov > chem.cov_max_mv:
            out.append(
                Finding(
                    p,
                    _fmt(cov, "mV"),
                    f"is above {chem.cov_max_mv} mV, more than any {chem.id} cell may "
                    "be charged to: the pack would be allowed to overcharge (fire risk)",
                    f"at most {chem.cov_max_mv} mV for {chem.id}",
                    "UNSAFE_SETTING",
                )
            )
        if cuv is not None and cuv_p is not None and not cuv < cov:
            out.append(
                Finding(
                    cuv_p,
                    _fmt(cuv, "mV"),
                    f"cell under-voltage must be below cell over-voltage "
                    f"({profile.short_name(p)} = {_fmt(cov, 'mV')})",
                    f"below {_fmt(cov, 'mV')}",
                    "UNSAFE_SETTING",
                )
            )
    for (tp, cov), (rp, rec) in zip(covs, recs, strict=False):
        if cov is not None and rec is not None and not rec < cov:
            out.append(
                Finding(
                    rp,
                    _fmt(rec, "mV"),
                    f"COV recovery must be below its threshold "
                    f"({profile.short_name(tp)} = {_fmt(cov, 'mV')}), or the "
                    "protection never releases or chatters",
                    f"below {_fmt(cov, 'mV')}",
                    "UNSAFE_SETTING",
                )
            )
    return out


def _under_voltage(
    profile: Profile, values: Mapping[str, RawValue], chem: Chemistry
) -> list[Finding]:
    """CUV threshold within the chemistry; its recovery above it."""
    out: list[Finding] = []
    cuv_p, cuv_rec_p = profile.role("cuv_threshold"), profile.role("cuv_recovery")
    cuv = value_in(cuv_p, values, "mV")
    if cuv is not None and cuv_p is not None and cuv < chem.cuv_min_mv:
        out.append(
            Finding(
                cuv_p,
                _fmt(cuv, "mV"),
                f"is below {chem.cuv_min_mv} mV: {chem.id} cells would be "
                "over-discharged before the protection trips",
                f"at least {chem.cuv_min_mv} mV for {chem.id}",
                "UNSAFE_SETTING",
            )
        )
    cuv_rec = value_in(cuv_rec_p, values, "mV")
    if cuv is not None and cuv_rec is not None and cuv_rec_p is not None and not cuv_rec > cuv:
        out.append(
            Finding(
                cuv_rec_p,
                _fmt(cuv_rec, "mV"),
                f"CUV recovery must be above the CUV threshold ({_fmt(cuv, 'mV')}), "
                "or discharge resumes on a cell still under-voltage",
                f"above {_fmt(cuv, 'mV')}",
                "UNSAFE_SETTING",
            )
        )
    return out


def _current_protections(profile: Profile, values: Mapping[str, RawValue]) -> list[Finding]:
    out: list[Finding] = []
    for role, sign, what in (("occ_thresholds", 1, "charge"), ("ocd_thresholds", -1, "discharge")):
        tiers = [(p, value_in(p, values, "mA")) for p in profile.role_list(role)]
        for p, v in tiers:
            if v is None:
                continue
            if sign > 0 and not v > 0:
                out.append(
                    Finding(
                        p,
                        _fmt(v, "mA"),
                        "over-current in CHARGE is a positive current: write the "
                        "threshold as a positive value",
                        "> 0 mA",
                        "SIGN_CONVENTION",
                    )
                )
            if sign < 0 and not v < 0:
                out.append(
                    Finding(
                        p,
                        _fmt(v, "mA"),
                        "over-current in DISCHARGE is stored as a negative current "
                        f"(discharge flows out of the pack): write -{_fmt(abs(v), 'mA')}",
                        "< 0 mA",
                        "SIGN_CONVENTION",
                    )
                )
        known = [(p, v) for p, v in tiers if v is not None and v * sign > 0]
        for (p1, v1), (p2, v2) in itertools.pairwise(known):
            if abs(v2) < abs(v1):
                out.append(
                    Finding(
                        p2,
                        _fmt(v2, "mA"),
                        f"a higher {what} tier must trip at a larger current than "
                        f"{profile.short_name(p1)} ({_fmt(v1, 'mA')}); with its "
                        f"shorter delay it would cut the pack off first",
                        f"|value| ≥ {_fmt(abs(v1), 'mA')}",
                        "UNSAFE_SETTING",
                    )
                )
    return out


def _temperature(
    profile: Profile, values: Mapping[str, RawValue], chem: Chemistry
) -> list[Finding]:
    out: list[Finding] = []
    otc_p, rec_p = profile.role("otc_threshold"), profile.role("otc_recovery")
    otc, rec = value_in(otc_p, values, "°C"), value_in(rec_p, values, "°C")
    if otc is not None and otc_p is not None and otc > chem.otc_max_c:
        out.append(
            Finding(
                otc_p,
                _fmt(otc, "°C"),
                f"allows charging above {chem.otc_max_c} °C, which damages {chem.id} cells",
                f"at most {chem.otc_max_c} °C",
                "UNSAFE_SETTING",
            )
        )
    if otc is not None and rec is not None and rec_p is not None and not rec < otc:
        out.append(
            Finding(
                rec_p,
                _fmt(rec, "°C"),
                f"OTC recovery must be below the OTC threshold ({_fmt(otc, '°C')}), or "
                "charging resumes while the pack is still too hot",
                f"below {_fmt(otc, '°C')}",
                "UNSAFE_SETTING",
            )
        )
    return out

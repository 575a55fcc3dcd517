"""A recipe described for an engineer: what it is, what it writes into a pack (values, raw bytes,
addresses), what is backed up and compared, and what its writes cost on the bus, down to the
worst case; and how two recipes differ. ``station recipe show``/``diff`` and the engineer screen
print what these give (:class:`~station.recipe.profile.profile_report.Line` s and tables).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from station.recipe.planning.writes import Target, WritePlan
from station.recipe.product.calibration import plan_lines
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.image import BLOCK_SIZE, DataFlashImage
from station.recipe.profile.profile_report import (
    Line,
    Table,
    address_ranges,
    signoff_line,
    value_text,
)
from station.recipe.ti.flashstream import shown

#: What the plan figures rest on, said after them.
TIMING_CAVEAT = (
    "(bus-time figures come from the profile's timing model, which is unconfirmed; the "
    "emulator measures the real sequence)"
)


def signoff_note(recipe: Recipe) -> str:
    """``; note: ...`` when real packs refuse some of what the recipe writes (else empty)."""
    written = recipe.written_parameters()
    unconfirmed = recipe.profile.unverified(written)
    if not unconfirmed:
        return ""
    return (
        f"; note: {len(unconfirmed)} of the {len(written)} parameters it writes are not "
        f"signed off in profile {recipe.profile.id}, so real packs are refused (the "
        "emulator accepts it)"
    )


# -- show -------------------------------------------------------------------------------------


def setting_rows(recipe: Recipe) -> list[tuple[str, str]]:
    """Each value of ``[parameters]``: (name, ``55.0 °C  @0x44B5  [26 02]``)."""
    rows = []
    for s in recipe.settings:
        p = s.parameter
        text = f"{p.format(s.raw)}  @0x{p.address:04X}  [{p.encode(s.raw).hex(' ')}]"
        rows.append((recipe.profile.short_name(p), text))
    return rows


def pack_comparison(recipe: Recipe, pack: Mapping[str, RawValue]) -> list[tuple[str, str]]:
    """Each value of ``[parameters]`` against what a pack holds (``pack``: decoded values):
    (name, ``recipe 55.0 °C | pack 50.0 °C | DIFFERS``); a value the pack lacks shows ``?``."""
    rows = []
    for s in recipe.settings:
        p = s.parameter
        have = pack.get(p.key)
        held = p.format(have) if have is not None else "?"
        mark = "same" if have == s.raw else "DIFFERS"
        rows.append(
            (recipe.profile.short_name(p), f"recipe {p.format(s.raw)} | pack {held} | {mark}")
        )
    return rows


def summary(recipe: Recipe) -> list[Line]:
    """What the recipe is: identity, hash and files, profile, pack, serial rule, security,
    backup, label and checks, and what its FlashStream or golden image holds."""
    profile = recipe.profile
    confirmed = sum(1 for p in profile.parameters if p.verified)
    sec, lab = recipe.security, recipe.label
    lines = [
        Line("recipe", f"{recipe.name} {recipe.version}: {recipe.description}"),
        Line("file", str(recipe.path)),
        Line("hash", f"sha256:{recipe.content_hash}"),
        *(
            Line(None, f"  {r.role:<10} {r.relative} ({r.size} bytes, sha256:{r.sha256[:16]}...)")
            for r in recipe.references
        ),
        Line(
            "profile",
            f"{profile.id} (device 0x{profile.device_type:04X}, firmware "
            f"{', '.join(profile.firmware)}): {confirmed} of {len(profile.parameters)} parameters "
            "confirmed by an engineer's sign-off",
        ),
        Line(
            "firmware",
            f"{', '.join(recipe.firmware)}   cells {recipe.cells}   chemistry "
            f"{recipe.chemistry.id}   mode {recipe.mode}",
        ),
        Line("serial", f"{recipe.serial.pattern}   example {recipe.serial.example}"),
        Line(
            "security",
            f"unseal with {sec.key_set}; full access {'yes' if sec.full_access else 'no'}; "
            f"production keys {sec.production_key_set or 'none'}; ship mode "
            f"{'on' if sec.ship_mode else 'off'}",
        ),
        Line(
            "backup",
            f"{recipe.backup.policy} blocks{' + signature' if recipe.backup.signature else ''}",
        ),
        Line(
            "label",
            f"{lab.product}; {lab.nominal_voltage_v} V, {lab.capacity_mah} mAh, "
            f"{lab.energy_wh} Wh; stock {lab.stock}",
        ),
        Line("checks", _checks_text(recipe)),
    ]
    return lines + _calibration_lines(recipe) + _flashstream_lines(recipe) + _image_lines(recipe)


def _calibration_lines(recipe: Recipe) -> list[Line]:
    if recipe.calibration is None:
        return [Line("calibration", "none (the pack keeps its factory calibration)")]
    text = plan_lines(recipe.calibration)
    return [Line("calibration", text[0]), *(Line(None, f"  {t}") for t in text[1:])]


def _checks_text(recipe: Recipe) -> str:
    c = recipe.checks
    parts = []
    if c.cell_voltage_mv:
        parts.append(f"cells {c.cell_voltage_mv[0]}..{c.cell_voltage_mv[1]} mV")
    if c.max_cell_imbalance_mv is not None:
        parts.append(f"imbalance ≤ {c.max_cell_imbalance_mv} mV")
    if c.temperature_c:
        parts.append(f"temperature {c.temperature_c[0]}..{c.temperature_c[1]} °C")
    if c.expected_manufacturing_status is not None and c.manufacturing_status_equals_init:
        parts.append(f"ManufacturingStatus = 0x{c.expected_manufacturing_status:04X}")
    return "; ".join(parts) or "status registers only"


def _flashstream_lines(recipe: Recipe) -> list[Line]:
    """What the FlashStream holds, and line by line what it writes (keys never shown)."""
    fs = recipe.flashstream
    if fs is None:
        return []
    lines = [
        Line(
            "flashstream",
            f"{len(fs.lines)} commands ({fs.count('SWB')} block writes, "
            f"{fs.count('SCL') + fs.count('SCW')} compares), {fs.total_delay_ms} ms of waits",
        )
    ]
    plan = recipe.fs_plan
    if plan is None:
        return lines
    for number, w in plan.writes:
        written = address_ranges(range(w.address, w.address + len(w.data)))
        lines.append(
            Line(
                None,
                f"  line {number:<4} writes {written} ({len(w.data)} bytes): "
                + ", ".join(w.parameters),
            )
        )
    hidden = [ln.number for ln in fs.lines if shown(ln) != ln.text]
    if hidden:
        lines.append(
            Line(
                None,
                f"  lines {', '.join(map(str, hidden))}: words to ManufacturerAccess 0x00 (key "
                "words among them) or key data: sent as written, never shown",
            )
        )
    if plan.mode_changing:
        resets = ", ".join(map(str, sorted(plan.mode_changing)))
        lines.append(Line(None, f"  DeviceReset at line(s) {resets}"))
    return lines


def _image_lines(recipe: Recipe) -> list[Line]:
    img = recipe.image
    if img is None:
        return []
    masked = "".join(f"0x{lo:04X}-0x{hi:04X}, " for lo, hi in img.no_verify)
    return [
        Line(
            "image",
            f"{sum(img.present)} bytes of data flash; never compared: {masked}"
            "0x5F80-0x5FFF (not writable)",
        )
    ]


@dataclass(frozen=True)
class PackReport:
    """What a recipe does to one pack (its serial, the day it is made)."""

    parameters: Table
    #: per-unit fields, the image's share, sign-off
    notes: list[Line]
    #: writes, backup and verify
    coverage: list[Line]
    #: bus time: against profile defaults and the worst case (a FlashStream's, as written)
    plans: list[Line]


def pack_report(recipe: Recipe, serial: str, day: dt.date, *, speed_hz: int) -> PackReport:
    """What ``recipe`` writes into the pack ``serial`` made on ``day``; :class:`SerialRejected`
    when the recipe cannot program that serial."""
    target = recipe.target(serial, day)
    per_unit = recipe.per_unit_keys()
    notes = [
        Line(
            None,
            f"* per-unit: serial {target.serial} → SBS serial "
            f"{target.sbs_serial if target.sbs_serial is not None else '-'}, manufacture date "
            f"{day.isoformat()}"
            + (
                f", Manufacturer Info A {target.manufacturer_info_a!r}"
                if target.manufacturer_info_a is not None
                else ""
            ),
        )
    ]
    if recipe.mode == "image":
        notes.append(
            Line(
                None, f"  (and {len(target.parameters) - len(per_unit)} parameters from the image)"
            )
        )
    notes.append(signoff_line(recipe.profile, [p for p, _ in target.parameters]))
    return PackReport(
        parameters=_parameter_table(recipe, target, per_unit),
        notes=notes,
        coverage=coverage(recipe, target),
        plans=_plan_lines(recipe, target, speed_hz),
    )


def _parameter_table(recipe: Recipe, target: Target, per_unit: set[str]) -> Table:
    """Parameter, value, unit, raw bytes and address of what the pack gets (Manufacturer Info A
    as one text; an image recipe's own values are left to its image)."""
    profile = recipe.profile
    rows: list[tuple[str, ...]] = []
    info = profile.roles.manufacturer_info_a
    info_keys: set[str] = set()
    if info is not None and target.manufacturer_info_a is not None:
        length_p, first = profile.get(info.length), profile.get(info.first)
        info_keys = profile.manufacturer_info_a_keys()
        raw_info = bytes(target.data[a] for a in range(length_p.address, first.address + info.size))
        rows.append(
            (
                "Manufacturer Info A *",
                repr(target.manufacturer_info_a),
                "",
                f"{raw_info.hex(' ')}"[:47] + ("..." if len(raw_info) > 16 else ""),
                f"0x{length_p.address:04X}",
            )
        )
    for p, raw in target.parameters:
        if (recipe.mode == "image" and p.key not in per_unit) or p.key in info_keys:
            continue
        value, unit = value_text(p, raw)
        name = profile.short_name(p) + (" *" if p.key in per_unit else "")
        rows.append((name, value, unit, p.encode(raw).hex(" "), f"0x{p.address:04X}"))
    return Table(("parameter", "value", "unit", "raw bytes", "address"), tuple(rows))


def coverage(recipe: Recipe, target: Target) -> list[Line]:
    """What a pack gets written, what is backed up first, and what verify compares."""
    blocks = target.blocks()
    if recipe.backup.policy == "full":
        backed = "the whole data flash, 0x4000-0x5FFF (8192 bytes)"
    else:
        spans = address_ranges(a for b in blocks for a in range(b, b + BLOCK_SIZE))
        backed = f"{len(blocks)} blocks, {len(blocks) * BLOCK_SIZE} bytes: {spans}"
    compared = [a for a in target.data if a not in target.no_verify]
    order = (
        "the FlashStream's bytes, then the per-unit fields"
        if recipe.mode == "flashstream"
        else "only the bytes that differ on the pack, in whole parameters"
    )
    never = "0x5F80-0x5FFF (does not take writes)"
    if target.no_verify:
        never = (
            f"{address_ranges(target.no_verify)} (kept by the gauge itself, or masked); " + never
        )
    return [
        Line(
            "writes",
            f"{address_ranges(target.data)} ({len(target.data)} bytes at most: {order})",
        ),
        Line("backs up", backed),
        Line("verify", f"compares {len(compared)} bytes: {address_ranges(compared)}"),
        Line("", f"never compared: {never}"),
    ]


# -- plans ------------------------------------------------------------------------------------


def plan_text(plan: WritePlan) -> str:
    """Writes, bytes, blocks and the estimated bus time of a plan."""
    e = plan.estimate

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    return (
        f"{len(plan.writes)} writes, {plan.bytes_written} bytes in "
        f"{len(plan.written_blocks)} of {len(plan.read_blocks)} blocks; est. {ms(e.total_s)} "
        f"at {e.speed_hz // 1000} kHz (read {ms(e.read_s)}, write {ms(e.write_s)}, "
        f"flash {ms(e.flash_s)}, verify {ms(e.verify_s)})"
    )


def defaults_plan(recipe: Recipe, target: Target, *, speed_hz: int) -> WritePlan:
    """The plan for a pack at the profile's defaults."""
    return recipe.plan(target, recipe.profile.default_image(), speed_hz=speed_hz)


def worst_case_plan(recipe: Recipe, target: Target, *, speed_hz: int) -> WritePlan:
    """The plan for a pack at the profile's defaults where every byte the recipe sets is
    different (each inverted): every parameter the recipe writes must be written."""
    worst = recipe.profile.default_image()
    for address, byte in target.data.items():
        worst.apply(address, bytes([byte ^ 0xFF]))
    return recipe.plan(target, worst, speed_hz=speed_hz)


def after_flashstream_plan(recipe: Recipe, target: Target, *, speed_hz: int) -> WritePlan:
    """For a FlashStream recipe: the per-unit writes that follow the stream, on a pack at the
    profile's defaults that the stream has run on."""
    assert recipe.fs_plan is not None
    after: DataFlashImage = recipe.profile.default_image()
    for w in recipe.fs_plan.df_writes:
        after.apply(w.address, w.data)
    return recipe.plan(target, after, speed_hz=speed_hz)


def _plan_lines(recipe: Recipe, target: Target, speed_hz: int) -> list[Line]:
    fsp = recipe.fs_plan
    if fsp is not None:
        per_unit = after_flashstream_plan(recipe, target, speed_hz=speed_hz)
        return [
            Line(
                None,
                f"FlashStream: {len(fsp.writes)} data-flash writes, "
                f"{sum(len(w.data) for w in fsp.df_writes)} bytes, as written; then the "
                f"per-unit fields vs profile defaults: {plan_text(per_unit)}",
            )
        ]
    defaults = defaults_plan(recipe, target, speed_hz=speed_hz)
    worst = worst_case_plan(recipe, target, speed_hz=speed_hz)
    return [
        Line(None, f"plan vs profile defaults: {plan_text(defaults)}"),
        Line(None, f"plan worst case:          {plan_text(worst)}"),
        Line(None, TIMING_CAVEAT),
    ]


# -- diff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipeDifferences:
    """How recipe B differs from recipe A."""

    #: (what, in A, in B) for every setting outside the parameters that differs
    settings: list[tuple[str, str, str]]
    #: (parameter, in A, in B) for every parameter value that differs, by address
    values: list[tuple[str, str, str]]

    @property
    def none(self) -> bool:
        return not self.settings and not self.values


def differences(ra: Recipe, rb: Recipe) -> RecipeDifferences:
    """Setting by setting and parameter by parameter, what ``rb`` does differently."""
    settings = [(what, a, b) for what, a, b in _settings(ra, rb) if a != b]
    values_a, values_b = ra.values(), rb.values()
    params = {
        **{p.key: p for p in ra.profile.parameters},
        **{p.key: p for p in rb.profile.parameters},
    }
    values = []
    for key in sorted(set(values_a) | set(values_b), key=lambda k: params[k].address):
        p = params[key]
        in_a, in_b = values_a.get(key), values_b.get(key)
        if in_a == in_b:
            continue
        name = ra.profile.short_name(p) if key in values_a else rb.profile.short_name(p)
        ta = " ".join(value_text(p, in_a)).strip() if in_a is not None else "(not set)"
        tb = " ".join(value_text(p, in_b)).strip() if in_b is not None else "(not set)"
        values.append((name, ta, tb))
    return RecipeDifferences(settings, values)


def _settings(ra: Recipe, rb: Recipe) -> list[tuple[str, str, str]]:
    def both(what: str, text: Callable[[Recipe], object]) -> tuple[str, str, str]:
        return what, str(text(ra)), str(text(rb))

    return [
        both("profile", lambda r: r.profile.id),
        both("firmware", lambda r: ", ".join(r.firmware)),
        both("cells", lambda r: r.cells),
        both("chemistry", lambda r: r.chemistry.id),
        both("mode", lambda r: r.mode),
        both("serial pattern", lambda r: r.serial.pattern),
        both("serial example", lambda r: r.serial.example),
        both(
            "SBS serial",
            lambda r: f"{r.serial.sbs_group}/{r.serial.sbs_base}/{r.serial.sbs_modulo}",
        ),
        both("Manufacturer Info A", lambda r: r.serial.manufacturer_info_a),
        both("checks", _checks_key),
        both("label", _label_key),
        both("security", _security_key),
        both("backup", lambda r: f"{r.backup.policy}/{r.backup.signature}"),
        both(
            "referenced files",
            lambda r: ", ".join(f"{f.relative}:{f.sha256[:12]}" for f in r.references),
        ),
    ]


def _checks_key(r: Recipe) -> str:
    c = r.checks
    return (
        f"{c.cell_voltage_mv} {c.max_cell_imbalance_mv} {c.temperature_c} "
        f"{c.safety_status_clear}/{c.pf_status_clear}/{c.manufacturing_status_equals_init}"
    )


def _label_key(r: Recipe) -> str:
    lab = r.label
    return (
        f"{lab.product}; {lab.nominal_voltage_v} V; {lab.capacity_mah} mAh; {lab.energy_wh} "
        f"Wh; {lab.stock}"
    )


def _security_key(r: Recipe) -> str:
    s = r.security
    return f"{s.key_set}/full={s.full_access}/prod={s.production_key_set}/ship={s.ship_mode}"

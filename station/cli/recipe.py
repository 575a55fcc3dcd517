"""Engineer commands for recipes and gauge profiles: validate, show, diff, import.

Exit codes: 0 all good, 1 a file was refused (every problem listed), 2 usage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from station.cli.common import EXIT_FAIL, EXIT_OK, Failed, UsageProblem, echo, handle_errors
from station.keys import KeyStore, KeyStoreError
from station.recipe.errors import (
    ProblemsError,
    RecipeInvalid,
    SerialRejected,
)
from station.recipe.flashstream import shown
from station.recipe.image import BLOCK_SIZE
from station.recipe.plan import Target, WritePlan
from station.recipe.profile import Parameter, Profile
from station.recipe.profile_file import ProfileLibrary, write_private_text
from station.recipe.recipe import Recipe, load_recipe
from station.recipe.serial import decode_sbs_date

P = ParamSpec("P")
R = TypeVar("R")


def _profiles_option(f: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--profiles",
        "profile_dirs",
        multiple=True,
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="Folder of extra gauge profiles (repeatable); the shipped ones are always found.",
    )(f)


def _library(dirs: Sequence[Path]) -> ProfileLibrary:
    return ProfileLibrary(list(dirs))


# -- formatting -----------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def _value_unit(p: Parameter, raw: object) -> tuple[str, str]:
    if isinstance(raw, str):
        return f'"{raw}"', ""
    if p.is_hex and isinstance(raw, int):
        text = f"0x{raw:0{2 * p.size}X}"
        named = [
            f"{f.name}={f.get(raw)}" if not f.is_flag else f.name
            for f in p.fields
            if not f.is_flag or f.get(raw)
        ]
        return (f"{text} ({', '.join(named)})" if named else text), ""
    if p.unit == "date" and isinstance(raw, int):
        day = decode_sbs_date(raw)
        return f"{raw} ({day.isoformat() if day else 'not a date'})", ""
    eng = p.to_engineering(raw)  # type: ignore[arg-type]
    return (f"{eng:.7g}" if isinstance(eng, float) else str(eng)), p.unit


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _plan_line(plan: WritePlan) -> str:
    e = plan.estimate
    return (
        f"{len(plan.writes)} writes, {plan.bytes_written} bytes in "
        f"{len(plan.written_blocks)} of {len(plan.read_blocks)} blocks; est. {_ms(e.total_s)} "
        f"at {e.speed_hz // 1000} kHz (read {_ms(e.read_s)}, write {_ms(e.write_s)}, "
        f"flash {_ms(e.flash_s)}, verify {_ms(e.verify_s)})"
    )


# -- recipe commands ------------------------------------------------------------------------


def register(group: click.Group) -> None:
    group.add_command(recipe_group)
    group.add_command(profile_group)


@click.group("recipe")
def recipe_group() -> None:
    """Validate, inspect, compare and import recipes."""


@recipe_group.command("validate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@_profiles_option
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Key-store file: also check that the recipes' key sets exist in it.",
)
def validate_cmd(
    files: tuple[Path, ...], profile_dirs: tuple[Path, ...], keys_path: Path | None
) -> None:
    """Check recipes; list every problem (exit 1 if any file is refused)."""
    library = _library(profile_dirs)
    known: list[str] | None = None
    if keys_path is not None:
        try:
            known = KeyStore.load(keys_path).ids()
        except KeyStoreError as exc:
            raise UsageProblem(str(exc)) from None
    failed = 0
    for path in files:
        try:
            recipe = load_recipe(path, library, known_key_sets=known)
        except RecipeInvalid as exc:
            failed += 1
            echo(f"{path}: INVALID ({len(exc.problems)} problems)")
            for problem in exc.problems:
                echo(f"  {problem}")
            continue
        written = recipe.written_parameters()
        unconfirmed = recipe.profile.unverified(written)
        signed = (
            ""
            if not unconfirmed
            else (
                f"; note: {len(unconfirmed)} of the {len(written)} parameters it writes are not "
                f"signed off in profile {recipe.profile.id}, so real packs are refused (the "
                "emulator accepts it)"
            )
        )
        echo(f"{path}: OK {recipe.name} {recipe.version} sha256:{recipe.content_hash}{signed}")
    if failed:
        echo(f"{failed} of {len(files)} recipes refused", err=True)
        raise SystemExit(EXIT_FAIL)
    raise SystemExit(EXIT_OK)


def _load(path: Path, dirs: Sequence[Path]) -> Recipe:
    try:
        return load_recipe(path, _library(dirs))
    except RecipeInvalid as exc:
        raise Failed(str(exc)) from None


@recipe_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--serial", default=None, help="Serial to plan for (default: the recipe's example).")
@click.option(
    "--date",
    "date_text",
    default=None,
    metavar="YYYY-MM-DD",
    help="Manufacture date (default: today).",
)
@click.option(
    "--speed",
    "speed_hz",
    default=100_000,
    show_default=True,
    type=click.IntRange(10_000, 1_000_000),
    help="Bus speed for the time estimate, Hz.",
)
@_profiles_option
@handle_errors
def show_cmd(
    file: Path,
    serial: str | None,
    date_text: str | None,
    speed_hz: int,
    profile_dirs: tuple[Path, ...],
) -> None:
    """What a recipe writes: values, raw bytes, addresses, hash, plan size and bus time."""
    recipe = _load(file, profile_dirs)
    try:
        day = dt.date.fromisoformat(date_text) if date_text else dt.date.today()
    except ValueError:
        raise UsageProblem(f"--date {date_text!r} is not YYYY-MM-DD") from None
    profile = recipe.profile
    echo(f"recipe     {recipe.name} {recipe.version}: {recipe.description}")
    echo(f"file       {file}")
    echo(f"hash       sha256:{recipe.content_hash}")
    for ref in recipe.references:
        echo(f"  {ref.role:<10} {ref.relative} ({ref.size} bytes, sha256:{ref.sha256[:16]}...)")
    confirmed = sum(1 for p in profile.parameters if p.verified)
    echo(
        f"profile    {profile.id} (device 0x{profile.device_type:04X}, firmware "
        f"{', '.join(profile.firmware)}): {confirmed} of {len(profile.parameters)} parameters "
        "confirmed by an engineer's sign-off"
    )
    echo(
        f"firmware   {', '.join(recipe.firmware)}   cells {recipe.cells}   chemistry "
        f"{recipe.chemistry.id}   mode {recipe.mode}"
    )
    s = recipe.serial
    echo(f"serial     {s.pattern}   example {s.example}")
    sec = recipe.security
    echo(
        f"security   unseal with {sec.key_set}; full access {'yes' if sec.full_access else 'no'}; "
        f"production keys {sec.production_key_set or 'none'}; ship mode "
        f"{'on' if sec.ship_mode else 'off'}"
    )
    echo(
        f"backup     {recipe.backup.policy} blocks"
        f"{' + signature' if recipe.backup.signature else ''}"
    )
    lab = recipe.label
    echo(
        f"label      {lab.product}; {lab.nominal_voltage_v} V, {lab.capacity_mah} mAh, "
        f"{lab.energy_wh} Wh; stock {lab.stock}"
    )
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
    echo(f"checks     {'; '.join(parts) or 'status registers only'}")
    if recipe.flashstream is not None:
        fs = recipe.flashstream
        echo(
            f"flashstream {len(fs.lines)} commands ({fs.count('SWB')} block writes, "
            f"{fs.count('SCL') + fs.count('SCW')} compares), {fs.total_delay_ms} ms of waits"
        )
        if recipe.fs_plan is not None:
            for number, w in recipe.fs_plan.writes:
                last = w.address + len(w.data) - 1
                echo(
                    f"  line {number:<4} writes {_ranges(range(w.address, last + 1))}"
                    f" ({len(w.data)} bytes): {', '.join(w.parameters)}"
                )
            hidden = [ln.number for ln in fs.lines if shown(ln) != ln.text]
            if hidden:
                echo(
                    f"  lines {', '.join(map(str, hidden))}: words to ManufacturerAccess 0x00 (key "
                    "words among them) or key data: sent as written, never shown"
                )
            if recipe.fs_plan.mode_changing:
                echo(
                    "  DeviceReset at line(s) "
                    + ", ".join(map(str, sorted(recipe.fs_plan.mode_changing)))
                )
    if recipe.image is not None:
        img = recipe.image
        echo(
            f"image      {sum(img.present)} bytes of data flash; never compared: "
            + ", ".join(f"0x{lo:04X}-0x{hi:04X}" for lo, hi in img.no_verify)
            + (", " if img.no_verify else "")
            + "0x5F80-0x5FFF (not writable)"
        )
    try:
        target = recipe.target(serial or s.example, day)
    except SerialRejected as exc:
        raise UsageProblem(str(exc)) from None
    echo("")
    rows = []
    per_unit = recipe.per_unit_keys()
    info = profile.roles.manufacturer_info_a
    info_keys: set[str] = set()
    if info is not None and target.manufacturer_info_a is not None:
        length_p, first = profile.get(info.length), profile.get(info.first)
        info_keys = {length_p.key} | {
            q.key
            for a in range(first.address, first.address + info.size)
            if (q := profile.parameter_at(a)) is not None
        }
        raw_info = bytes(target.data[a] for a in range(length_p.address, first.address + info.size))
        rows.append(
            [
                "Manufacturer Info A *",
                repr(target.manufacturer_info_a),
                "",
                f"{raw_info.hex(' ')}"[:47] + ("..." if len(raw_info) > 16 else ""),
                f"0x{length_p.address:04X}",
            ]
        )
    for p, raw in target.parameters:
        if (recipe.mode == "image" and p.key not in per_unit) or p.key in info_keys:
            continue
        value, unit = _value_unit(p, raw)
        name = profile.short_name(p) + (" *" if p.key in per_unit else "")
        rows.append([name, value, unit, p.encode(raw).hex(" "), f"0x{p.address:04X}"])
    for line in _table(rows, ["parameter", "value", "unit", "raw bytes", "address"]):
        echo(line)
    echo(
        f"* per-unit: serial {target.serial} → SBS serial "
        f"{target.sbs_serial if target.sbs_serial is not None else '-'}, manufacture date "
        f"{day.isoformat()}"
        + (
            f", Manufacturer Info A {target.manufacturer_info_a!r}"
            if target.manufacturer_info_a is not None
            else ""
        )
    )
    if recipe.mode == "image":
        echo(f"  (and {len(target.parameters) - len(per_unit)} parameters from the image)")
    echo(_signoff_line(profile, [p for p, _ in target.parameters]))
    echo("")
    for line in _coverage_lines(recipe, target):
        echo(line)
    echo("")
    if recipe.fs_plan is not None:
        fsp = recipe.fs_plan
        after = profile.default_image()
        for w in fsp.df_writes:
            after.apply(w.address, w.data)
        per_unit_plan = recipe.plan(target, after, speed_hz=speed_hz)
        echo(
            f"FlashStream: {len(fsp.writes)} data-flash writes, "
            f"{sum(len(w.data) for w in fsp.df_writes)} bytes, as written; then the per-unit "
            f"fields vs profile defaults: {_plan_line(per_unit_plan)}"
        )
        return
    defaults = recipe.plan(target, profile.default_image(), speed_hz=speed_hz)
    echo(f"plan vs profile defaults: {_plan_line(defaults)}")
    worst = profile.default_image()
    for address, byte in target.data.items():
        worst.apply(address, bytes([byte ^ 0xFF]))
    echo(f"plan worst case:          {_plan_line(recipe.plan(target, worst, speed_hz=speed_hz))}")
    echo(
        "(bus-time figures come from the profile's timing model, which is unconfirmed; the "
        "emulator measures the real sequence)"
    )


@recipe_group.command("diff")
@click.argument("a", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("b", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_profiles_option
@handle_errors
def diff_cmd(a: Path, b: Path, profile_dirs: tuple[Path, ...]) -> None:
    """Parameter-level differences between two recipes (exit 0 same, 1 different)."""
    ra, rb = _load(a, profile_dirs), _load(b, profile_dirs)
    lines: list[str] = []
    for label, va, vb in (
        ("profile", ra.profile.id, rb.profile.id),
        ("firmware", ", ".join(ra.firmware), ", ".join(rb.firmware)),
        ("cells", str(ra.cells), str(rb.cells)),
        ("chemistry", ra.chemistry.id, rb.chemistry.id),
        ("mode", ra.mode, rb.mode),
        ("serial pattern", ra.serial.pattern, rb.serial.pattern),
        ("serial example", ra.serial.example, rb.serial.example),
        (
            "SBS serial",
            f"{ra.serial.sbs_group}/{ra.serial.sbs_base}/{ra.serial.sbs_modulo}",
            f"{rb.serial.sbs_group}/{rb.serial.sbs_base}/{rb.serial.sbs_modulo}",
        ),
        (
            "Manufacturer Info A",
            str(ra.serial.manufacturer_info_a),
            str(rb.serial.manufacturer_info_a),
        ),
        ("checks", _checks_text(ra), _checks_text(rb)),
        ("label", _label_text(ra), _label_text(rb)),
        ("security", _security_text(ra), _security_text(rb)),
        (
            "backup",
            f"{ra.backup.policy}/{ra.backup.signature}",
            f"{rb.backup.policy}/{rb.backup.signature}",
        ),
        (
            "referenced files",
            ", ".join(f"{r.relative}:{r.sha256[:12]}" for r in ra.references),
            ", ".join(f"{r.relative}:{r.sha256[:12]}" for r in rb.references),
        ),
    ):
        if va != vb:
            lines.append(f"  {label}: {va} → {vb}")
    values_a, values_b = ra.values(), rb.values()
    params = {
        **{p.key: p for p in ra.profile.parameters},
        **{p.key: p for p in rb.profile.parameters},
    }
    rows = []
    for key in sorted(set(values_a) | set(values_b), key=lambda k: params[k].address):
        p = params[key]
        name = ra.profile.short_name(p) if key in values_a else rb.profile.short_name(p)
        in_a, in_b = values_a.get(key), values_b.get(key)
        if in_a == in_b:
            continue
        ta = " ".join(_value_unit(p, in_a)).strip() if in_a is not None else "(not set)"
        tb = " ".join(_value_unit(p, in_b)).strip() if in_b is not None else "(not set)"
        rows.append([name, ta, tb])
    if not lines and not rows:
        echo(
            f"{a} and {b} program the same values (hashes "
            f"{'equal' if ra.content_hash == rb.content_hash else 'differ: text only'})"
        )
        raise SystemExit(EXIT_OK)
    echo(f"--- {a} ({ra.name} {ra.version})")
    echo(f"+++ {b} ({rb.name} {rb.version})")
    for line in lines:
        echo(line)
    if rows:
        for line in _table(rows, ["parameter", str(a.name), str(b.name)]):
            echo(line)
    raise SystemExit(EXIT_FAIL)


def _checks_text(r: Recipe) -> str:
    c = r.checks
    return (
        f"{c.cell_voltage_mv} {c.max_cell_imbalance_mv} {c.temperature_c} "
        f"{c.safety_status_clear}/{c.pf_status_clear}/{c.manufacturing_status_equals_init}"
    )


def _label_text(r: Recipe) -> str:
    lab = r.label
    return (
        f"{lab.product}; {lab.nominal_voltage_v} V; {lab.capacity_mah} mAh; {lab.energy_wh} "
        f"Wh; {lab.stock}"
    )


def _security_text(r: Recipe) -> str:
    s = r.security
    return f"{s.key_set}/full={s.full_access}/prod={s.production_key_set}/ship={s.ship_mode}"


@recipe_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the recipe (and profile, key file) into.",
)
@click.option(
    "--profile",
    "profile_id",
    default=None,
    help="Existing profile the file must match (default: a .gg.csv with addresses "
    "makes its own; other files use bq40z50-r1).",
)
@click.option("--name", default=None, help="Recipe name (default: from the file name).")
@click.option("--key-set-id", default=None, help="Id for imported keys in the key file.")
@click.option("--serial-pattern", default="", help="Serial regular expression for the recipe.")
@click.option("--serial-example", default="", help="An example serial matching the pattern.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace files already in --out (never a key store with anything but keys; a "
    "symbolic link is replaced, never followed).",
)
@_profiles_option
@handle_errors
def import_cmd(
    file: Path,
    out_dir: Path,
    profile_id: str | None,
    name: str | None,
    key_set_id: str | None,
    serial_pattern: str,
    serial_example: str,
    force: bool,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Make a recipe from a .gg.csv, .bq.fs/.df.fs or .srec/raw dump. Nothing in --out is
    overwritten without --force; key files are created readable by their owner only."""
    from station.recipe.ti_import import import_file

    library = _library([*profile_dirs, out_dir] if out_dir.is_dir() else list(profile_dirs))
    try:
        result = import_file(
            file,
            out_dir,
            profiles=library,
            profile_id=profile_id,
            name=name,
            key_set_id=key_set_id,
            serial_pattern=serial_pattern,
            serial_example=serial_example,
            force=force,
        )
    except ProblemsError as exc:
        raise Failed(str(exc)) from None
    echo(f"recipe   {result.recipe}")
    if result.profile:
        echo(f"profile  {result.profile} (unverified addresses from the export)")
    if result.keys:
        echo(f"keys     {result.keys} (mode 600; keep it out of version control)")
    if result.copied:
        echo(f"file     {result.copied}")
    for note in result.notes:
        echo(f"note     {note}")
    dirs = [*profile_dirs, out_dir]
    try:
        load_recipe(result.recipe, _library(dirs))
        echo("the recipe validates")
    except RecipeInvalid as exc:
        echo(
            f"fill in before use ({len(exc.problems)} problems; run "
            f"`station recipe validate {result.recipe} --profiles {out_dir}`):"
        )
        for problem in exc.problems[:12]:
            echo(f"  {problem}")


# -- profile commands -----------------------------------------------------------------------


@click.group("profile")
def profile_group() -> None:
    """Inspect and import gauge profiles (data-flash layouts)."""


@profile_group.command("list")
@_profiles_option
@handle_errors
def profile_list_cmd(profile_dirs: tuple[Path, ...]) -> None:
    """Profiles the station can use."""
    library = _library(profile_dirs)
    for pid, paths in sorted(library.headers().items()):
        echo(f"{pid:<24} {', '.join(str(p) for p in paths)}")


@profile_group.command("show")
@click.argument("profile")
@click.option("--grep", "pattern", default=None, help="Only parameters whose name contains TEXT.")
@_profiles_option
@handle_errors
def profile_show_cmd(profile: str, pattern: str | None, profile_dirs: tuple[Path, ...]) -> None:
    """A profile's header and parameter table (names as recipes write them)."""
    library = _library(profile_dirs)
    try:
        prof = library.get(profile)
    except ProblemsError as exc:
        raise Failed(str(exc)) from None
    _show_profile(prof, pattern)


def _ranges(addresses: Iterable[int]) -> str:
    """``0x4040-0x4061, 0x406C-0x409E``: contiguous runs of addresses."""
    runs: list[list[int]] = []
    for a in sorted(set(addresses)):
        if runs and runs[-1][1] + 1 == a:
            runs[-1][1] = a
        else:
            runs.append([a, a])
    return ", ".join(f"0x{lo:04X}-0x{hi:04X}" if hi > lo else f"0x{lo:04X}" for lo, hi in runs)


def _coverage_lines(recipe: Recipe, target: Target) -> list[str]:
    """What a pack gets written, what is backed up first, and what verify compares."""
    blocks = target.blocks()
    if recipe.backup.policy == "full":
        backed = "the whole data flash, 0x4000-0x5FFF (8192 bytes)"
    else:
        spans = _ranges(a for b in blocks for a in range(b, b + BLOCK_SIZE))
        backed = f"{len(blocks)} blocks, {len(blocks) * BLOCK_SIZE} bytes: {spans}"
    compared = [a for a in target.data if a not in target.no_verify]
    order = (
        "the FlashStream's bytes, then the per-unit fields"
        if recipe.mode == "flashstream"
        else "only the bytes that differ on the pack, in whole parameters"
    )
    lines = [
        f"writes     {_ranges(target.data)} ({len(target.data)} bytes at most: {order})",
        f"backs up   {backed}",
        f"verify     compares {len(compared)} bytes: {_ranges(compared)}",
    ]
    never = "0x5F80-0x5FFF (does not take writes)"
    if target.no_verify:
        never = f"{_ranges(target.no_verify)} (kept by the gauge itself, or masked); " + never
    lines.append(f"           never compared: {never}")
    return lines


def _signoff_line(profile: Profile, written: list[Parameter]) -> str:
    """Whether real packs accept what the recipe writes: every parameter needs a sign-off."""
    unconfirmed = profile.unverified(written)
    if not unconfirmed:
        return f"sign-off   all {len(written)} parameters it writes are confirmed"
    names = ", ".join(profile.short_name(p) for p in unconfirmed[:5])
    more = f" and {len(unconfirmed) - 5} more" if len(unconfirmed) > 5 else ""
    disputed = [
        f"{profile.short_name(p)}: {d.text()}" for p in unconfirmed for d in profile.disputes_of(p)
    ]
    return (
        f"sign-off   NOT signed off: {len(unconfirmed)} of {len(written)} parameters it writes "
        f"are unconfirmed ({names}{more}); real packs are refused until an engineer confirms "
        "each of them (the emulator accepts it)"
        + (f"\n           disputed addresses: {'; '.join(disputed)}" if disputed else "")
    )


def _show_profile(prof: Profile, pattern: str | None) -> None:
    echo(f"profile      {prof.id}: {prof.description}")
    echo(f"files        {prof.header_path} + {prof.table_path}")
    echo(
        f"device type  0x{prof.device_type:04X}   firmware {', '.join(prof.firmware)}"
        + (f"   builds {', '.join(map(str, prof.builds))}" if prof.builds else "")
    )
    if not prof.signoffs:
        echo("sign-off     none: writes to real packs are refused for every parameter")
    for so in prof.signoffs:
        echo(
            f"sign-off     {so.by} {so.on} ({so.method}, {so.evidence}): "
            f"{len(so.parameters)} parameters"
        )
    for d in prof.disputes:
        echo(f"disputed     {d.parameter}: {d.text()}{' — ' + d.why if d.why else ''}")
    t = prof.timing
    echo(
        f"timing       DF write {t.df_write_busy_ms} ms + {t.df_write_per_byte_ms} ms/byte, reset "
        f"{t.reset_wait_ms} ms, signature {t.signature_wait_ms} ms, seal {t.seal_busy_ms} ms"
        f" ({'verified' if t.verified else 'UNCONFIRMED'}{': ' + t.source if t.source else ''})"
    )
    echo(
        f"pacing       nothing follows a write that drew no NACK for {t.df_write_min_ms} ms "
        f"({t.source_of('df_write_min_ms')})"
    )
    echo(
        f"retries      a NACKed write is sent again after {t.df_write_backoff_ms} ms, doubled, "
        f"{t.df_write_attempts} attempts in all ({t.source_of('df_write_attempts')})"
    )
    for change in prof.changes:
        echo(
            f"change       {change.action} {change.parameter}"
            f"{' → ' + change.value if change.value else ''}: {change.why}"
        )
    echo("")
    rows = []
    for p in sorted(prof.parameters, key=lambda q: q.address):
        name = prof.short_name(p)
        if pattern and pattern.casefold() not in (name + " " + p.key).casefold():
            continue
        default, unit = _value_unit(p, p.default)
        rows.append(
            [
                name,
                f"0x{p.address:04X}",
                p.dtype.name,
                unit,
                p.range_text(),
                default,
                "yes" if p.verified else "no",
                p.source[:40],
            ]
        )
        for f in p.fields:
            rows.append(
                [
                    f"  .{f.name}",
                    f.bits_text(),
                    "",
                    "",
                    f"{f.min_value}..{f.max_value}",
                    str(f.get(p.default) if isinstance(p.default, int) else ""),
                    "yes" if f.verified else "no",
                    (f.note or f.source)[:40],
                ]
            )
    for line in _table(
        rows, ["parameter", "address", "type", "unit", "range", "default", "verified", "source"]
    ):
        echo(line)
    echo(f"{len(prof.parameters)} parameters; block size {BLOCK_SIZE} bytes")


@profile_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--header",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Profile header (TOML) with id, roles, bit fields and changes.",
)
@click.option("--id", "profile_id", default=None, help="Profile id (without --header).")
@click.option("--device-type", default=None, help="Device type, e.g. 0x4500 (without --header).")
@click.option("--firmware", default=None, help='Firmware version, e.g. "1.09" (without --header).')
@click.option("--description", default="", help="One line describing the profile.")
@click.option("--force", is_flag=True, help="Replace profile files already in --out.")
@handle_errors
def profile_import_cmd(
    file: Path,
    out_dir: Path,
    header: Path | None,
    profile_id: str | None,
    device_type: str | None,
    firmware: str | None,
    description: str,
    force: bool,
) -> None:
    """Make a profile from TI's TRM data-flash table (CSV) or a bqStudio .gg.csv export."""
    from station.recipe.ggcsv import decode_export, parse_gg_csv
    from station.recipe.ti_import import import_gg, read_source, write_profile_files
    from station.recipe.trm_table import import_trm_table, looks_like_trm_table, minimal_header

    try:
        text, _ = decode_export(read_source(file), str(file))
        if looks_like_trm_table(text):
            if header is None:
                if not (profile_id and device_type and firmware):
                    raise UsageProblem(
                        "a TRM table needs --header HEADER.toml, or --id, "
                        "--device-type and --firmware"
                    )
                try:
                    dev = int(device_type, 0)
                except ValueError:
                    raise UsageProblem(f"--device-type {device_type!r} is not a number") from None
                out_dir.mkdir(parents=True, exist_ok=True)
                header = out_dir / f"{profile_id}.toml"
                write_private_text(
                    header,
                    minimal_header(
                        profile_id=profile_id,
                        description=description or f"imported from {file.name}",
                        device_type=dev,
                        firmware=[firmware],
                        table_name=f"{profile_id}.csv",
                        source_text=f"{file.name} (TI data-flash table; unverified)",
                    ),
                    force=force,
                )
            result = import_trm_table(file, header, out_dir, force=force)
            echo(
                f"profile  {result.header_path} + {result.table_path.name} "
                f"({len(result.profile.parameters)} parameters, all unverified)"
            )
            return
        gg = parse_gg_csv(text, str(file))
        imported = import_gg(
            gg,
            None,
            profile_id=profile_id or f"{file.name.split('.')[0]}-layout",
            firmware=firmware or "",
        )
        path = write_profile_files(imported.profile, out_dir, force=force)
        echo(f"profile  {path} ({len(imported.profile.parameters)} parameters, all unverified)")
    except ProblemsError as exc:
        raise Failed(str(exc)) from None
    except FileExistsError as exc:
        raise Failed(
            f"{exc.filename} is already there; nothing was written (--force replaces it)"
        ) from None

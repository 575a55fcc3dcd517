"""Turn files from TI's tools into station files: recipes, profiles and key-store files.

* ``.gg.csv`` → a recipe with the values (``[parameters]``), a profile when the export carries
  addresses and no existing profile was named, and a key-store file for key rows (mode 0600;
  keys never go into a recipe).
* ``.bq.fs`` / ``.df.fs`` → a recipe that runs the FlashStream (copied beside it).
* ``.srec`` / raw 8 KiB dump → a recipe with a golden image (copied beside it).

Imported recipes are starting points: what the file cannot say (serial rule, label, checks) is
left empty so ``station recipe validate`` names exactly what to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from station.files import IMPORT_LIMIT, KEY_STORE_LIMIT, create_exclusive, read_limited
from station.recipe import tomltext
from station.recipe.errors import (
    CodecError,
    FileFormatError,
    Problem,
    ProblemsError,
    RecipeError,
    unreadable,
)
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.image import DF_START, WRITABLE_END
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.loader import load_profile
from station.recipe.profile.model import Profile
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.table import table_text
from station.recipe.profile.values import SettingError, parse_setting
from station.recipe.ti.flashstream import parse_flashstream
from station.recipe.ti.formula import FormulaError, parse_formula
from station.recipe.ti.ggcsv import (
    KEY_ROWS,
    GGFile,
    GGRow,
    check_row,
    decode_export,
    display_to_raw,
    formula_problem,
    parse_gg_csv,
    raw_limits,
    row_type,
)
from station.recipe.ti.golden import SREC_SUFFIXES, load_golden
from station.recipe.ti.output import write_private_text
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
DEFAULT_PROFILE_ID = "bq40z50-r1"


class ImportRefused(RecipeError):
    failure_code = "IMPORT_REFUSED"


class OutputRefused(ProblemsError):
    """An import would overwrite what is there (or a key store): nothing was written."""

    failure_code = "IMPORT_REFUSED"
    headline = "import refused, nothing was written"


@dataclass(frozen=True)
class GGImport:
    gg: GGFile
    profile: Profile
    new_profile: bool
    values: tuple[tuple[Parameter, RawValue], ...]
    keys: dict[str, int] = field(repr=False)


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.").lower()
    return s[:60] or "imported"


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


def import_gg(
    gg: GGFile, profile: Profile | None, *, profile_id: str = "", firmware: str = ""
) -> GGImport:
    """Values (and keys) of an export, against ``profile`` or a layout built from the export."""
    problems: list[Problem] = []
    new_profile = profile is None
    if profile is not None:
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
    else:
        profile = _profile_from_gg(
            gg,
            profile_id or _slug(Path(gg.name).stem) + "-layout",
            firmware or gg.firmware or "",
            problems,
        )
    values: list[tuple[Parameter, RawValue]] = []
    keys: dict[str, int] = {}
    for row in gg.rows:
        if row.is_key_row:
            _key_row(row, keys, problems, gg.name)
            continue
        try:
            p = profile.get(row.key)
        except RecipeError:
            problems.append(
                Problem(
                    gg.name,
                    row.line,
                    "the profile has no such parameter: the "
                    "export is from another firmware, or the profile is "
                    "incomplete",
                    parameter=row.key,
                    code="UNKNOWN_PARAMETER",
                )
            )
            continue
        address_text = row.cells.get("address", "").strip()
        if address_text and not new_profile:
            try:
                address = int(address_text, 16)
            except ValueError:
                address = -1
            if address != p.address:
                problems.append(
                    Problem(
                        gg.name,
                        row.line,
                        f"the export puts it at "
                        f"{address_text}, profile {profile.id} at 0x{p.address:04X}"
                        ": the layouts differ (another firmware?)",
                        parameter=row.key,
                        code="ADDRESS_MISMATCH",
                    )
                )
                continue
        why = formula_problem(row)
        if why is not None:
            problems.append(Problem(gg.name, row.line, why, parameter=row.key, code="GG_FORMULA"))
            continue
        try:
            if "format" not in row.cells and not new_profile:
                raw = _engineering_value(row, p)
            else:
                raw = display_to_raw(row, p.dtype)
        except (ValueError, CodecError) as exc:
            problems.append(
                Problem(
                    gg.name,
                    row.line,
                    str(exc),
                    parameter=row.key,
                    value=row.cells.get("value"),
                    code="GG_VALUE",
                )
            )
            continue
        why = check_row(row, p.dtype, raw) or p.limits_problem(raw)
        if why is not None:
            problems.append(
                Problem(
                    gg.name,
                    row.line,
                    why,
                    parameter=row.key,
                    value=row.cells.get("value"),
                    allowed=p.range_text(),
                    code="GG_VALUE",
                )
            )
            continue
        values.append((p, raw))
    if problems:
        raise FileFormatError(problems[:50])
    return GGImport(gg, profile, new_profile, tuple(values), keys)


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


def _profile_from_gg(
    gg: GGFile, profile_id: str, firmware: str, problems: list[Problem]
) -> Profile:
    source = f"bqStudio export {Path(gg.name).name} (addresses as exported; unverified)"
    params: list[Parameter] = []
    for row in gg.rows:
        if row.is_key_row:
            continue
        address_text = row.cells.get("address", "").strip()
        if not address_text:
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
        try:
            t = row_type(row)
            address = int(address_text, 16)
            minimum, maximum = raw_limits(row, t)
        except (ValueError, CodecError) as exc:
            problems.append(
                Problem(gg.name, row.line, str(exc), parameter=row.key, code="GG_FORMAT")
            )
            continue
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
            continue
        scale, linear = _scale_from_read(row)
        unit = row.cells.get("units", "").strip() if linear else row.cells.get("native", "").strip()
        unit = canonical_unit(unit) or unit
        default: RawValue = "" if t.kind == "S" else (0.0 if t.kind == "F" else 0)
        try:
            d = row.cells.get("default", "").strip()
            if d and t.kind == "S":
                default = d
            elif d:
                shadow = GGRow(
                    row.line, row.class_name, row.subclass, row.name, {**row.cells, "value": d}
                )
                default = display_to_raw(shadow, t)
        except (ValueError, CodecError):
            pass
        params.append(
            Parameter(
                row.class_name,
                row.subclass,
                row.name,
                address,
                t,
                unit,
                scale,
                minimum,
                maximum,
                default,
                False,
                source,
                line=row.line,
            )
        )
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


# -- writing station files ------------------------------------------------------------------


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


def write_profile_files(profile: Profile, out_dir: Path, *, force: bool = False) -> Path:
    """A header + table for an in-memory profile, created exclusively (replaced only with
    ``force``); returns the header path."""
    sources = dict(profile.sources) or {"import": "imported"}
    back = {text: key for key, text in sources.items()}
    lines = [
        "# Gauge profile made from a bqStudio export. Every address is unverified until an",
        "# engineer confirms it on the firmware named here and records it in a [[signoff]] entry.",
        "[profile]",
        f"id = {tomltext.basic_string(profile.id)}",
        f"description = {tomltext.basic_string(profile.description)}",
        f'device_type = "0x{profile.device_type:04X}"',
        f"firmware = {tomltext.value(list(profile.firmware))}",
        'verified_by = ""',
        'verified_on = ""',
        f"table = {tomltext.basic_string(profile.id + '.csv')}",
        f"runtime_classes = {tomltext.value(list(profile.runtime_classes))}",
        f"calibration_classes = {tomltext.value(list(profile.calibration_classes))}",
        "",
        "[sources]",
        *(f"{tomltext.key(k)} = {tomltext.basic_string(v)}" for k, v in sources.items()),
        "",
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    header = out_dir / f"{profile.id}.toml"
    table = out_dir / f"{profile.id}.csv"
    check_targets([header, table], force=force)
    write_private_text(table, table_text(profile.parameters, back), force=force)
    write_private_text(header, "\n".join(lines), force=force)
    load_profile(header)  # what was written must load
    return header


def write_key_file(
    path: Path, key_set_id: str, keys: dict[str, int], *, force: bool = False
) -> None:
    """A key-store file (``station.keys`` format), readable by its owner only (mode 600 from its
    first byte), created exclusively (replaced only with ``force``)."""
    lines = [
        "# Security keys imported from a bqStudio export. Keep this file private (mode 600);",
        "# point the station at it with --keys or STATION_KEYS.",
        f"[key_sets.{tomltext.key(key_set_id)}]",
    ]
    if "unseal" in keys:
        lines.append(f'unseal = "0x{keys["unseal"]:08X}"')
    if "full_access" in keys:
        lines.append(f'full_access = "0x{keys["full_access"]:08X}"')
    write_private_text(path, "\n".join(lines) + "\n", mode=0o600, force=force)


def _holds_keys(path: Path) -> bool:
    """Whether ``path`` is a key store (a file with key sets), read without following a link."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return b"[key_sets" in read_limited(path, KEY_STORE_LIMIT, what="key store")
    except OSError:
        return False


def check_targets(paths: Sequence[Path], *, force: bool, key_files: Sequence[Path] = ()) -> None:
    """Refuse, before anything is written, outputs that would overwrite a file (without
    ``force``), a folder, or a key store with anything but keys (even with ``force``)."""
    problems = []
    for path in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        if path.is_dir() and not path.is_symlink():
            problems.append(Problem(str(path), None, "a folder is in the way; nothing written"))
        elif path not in key_files and _holds_keys(path):
            problems.append(
                Problem(
                    str(path),
                    None,
                    "holds security keys (a key store): an import never replaces it with "
                    "something else, even with --force; choose another --name or --out",
                )
            )
        elif not force:
            kind = "a symbolic link" if path.is_symlink() else "a file"
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"{kind} is already there; nothing was written: choose another --out or "
                    "--name, or give --force to replace it (a link is replaced, never followed)",
                )
            )
    if problems:
        raise OutputRefused(problems)


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


def _label_from(profile: Profile, values: dict[str, RawValue]) -> dict[str, str]:
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


def _cells_from(profile: Profile, values: dict[str, RawValue]) -> int | None:
    if profile.roles.cell_count is None:
        return None
    p = profile.get(profile.roles.cell_count[0])
    f = p.field(profile.roles.cell_count[1])
    raw = values.get(p.key)
    return f.get(raw) if f is not None and isinstance(raw, int) else None


@dataclass(frozen=True)
class ImportResult:
    recipe: Path
    profile: Path | None = None
    keys: Path | None = None
    copied: Path | None = None
    notes: tuple[str, ...] = ()


def import_file(
    source: Path,
    out_dir: Path,
    *,
    profiles: ProfileLibrary,
    profile_id: str | None = None,
    name: str | None = None,
    key_set_id: str | None = None,
    serial_pattern: str = "",
    serial_example: str = "",
    force: bool = False,
) -> ImportResult:
    """Import one TI file into ``out_dir``; :class:`FileFormatError` when the file is refused.

    Every output file is created exclusively, never through a symbolic link; a file already
    there stops the import before anything is written, unless ``force`` (a key store is never
    replaced by anything but keys). Key files are mode 600 from their first byte.
    """
    lower = source.name.lower()
    recipe_name = _slug(
        name
        or re.sub(
            r"\.(gg\.csv|bq\.fs|df\.fs|bqfs|dffs|csv|srec|s19|s28|s37"
            r"|mot|bin)$",
            "",
            source.name,
            flags=re.IGNORECASE,
        )
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    common = {"serial_pattern": serial_pattern, "serial_example": serial_example}
    if lower.endswith(".csv"):
        return _import_gg(
            source, out_dir, profiles, profile_id, recipe_name, key_set_id, common, force
        )
    recipe_path = out_dir / f"{recipe_name}.toml"
    if lower.endswith((".fs", ".bqfs", ".dffs")):
        data = read_source(source)
        stream = parse_flashstream(data, str(source))
        profile = profiles.get(profile_id or DEFAULT_PROFILE_ID)
        check_targets([recipe_path, *_copy_target(source, out_dir)], force=force)
        copied = _copy(source, data, out_dir, force=force)
        text = render_recipe(
            name=recipe_name,
            description=f"FlashStream {source.name}",
            profile_id=profile.id,
            firmware=profile.firmware,
            cells=None,
            key_set="ti-default",
            source=source.name,
            body=[
                "# The FlashStream runs as written (validated: "
                f"{len(stream.lines)} commands, {stream.total_delay_ms} ms of waits).",
                "[flashstream]",
                f"file = {tomltext.basic_string(copied.name)}",
            ],
            serial_pattern=common["serial_pattern"],
            serial_example=common["serial_example"],
        )
        return ImportResult(_write_recipe(out_dir, recipe_name, text, force=force), copied=copied)
    if lower.endswith(SREC_SUFFIXES) or lower.endswith(".bin"):
        golden = load_golden(source)
        profile = profiles.get(profile_id or DEFAULT_PROFILE_ID)
        check_targets([recipe_path, *_copy_target(source, out_dir)], force=force)
        copied = _copy(source, read_source(source), out_dir, force=force)
        values = profile.decode(golden.image())
        text = render_recipe(
            name=recipe_name,
            description=f"golden image {source.name}",
            profile_id=profile.id,
            firmware=profile.firmware,
            cells=_cells_from(profile, values),
            key_set="ti-default",
            source=source.name,
            label=_label_from(profile, values),
            body=[
                "# Bytes the gauge rewrites itself can be left out of the read-back compare:",
                '# verify_mask = ["0x4066-0x406B"]',
                "[image]",
                f"file = {tomltext.basic_string(copied.name)}",
                "verify_mask = []",
            ],
            serial_pattern=common["serial_pattern"],
            serial_example=common["serial_example"],
        )
        notes = (
            (f"{golden.outside_bytes} bytes outside data flash (firmware) are ignored",)
            if golden.outside_bytes
            else ()
        )
        return ImportResult(
            _write_recipe(out_dir, recipe_name, text, force=force), copied=copied, notes=notes
        )
    raise ImportRefused(f"{source.name}: not a .gg.csv, .bq.fs/.df.fs, .srec or raw .bin dump")


def read_source(source: Path) -> bytes:
    """A TI file's bytes (a regular file of a sensible size); :class:`FileFormatError` if not."""
    try:
        return read_limited(source, IMPORT_LIMIT, what="TI file")
    except OSError as exc:
        raise FileFormatError([Problem(str(source), None, unreadable(exc))]) from None


def _copy(source: Path, data: bytes, out_dir: Path, *, force: bool) -> Path:
    target = out_dir / source.name
    if target.resolve() != source.resolve():
        create_exclusive(target, data, mode=0o644, force=force)
    return target


def _copy_target(source: Path, out_dir: Path) -> list[Path]:
    target = out_dir / source.name
    return [] if target.resolve() == source.resolve() else [target]


def _write_recipe(out_dir: Path, name: str, text: str, *, force: bool) -> Path:
    path = out_dir / f"{name}.toml"
    write_private_text(path, text, force=force)
    return path


def _import_gg(
    source: Path,
    out_dir: Path,
    profiles: ProfileLibrary,
    profile_id: str | None,
    recipe_name: str,
    key_set_id: str | None,
    common: dict[str, str],
    force: bool,
) -> ImportResult:
    text, encoding = decode_export(read_source(source), str(source))
    gg = parse_gg_csv(text, str(source))
    existing = profiles.get(profile_id) if profile_id else None
    result = import_gg(gg, existing, profile_id=f"{recipe_name}-layout")
    profile = result.profile
    keys_path = out_dir / f"{recipe_name}.keys.toml" if result.keys else None
    targets = [out_dir / f"{recipe_name}.toml"]
    if result.new_profile:
        targets += [out_dir / f"{profile.id}.toml", out_dir / f"{profile.id}.csv"]
    if keys_path is not None:
        targets.append(keys_path)
    if len(set(targets)) != len(targets):
        raise OutputRefused(
            [
                Problem(
                    str(out_dir),
                    None,
                    "two of the files to write have the same name (recipe, profile, keys); "
                    "choose another --name",
                )
            ]
        )
    check_targets(targets, force=force, key_files=[keys_path] if keys_path else [])
    profile_path = (
        write_profile_files(profile, out_dir, force=force) if result.new_profile else None
    )
    values = {p.key: raw for p, raw in result.values}
    per_unit = profile.per_unit_keys()
    body = ["[parameters]"]
    skipped = 0
    for p, raw in result.values:
        if profile.is_runtime(p) or profile.is_calibration(p) or p.key in per_unit:
            skipped += 1
            continue
        name = profile.short_name(p)
        body.append(f"{tomltext.key(name)} = {setting_toml(p, raw)}")
    key_set = "ti-default"
    if result.keys and keys_path is not None:
        key_set = key_set_id or f"{recipe_name}-keys"
        write_key_file(keys_path, key_set, result.keys, force=force)
    text = render_recipe(
        name=recipe_name,
        description=f"bqStudio export {source.name}",
        profile_id=profile.id,
        firmware=profile.firmware or ((gg.firmware,) if gg.firmware else ()),
        cells=_cells_from(profile, values),
        body=body,
        key_set=key_set,
        source=source.name,
        label=_label_from(profile, values),
        serial_pattern=common["serial_pattern"],
        serial_example=common["serial_example"],
    )
    notes = []
    if encoding != "utf-8-sig":
        notes.append(f"{source.name} was read as Windows-1252 text (it is not UTF-8)")
    if skipped:
        notes.append(
            f"{skipped} per-pack values (calibration, lifetime, status, serial/date) "
            "were left out of the recipe"
        )
    if result.keys:
        notes.append(
            f"security keys went to {keys_path.name if keys_path else ''} (mode 600), "
            "not into the recipe"
        )
    return ImportResult(
        _write_recipe(out_dir, recipe_name, text, force=force),
        profile_path,
        keys_path,
        notes=tuple(notes),
    )

"""Turn files from TI's tools into station files: recipes, profiles and key-store files.

* ``.gg.csv`` → a recipe with the values (``[parameters]``), a profile when the export carries
  addresses and no existing profile was named, and a key-store file for key rows (mode 0600;
  keys never go into a recipe);
* ``.bq.fs`` / ``.df.fs`` → a recipe that runs the FlashStream (copied beside it);
* ``.srec`` / raw 8 KiB dump → a recipe with a golden image (copied beside it);
* a TRM data-flash table or a ``.gg.csv`` → a profile (:func:`import_profile`).

Imported recipes are starting points: what the file cannot say (serial rule, label, checks) is
left empty so ``station recipe validate`` names exactly what to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from station.files import IMPORT_LIMIT, read_limited
from station.recipe import tomltext
from station.recipe.errors import FileFormatError, Problem, RecipeError, unreadable
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.profile_model import Profile
from station.recipe.ti.flashstream import parse_flashstream
from station.recipe.ti.gg_import import GGImport, import_gg
from station.recipe.ti.ggcsv import decode_export, parse_gg_csv
from station.recipe.ti.golden import SREC_SUFFIXES, load_golden
from station.recipe.ti.output import (
    OutputRefused,
    check_targets,
    copy_beside,
    copy_targets,
    slug,
    write_key_file,
    write_private_text,
    write_profile_files,
)
from station.recipe.ti.recipe_text import cells_from, label_from, render_recipe, setting_toml
from station.recipe.ti.trm_table import (
    ImportedProfile,
    import_trm_table,
    looks_like_trm_table,
    minimal_header,
)

DEFAULT_PROFILE_ID = "bq40z50-r1"


class ImportRefused(RecipeError):
    failure_code = "IMPORT_REFUSED"


@dataclass(frozen=True)
class ImportResult:
    recipe: Path
    profile: Path | None = None
    keys: Path | None = None
    copied: Path | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Request:
    """One import: the file, where its outputs go, and what the command line added."""

    source: Path
    out_dir: Path
    profiles: ProfileLibrary
    profile_id: str | None
    name: str
    key_set_id: str | None
    serial_pattern: str
    serial_example: str
    force: bool

    @property
    def recipe_path(self) -> Path:
        return self.out_dir / f"{self.name}.toml"

    def recipe(self, text: str) -> Path:
        write_private_text(self.recipe_path, text, force=self.force)
        return self.recipe_path

    def text(
        self,
        description: str,
        profile: Profile,
        body: list[str],
        *,
        firmware: Sequence[str] | None = None,
        cells: int | None = None,
        key_set: str = "ti-default",
        label: dict[str, str] | None = None,
    ) -> str:
        """The recipe's text (firmware: the profile's unless given)."""
        return render_recipe(
            name=self.name,
            description=description,
            profile_id=profile.id,
            firmware=profile.firmware if firmware is None else firmware,
            cells=cells,
            body=body,
            key_set=key_set,
            source=self.source.name,
            serial_pattern=self.serial_pattern,
            serial_example=self.serial_example,
            label=label,
        )


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
    stem = re.sub(
        r"\.(gg\.csv|bq\.fs|df\.fs|bqfs|dffs|csv|srec|s19|s28|s37|mot|bin)$",
        "",
        source.name,
        flags=re.IGNORECASE,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    request = _Request(
        source,
        out_dir,
        profiles,
        profile_id,
        slug(name or stem),
        key_set_id,
        serial_pattern,
        serial_example,
        force,
    )
    if lower.endswith(".csv"):
        return _import_gg(request)
    if lower.endswith((".fs", ".bqfs", ".dffs")):
        return _import_flashstream(request)
    if lower.endswith(SREC_SUFFIXES) or lower.endswith(".bin"):
        return _import_image(request)
    raise ImportRefused(f"{source.name}: not a .gg.csv, .bq.fs/.df.fs, .srec or raw .bin dump")


def is_trm_table(source: Path) -> bool:
    """Whether ``source`` is a TI TRM data-flash table (else it is read as a bqStudio export)."""
    text, _ = decode_export(read_source(source), str(source))
    return looks_like_trm_table(text)


def import_profile(
    source: Path,
    out_dir: Path,
    *,
    header: Path | None = None,
    profile_id: str | None = None,
    device_type: int | None = None,
    firmware: str | None = None,
    description: str = "",
    force: bool = False,
) -> ImportedProfile:
    """A profile from a TRM data-flash table (with its ``header``, or a minimal header from
    ``profile_id``, ``device_type`` and ``firmware``) or from the layout of a bqStudio export.
    Every address is unverified; files are written as :func:`import_file` writes them."""
    text, _ = decode_export(read_source(source), str(source))
    if looks_like_trm_table(text):
        if header is None:
            if not (profile_id and device_type is not None and firmware):
                raise ImportRefused(
                    "a TRM table needs a profile header, or an id, device type and firmware"
                )
            out_dir.mkdir(parents=True, exist_ok=True)
            header = out_dir / f"{profile_id}.toml"
            minimal = minimal_header(
                profile_id=profile_id,
                description=description or f"imported from {source.name}",
                device_type=device_type,
                firmware=[firmware],
                table_name=f"{profile_id}.csv",
                source_text=f"{source.name} (TI data-flash table; unverified)",
            )
            write_private_text(header, minimal, force=force)
        return import_trm_table(source, header, out_dir, force=force)
    imported = import_gg(
        parse_gg_csv(text, str(source)),
        None,
        profile_id=profile_id or f"{source.name.split('.')[0]}-layout",
        firmware=firmware or "",
    )
    path = write_profile_files(imported.profile, out_dir, force=force)
    return ImportedProfile(path, path.with_suffix(".csv"), imported.profile)


def read_source(source: Path) -> bytes:
    """A TI file's bytes (a regular file of a sensible size); :class:`FileFormatError` if not."""
    try:
        return read_limited(source, IMPORT_LIMIT, what="TI file")
    except OSError as exc:
        raise FileFormatError([Problem(str(source), None, unreadable(exc))]) from None


def _import_flashstream(r: _Request) -> ImportResult:
    """A recipe that runs the FlashStream as written, copied beside it."""
    data = read_source(r.source)
    stream = parse_flashstream(data, str(r.source))
    profile = r.profiles.get(r.profile_id or DEFAULT_PROFILE_ID)
    check_targets([r.recipe_path, *copy_targets(r.source, r.out_dir)], force=r.force)
    copied = copy_beside(r.source, data, r.out_dir, force=r.force)
    body = [
        "# The FlashStream runs as written (validated: "
        f"{len(stream.lines)} commands, {stream.total_delay_ms} ms of waits).",
        "[flashstream]",
        f"file = {tomltext.basic_string(copied.name)}",
    ]
    text = r.text(f"FlashStream {r.source.name}", profile, body)
    return ImportResult(r.recipe(text), copied=copied)


def _import_image(r: _Request) -> ImportResult:
    """A recipe with the golden image, copied beside it; cells and label from its values."""
    golden = load_golden(r.source)
    profile = r.profiles.get(r.profile_id or DEFAULT_PROFILE_ID)
    check_targets([r.recipe_path, *copy_targets(r.source, r.out_dir)], force=r.force)
    copied = copy_beside(r.source, read_source(r.source), r.out_dir, force=r.force)
    values = profile.decode(golden.image())
    body = [
        "# Bytes the gauge rewrites itself can be left out of the read-back compare:",
        '# verify_mask = ["0x4066-0x406B"]',
        "[image]",
        f"file = {tomltext.basic_string(copied.name)}",
        "verify_mask = []",
    ]
    text = r.text(
        f"golden image {r.source.name}",
        profile,
        body,
        cells=cells_from(profile, values),
        label=label_from(profile, values),
    )
    notes = (
        (f"{golden.outside_bytes} bytes outside data flash (firmware) are ignored",)
        if golden.outside_bytes
        else ()
    )
    return ImportResult(r.recipe(text), copied=copied, notes=notes)


def _import_gg(r: _Request) -> ImportResult:
    """A recipe with the export's values; its own layout as a profile when no profile was named;
    its keys in a key-store file."""
    text, encoding = decode_export(read_source(r.source), str(r.source))
    gg = parse_gg_csv(text, str(r.source))
    existing = r.profiles.get(r.profile_id) if r.profile_id else None
    result = import_gg(gg, existing, profile_id=f"{r.name}-layout")
    profile = result.profile
    keys_path = r.out_dir / f"{r.name}.keys.toml" if result.keys else None
    _check_gg_targets(r, result, keys_path)
    profile_path = (
        write_profile_files(profile, r.out_dir, force=r.force) if result.new_profile else None
    )
    body, skipped = _parameters_table(result)
    key_set = "ti-default"
    if result.keys and keys_path is not None:
        key_set = r.key_set_id or f"{r.name}-keys"
        write_key_file(keys_path, key_set, result.keys, force=r.force)
    values = {p.key: raw for p, raw in result.values}
    recipe = r.text(
        f"bqStudio export {r.source.name}",
        profile,
        body,
        firmware=profile.firmware or ((gg.firmware,) if gg.firmware else ()),
        cells=cells_from(profile, values),
        key_set=key_set,
        label=label_from(profile, values),
    )
    notes = []
    if encoding != "utf-8-sig":
        notes.append(f"{r.source.name} was read as Windows-1252 text (it is not UTF-8)")
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
    return ImportResult(r.recipe(recipe), profile_path, keys_path, notes=tuple(notes))


def _check_gg_targets(r: _Request, result: GGImport, keys_path: Path | None) -> None:
    profile = result.profile
    targets = [r.recipe_path]
    if result.new_profile:
        targets += [r.out_dir / f"{profile.id}.toml", r.out_dir / f"{profile.id}.csv"]
    if keys_path is not None:
        targets.append(keys_path)
    if len(set(targets)) != len(targets):
        raise OutputRefused(
            [
                Problem(
                    str(r.out_dir),
                    None,
                    "two of the files to write have the same name (recipe, profile, keys); "
                    "choose another --name",
                )
            ]
        )
    check_targets(targets, force=r.force, key_files=[keys_path] if keys_path else [])


def _parameters_table(result: GGImport) -> tuple[list[str], int]:
    """``[parameters]`` of the export's values, and how many per-pack values were left out."""
    profile = result.profile
    per_unit = profile.per_unit_keys()
    body = ["[parameters]"]
    skipped = 0
    for p, raw in result.values:
        if profile.is_runtime(p) or profile.is_calibration(p) or p.key in per_unit:
            skipped += 1
            continue
        body.append(f"{tomltext.key(profile.short_name(p))} = {setting_toml(p, raw)}")
    return body, skipped

"""Engineer commands for recipes and gauge profiles: validate, show, diff, import.

Exit codes: 0 all good, 1 a file was refused (every problem listed), 2 usage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from station.cli.common import (
    EXISTING_FILE,
    EXIT_FAIL,
    EXIT_OK,
    FOLDER,
    Failed,
    UsageProblem,
    echo,
    handle_errors,
    path_option,
)
from station.keys import KeyStore, KeyStoreError
from station.recipe.errors import (
    ProblemsError,
    RecipeInvalid,
    SerialRejected,
)
from station.recipe.product import recipe_report as report
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile import profile_report
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.profile_model import Profile
from station.recipe.profile.profile_report import Line, Table

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


def _print(*parts: Table | Sequence[Line]) -> None:
    """Lines as the report labels them, tables in aligned columns."""
    for part in parts:
        if isinstance(part, Table):
            for line in _table(part.rows, part.headers):
                echo(line)
        else:
            for item in part:
                echo(str(item))


# -- recipe commands ------------------------------------------------------------------------


def register(group: click.Group) -> None:
    group.add_command(recipe_group)
    group.add_command(profile_group)


@click.group("recipe")
def recipe_group() -> None:
    """Validate, inspect, compare and import recipes."""


@recipe_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=EXISTING_FILE)
@_profiles_option
@path_option(
    "--keys",
    "keys_path",
    EXISTING_FILE,
    "Key-store file: also check that the recipes' key sets exist in it.",
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
            echo(f"{path}: INVALID ({_problems(len(exc.problems))})")
            for problem in exc.problems:
                echo(f"  {problem}")
            continue
        echo(
            f"{path}: OK {recipe.name} {recipe.version} sha256:{recipe.content_hash}"
            + report.signoff_note(recipe)
        )
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
@click.argument("file", type=EXISTING_FILE)
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
    _print(report.summary(recipe))
    try:
        pack = report.pack_report(recipe, serial or recipe.serial.example, day, speed_hz=speed_hz)
    except SerialRejected as exc:
        raise UsageProblem(str(exc)) from None
    echo("")
    _print(pack.parameters, pack.notes)
    echo("")
    _print(pack.coverage)
    echo("")
    _print(pack.plans)


@recipe_group.command("diff")
@click.argument("a", type=EXISTING_FILE)
@click.argument("b", type=EXISTING_FILE)
@_profiles_option
@handle_errors
def diff_cmd(a: Path, b: Path, profile_dirs: tuple[Path, ...]) -> None:
    """Parameter-level differences between two recipes (exit 0 same, 1 different)."""
    ra, rb = _load(a, profile_dirs), _load(b, profile_dirs)
    found = report.differences(ra, rb)
    if found.none:
        echo(
            f"{a} and {b} program the same values (hashes "
            f"{'equal' if ra.content_hash == rb.content_hash else 'differ: text only'})"
        )
        raise SystemExit(EXIT_OK)
    echo(f"--- {a} ({ra.name} {ra.version})")
    echo(f"+++ {b} ({rb.name} {rb.version})")
    for what, in_a, in_b in found.settings:
        echo(f"  {what}: {in_a} → {in_b}")
    if found.values:
        _print(Table(("parameter", str(a.name), str(b.name)), tuple(found.values)))
    raise SystemExit(EXIT_FAIL)


@recipe_group.command("import")
@click.argument("file", type=EXISTING_FILE)
@path_option(
    "--out",
    "out_dir",
    FOLDER,
    "Folder to write the recipe (and profile, key file) into.",
    required=True,
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
    from station.recipe.ti.importer import import_file

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
            f"fill in before use ({_problems(len(exc.problems))}; run "
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


def _show_profile(prof: Profile, pattern: str | None) -> None:
    _print(profile_report.profile_lines(prof))
    echo("")
    _print(profile_report.parameter_table(prof, pattern), [profile_report.profile_footer(prof)])


@profile_group.command("import")
@click.argument("file", type=EXISTING_FILE)
@path_option("--out", "out_dir", FOLDER, required=True)
@path_option(
    "--header",
    "header",
    EXISTING_FILE,
    "Profile header (TOML) with id, roles, bit fields and changes.",
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
    from station.recipe.ti.importer import import_profile, is_trm_table

    try:
        trm = is_trm_table(file)
        dev: int | None = None
        if trm and header is None:
            if not (profile_id and device_type and firmware):
                raise UsageProblem(
                    "a TRM table needs --header HEADER.toml, or --id, --device-type and --firmware"
                )
            try:
                dev = int(device_type, 0)
            except ValueError:
                raise UsageProblem(f"--device-type {device_type!r} is not a number") from None
        result = import_profile(
            file,
            out_dir,
            header=header,
            profile_id=profile_id,
            device_type=dev,
            firmware=firmware,
            description=description,
            force=force,
        )
    except ProblemsError as exc:
        raise Failed(str(exc)) from None
    except FileExistsError as exc:
        raise Failed(
            f"{exc.filename} is already there; nothing was written (--force replaces it)"
        ) from None
    files = f"{result.header_path} + {result.table_path.name}" if trm else f"{result.header_path}"
    echo(f"profile  {files} ({len(result.profile.parameters)} parameters, all unverified)")


def _problems(n: int) -> str:
    return f"{n} problem{'s' if n != 1 else ''}"

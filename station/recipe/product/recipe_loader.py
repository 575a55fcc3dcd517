"""Loading a recipe file: its tables read as declared (:mod:`station.recipe.product.sections`),
then judged against the gauge profile it names, the chemistry and each other.

Every problem is collected, with its file and line, before :class:`RecipeInvalid` lists them in
file order, so an engineer works down the file once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.files import IMPORT_LIMIT, RECIPE_LIMIT, read_limited
from station.recipe import tomltext
from station.recipe.errors import (
    FileFormatError,
    Problem,
    ProfileInvalid,
    ProfileNotFound,
    RecipeInvalid,
    unreadable,
)
from station.recipe.planning.flashstream_plan import FlashStreamPlan, plan_flashstream
from station.recipe.product import rules
from station.recipe.product.calibration import CalibrationPlan, read_calibration
from station.recipe.product.checks import PostChecks
from station.recipe.product.chemistry import Chemistry
from station.recipe.product.hashing import canonical_text, content_hash, sha256
from station.recipe.product.recipe_model import LabelFields, Recipe, ReferencedFile, Setting
from station.recipe.product.sections import (
    MODES,
    TABLES,
    BackupPolicy,
    ChecksTable,
    FlashStreamTable,
    ImageTable,
    LabelTable,
    Mode,
    RecipeTable,
    SecuritySettings,
    SerialTable,
)
from station.recipe.product.serial import SerialRule
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.profile_model import Profile, UnknownParameter
from station.recipe.profile.values import SettingError, parse_setting
from station.recipe.ti.flashstream import FlashStream, parse_flashstream
from station.recipe.ti.golden import GoldenImage, load_golden
from station.recipe.tomlschema import Reader, Style
from station.recipe.tomltext import show_value

RECIPE_STYLE = Style(
    show=show_value,
    not_text="{key} must be text in quotes",
    strip=True,
    names_entries=True,
    code="RECIPE_INVALID",
)


def load_recipe(
    path: Path,
    profiles: ProfileLibrary | None = None,
    *,
    known_key_sets: Sequence[str] | None = None,
) -> Recipe:
    """Load and validate a recipe; :class:`RecipeInvalid` lists every problem found.

    ``known_key_sets`` (the station's key-store ids), when given, are checked too.
    """
    where = str(path)
    try:
        text = canonical_text(read_limited(path, RECIPE_LIMIT, what="recipe").decode("utf-8"))
    except OSError as exc:
        raise RecipeInvalid([Problem(where, None, unreadable(exc))]) from None
    except UnicodeDecodeError:
        raise RecipeInvalid([Problem(where, None, "not UTF-8 text")]) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeInvalid(
            [Problem(where, tomltext.error_line(exc), f"not valid TOML: {exc}")]
        ) from None
    reader = Reader(where, tomltext.key_lines(text), RECIPE_STYLE, base=path.parent)
    parts = _read(reader, doc, profiles or ProfileLibrary(), known_key_sets)
    if reader.problems:
        raise RecipeInvalid(sorted(reader.problems, key=lambda p: (p.file, p.line or 0)))
    return parts.recipe(path, text)


@dataclass
class _Parts:
    """What the loader has built so far; complete once no problem was found."""

    head: RecipeTable
    profile: Profile | None
    cells: int
    chemistry: Chemistry | None
    nominal: tuple[int, int] | None
    mode: Mode
    settings: tuple[Setting, ...] = ()
    image: GoldenImage | None = None
    stream: FlashStream | None = None
    fs_plan: FlashStreamPlan | None = None
    references: list[ReferencedFile] = field(default_factory=list)
    serial: SerialRule | None = None
    checks: PostChecks | None = None
    label: LabelFields | None = None
    security: SecuritySettings | None = None
    backup: BackupPolicy = field(default_factory=BackupPolicy)
    calibration: CalibrationPlan | None = None

    def recipe(self, path: Path, text: str) -> Recipe:
        # No problem was found, so every piece was built.
        assert self.profile is not None
        assert self.chemistry is not None
        assert self.nominal is not None
        assert self.serial is not None
        assert self.checks is not None
        assert self.label is not None
        assert self.security is not None
        profile = self.profile
        profile_parts = [
            (
                profile.header_path.name if profile.header_path else profile.id,
                profile.header_text.encode(),
            ),
            (
                profile.table_path.name if profile.table_path else "table",
                profile.table_text.encode(),
            ),
        ]
        files = [(r.relative, _referenced_bytes(r)) for r in self.references]
        return Recipe(
            path=path,
            name=self.head.name,
            version=self.head.version,
            description=self.head.description,
            profile=profile,
            firmware=self.head.firmware,
            cells=self.cells,
            chemistry=self.chemistry,
            nominal_cell_mv=self.nominal,
            mode=self.mode,
            settings=self.settings,
            image=self.image,
            flashstream=self.stream,
            serial=self.serial,
            checks=self.checks,
            label=self.label,
            security=self.security,
            backup=self.backup,
            canonical_text=text,
            content_hash=content_hash(text, profile_parts, files),
            references=tuple(self.references),
            fs_plan=self.fs_plan,
            calibration=self.calibration,
        )


def _read(
    r: Reader,
    doc: Mapping[str, Any],
    profiles: ProfileLibrary,
    known_key_sets: Sequence[str] | None,
) -> _Parts:
    """Every table in the order an engineer reads them, each judged as soon as what it is
    judged against is known."""
    r.tables(doc, TABLES)
    head = r.table(doc, "recipe", RecipeTable)
    profile = _profile(r, head, profiles)
    rules.firmware_in_profile(r, head, profile)
    cells = rules.cells(r, head, profile)
    chemistry, nominal = rules.chemistry(r, head)
    parts = _Parts(head, profile, cells, chemistry, nominal, mode=_mode(r, doc))
    _program(r, doc, parts)
    raw_serial = r.raw_table(doc, "serial", SerialTable)
    serial = r.entries(raw_serial, SerialTable, ("serial",))
    parts.serial = rules.serial_rule(r, serial, "manufacturer_info_a" in raw_serial, profile)
    values = _values(parts)
    checks = r.table(doc, "checks", ChecksTable)
    parts.checks = rules.post_checks(r, checks, cells, profile, values)
    parts.label = rules.label_fields(r, r.table(doc, "label", LabelTable), profile, values)
    security = r.table(doc, "security", SecuritySettings)
    parts.security = rules.security(r, security, known_key_sets)
    parts.backup = r.table(doc, "backup", BackupPolicy, required=False)
    parts.calibration = read_calibration(r, dict(doc), profile)
    if profile is not None and cells and chemistry is not None:
        program = next((t for t in ("image", "flashstream") if t in doc), "parameters")
        rules.cross_checks(
            r,
            program,
            profile,
            values,
            parts.settings,
            cells=cells,
            chemistry=chemistry,
            nominal=nominal,
        )
    return parts


def _referenced_bytes(ref: ReferencedFile) -> bytes:
    try:
        return read_limited(ref.path, IMPORT_LIMIT, what=f"{ref.role} file")
    except OSError as exc:
        raise RecipeInvalid([Problem(str(ref.path), None, unreadable(exc))]) from None


# -- [recipe] ---------------------------------------------------------------------------------


def _profile(r: Reader, head: RecipeTable, profiles: ProfileLibrary) -> Profile | None:
    pid = head.profile
    if not pid:
        return None
    if pid.endswith(".toml") and not Path(pid).is_absolute():
        pid = str(r.base / pid)
    try:
        return profiles.get(pid)
    except ProfileNotFound as exc:
        r.add(["recipe", "profile"], str(exc), value=repr(pid))
    except ProfileInvalid as exc:
        r.add(
            ["recipe", "profile"],
            "the profile is invalid:\n    " + "\n    ".join(str(p) for p in exc.problems),
            value=repr(pid),
        )
    return None


# -- what the recipe writes -------------------------------------------------------------------


def _mode(r: Reader, doc: Mapping[str, Any]) -> Mode:
    modes = [m for m in MODES if m in doc]
    if len(modes) != 1:
        r.add(
            [modes[1]] if len(modes) > 1 else [],
            "a recipe programs with exactly one of [parameters], [image] or [flashstream]"
            + (f"; this one has {', '.join(modes)}" if modes else ""),
        )
        return "parameters"
    return modes[0]


def _program(r: Reader, doc: Mapping[str, Any], parts: _Parts) -> None:
    """Settings, golden image or FlashStream (and what the stream writes)."""
    profile, mode = parts.profile, parts.mode
    if mode not in doc:
        return
    if mode == "parameters":
        if profile is not None:
            parts.settings = _settings(r, profile, r.raw_table(doc, "parameters"))
    elif mode == "image":
        parts.image = _image(r, r.table(doc, "image", ImageTable), parts.references)
    else:
        parts.stream = _flashstream(r, r.table(doc, "flashstream", FlashStreamTable), parts)
    if parts.stream is not None and profile is not None:
        try:
            parts.fs_plan = plan_flashstream(parts.stream, profile)
        except FileFormatError as exc:
            r.problems.extend(exc.problems)


def _settings(r: Reader, profile: Profile, table: Mapping[str, Any]) -> tuple[Setting, ...]:
    """``[parameters]``: each value by the name the profile knows it by."""
    out: list[Setting] = []
    seen: dict[str, str] = {}
    for name, value in table.items():
        setting = _setting(r, profile, name, value, seen)
        if setting is not None:
            out.append(setting)
    if not out and not r.problems:
        r.add(["parameters"], "[parameters] sets nothing")
    return tuple(out)


def _setting(
    r: Reader, profile: Profile, name: str, value: object, seen: dict[str, str]
) -> Setting | None:
    path = ["parameters", name]
    shown = show_value(value)
    try:
        p = profile.get(name)
    except UnknownParameter as exc:
        r.add(path, exc.why + exc.hint, parameter=name, value=shown, code="UNKNOWN_PARAMETER")
        return None
    if p.key in seen:
        r.add(path, f"set twice (also as {seen[p.key]!r})", parameter=name)
        return None
    seen[p.key] = name
    why: str | None = None
    if p.key in profile.per_unit_keys():
        why = (
            "a per-unit field: it is written from the scanned serial and "
            "the station clock ([serial] table), never from a fixed value"
        )
    elif profile.is_runtime(p) or profile.is_calibration(p):
        kind = "calibration" if profile.is_calibration(p) else "data the gauge keeps"
        why = f"{kind} for each pack; a recipe must not copy one value into every pack"
    if why is not None:
        r.add(path, why, parameter=name, value=shown)
        return None
    try:
        raw = parse_setting(p, value)
    except SettingError as exc:
        r.add(path, exc.why, parameter=name, value=shown, allowed=exc.allowed)
        return None
    return Setting(p, raw, name, shown, r.line(*path))


def _reference(r: Reader, role: str, full: Path, refs: list[ReferencedFile]) -> bool:
    """Note a file the recipe's hash covers; False (a problem) when it cannot be read."""
    try:
        data = read_limited(full, IMPORT_LIMIT, what=f"{role} file")
    except OSError as exc:
        r.add([role, "file"], unreadable(exc))
        return False
    try:
        rel = str(full.relative_to(r.base))
    except ValueError:
        rel = str(full)
    refs.append(ReferencedFile(role, full, rel, sha256(data), len(data)))
    return True


def _image(r: Reader, table: ImageTable, refs: list[ReferencedFile]) -> GoldenImage | None:
    if not isinstance(table.file, Path):
        return None
    try:
        golden = load_golden(table.file, table.verify_mask)
    except FileFormatError as exc:
        r.problems.extend(exc.problems)
        return None
    _reference(r, "image", table.file, refs)
    return golden


def _flashstream(r: Reader, table: FlashStreamTable, parts: _Parts) -> FlashStream | None:
    full = table.file
    if not isinstance(full, Path):
        return None
    try:
        stream = parse_flashstream(read_limited(full, IMPORT_LIMIT, what="FlashStream"), str(full))
    except FileFormatError as exc:
        r.problems.extend(exc.problems)
        return None
    except OSError as exc:
        r.add(["flashstream", "file"], unreadable(exc))
        return None
    _reference(r, "flashstream", full, parts.references)
    return stream


def _values(parts: _Parts) -> dict[str, RawValue]:
    """What the pack holds once programmed, as far as the recipe says: its values over the
    profile defaults (what the checks, the label and the cross-checks judge)."""
    profile = parts.profile
    if profile is None:
        return {}
    values = {p.key: p.default for p in profile.parameters}
    if parts.mode == "parameters":
        values.update({s.parameter.key: s.raw for s in parts.settings})
    elif parts.fs_plan is not None:
        values.update(parts.fs_plan.values(profile))
    elif parts.image is not None:
        image = parts.image
        given = [
            p for p in profile.parameters if all(image.byte(a) is not None for a in p.addresses)
        ]
        values.update(profile.decode(image.image(), given))
    return values

"""Recipes: one TOML file per product, validated as a whole before any pack sees it.

See ``recipes/*.toml`` for commented examples. Tables:

* ``[recipe]``: name, version, description, profile, firmware, cells, chemistry
  (optional ``nominal_cell_voltage = ["3.5 V", "3.8 V"]`` to narrow the chemistry's range);
* exactly one of ``[parameters]`` (values by parameter name), ``[image]`` (golden data-flash image +
  ``verify_mask``) or ``[flashstream]`` (a ``.bq.fs``/``.df.fs`` run as written);
* ``[serial]``: pattern, example, ``sbs_serial = { group = "unit", modulo = 65536 }``,
  ``manufacturer_info_a = "{serial}"``, ``manufacture_date = true``;
* ``[checks]``: after programming; ``[label]``; ``[security]``; ``[backup]``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from station.files import IMPORT_LIMIT, RECIPE_LIMIT, read_limited
from station.recipe import tomltext
from station.recipe.errors import (
    FileFormatError,
    FirmwareMismatch,
    PlanError,
    Problem,
    ProfileInvalid,
    ProfileNotFound,
    RecipeInvalid,
    SerialRejected,
    unreadable,
)
from station.recipe.planning.flashstream_plan import FlashStreamPlan, plan_flashstream
from station.recipe.planning.writes import Target, WritePlan, build_target, plan_writes
from station.recipe.product.chemistry import Chemistry, load_chemistries
from station.recipe.product.crosschecks import Finding, cross_check, value_in
from station.recipe.product.hashing import canonical_text, content_hash, sha256
from station.recipe.product.serial import SerialRule, UnitIdentity, template_names
from station.recipe.profile.dftypes import RawValue, sbs_date
from station.recipe.profile.image import WRITABLE_END, DataFlashImage
from station.recipe.profile.loader import FIRMWARE_RE, ProfileLibrary
from station.recipe.profile.model import Parameter, Profile, UnknownParameter
from station.recipe.profile.values import SettingError, parse_setting, show_value
from station.recipe.ti.flashstream import FlashStream, parse_flashstream
from station.recipe.ti.golden import GoldenImage, load_golden, parse_ranges
from station.recipe.units import UnitError, convert, format_number, parse_quantity

Mode = Literal["parameters", "image", "flashstream"]

_TABLES: dict[str, set[str]] = {
    "recipe": {
        "name",
        "version",
        "description",
        "profile",
        "firmware",
        "cells",
        "chemistry",
        "nominal_cell_voltage",
    },
    "serial": {"pattern", "example", "sbs_serial", "manufacturer_info_a", "manufacture_date"},
    "parameters": set(),
    "image": {"file", "verify_mask"},
    "flashstream": {"file"},
    "checks": {
        "cell_voltage",
        "max_cell_imbalance",
        "temperature",
        "safety_status_clear",
        "pf_status_clear",
        "manufacturing_status_equals_init",
    },
    "label": {"product", "nominal_voltage", "capacity", "energy", "stock"},
    "security": {"key_set", "full_access", "production_key_set", "ship_mode"},
    "backup": {"policy", "signature"},
}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_STOCK_RE = re.compile(r"^\d+(?:\.\d+)?x\d+(?:\.\d+)?(?:mm|in)$")
#: Label figures must agree with the data flash within this fraction.
LABEL_TOLERANCE = Fraction(2, 100)


# -- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A parameter value from ``[parameters]``: as written, and as stored."""

    parameter: Parameter
    raw: RawValue
    written_name: str
    written_value: str
    line: int | None


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    measured: str
    expected: str
    failure_code: str


@dataclass(frozen=True)
class PostChecks:
    """Checks after programming; the sequence measures, :meth:`evaluate` judges."""

    cells: int
    cell_voltage_mv: tuple[int, int] | None = None
    max_cell_imbalance_mv: int | None = None
    temperature_c: tuple[Decimal, Decimal] | None = None
    safety_status_clear: bool = True
    pf_status_clear: bool = True
    manufacturing_status_equals_init: bool = True
    #: The Mfg Status Init the recipe writes (None: not known, e.g. a FlashStream recipe).
    expected_manufacturing_status: int | None = None

    def evaluate(
        self,
        *,
        cells_seen: int,
        cell_voltages_mv: Sequence[int],
        temperatures_c: Sequence[float],
        safety_status: int,
        pf_status: int,
        manufacturing_status: int,
    ) -> list[CheckOutcome]:
        """Every check with its outcome (the sequence records all of them, pass or fail)."""
        out = [
            CheckOutcome(
                "cells", cells_seen == self.cells, str(cells_seen), str(self.cells), "CELL_COUNT"
            )
        ]
        volts = list(cell_voltages_mv[: self.cells])
        if self.cell_voltage_mv is not None:
            lo, hi = self.cell_voltage_mv
            ok = bool(volts) and all(lo <= v <= hi for v in volts)
            out.append(
                CheckOutcome(
                    "cell voltage",
                    ok,
                    ", ".join(f"{v} mV" for v in volts),
                    f"{lo}..{hi} mV",
                    "CELL_VOLTAGE",
                )
            )
        if self.max_cell_imbalance_mv is not None and volts:
            spread = max(volts) - min(volts)
            out.append(
                CheckOutcome(
                    "cell imbalance",
                    spread <= self.max_cell_imbalance_mv,
                    f"{spread} mV",
                    f"≤ {self.max_cell_imbalance_mv} mV",
                    "CELL_IMBALANCE",
                )
            )
        if self.temperature_c is not None:
            tlo, thi = self.temperature_c
            ok = bool(temperatures_c) and all(float(tlo) <= t <= float(thi) for t in temperatures_c)
            out.append(
                CheckOutcome(
                    "temperature",
                    ok,
                    ", ".join(f"{t:.1f} °C" for t in temperatures_c),
                    f"{tlo}..{thi} °C",
                    "TEMPERATURE",
                )
            )
        if self.safety_status_clear:
            out.append(
                CheckOutcome(
                    "SafetyStatus clear",
                    safety_status == 0,
                    f"0x{safety_status:08X}",
                    "0x00000000",
                    "SAFETY_STATUS",
                )
            )
        if self.pf_status_clear:
            out.append(
                CheckOutcome(
                    "PFStatus clear",
                    pf_status == 0,
                    f"0x{pf_status:08X}",
                    "0x00000000",
                    "PF_STATUS",
                )
            )
        if self.manufacturing_status_equals_init and self.expected_manufacturing_status is not None:
            # Only the persistent enable bits (b3-b9) come from Mfg Status Init.
            mask = 0x03F8
            want = self.expected_manufacturing_status & mask
            out.append(
                CheckOutcome(
                    "ManufacturingStatus",
                    manufacturing_status & mask == want,
                    f"0x{manufacturing_status:04X}",
                    f"0x{want:04X} (b3-b9)",
                    "MANUFACTURING_STATUS",
                )
            )
        return out


@dataclass(frozen=True)
class LabelFields:
    product: str
    nominal_voltage_v: Decimal
    capacity_mah: int
    energy_wh: Decimal
    stock: str


@dataclass(frozen=True)
class SecuritySettings:
    key_set: str
    full_access: bool = False
    production_key_set: str | None = None
    ship_mode: bool = False


@dataclass(frozen=True)
class BackupPolicy:
    policy: Literal["touched", "full"] = "touched"
    signature: bool = True


@dataclass(frozen=True)
class ReferencedFile:
    role: str
    path: Path
    relative: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Recipe:
    """A validated recipe. Build one with :func:`load_recipe`."""

    path: Path
    name: str
    version: str
    description: str
    profile: Profile
    firmware: tuple[str, ...]
    cells: int
    chemistry: Chemistry
    nominal_cell_mv: tuple[int, int]
    mode: Mode
    settings: tuple[Setting, ...]
    image: GoldenImage | None
    flashstream: FlashStream | None
    serial: SerialRule
    checks: PostChecks
    label: LabelFields
    security: SecuritySettings
    backup: BackupPolicy
    canonical_text: str
    content_hash: str
    references: tuple[ReferencedFile, ...] = field(default=())
    #: what the FlashStream writes, line by line (FlashStream recipes)
    fs_plan: FlashStreamPlan | None = None

    # -- values ----------------------------------------------------------------------------

    def values(self) -> dict[str, RawValue]:
        """{parameter key: stored value} the recipe sets (per-unit fields excluded)."""
        if self.mode == "parameters":
            return {s.parameter.key: s.raw for s in self.settings}
        if self.mode == "image" and self.image is not None:
            return self.profile.decode(self.image.image(), self._image_parameters())
        if self.fs_plan is not None:
            return self.fs_plan.values(self.profile)
        return {}

    def _image_parameters(self) -> list[Parameter]:
        assert self.image is not None
        return [
            p
            for p in self.profile.parameters
            if p.end <= WRITABLE_END
            and all(self.image.byte(a) is not None for a in p.addresses)
            and not self.profile.is_runtime(p)
            and not self.profile.is_calibration(p)
        ]

    @property
    def expected_manufacturing_status(self) -> int | None:
        return self.checks.expected_manufacturing_status

    # -- per pack --------------------------------------------------------------------------

    def identify(self, serial: str) -> UnitIdentity:
        """Check a scanned serial; :class:`SerialRejected` when the recipe cannot program it."""
        return self.serial.identify(serial)

    def check_identity(self, device_type: int, firmware: str) -> None:
        """Refuse a pack whose gauge is not the one this recipe was written for."""
        if device_type != self.profile.device_type:
            raise FirmwareMismatch(
                f"the gauge reports device type 0x{device_type:04X}; recipe {self.name} is for "
                f"0x{self.profile.device_type:04X} ({self.profile.id}). Check the pack and the "
                "recipe chosen for this line"
            )
        if firmware not in self.firmware:
            raise FirmwareMismatch(
                f"the gauge runs firmware {firmware}; recipe {self.name} allows "
                f"{', '.join(self.firmware)}. Its data-flash layout may differ: do not program "
                "it; send the pack to engineering"
            )

    def target(self, serial: str, manufacture_date: dt.date) -> Target:
        """Every byte this recipe writes into the pack with ``serial``, made on
        ``manufacture_date`` (the station clock's date)."""
        unit = self.identify(serial)
        settings: list[tuple[Parameter, RawValue]] = []
        raw_bytes: dict[int, int] = {}
        no_verify: set[int] = set()
        if self.mode == "parameters":
            settings = [(s.parameter, s.raw) for s in self.settings]
        elif self.mode == "image" and self.image is not None:
            params = self._image_parameters()
            decoded = self.profile.decode(self.image.image(), params)
            for p in params:
                for a in p.addresses:
                    b = self.image.byte(a)
                    if b is not None:
                        raw_bytes[a] = b
                if p.key in decoded:
                    settings.append((p, decoded[p.key]))
            no_verify = {a for a in raw_bytes if self.image.masked(a)}
        elif self.fs_plan is not None:
            # Every byte the stream writes, as it leaves them; per-unit fields are written after
            # it. Bytes the gauge keeps for itself are not compared after the reset.
            raw_bytes = dict(self.fs_plan.written)
            values = self.fs_plan.values(self.profile)
            settings = [
                (p, values[p.key]) for p in self.fs_plan.parameters_written if p.key in values
            ]
            no_verify = set(self.fs_plan.no_verify)
        per_unit = self._per_unit(unit, manufacture_date)
        per_unit_addresses = {a for p, _ in per_unit for a in p.addresses}
        return build_target(
            self.profile,
            [*settings, *per_unit],
            raw_bytes=raw_bytes,
            no_verify=no_verify - per_unit_addresses,
            serial=serial,
            sbs_serial=unit.sbs_serial,
            manufacture_date=sbs_date(manufacture_date) if self.serial.manufacture_date else None,
            manufacturer_info_a=unit.manufacturer_info_a,
        )

    def written_parameters(self) -> list[Parameter]:
        """Every parameter this recipe may write into a pack (per-unit fields included): what
        must be signed off before it programs real packs."""
        target = self.target(self.serial.example, dt.date(2000, 1, 1))
        return [p for p, _ in target.parameters]

    def per_unit_keys(self) -> set[str]:
        """Keys of the per-unit parameters this recipe writes into every pack (serial number,
        manufacture date, Manufacturer Info A), after anything else it writes."""
        unit = self.identify(self.serial.example)
        return {p.key for p, _ in self._per_unit(unit, dt.date(2000, 1, 1))}

    def _per_unit(self, unit: UnitIdentity, day: dt.date) -> list[tuple[Parameter, RawValue]]:
        out: list[tuple[Parameter, RawValue]] = []
        roles = self.profile.roles
        serial_p = self.profile.role("serial_number")
        if unit.sbs_serial is not None and serial_p is not None:
            out.append((serial_p, unit.sbs_serial))
        date_p = self.profile.role("manufacture_date")
        if self.serial.manufacture_date and date_p is not None:
            out.append((date_p, sbs_date(day)))
        info = roles.manufacturer_info_a
        if unit.manufacturer_info_a is not None and info is not None:
            length_p = self.profile.get(info.length)
            first = self.profile.get(info.first)
            text = unit.manufacturer_info_a.encode("ascii").ljust(info.size, b"\x00")
            out.append((length_p, len(unit.manufacturer_info_a)))
            offset = 0
            while offset < info.size:
                p = self.profile.parameter_at(first.address + offset)
                if p is None:  # the profile loader checked the run is fully described
                    raise PlanError(f"0x{first.address + offset:04X} is not in the profile")
                out.append((p, p.decode(text[offset : offset + p.size])))
                offset += p.size
        return out

    def plan(
        self, target: Target, current: DataFlashImage, *, speed_hz: int = 100_000
    ) -> WritePlan:
        """The writes for one pack, refusing a result the cross-checks call unsafe."""
        result = plan_writes(target, current, backup=self.backup.policy, speed_hz=speed_hz)
        role_keys = set(self.profile.roles.keys())
        roles = [p for p in self.profile.parameters if p.key in role_keys]
        values = self.profile.decode(result.after, roles)
        findings = cross_check(
            self.profile,
            values,
            cells=self.cells,
            chemistry=self.chemistry,
            nominal_cell_mv=self.nominal_cell_mv,
        )
        if findings:
            listed = "; ".join(
                f"{_finding_name(self.profile, f)} = {f.value}: {f.why}" for f in findings
            )
            raise PlanError(
                f"after this plan the pack would hold unsafe settings ({listed}); nothing was "
                "written. The pack holds values the recipe does not set: add them to the recipe"
            )
        return result

    def decode_values(self, image: DataFlashImage) -> dict[str, RawValue]:
        """{parameter key: stored value} in ``image`` for the parameters this recipe sets."""
        params = (
            [s.parameter for s in self.settings]
            if self.mode == "parameters"
            else (
                self._image_parameters()
                if self.mode == "image"
                else list(self.fs_plan.parameters_written if self.fs_plan else ())
            )
        )
        return self.profile.decode(image, params)


def _finding_name(profile: Profile, f: Finding) -> str:
    return profile.short_name(f.parameter) if f.parameter is not None else "recipe"


# -- loading --------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, where: str, text: str) -> None:
        self.where = where
        self.lines = tomltext.key_lines(text)
        self.problems: list[Problem] = []

    def line(self, *path: str) -> int | None:
        return tomltext.line_of(self.lines, *path)

    def add(
        self,
        path: Sequence[str],
        why: str,
        *,
        parameter: str | None = None,
        value: str | None = None,
        allowed: str | None = None,
        code: str = "RECIPE_INVALID",
    ) -> None:
        if parameter is None and len(path) >= 2 and path[0] != "parameters":
            parameter = ".".join(path[:2])  # the entry, e.g. serial.example
        self.problems.append(
            Problem(
                self.where,
                self.line(*path),
                why,
                parameter=parameter,
                value=value,
                allowed=allowed,
                code=code,
            )
        )


def validate_recipe(
    path: Path, profiles: ProfileLibrary | None = None, known_key_sets: Sequence[str] | None = None
) -> list[Problem]:
    """Every problem in the recipe at ``path`` (empty list: valid)."""
    try:
        load_recipe(path, profiles, known_key_sets=known_key_sets)
    except RecipeInvalid as exc:
        return list(exc.problems)
    return []


def load_recipe(
    path: Path,
    profiles: ProfileLibrary | None = None,
    *,
    known_key_sets: Sequence[str] | None = None,
) -> Recipe:
    """Load and validate a recipe; :class:`RecipeInvalid` lists every problem found.

    ``known_key_sets`` (the station's key-store ids), when given, are checked too.
    """
    profiles = profiles or ProfileLibrary()
    where = str(path)
    try:
        raw_bytes = read_limited(path, RECIPE_LIMIT, what="recipe")
        text = raw_bytes.decode("utf-8")
    except OSError as exc:
        raise RecipeInvalid([Problem(where, None, unreadable(exc))]) from None
    except UnicodeDecodeError:
        raise RecipeInvalid([Problem(where, None, "not UTF-8 text")]) from None
    canon = canonical_text(text)
    ctx = _Ctx(where, canon)
    try:
        doc = tomllib.loads(canon)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeInvalid(
            [Problem(where, tomltext.error_line(exc), f"not valid TOML: {exc}")]
        ) from None
    return _Loader(path, canon, doc, ctx, profiles, known_key_sets).load()


def _referenced_bytes(ref: ReferencedFile) -> bytes:
    try:
        return read_limited(ref.path, IMPORT_LIMIT, what=f"{ref.role} file")
    except OSError as exc:
        raise RecipeInvalid([Problem(str(ref.path), None, unreadable(exc))]) from None


def _table(ctx: _Ctx, doc: Mapping[str, Any], name: str, required: bool = True) -> dict[str, Any]:
    value = doc.get(name)
    if value is None:
        if required:
            ctx.add([], f"the [{name}] table is missing")
        return {}
    if not isinstance(value, dict):
        ctx.add([name], f"{name} must be a table ([{name}])")
        return {}
    allowed = _TABLES[name]
    if allowed:
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                ctx.add(
                    [name, key],
                    f"unknown entry {key!r} in [{name}]{hint}",
                    allowed=", ".join(sorted(allowed)),
                )
    return value


class _Loader:
    def __init__(
        self,
        path: Path,
        text: str,
        doc: dict[str, Any],
        ctx: _Ctx,
        profiles: ProfileLibrary,
        known_key_sets: Sequence[str] | None,
    ) -> None:
        self.path = path
        self.text = text
        self.doc = doc
        self.ctx = ctx
        self.profiles = profiles
        self.known_key_sets = known_key_sets

    def load(self) -> Recipe:
        ctx, doc = self.ctx, self.doc
        for key in doc:
            if key not in _TABLES:
                close = difflib.get_close_matches(key, sorted(_TABLES), n=1)
                hint = f"; did you mean [{close[0]}]?" if close else ""
                ctx.add([key], f"unknown table [{key}]{hint}", allowed=", ".join(sorted(_TABLES)))
        head = _table(ctx, doc, "recipe")
        name = self._text(head, "recipe", "name", required=True)
        if name and not _NAME_RE.match(name):
            ctx.add(
                ["recipe", "name"],
                "a recipe name is letters, digits, . _ - (it names files and database rows)",
                value=repr(name),
            )
        version = self._text(head, "recipe", "version", required=True)
        description = self._text(head, "recipe", "description")
        profile = self._profile(head)
        firmware = self._firmware(head, profile)
        cells = self._cells(head, profile)
        chemistry, nominal = self._chemistry(head)

        modes = [m for m in ("parameters", "image", "flashstream") if m in doc]
        mode: Mode = "parameters"
        if len(modes) != 1:
            ctx.add(
                [modes[1]] if len(modes) > 1 else [],
                "a recipe programs with exactly one of [parameters], [image] or [flashstream]"
                + (f"; this one has {', '.join(modes)}" if modes else ""),
            )
        else:
            mode = (
                "image"
                if modes[0] == "image"
                else ("flashstream" if modes[0] == "flashstream" else "parameters")
            )
        settings: tuple[Setting, ...] = ()
        image: GoldenImage | None = None
        stream: FlashStream | None = None
        references: list[ReferencedFile] = []
        if profile is not None and mode == "parameters" and "parameters" in doc:
            settings = self._settings(profile, _table(ctx, doc, "parameters"))
        elif mode == "image" and "image" in doc:
            image = self._image(_table(ctx, doc, "image"), references)
        elif mode == "flashstream" and "flashstream" in doc:
            stream = self._flashstream(_table(ctx, doc, "flashstream"), references)
        fs_plan: FlashStreamPlan | None = None
        if stream is not None and profile is not None:
            try:
                fs_plan = plan_flashstream(stream, profile)
            except FileFormatError as exc:
                ctx.problems.extend(exc.problems)

        serial = self._serial(_table(ctx, doc, "serial"), profile)
        values: dict[str, RawValue] = {}
        if profile is not None:
            values = {p.key: p.default for p in profile.parameters}
            if mode == "parameters":
                values.update({s.parameter.key: s.raw for s in settings})
            elif fs_plan is not None:
                values.update(fs_plan.values(profile))
            elif image is not None:
                golden = image.image()
                values.update(
                    profile.decode(
                        golden,
                        [
                            p
                            for p in profile.parameters
                            if all(image.byte(a) is not None for a in p.addresses)
                        ],
                    )
                )
        mfg = self._mfg_status(profile, values, mode)
        checks = self._checks(_table(ctx, doc, "checks"), cells, mfg, profile, values, mode)
        label = self._label(_table(ctx, doc, "label"), profile, values, mode)
        security = self._security(_table(ctx, doc, "security"))
        backup = self._backup(_table(ctx, doc, "backup", required=False))
        if profile is not None and cells and chemistry is not None:
            self._cross(profile, values, cells, chemistry, nominal, settings)

        if ctx.problems:
            # In file order, so an engineer works down the file once.
            raise RecipeInvalid(sorted(ctx.problems, key=lambda p: (p.file, p.line or 0)))
        # No problem was found, so every piece was built.
        assert profile is not None
        assert chemistry is not None
        assert nominal is not None
        assert serial is not None
        assert label is not None
        assert security is not None
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
        files = [(r.relative, _referenced_bytes(r)) for r in references]
        return Recipe(
            path=self.path,
            name=name,
            version=version,
            description=description,
            profile=profile,
            firmware=firmware,
            cells=cells,
            chemistry=chemistry,
            nominal_cell_mv=nominal,
            mode=mode,
            settings=settings,
            image=image,
            flashstream=stream,
            serial=serial,
            checks=checks,
            label=label,
            security=security,
            backup=backup,
            canonical_text=self.text,
            content_hash=content_hash(self.text, profile_parts, files),
            references=tuple(references),
            fs_plan=fs_plan,
        )

    # -- pieces ----------------------------------------------------------------------------

    def _text(
        self, table: Mapping[str, Any], tname: str, key: str, *, required: bool = False
    ) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.ctx.add([tname, key], f"{key} must be text in quotes", value=show_value(value))
            return ""
        if required and not value.strip():
            self.ctx.add([tname, key] if key in table else [tname], f"{key} is required")
        return value.strip()

    def _bool(self, table: Mapping[str, Any], tname: str, key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.ctx.add([tname, key], f"{key} is true or false", value=show_value(value))
            return default
        return value

    def _profile(self, head: Mapping[str, Any]) -> Profile | None:
        pid = self._text(head, "recipe", "profile", required=True)
        if not pid:
            return None
        if pid.endswith(".toml") and not Path(pid).is_absolute():
            pid = str(self.path.parent / pid)
        try:
            return self.profiles.get(pid)
        except ProfileNotFound as exc:
            self.ctx.add(["recipe", "profile"], str(exc), value=repr(pid))
        except ProfileInvalid as exc:
            self.ctx.add(
                ["recipe", "profile"],
                "the profile is invalid:\n    " + "\n    ".join(str(p) for p in exc.problems),
                value=repr(pid),
            )
        return None

    def _firmware(self, head: Mapping[str, Any], profile: Profile | None) -> tuple[str, ...]:
        fw = head.get("firmware")
        if not isinstance(fw, list) or not fw or not all(isinstance(f, str) for f in fw):
            self.ctx.add(
                ["recipe", "firmware"] if "firmware" in head else ["recipe"],
                'firmware lists the gauge firmware versions allowed, e.g. ["1.09"]',
            )
            return ()
        for f in fw:
            if not FIRMWARE_RE.match(f):
                self.ctx.add(
                    ["recipe", "firmware"],
                    'a firmware version is major.minor as the gauge reports it, e.g. "1.09"',
                    value=repr(f),
                )
            elif profile is not None and f not in profile.firmware:
                self.ctx.add(
                    ["recipe", "firmware"],
                    f"profile {profile.id} does not describe firmware {f}; its layout may differ",
                    value=repr(f),
                    allowed=", ".join(profile.firmware),
                )
        return tuple(fw)

    def _cells(self, head: Mapping[str, Any], profile: Profile | None) -> int:
        cells = head.get("cells")
        lo, hi = 1, 4
        if profile is not None and profile.roles.cell_count is not None:
            f = profile.get(profile.roles.cell_count[0]).field(profile.roles.cell_count[1])
            if f is not None:
                lo, hi = f.min_value, f.max_value
        if isinstance(cells, bool) or not isinstance(cells, int) or not lo <= cells <= hi:
            self.ctx.add(
                ["recipe", "cells"] if "cells" in head else ["recipe"],
                "cells is the number of cells in series",
                value=show_value(cells),
                allowed=f"{lo}..{hi}",
            )
            return 0
        return cells

    def _chemistry(
        self, head: Mapping[str, Any]
    ) -> tuple[Chemistry | None, tuple[int, int] | None]:
        known = load_chemistries()
        cid = head.get("chemistry", "li-ion")
        chem = known.get(cid) if isinstance(cid, str) else None
        if chem is None:
            self.ctx.add(
                ["recipe", "chemistry"],
                "unknown chemistry",
                value=show_value(cid),
                allowed=", ".join(sorted(known)),
            )
            return None, None
        nominal = chem.nominal_cell_mv
        spec = head.get("nominal_cell_voltage")
        if spec is not None:
            mv = self._window(spec, "mV", ["recipe", "nominal_cell_voltage"])
            if mv is not None:
                lo, hi = int(mv[0]), int(mv[1])
                if lo < chem.nominal_cell_mv[0] or hi > chem.nominal_cell_mv[1]:
                    self.ctx.add(
                        ["recipe", "nominal_cell_voltage"],
                        f"may only narrow the {chem.id} range",
                        value=f"{lo}..{hi} mV",
                        allowed=f"within {chem.nominal_cell_mv[0]}..{chem.nominal_cell_mv[1]} mV",
                    )
                else:
                    nominal = (lo, hi)
        return chem, nominal

    def _settings(self, profile: Profile, table: Mapping[str, Any]) -> tuple[Setting, ...]:
        out: list[Setting] = []
        seen: dict[str, str] = {}
        per_unit = profile.per_unit_keys()
        for name, value in table.items():
            path = ["parameters", name]
            try:
                p = profile.get(name)
            except UnknownParameter as exc:
                self.ctx.add(
                    path,
                    exc.why + exc.hint,
                    parameter=name,
                    value=show_value(value),
                    code="UNKNOWN_PARAMETER",
                )
                continue
            if p.key in seen:
                self.ctx.add(path, f"set twice (also as {seen[p.key]!r})", parameter=name)
                continue
            seen[p.key] = name
            if p.key in per_unit:
                self.ctx.add(
                    path,
                    "a per-unit field: it is written from the scanned serial and "
                    "the station clock ([serial] table), never from a fixed value",
                    parameter=name,
                    value=show_value(value),
                )
                continue
            if profile.is_runtime(p) or profile.is_calibration(p):
                kind = "calibration" if profile.is_calibration(p) else "data the gauge keeps"
                self.ctx.add(
                    path,
                    f"{kind} for each pack; a recipe must not copy one value into every pack",
                    parameter=name,
                    value=show_value(value),
                )
                continue
            try:
                raw = parse_setting(p, value)
            except SettingError as exc:
                self.ctx.add(
                    path, exc.why, parameter=name, value=show_value(value), allowed=exc.allowed
                )
                continue
            out.append(Setting(p, raw, name, show_value(value), self.ctx.line(*path)))
        if not out and not self.ctx.problems:
            self.ctx.add(["parameters"], "[parameters] sets nothing")
        return tuple(out)

    def _file(self, table: Mapping[str, Any], tname: str) -> Path | None:
        name = table.get("file")
        if not isinstance(name, str) or not name.strip():
            self.ctx.add(
                [tname, "file"] if "file" in table else [tname],
                "file names the file, relative to the recipe",
            )
            return None
        p = Path(name)
        full = p if p.is_absolute() else self.path.parent / p
        if not full.is_file():
            self.ctx.add([tname, "file"], f"{full} does not exist", value=repr(name))
            return None
        return full

    def _reference(self, role: str, full: Path, refs: list[ReferencedFile]) -> None:
        try:
            data = read_limited(full, IMPORT_LIMIT, what=f"{role} file")
        except OSError as exc:
            self.ctx.add([role, "file"], unreadable(exc))
            return
        try:
            rel = str(full.relative_to(self.path.parent))
        except ValueError:
            rel = str(full)
        refs.append(ReferencedFile(role, full, rel, sha256(data), len(data)))

    def _image(self, table: Mapping[str, Any], refs: list[ReferencedFile]) -> GoldenImage | None:
        full = self._file(table, "image")
        mask_spec = table.get("verify_mask", [])
        ranges: list[tuple[int, int]] = []
        if not isinstance(mask_spec, list):
            self.ctx.add(["image", "verify_mask"], 'verify_mask is a list like ["0x4066-0x406B"]')
        else:
            try:
                ranges = parse_ranges(
                    mask_spec, self.ctx.where, self.ctx.line("image", "verify_mask")
                )
            except FileFormatError as exc:
                self.ctx.problems.extend(exc.problems)
        if full is None:
            return None
        try:
            golden = load_golden(full, ranges)
        except FileFormatError as exc:
            self.ctx.problems.extend(exc.problems)
            return None
        self._reference("image", full, refs)
        return golden

    def _flashstream(
        self, table: Mapping[str, Any], refs: list[ReferencedFile]
    ) -> FlashStream | None:
        full = self._file(table, "flashstream")
        if full is None:
            return None
        try:
            stream = parse_flashstream(
                read_limited(full, IMPORT_LIMIT, what="FlashStream"), str(full)
            )
        except FileFormatError as exc:
            self.ctx.problems.extend(exc.problems)
            return None
        except OSError as exc:
            self.ctx.add(["flashstream", "file"], unreadable(exc))
            return None
        self._reference("flashstream", full, refs)
        return stream

    def _serial(self, table: Mapping[str, Any], profile: Profile | None) -> SerialRule | None:
        ctx = self.ctx
        pattern = self._text(table, "serial", "pattern", required=True)
        example = self._text(table, "serial", "example", required=True)
        if not pattern:
            return None
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            ctx.add(
                ["serial", "pattern"], f"not a valid regular expression: {exc}", value=repr(pattern)
            )
            return None
        group: str | None = None
        base, modulo = 10, None
        spec = table.get("sbs_serial")
        if spec is not None:
            if not isinstance(spec, dict) or not isinstance(spec.get("group"), str):
                ctx.add(
                    ["serial", "sbs_serial"],
                    'sbs_serial = { group = "unit" } names the '
                    "regex group that becomes the 16-bit SBS serial number",
                )
            else:
                group = spec["group"]
                if group not in regex.groupindex:
                    ctx.add(
                        ["serial", "sbs_serial"],
                        f"the pattern has no group named {group!r}",
                        allowed=", ".join(regex.groupindex) or "add (?P<unit>...)",
                    )
                base = spec.get("base", 10)
                modulo = spec.get("modulo")
                if base not in (10, 16):
                    ctx.add(["serial", "sbs_serial"], "base is 10 or 16", value=str(base))
                    base = 10
                if modulo is not None and (
                    isinstance(modulo, bool)
                    or not isinstance(modulo, int)
                    or not 1 <= modulo <= 65536
                ):
                    ctx.add(
                        ["serial", "sbs_serial"],
                        "modulo is a whole number 1..65536",
                        value=show_value(modulo),
                    )
                    modulo = None
                if profile is not None and profile.roles.serial_number is None:
                    ctx.add(
                        ["serial", "sbs_serial"],
                        f"profile {profile.id} has no serial_number role to write it to",
                    )
        info = table.get("manufacturer_info_a")
        info_size = 32
        if info is not None:
            if not isinstance(info, str):
                ctx.add(["serial", "manufacturer_info_a"], 'a template like "{serial}"')
                info = None
            else:
                try:
                    names = template_names(info)
                except ValueError as exc:
                    ctx.add(["serial", "manufacturer_info_a"], str(exc))
                    names = []
                    info = None
                for n in names:
                    if n != "serial" and n not in regex.groupindex:
                        ctx.add(
                            ["serial", "manufacturer_info_a"],
                            f"{{{n}}} is neither {{serial}} nor a group of the pattern",
                            value=repr(info),
                        )
                        info = None
            if profile is not None:
                if profile.roles.manufacturer_info_a is None:
                    ctx.add(
                        ["serial", "manufacturer_info_a"],
                        f"profile {profile.id} has no manufacturer_info_a role",
                    )
                else:
                    info_size = profile.roles.manufacturer_info_a.size
        write_date = self._bool(table, "serial", "manufacture_date", True)
        if write_date and profile is not None and profile.roles.manufacture_date is None:
            ctx.add(
                ["serial", "manufacture_date"], f"profile {profile.id} has no manufacture_date role"
            )
        rule = SerialRule(
            pattern,
            example,
            group,
            int(base),
            modulo,
            info if isinstance(info, str) else None,
            info_size,
            write_date,
        )
        if example:
            try:
                rule.identify(example)
            except SerialRejected as exc:
                ctx.add(
                    ["serial", "example"],
                    f"the example must be a serial this recipe accepts: {exc}",
                    value=repr(example),
                )
        return rule

    def _window(self, spec: object, unit: str, path: list[str]) -> tuple[Fraction, Fraction] | None:
        if not isinstance(spec, list) or len(spec) != 2:
            self.ctx.add(
                path, 'a window is two values, e.g. ["3000 mV", "4200 mV"]', value=show_value(spec)
            )
            return None
        out = [self._quantity(v, unit, path) for v in spec]
        if out[0] is None or out[1] is None:
            return None
        if not out[0] < out[1]:
            self.ctx.add(path, "the low end must be below the high end", value=show_value(spec))
            return None
        return out[0], out[1]

    def _quantity(self, v: object, unit: str, path: list[str]) -> Fraction | None:
        try:
            if isinstance(v, bool):
                raise UnitError("true/false is not a quantity")
            if isinstance(v, float) and not math.isfinite(v):
                raise UnitError(f"{v} is not a quantity")
            if isinstance(v, int | float):
                return Fraction(Decimal(repr(v)) if isinstance(v, float) else v)
            if not isinstance(v, str):
                raise UnitError("a quantity is a number or a string with a unit")
            q = parse_quantity(v)
            return convert(Fraction(q.number), q.unit, unit) if q.unit else Fraction(q.number)
        except UnitError as exc:
            self.ctx.add(path, f"{exc} (expected {unit})", value=show_value(v))
            return None

    def _mfg_status(
        self, profile: Profile | None, values: Mapping[str, RawValue], mode: Mode
    ) -> int | None:
        if profile is None:
            return None
        p = profile.role("mfg_status_init")
        raw = values.get(p.key) if p is not None else None
        return raw if isinstance(raw, int) else None

    def _checks(
        self,
        table: Mapping[str, Any],
        cells: int,
        mfg: int | None,
        profile: Profile | None,
        values: Mapping[str, RawValue],
        mode: Mode,
    ) -> PostChecks:
        volts = temps = None
        imbalance: int | None = None
        if "cell_voltage" in table:
            w = self._window(table["cell_voltage"], "mV", ["checks", "cell_voltage"])
            volts = (int(w[0]), int(w[1])) if w else None
        if "max_cell_imbalance" in table:
            q = self._quantity(table["max_cell_imbalance"], "mV", ["checks", "max_cell_imbalance"])
            if q is not None and q <= 0:
                self.ctx.add(["checks", "max_cell_imbalance"], "must be above 0 mV")
            imbalance = int(q) if q is not None else None
        if "temperature" in table:
            t = self._window(table["temperature"], "°C", ["checks", "temperature"])
            temps = (Decimal(format_number(t[0])), Decimal(format_number(t[1]))) if t else None
        if volts is not None and profile is not None:
            cuv = value_in(profile.role("cuv_threshold"), values, "mV")
            covs = [value_in(p, values, "mV") for p in profile.role_list("cov_thresholds")]
            cov = min((c for c in covs if c is not None), default=None)
            if cuv is not None and volts[0] <= cuv:
                self.ctx.add(
                    ["checks", "cell_voltage"],
                    "the low end must be above the CUV "
                    f"threshold ({format_number(cuv)} mV): a pack passing the check "
                    "could already be in under-voltage protection",
                    value=f"{volts[0]} mV",
                    allowed=f"> {format_number(cuv)} mV",
                )
            if cov is not None and volts[1] >= cov:
                self.ctx.add(
                    ["checks", "cell_voltage"],
                    f"the high end must be below the COV threshold ({format_number(cov)} mV)",
                    value=f"{volts[1]} mV",
                    allowed=f"< {format_number(cov)} mV",
                )
        return PostChecks(
            cells=cells,
            cell_voltage_mv=volts,
            max_cell_imbalance_mv=imbalance,
            temperature_c=temps,
            safety_status_clear=self._bool(table, "checks", "safety_status_clear", True),
            pf_status_clear=self._bool(table, "checks", "pf_status_clear", True),
            manufacturing_status_equals_init=self._bool(
                table, "checks", "manufacturing_status_equals_init", True
            ),
            expected_manufacturing_status=mfg,
        )

    def _label(
        self,
        table: Mapping[str, Any],
        profile: Profile | None,
        values: Mapping[str, RawValue],
        mode: Mode,
    ) -> LabelFields | None:
        product = self._text(table, "label", "product", required=True)
        stock = self._text(table, "label", "stock", required=True)
        if stock and not _STOCK_RE.match(stock):
            self.ctx.add(
                ["label", "stock"],
                "label stock is WIDTHxHEIGHT in mm or in",
                value=repr(stock),
                allowed='"62x29mm", "4x2in"',
            )
        got: dict[str, Fraction | None] = {}
        for key, unit in (("nominal_voltage", "V"), ("capacity", "mAh"), ("energy", "Wh")):
            if key not in table:
                self.ctx.add(["label"], f"label {key} is required")
                got[key] = None
                continue
            got[key] = self._quantity(table[key], unit, ["label", key])
        v, c, e = got["nominal_voltage"], got["capacity"], got["energy"]
        if v is not None and c is not None and e is not None:
            if c.denominator != 1:
                self.ctx.add(["label", "capacity"], "capacity is a whole number of mAh")
            expected_wh = v * c / 1000
            if expected_wh and abs(e - expected_wh) > LABEL_TOLERANCE * expected_wh:
                self.ctx.add(
                    ["label", "energy"],
                    "label energy does not match nominal voltage × "
                    f"capacity = {format_number(expected_wh)} Wh",
                    value=f"{format_number(e)} Wh",
                    allowed="within 2 %",
                )
            if profile is not None:
                self._label_vs_flash(profile, values, v, c, e)
        if v is None or c is None or e is None:
            return None
        return LabelFields(
            product, Decimal(format_number(v)), int(c), Decimal(format_number(e)), stock
        )

    def _label_vs_flash(
        self,
        profile: Profile,
        values: Mapping[str, RawValue],
        v: Fraction,
        c: Fraction,
        e: Fraction,
    ) -> None:
        for role, unit, got, key, label_unit in (
            ("design_capacity_mah", "mAh", c, "capacity", "mAh"),
            ("design_voltage", "V", v, "nominal_voltage", "V"),
            ("design_energy_cwh", "Wh", e, "energy", "Wh"),
        ):
            p = profile.role(role)
            flash = value_in(p, values, unit)
            if p is None or flash is None or flash == 0:
                continue
            if abs(got - flash) > LABEL_TOLERANCE * flash:
                self.ctx.add(
                    ["label", key],
                    f"the label says {format_number(got)} {label_unit} "
                    f"but {profile.short_name(p)} is {format_number(flash)} {unit}: the "
                    "label would not describe the pack",
                    value=f"{format_number(got)} {label_unit}",
                    allowed=f"{format_number(flash)} {unit} ±2 %",
                )

    def _security(self, table: Mapping[str, Any]) -> SecuritySettings | None:
        key_set = self._text(table, "security", "key_set", required=True)
        full = self._bool(table, "security", "full_access", False)
        prod: str | None = self._text(table, "security", "production_key_set") or None
        ship = self._bool(table, "security", "ship_mode", False)
        if prod and not full:
            self.ctx.add(
                ["security", "production_key_set"],
                "installing keys (SecurityKeys, MAC "
                "0x0035) needs FULL ACCESS: set full_access = true",
            )
        if self.known_key_sets is not None:
            for k, path in ((key_set, "key_set"), (prod, "production_key_set")):
                if k and k not in self.known_key_sets:
                    self.ctx.add(
                        ["security", path],
                        f"key set {k!r} is not in the key store",
                        allowed=", ".join(self.known_key_sets),
                    )
        return SecuritySettings(key_set, full, prod, ship) if key_set else None

    def _backup(self, table: Mapping[str, Any]) -> BackupPolicy:
        policy = table.get("policy", "touched")
        if policy not in ("touched", "full"):
            self.ctx.add(
                ["backup", "policy"],
                'policy is "touched" (the blocks a pack gets '
                'written, plus its signature) or "full" (the whole 8 KiB)',
                value=show_value(policy),
            )
            policy = "touched"
        return BackupPolicy(policy, self._bool(table, "backup", "signature", True))

    def _cross(
        self,
        profile: Profile,
        values: Mapping[str, RawValue],
        cells: int,
        chem: Chemistry,
        nominal: tuple[int, int] | None,
        settings: Sequence[Setting],
    ) -> None:
        by_key = {s.parameter.key: s for s in settings}
        name: str | None
        for f in cross_check(profile, values, cells=cells, chemistry=chem, nominal_cell_mv=nominal):
            setting = by_key.get(f.parameter.key) if f.parameter is not None else None
            if setting is not None:
                path = ["parameters", setting.written_name]
                name = setting.written_name
                why = f.why
            else:
                table = next((t for t in ("image", "flashstream") if t in self.doc), "parameters")
                path = [table]
                name = profile.short_name(f.parameter) if f.parameter else None
                # A FlashStream's values are its own (or the pack's), not profile defaults.
                why = f.why + (
                    ""
                    if table == "flashstream"
                    else " (the recipe does not set it: this is the profile default)"
                )
            self.ctx.add(path, why, parameter=name, value=f.value, allowed=f.allowed, code=f.code)

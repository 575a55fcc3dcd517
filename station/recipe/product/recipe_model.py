"""A product's recipe, validated: what it writes into each pack, how it is checked afterwards,
what its label says, and the content hash the database pins.

Build one with :func:`station.recipe.product.recipe_loader.load_recipe`. The file has these
tables (see ``recipes/*.toml`` for commented examples, and :mod:`station.recipe.product.sections`):

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
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from station.recipe.errors import FirmwareMismatch, PlanError
from station.recipe.planning.flashstream_plan import FlashStreamPlan
from station.recipe.planning.writes import Target, WritePlan, build_target, plan_writes
from station.recipe.product.calibration import CalibrationPlan
from station.recipe.product.checks import PostChecks
from station.recipe.product.chemistry import Chemistry
from station.recipe.product.crosschecks import Finding, cross_check
from station.recipe.product.sections import BackupPolicy, Mode, SecuritySettings
from station.recipe.product.serial import SerialRule, UnitIdentity
from station.recipe.profile.dftypes import RawValue, sbs_date
from station.recipe.profile.image import WRITABLE_END, DataFlashImage
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile
from station.recipe.ti.flashstream import FlashStream
from station.recipe.ti.golden import GoldenImage

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
class LabelFields:
    product: str
    nominal_voltage_v: Decimal
    capacity_mah: int
    energy_wh: Decimal
    stock: str


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
    #: the [calibration] plan (None: the recipe does not calibrate)
    calibration: CalibrationPlan | None = None

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

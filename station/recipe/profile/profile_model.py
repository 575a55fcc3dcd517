"""Gauge profiles: the data-flash layout of one gauge firmware, with limits, units and sources.

A profile is data (see :mod:`station.recipe.profile.profile_loader` for the file format); this
module holds the in-memory model (its parameters: :mod:`station.recipe.profile.parameter`),
parameter-name resolution, the image decoder and the sign-off guard.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from station.recipe.errors import CodecError, RecipeError, UnverifiedWriteRefused
from station.recipe.profile.calibration import ProfileCalibration
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.image import DataFlashImage
from station.recipe.profile.parameter import Parameter
from station.recipe.tomlschema import Choice, Loose, entry

#: A firmware version as the gauge reports it: major.minor, the minor in two hex digits.
FIRMWARE_RE = re.compile(r"^\d+\.[0-9A-Fa-f]{2}$")


@dataclass(frozen=True)
class Timing:
    """Gauge timing the station plans and paces with. Figures are UNCONFIRMED unless
    ``verified``; ``sources`` names the source of an entry that has its own."""

    df_write_busy_ms: float = 8.0
    df_write_per_byte_ms: float = 0.2
    reset_wait_ms: float = 300.0
    signature_wait_ms: float = 250.0
    seal_busy_ms: float = 20.0
    #: Nothing follows a data-flash write that drew no NACK before this long.
    df_write_min_ms: float = 100.0
    #: First back-off before a NACKed data-flash write is sent again (doubled each time).
    df_write_backoff_ms: float = 10.0
    #: Attempts per data-flash write the gauge NACKs.
    df_write_attempts: int = 5
    verified: bool = False
    source: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)

    def source_of(self, entry: str) -> str:
        return self.sources.get(entry, self.source)

    def df_write_ms(self, n_bytes: int) -> float:
        return self.df_write_busy_ms + self.df_write_per_byte_ms * n_bytes


@dataclass(frozen=True)
class ByteStringRole:
    """A length byte followed by a run of single-byte parameters (Manufacturer Info A)."""

    length: str
    first: str
    size: int


@dataclass(frozen=True)
class Roles:
    """Which parameters play the parts the station's cross-checks and per-unit fields need.

    Values are parameter keys ("Class:Subclass:Name"); the profile file declares them so no
    parameter name is hard-wired in code.
    """

    cell_count: tuple[str, str] | None = None  # (parameter, bit field)
    design_capacity_mah: str | None = None
    design_energy_cwh: str | None = None
    design_voltage: str | None = None
    cuv_threshold: str | None = None
    cuv_recovery: str | None = None
    cov_thresholds: tuple[str, ...] = ()
    cov_recoveries: tuple[str, ...] = ()
    occ_thresholds: tuple[str, ...] = ()
    ocd_thresholds: tuple[str, ...] = ()
    otc_threshold: str | None = None
    otc_recovery: str | None = None
    serial_number: str | None = None
    manufacture_date: str | None = None
    manufacturer_info_a: ByteStringRole | None = None
    mfg_status_init: str | None = None

    def keys(self) -> list[str]:
        out: list[str] = [self.cell_count[0]] if self.cell_count else []
        for name, value in vars(self).items():
            if name == "cell_count":
                continue
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(v for v in value if isinstance(v, str))
            elif isinstance(value, ByteStringRole):
                out.extend([value.length, value.first])
        return out


#: What a ``[[change]]`` of a profile does to the table it was imported from.
CHANGE_ACTIONS = ("relocate", "drop", "default", "rename", "limits")


@dataclass(frozen=True)
class ProfileChange:
    """A documented difference from the table the profile was imported from."""

    action: str = entry(
        Choice(
            CHANGE_ACTIONS,
            "a change has action = relocate, drop, default, rename or limits",
            shows_value=False,
        )
    )
    parameter: str = entry(Loose())
    value: str = entry(Loose())
    why: str = entry(Loose())
    source: str = entry(Loose())


class UnknownParameter(RecipeError):
    failure_code = "UNKNOWN_PARAMETER"

    def __init__(self, name: str, why: str, suggestions: Sequence[str]) -> None:
        self.name = name
        self.why = why
        self.suggestions = tuple(suggestions)
        quoted = [f'"{s}"' for s in self.suggestions]
        either = (
            ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else "".join(quoted)
        )
        #: ``; did you mean "A" or "B"?`` (empty without suggestions), to follow ``why``
        self.hint = f"; did you mean {either}?" if quoted else ""
        super().__init__(f"{name!r}: {why}{self.hint}")


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,6}$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


#: How an engineer confirmed parameters: values read back from a reference pack configured with
#: known values, or a bqStudio export of the same firmware.
SIGNOFF_METHODS = ("reference-pack", "bqstudio-export")


@dataclass(frozen=True)
class SignOff:
    """An engineer's confirmation that these parameters sit where the profile says, on the
    firmware it names: who, when, how, and the evidence (file, hash, reference pack)."""

    by: str
    on: str
    method: str
    evidence: str
    parameters: tuple[str, ...]  # parameter keys
    line: int | None = None


@dataclass(frozen=True)
class Dispute:
    """Sources that disagree on where a parameter lives; the table's address is one of them, and
    the parameter cannot be signed off until the dispute is settled."""

    parameter: str  # parameter key
    claims: tuple[tuple[str, int], ...]  # (source text, address)
    why: str = ""

    def text(self) -> str:
        return ", ".join(f"0x{address:04X} per {source}" for source, address in self.claims)


@dataclass(frozen=True)
class Profile:
    """The data-flash layout of one gauge firmware."""

    id: str
    description: str
    device_type: int
    firmware: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    builds: tuple[int, ...] = ()
    verified_by: str = ""
    verified_on: str = ""
    timing: Timing = field(default_factory=Timing)
    roles: Roles = field(default_factory=Roles)
    sources: Mapping[str, str] = field(default_factory=dict)
    changes: tuple[ProfileChange, ...] = ()
    signoffs: tuple[SignOff, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    runtime_classes: tuple[str, ...] = ()
    calibration_classes: tuple[str, ...] = ()
    #: the [calibration] table: constants, frame pacing, limits (None: cannot calibrate)
    calibration: ProfileCalibration | None = None
    header_path: Path | None = None
    table_path: Path | None = None
    header_text: str = ""
    table_text: str = ""

    @property
    def signed_off(self) -> bool:
        """Some parameters have been confirmed by an engineer (``verified_by`` on the header
        alone confirms nothing: confirmation is per parameter, in ``[[signoff]]`` entries)."""
        return bool(self.signoffs)

    def disputes_of(self, p: Parameter) -> list[Dispute]:
        return [d for d in self.disputes if d.parameter == p.key]

    # -- indexes -----------------------------------------------------------------------------

    @cached_property
    def _by_key(self) -> dict[str, Parameter]:
        return {_norm(p.key): p for p in self.parameters}

    @cached_property
    def _aliases(self) -> dict[str, list[Parameter]]:
        index: dict[str, list[Parameter]] = {}
        for p in self.parameters:
            for alias in {
                _norm(p.name),
                _norm(f"{p.subclass} {p.name}"),
                _norm(f"{p.subclass}:{p.name}"),
            }:
                index.setdefault(alias, []).append(p)
        return index

    @cached_property
    def _by_address(self) -> dict[int, Parameter]:
        out: dict[int, Parameter] = {}
        for p in self.parameters:
            for a in p.addresses:
                out[a] = p
        return out

    @cached_property
    def known_addresses(self) -> frozenset[int]:
        """Every byte some parameter of the profile describes."""
        return frozenset(self._by_address)

    def parameter_at(self, address: int) -> Parameter | None:
        return self._by_address.get(address)

    # -- names -------------------------------------------------------------------------------

    def get(self, name: str) -> Parameter:
        """The parameter a recipe means by ``name`` ("Class:Subclass:Name", "Subclass Name" or a
        unique bare name); :class:`UnknownParameter` with suggestions otherwise."""
        wanted = _norm(name)
        exact = self._by_key.get(wanted)
        if exact is not None:
            return exact
        matches = self._aliases.get(wanted, [])
        unique = list(dict.fromkeys(matches))
        if len(unique) == 1:
            return unique[0]
        if unique:
            names = [self.short_name(p) for p in unique[:8]]
            raise UnknownParameter(
                name, f"ambiguous in profile {self.id} ({len(unique)} parameters)", names
            )
        return self._unknown(name)

    def _unknown(self, name: str) -> Parameter:
        close = difflib.get_close_matches(_norm(name), list(self._suggestion_pool), n=6, cutoff=0.6)
        shown = list(dict.fromkeys(self._suggestion_pool[c] for c in close))[:3]
        raise UnknownParameter(name, f"no such parameter in profile {self.id}", shown)

    @cached_property
    def _suggestion_pool(self) -> dict[str, str]:
        """{any spelling that finds one parameter: the name to suggest for it}."""
        pool: dict[str, str] = {}
        for p in self.parameters:
            shown = self.short_name(p)
            for alias in (p.name, f"{p.subclass} {p.name}", p.key):
                if len(self._aliases.get(_norm(alias), [])) <= 1:
                    pool.setdefault(_norm(alias), shown)
        return pool

    def short_name(self, p: Parameter) -> str:
        """The name recipes use for ``p``: "Subclass Name" when the subclass is an acronym that
        the name needs ("COV Threshold Low Temp", "OTC Threshold"), else the bare name when it is
        unique ("DA Configuration"), else "Subclass Name", else the full key."""
        with_subclass = f"{p.subclass} {p.name}"
        order = [with_subclass, p.name] if _ACRONYM.match(p.subclass) else [p.name, with_subclass]
        for candidate in order:
            if len(self._aliases.get(_norm(candidate), [])) == 1:
                return candidate
        return p.key

    def is_runtime(self, p: Parameter) -> bool:
        """Data one pack keeps for itself (status, lifetimes, learned state, signatures)."""
        return p.class_name in self.runtime_classes or (
            f"{p.class_name}:{p.subclass}" in self.runtime_classes
        )

    def is_calibration(self, p: Parameter) -> bool:
        return p.class_name in self.calibration_classes or (
            f"{p.class_name}:{p.subclass}" in self.calibration_classes
        )

    def role(self, name: str) -> Parameter | None:
        key = getattr(self.roles, name, None)
        return self._by_key.get(_norm(key)) if isinstance(key, str) else None

    def role_list(self, name: str) -> list[Parameter]:
        keys = getattr(self.roles, name, ())
        return [self._by_key[_norm(k)] for k in keys if _norm(k) in self._by_key]

    def parameters_at(self, addresses: Iterable[int]) -> tuple[Parameter, ...]:
        """The parameters ``addresses`` touch, each once, in the order they are first touched."""
        out: dict[str, Parameter] = {}
        for a in addresses:
            p = self._by_address.get(a)
            if p is not None:
                out.setdefault(p.key, p)
        return tuple(out.values())

    def manufacturer_info_a_keys(self) -> set[str]:
        """Keys of Manufacturer Info A's length and text bytes (none without that role)."""
        info = self.roles.manufacturer_info_a
        if info is None:
            return set()
        first = self.get(info.first)
        text = self.parameters_at(range(first.address, first.address + info.size))
        return {self.get(info.length).key} | {p.key for p in text}

    def per_unit_keys(self) -> set[str]:
        """Parameters every pack gets from its own serial and date, never from a recipe value:
        serial number, manufacture date and Manufacturer Info A."""
        dated = {k for k in (self.roles.serial_number, self.roles.manufacture_date) if k}
        return dated | self.manufacturer_info_a_keys()

    # -- image decoding ----------------------------------------------------------------------

    def decode(
        self, image: DataFlashImage, parameters: Iterable[Parameter] | None = None
    ) -> dict[str, RawValue]:
        """{parameter key: stored value} for every parameter fully present in ``image``.

        Bytes that cannot be the parameter's type (a string with a bad length byte) are left
        out of the result.
        """
        out: dict[str, RawValue] = {}
        for p in self.parameters if parameters is None else parameters:
            data = image.read(p.address, p.size)
            if data is None:
                continue
            try:
                out[p.key] = p.decode(data)
            except CodecError:
                continue
        return out

    def default_image(self, fill: int = 0xFF) -> DataFlashImage:
        """A pack at the profile's defaults (bytes no parameter describes hold ``fill``)."""
        whole = bytearray([fill]) * 0x2000
        for p in self.parameters:
            whole[p.address - 0x4000 : p.end - 0x4000] = p.encode(p.default)
        return DataFlashImage.from_bytes(0x4000, bytes(whole))

    # -- safety ------------------------------------------------------------------------------

    def unverified(self, parameters: Iterable[Parameter]) -> list[Parameter]:
        """The parameters no sign-off confirms (each parameter on its own)."""
        return [p for p in parameters if not p.verified]

    def check_write_allowed(self, parameters: Iterable[Parameter], *, emulated: bool) -> None:
        """Refuse, on real hardware, to write addresses nobody has confirmed for this firmware.

        The emulator implements the profile's own layout, so any address is fine there.
        """
        if emulated:
            return
        risky = self.unverified(parameters)
        if risky:
            disputed = [
                f"{self.short_name(p)} is disputed ({d.text()})"
                for p in risky
                for d in self.disputes_of(p)
            ]
            raise UnverifiedWriteRefused(
                self.id, [self.short_name(p) for p in risky], disputes=disputed
            )

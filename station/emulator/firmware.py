"""The emulated firmware: identity, data-flash layout and defaults, read from the package's data.

Nothing here is a protocol fact in code: identity values, addresses, bit positions and key sets
come from ``station/emulator/data/<firmware>.toml`` and its layout CSV.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType
from typing import Any

from station.emulator.analog import CalibrationModel
from station.emulator.dataflash import DataFlash, Layout, Param

DEFAULT_FIRMWARE = "bq40z50_r1"


@dataclass(frozen=True)
class Identity:
    """What the identification MACs report (ref §1, §5)."""

    address: int
    device_type: int
    firmware_version: bytes
    hardware_version: int
    chem_id: int
    if_signature: int

    def as_device_type(self, device_type: int) -> Identity:
        """The same firmware reporting another device type (the device number inside
        FirmwareVersion is big-endian, ref §1)."""
        fw = device_type.to_bytes(2, "big") + self.firmware_version[2:]
        return replace(self, device_type=device_type, firmware_version=fw)


@dataclass(frozen=True)
class KeyWords:
    """An unseal pair and a full-access pair, in the order they are sent."""

    unseal: tuple[int, int] = field(repr=False)
    full_access: tuple[int, int] = field(repr=False)

    def __repr__(self) -> str:
        return "KeyWords(<hidden>)"

    def __post_init__(self) -> None:
        for word in (*self.unseal, *self.full_access):
            if not 0 <= word <= 0xFFFF:
                raise ValueError("a key word is a 16-bit value")


@dataclass(frozen=True)
class Firmware:
    name: str
    identity: Identity
    layout: Layout
    df_start: int
    df_end: int
    read_only_from: int
    erased: int
    roles: Mapping[str, str]
    signature_always_excluded: tuple[str, ...]
    signature_dynamic: tuple[str, ...]
    signature_chemistry: tuple[str, ...]
    lifetime_groups: tuple[str, ...]
    pf_data_groups: tuple[str, ...]
    safety_bits: Mapping[str, int]
    pf_bits: Mapping[str, int]
    charge_blocking: int
    discharge_blocking: int
    keysets: Mapping[str, KeyWords]
    #: how the firmware calibrates: raw output, constants, reported readings
    calibration: CalibrationModel
    #: SBS Configuration bit that makes the gauge append PEC to what it sends the host.
    host_pec_bit: int = 2

    def param(self, role: str) -> Param:
        """The layout row the firmware uses for ``role`` (a key of the TOML ``[params]``)."""
        return self.layout[self.roles[role]]

    def lookup(self, name: str) -> Param:
        """A row by role or by full "class:subclass:name"."""
        return self.param(name) if name in self.roles else self.layout[name]

    def default_flash(self) -> DataFlash:
        image = bytearray([self.erased]) * (self.df_end - self.df_start)
        # Rows the layout places on the same bytes: the role-named (sourced) row is written last.
        preferred = set(self.roles.values())
        ordered = sorted(self.layout, key=lambda p: p.key in preferred)
        for p in ordered:
            offset = p.address - self.df_start
            image[offset : offset + p.size] = p.default_bytes()
        image[self.read_only_from - self.df_start :] = bytes(self.df_end - self.read_only_from)
        return DataFlash(self.df_start, self.df_end, self.read_only_from, bytes(image))

    def safety_mask(self, names: Sequence[str]) -> int:
        return _mask(self.safety_bits, names, "SafetyStatus")

    def pf_mask(self, names: Sequence[str]) -> int:
        return _mask(self.pf_bits, names, "PFStatus")


def _mask(bits: Mapping[str, int], names: Sequence[str], what: str) -> int:
    mask = 0
    for name in names:
        if name not in bits:
            raise KeyError(f"{what} has no bit {name!r}; known: {', '.join(bits)}")
        mask |= 1 << bits[name]
    return mask


def _read_data(filename: str) -> str:
    return (
        resources.files("station.emulator").joinpath("data").joinpath(filename).read_text("utf-8")
    )


def load_firmware(name: str = DEFAULT_FIRMWARE) -> Firmware:
    """Load the emulated firmware ``name`` from the package data."""
    cfg: dict[str, Any] = tomllib.loads(_read_data(f"{name}.toml"))
    ident = cfg["identity"]
    df = cfg["dataflash"]
    bits = cfg["bits"]
    safety = MappingProxyType(dict(bits["safety_status"]))
    layout = Layout.from_csv(_read_data(df["layout"]))
    roles = MappingProxyType(dict(cfg["params"]))
    for role, key in roles.items():
        if key not in layout:
            raise ValueError(f"{name}.toml: [params] {role} names {key!r}, not in the layout")
    return Firmware(
        name=name,
        identity=Identity(
            address=ident["address"],
            device_type=ident["device_type"],
            firmware_version=bytes.fromhex(ident["firmware_version"]),
            hardware_version=ident["hardware_version"],
            chem_id=ident["chem_id"],
            if_signature=ident["if_signature"],
        ),
        layout=layout,
        df_start=df["start"],
        df_end=df["end"],
        read_only_from=df["read_only_from"],
        erased=df["erased"],
        roles=roles,
        signature_always_excluded=tuple(cfg["signatures"]["always_excluded"]),
        signature_dynamic=tuple(cfg["signatures"]["dynamic"]),
        signature_chemistry=tuple(cfg["signatures"]["chemistry"]),
        lifetime_groups=tuple(cfg["resets"]["lifetime"]),
        pf_data_groups=tuple(cfg["resets"]["pf_data"]),
        safety_bits=safety,
        pf_bits=MappingProxyType(dict(bits["pf_status"])),
        charge_blocking=_mask(safety, bits["blocking"]["charge"], "SafetyStatus"),
        discharge_blocking=_mask(safety, bits["blocking"]["discharge"], "SafetyStatus"),
        keysets=MappingProxyType(
            {
                k: KeyWords(tuple(v["unseal"]), tuple(v["full_access"]))
                for k, v in cfg["keysets"].items()
            }
        ),
        calibration=CalibrationModel.from_toml(cfg["calibration"], layout),
        host_pec_bit=int(cfg["smbus"]["host_pec_bit"]),
    )

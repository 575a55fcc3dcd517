"""Bring-up test helpers: emulated reference packs, their exports, and profile copies an engineer
would keep in a profiles folder."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from station.clock import VirtualClock
from station.emulator import EmulatedGauge, open_emulator
from station.emulator.ggexport import gg_csv_text
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.image import DataFlashImage
from station.recipe.profile.library import package_profile_dir
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile
from station.recipe.ti.ggcsv import GGFile, parse_gg_csv

CREATED = dt.datetime(2026, 12, 5, 21, 0)


def emulated_pack(scenario: str = "reference") -> EmulatedGauge:
    return open_emulator(scenario, clock=VirtualClock())


def export_of(device: EmulatedGauge, name: str = "ref.gg.csv") -> GGFile:
    return parse_gg_csv(gg_csv_text(device, created=CREATED), name)


def image_of(device: EmulatedGauge) -> DataFlashImage:
    return DataFlashImage.from_bytes(0x4000, device.df_peek(0x4000, 0x2000))


def profile_copy(
    folder: Path, profile_id: str = "line-r1", *, relocate: dict[str, int] | None = None
) -> Path:
    """The shipped profile copied into ``folder`` under ``profile_id``; ``relocate`` gives
    parameters (full names) another address in the copy's table (a wrong address)."""
    shipped = package_profile_dir()
    header = (shipped / "bq40z50-r1.toml").read_text(encoding="utf-8")
    header = header.replace('id = "bq40z50-r1"', f'id = "{profile_id}"').replace(
        'table = "bq40z50-r1.csv"', f'table = "{profile_id}.csv"'
    )
    table = (shipped / "bq40z50-r1.csv").read_text(encoding="utf-8")
    for key, address in (relocate or {}).items():
        cls, sub, name = key.split(":")
        pattern = re.compile(
            rf"^({re.escape(cls)},{re.escape(sub)},{re.escape(name)}),0x[0-9A-Fa-f]+,", re.M
        )
        table, n = pattern.subn(rf"\g<1>,0x{address:04X},", table)
        assert n == 1, key
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{profile_id}.toml").write_text(header, encoding="utf-8")
    (folder / f"{profile_id}.csv").write_text(table, encoding="utf-8")
    return folder / f"{profile_id}.toml"


def free_address(profile: Profile, size: int) -> int:
    """An address no parameter of ``profile`` uses, for ``size`` bytes."""
    taken = profile.known_addresses
    for a in range(0x5000, 0x5F80 - size):
        if not any(b in taken for b in range(a - 1, a + size + 1)):
            return a
    raise AssertionError("no free data flash")


def distinct_value(p: Parameter) -> RawValue:
    """A stored value of ``p`` within its limits whose bytes are not all alike: what an engineer
    sets on the reference pack so the export proves its address."""
    if p.dtype.kind == "S":
        return "REFPACK"[: p.dtype.max_chars] or "R"
    if p.dtype.kind == "F":
        candidates: list[RawValue] = [1.5, 0.5, 2.5, 1500.5, 30000.5]
    else:
        lo = p.minimum if p.minimum is not None else p.dtype.raw_min
        hi = p.maximum if p.maximum is not None else p.dtype.raw_max
        candidates = [0x5A, 0x1234, 0x12345678, 37, 1234, -1234, int(lo) + 1, int(hi) - 1, int(hi)]
    for value in candidates:
        if p.limits_problem(value) is not None:
            continue
        data = p.encode(value)
        alike = set(data)
        if not (alike <= {0} or alike <= {0xFF} or (len(data) > 1 and len(alike) == 1)):
            return value
    raise AssertionError(f"no distinct value for {p.key}")


def load(path: Path) -> Profile:
    return load_profile(path)

"""A FlashStream recipe that programs what the 4S3P parameter recipe programs, as bqStudio would
export it: an unseal and full-access prologue (key words), then one block write per run of
known bytes the recipe sets, each followed by a wait, and a DeviceReset at the end.

The per-unit fields (serial number, Manufacturer Info A, manufacture date) are not in the stream:
the recipe's ``[serial]`` table asks for them, as it does for the parameter recipe.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path

from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from tests.recipe.helpers import EXAMPLE_4S

#: The TI default keys, as a bqStudio FlashStream prologue carries them.
PROLOGUE = (
    "; unseal, then full access, with the keys of the golden pack\n"
    "SWW: 16 00 14 04\n"
    "SWW: 16 00 72 36\n"
    "X: 250\n"
    "SWW: 16 00 FF FF\n"
    "SWW: 16 00 FF FF\n"
    "X: 250\n"
)


def stream_text(extra: str = "") -> str:
    """The FlashStream of the 4S3P recipe's settings (per-unit fields left out)."""
    recipe = load_recipe(EXAMPLE_4S)
    target = recipe.target(recipe.serial.example, dt.date(2026, 3, 14))
    per_unit = {a for p in _per_unit(recipe) for a in p.addresses}
    data = {a: b for a, b in target.data.items() if a not in per_unit}
    lines = [PROLOGUE]
    run: list[int] = []
    for a in [*sorted(data), None]:
        if a is not None and run and a == run[-1] + 1 and a % 32 != 0:
            run.append(a)
            continue
        if run:
            body = " ".join(f"{data[x]:02X}" for x in run)
            lines.append(f"SWB: 16 44 {run[0] & 0xFF:02X} {run[0] >> 8:02X} {body}\nX: 10\n")
        run = [a] if a is not None else []
    lines.append(extra)
    lines.append("; reset so the new configuration is loaded\nSWW: 16 00 41 00\nX: 300\n")
    return "".join(lines)


def _per_unit(recipe: Recipe) -> list[object]:
    profile = recipe.profile
    out = [profile.role("serial_number"), profile.role("manufacture_date")]
    info = profile.roles.manufacturer_info_a
    if info is not None:
        first = profile.get(info.first)
        out.append(profile.get(info.length))
        out += [profile.parameter_at(a) for a in range(first.address, first.address + info.size)]
    return [p for p in out if p is not None]


def recipe_text(stream_name: str) -> str:
    """The 4S3P recipe with its [parameters] replaced by the FlashStream."""
    text = EXAMPLE_4S.read_text(encoding="utf-8")
    start = text.index("[parameters]")
    end = text.index("[checks]")
    return (
        text[:start].replace('name = "pk4s3p-3500"', 'name = "pk4s3p-3500-fs"')
        + f'[flashstream]\nfile = "{stream_name}"\n\n'
        + text[end:]
    )


def write_flashstream_recipe(folder: Path, *, extra: str = "", name: str = "pk4s3p-fs") -> Path:
    """The FlashStream (``name``.bq.fs) and its recipe (``name``.toml) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.bq.fs").write_text(stream_text(extra), encoding="ascii")
    path = folder / f"{name}.toml"
    path.write_text(recipe_text(f"{name}.bq.fs"), encoding="utf-8")
    return path


@functools.cache
def flashstream_recipe() -> Recipe:
    """The FlashStream twin of the 4S3P recipe, loaded once."""
    folder = Path(tempfile.mkdtemp(prefix="fs-recipe-"))
    return load_recipe(write_flashstream_recipe(folder))

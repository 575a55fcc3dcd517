"""Per-chemistry safety envelopes (data in ``chemistry.toml`` beside this module)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Chemistry:
    id: str
    description: str
    cov_max_mv: int
    cuv_min_mv: int
    nominal_cell_mv: tuple[int, int]
    otc_max_c: int


def load_chemistries() -> dict[str, Chemistry]:
    text = resources.files("station.recipe.product").joinpath("chemistry.toml").read_text("utf-8")
    raw = tomllib.loads(text)["chemistry"]
    out: dict[str, Chemistry] = {}
    for cid, c in raw.items():
        lo, hi = c["nominal_cell_mv"]
        out[cid] = Chemistry(
            id=cid,
            description=str(c["description"]),
            cov_max_mv=int(c["cov_max_mv"]),
            cuv_min_mv=int(c["cuv_min_mv"]),
            nominal_cell_mv=(int(lo), int(hi)),
            otc_max_c=int(c["otc_max_c"]),
        )
    return out

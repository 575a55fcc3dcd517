"""Label content shared by the label tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from station.labels import LabelData


def make_data(**overrides: Any) -> LabelData:
    """A 4S2P pack: 14.4 V x 6700 mAh = 96.48 Wh."""
    values: dict[str, Any] = {
        "serial": "PK-2026-000123",
        "product": "Cordless 4S2P pack",
        "recipe": "PACK-4S2P",
        "recipe_version": "3",
        "nominal_voltage_v": 14.4,
        "capacity_mah": 6700,
        "energy_wh": 96.48,
        "manufactured": dt.date(2026, 1, 31),
        "station_id": "ST-01",
        "extra_lines": ("Li-ion UN3480",),
    }
    values.update(overrides)
    return LabelData(**values)

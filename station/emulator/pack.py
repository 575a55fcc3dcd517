"""The physical pack behind the gauge: cells, temperature, current, charge.

The gauge measures what is connected. A cell input the configuration counts but that has no cell
on it reads near 0 mV (that is how "fewer cells than configured" shows on a real pack); inputs
beyond the configured cell count read 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_CELLS = 4
#: SBS Temperature() offset: 0.1 K = 0.1 °C + 2731 (55 °C reads 3281, ref §0 d).
KELVIN_OFFSET_DK = 2731


def _default_cells() -> list[int]:
    return [3702, 3699, 3701, 3698]


@dataclass
class PackModel:
    """Live physical state; tests and scenarios change it between transactions."""

    #: Cells physically connected, counted from cell 1 (1-4).
    cells_connected: int = 4
    #: Voltage of each cell position 1..4 in mV (a position with no cell is ignored).
    cell_mv: list[int] = field(default_factory=_default_cells)
    temperature_c: float = 25.0
    #: Positive = charging, negative = discharging (SBS convention, ref §3.1).
    current_ma: int = 0
    average_current_ma: int = 0
    remaining_mah: int = 2200
    full_charge_mah: int = 4400
    #: What a configured but unconnected cell input reads (leakage through the balancing network).
    open_input_mv: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.cells_connected <= MAX_CELLS:
            raise ValueError(f"a pack has 1-{MAX_CELLS} cells, not {self.cells_connected}")
        if len(self.cell_mv) != MAX_CELLS:
            raise ValueError(f"cell_mv lists {MAX_CELLS} cell positions, not {len(self.cell_mv)}")
        if not 0 <= self.remaining_mah <= max(self.full_charge_mah, 0):
            raise ValueError("remaining capacity must be between 0 and full-charge capacity")

    def cell_readings(self, configured: int) -> list[int]:
        """mV the gauge measures on inputs 1..4 with ``configured`` cells configured."""
        out = []
        for position in range(1, MAX_CELLS + 1):
            if position > configured:
                out.append(0)
            elif position > self.cells_connected:
                out.append(self.open_input_mv)
            else:
                out.append(self.cell_mv[position - 1])
        return out

    def voltage_mv(self, configured: int) -> int:
        return sum(self.cell_readings(configured))

    def temperature_dk(self) -> int:
        return round(self.temperature_c * 10) + KELVIN_OFFSET_DK

    def rsoc(self) -> int:
        if self.full_charge_mah <= 0:
            return 0
        return min(100, round(100 * self.remaining_mah / self.full_charge_mah))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackModel:
        return cls(**data)

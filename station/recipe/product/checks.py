"""The checks a pack must pass after programming, as a recipe's ``[checks]`` asks for them.

The sequence measures; :meth:`PostChecks.evaluate` judges every check, pass or fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


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
        count = CheckOutcome(
            "cells", cells_seen == self.cells, str(cells_seen), str(self.cells), "CELL_COUNT"
        )
        return [
            count,
            *self._cells(list(cell_voltages_mv[: self.cells])),
            *self._temperature(temperatures_c),
            *self._status(safety_status, pf_status, manufacturing_status),
        ]

    def _cells(self, volts: list[int]) -> list[CheckOutcome]:
        out = []
        if self.cell_voltage_mv is not None:
            lo, hi = self.cell_voltage_mv
            ok = bool(volts) and all(lo <= v <= hi for v in volts)
            measured = ", ".join(f"{v} mV" for v in volts)
            out.append(CheckOutcome("cell voltage", ok, measured, f"{lo}..{hi} mV", "CELL_VOLTAGE"))
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
        return out

    def _temperature(self, temperatures_c: Sequence[float]) -> list[CheckOutcome]:
        if self.temperature_c is None:
            return []
        tlo, thi = self.temperature_c
        ok = bool(temperatures_c) and all(float(tlo) <= t <= float(thi) for t in temperatures_c)
        measured = ", ".join(f"{t:.1f} °C" for t in temperatures_c)
        return [CheckOutcome("temperature", ok, measured, f"{tlo}..{thi} °C", "TEMPERATURE")]

    def _status(self, safety: int, pf: int, manufacturing: int) -> list[CheckOutcome]:
        out = []
        if self.safety_status_clear:
            out.append(
                CheckOutcome(
                    "SafetyStatus clear",
                    safety == 0,
                    f"0x{safety:08X}",
                    "0x00000000",
                    "SAFETY_STATUS",
                )
            )
        if self.pf_status_clear:
            out.append(
                CheckOutcome("PFStatus clear", pf == 0, f"0x{pf:08X}", "0x00000000", "PF_STATUS")
            )
        if self.manufacturing_status_equals_init and self.expected_manufacturing_status is not None:
            # Only the persistent enable bits (b3-b9) come from Mfg Status Init.
            mask = 0x03F8
            want = self.expected_manufacturing_status & mask
            out.append(
                CheckOutcome(
                    "ManufacturingStatus",
                    manufacturing & mask == want,
                    f"0x{manufacturing:04X}",
                    f"0x{want:04X} (b3-b9)",
                    "MANUFACTURING_STATUS",
                )
            )
        return out

"""What one pack's calibration measured, wrote and showed afterwards, and how the run keeps
it: the step's measurements, the store's rows, the parameters it may write."""

from __future__ import annotations

from dataclasses import dataclass, field

from station.gauge.calibration import RawAverages
from station.instruments.model import Reading
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.parameter import Parameter
from station.sequence.events import Measurement, Verdict
from station.store.records import CalibrationValueRecord


@dataclass(frozen=True)
class ConstantChange:
    name: str
    parameter: str
    address: int
    old: RawValue
    new: RawValue
    old_bytes: bytes
    new_bytes: bytes


@dataclass(frozen=True)
class Residual:
    """A reading after calibration against its reference."""

    what: str
    reading: float
    reference: float
    tolerance: float
    unit: str

    @property
    def error(self) -> float:
        return self.reading - self.reference

    @property
    def passed(self) -> bool:
        return abs(self.error) <= self.tolerance

    def text(self) -> str:
        mark = "ok" if self.passed else "OUT"
        return (
            f"{self.what}: {self.reading:g} {self.unit} vs {self.reference:g} {self.unit} "
            f"(error {self.error:+.3g}, ±{self.tolerance:g}) {mark}"
        )


@dataclass
class CalibrationRecord:
    """What one pack's calibration measured, wrote and showed afterwards."""

    items: tuple[str, ...]
    sensors: tuple[str, ...]
    references: list[Reading] = field(default_factory=list)
    raw: dict[str, RawAverages] = field(default_factory=dict)
    computed: dict[str, float] = field(default_factory=dict)
    changes: list[ConstantChange] = field(default_factory=list)
    residuals: list[Residual] = field(default_factory=list)
    temperatures_dk: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    written: bool = False
    started_at: float = 0.0
    finished_at: float = 0.0
    frames: int = 0

    @property
    def passed(self) -> bool:
        return self.written and not self.problems and all(r.passed for r in self.residuals)

    @property
    def duration_s(self) -> float:
        return self.finished_at - self.started_at

    def instruments(self) -> dict[str, str]:
        """Instrument name → identity text, for every instrument that gave a reference."""
        return {r.instrument: r.identity.text() for r in self.references}


def calibration_parameters(recipe: Recipe) -> list[Parameter]:
    """Every parameter a recipe's calibration may write (none without [calibration])."""
    plan = recipe.calibration
    if plan is None:
        return []
    keys = [*plan.profile.constants.values()]
    keys += [plan.profile.temperature_offsets[s] for s in plan.sensors]
    return [recipe.profile.get(k) for k in keys]


def calibration_measurements(rec: CalibrationRecord) -> list[Measurement]:
    """The residuals as the step's measurements (PASS/FAIL against the recipe's tolerances)."""
    return [
        Measurement(
            f"calibration {r.what}",
            r.reading,
            r.unit,
            r.reference - r.tolerance,
            r.reference + r.tolerance,
            Verdict.of(r.passed),
        )
        for r in rec.residuals
    ]


def calibration_rows(rec: CalibrationRecord) -> list[CalibrationValueRecord]:
    """Everything the calibration measured, wrote and showed, for the store."""
    rows: list[CalibrationValueRecord] = []
    for ref in rec.references:
        rows.append(
            CalibrationValueRecord(
                "reference", ref.quantity, ref.value, ref.unit,
                instrument=f"{ref.instrument}: {ref.identity.text()}",
                detail=f"calibration due {ref.due.isoformat()}",
            )
        )  # fmt: skip
    for step, avg in rec.raw.items():
        # The counts the step's constants come from: the voltages, or the coulomb counter.
        counts: dict[str, float] = {"cc": avg.cc}
        if step == "voltage":
            counts = {f"cell{n}": v for n, v in enumerate(avg.cells, start=1)}
            counts.update({"pack": avg.pack, "bat": avg.bat})
        for what, value in counts.items():
            rows.append(
                CalibrationValueRecord(
                    "raw", f"{step} {what}", value, "counts",
                    detail=f"{avg.frames} frames, counter {avg.first_counter}..{avg.last_counter}",
                )
            )  # fmt: skip
    for c in rec.changes:
        rows.append(
            CalibrationValueRecord(
                "constant", c.name, _as_float(c.new), "", old_value=_as_float(c.old),
                detail=f"{c.parameter} at 0x{c.address:04X}: {c.old_bytes.hex(' ')} -> "
                f"{c.new_bytes.hex(' ')}",
            )
        )  # fmt: skip
    for r in rec.residuals:
        rows.append(
            CalibrationValueRecord(
                "residual", r.what, r.error, r.unit, old_value=r.reference,
                tolerance=r.tolerance, passed=r.passed, detail=f"read {r.reading:g} {r.unit}",
            )
        )  # fmt: skip
    return rows


def _as_float(value: RawValue) -> float | None:
    return float(value) if isinstance(value, int | float) else None

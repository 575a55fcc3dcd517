"""A recipe's ``[calibration]`` table: what to calibrate, how many frames to average, and how
close the pack's readings must come to the references afterwards::

    [calibration]
    items = ["cell_voltage", "bat_voltage", "cc_offset", "board_offset", "cc_gain"]
    temperature_sensors = ["TS1", "TS2"]   # the sensors the pack really uses
    reference_current = "-2000 mA"         # through the shunt for CC gain (discharge negative)
    cc_gain = ["1.70", "2.05"]             # narrows the profile's CC Gain window (BOM shunt)
    voltage_samples = 8
    offset_samples = 32
    current_samples = 8
    cell_tolerance = "5 mV"
    voltage_tolerance = "50 mV"            # BAT, PACK and Voltage()
    current_tolerance = "10 mA"
    temperature_tolerance = "1.5 °C"

The steps run in TI's order whatever the order of ``items`` (reference §0 #12). The tolerances'
defaults are the reference's suggestions (§7.4, INFERRED: not TI numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from station.gauge.calibration import DA_STATUS2_SENSORS, FramePacing
from station.gauge.calmath import CalibrationLimits, Window
from station.recipe.profile.calibration import ProfileCalibration
from station.recipe.profile.profile_model import Profile
from station.recipe.tomlschema import MISSING, Kind, Place, QuantityEntry, Reader, entry

#: What a recipe can ask to calibrate, in TI's order (temperatures come after).
ITEMS = ("cell_voltage", "bat_voltage", "pack_voltage", "cc_offset", "board_offset", "cc_gain")


@dataclass(frozen=True)
class Names(Kind):
    """A list of names out of ``allowed`` (empty allowed)."""

    allowed: tuple[str, ...] = ()
    what: str = ""

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            at.add(f"{at.key} is a list of {self.what}", allowed=", ".join(self.allowed))
            return ()
        for v in value:
            if v not in self.allowed:
                at.add(f"unknown {self.what} {v!r}", allowed=", ".join(self.allowed))
        return tuple(v for v in self.allowed if v in value)


@dataclass(frozen=True)
class Count(Kind):
    low: int = 1
    high: int = 256
    default: int = 8

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return self.default
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not self.low <= value <= self.high
        ):
            at.add(f"{at.key} is a whole number of frames", value=repr(value),
                   allowed=f"{self.low}..{self.high}")  # fmt: skip
            return self.default
        return value


@dataclass(frozen=True)
class Pair(Kind):
    """Two plain numbers, low then high."""

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return None
        try:
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError
            low, high = (float(Fraction(str(v))) for v in value)
        except (ValueError, ZeroDivisionError):
            at.add(f"{at.key} is a window [low, high]", value=repr(value))
            return None
        if not low < high:
            at.add("the low end must be below the high end", value=repr(value))
            return None
        return low, high


@dataclass(frozen=True)
class CalibrationTable:
    items: tuple[str, ...] = entry(Names(ITEMS, "calibration item"))
    temperature_sensors: tuple[str, ...] = entry(Names(DA_STATUS2_SENSORS, "temperature sensor"))
    reference_current: Fraction | None = entry(QuantityEntry("mA"))
    cc_gain: tuple[float, float] | None = entry(Pair())
    voltage_samples: int = entry(Count(1, 256, 8))
    offset_samples: int = entry(Count(1, 256, 32))
    current_samples: int = entry(Count(1, 256, 8))
    cell_tolerance: Fraction | None = entry(QuantityEntry("mV", positive=True))
    voltage_tolerance: Fraction | None = entry(QuantityEntry("mV", positive=True))
    current_tolerance: Fraction | None = entry(QuantityEntry("mA", positive=True))
    temperature_tolerance: Fraction | None = entry(QuantityEntry("°C", positive=True))


@dataclass(frozen=True)
class CalibrationPlan:
    """What one pack's calibration does, with everything it is judged by."""

    items: tuple[str, ...]
    sensors: tuple[str, ...]
    reference_current_ma: float
    voltage_samples: int
    offset_samples: int
    current_samples: int
    cell_tolerance_mv: float
    voltage_tolerance_mv: float
    current_tolerance_ma: float
    temperature_tolerance_c: float
    limits: CalibrationLimits
    pacing: FramePacing
    profile: ProfileCalibration

    def has(self, item: str) -> bool:
        return item in self.items

    @property
    def voltage(self) -> bool:
        return any(i in self.items for i in ("cell_voltage", "bat_voltage", "pack_voltage"))

    def frame_runs(self) -> list[tuple[str, int]]:
        """Each start of the raw output and the frames it reads (settle steps included)."""
        settle = self.pacing.settle_steps
        runs: list[tuple[str, int]] = []
        if self.voltage:
            runs.append(("voltage (F081)", settle + self.voltage_samples))
        if self.has("cc_offset"):
            runs.append(("CC offset (F082)", settle + self.offset_samples))
        if self.has("board_offset"):
            runs.append(("board offset (F081, no current)", settle + self.offset_samples))
        if self.has("cc_gain"):
            runs.append(("CC gain (F081, reference current)", settle + self.current_samples))
        return runs

    def floor_s(self) -> float:
        """The least time the frames alone take: a run of n frames spans n - 1 refresh periods
        after the first counter step, which can come right after the start."""
        return sum(n - 1 for _, n in self.frame_runs()) * self.pacing.period_s


def plan(r: Reader, table: CalibrationTable, profile: Profile | None) -> CalibrationPlan | None:
    path = ["calibration"]
    if profile is None:
        return None
    pc = profile.calibration
    if pc is None:
        r.add(path, f"profile {profile.id} has no [calibration] table: it cannot calibrate")
        return None
    if not table.items and not table.temperature_sensors:
        r.add(path, "[calibration] names nothing to calibrate (items, temperature_sensors)")
    for sensor in table.temperature_sensors:
        if sensor not in pc.temperature_offsets:
            r.add(
                [*path, "temperature_sensors"], f"profile {profile.id} has no offset for {sensor}"
            )
    current = float(table.reference_current) if table.reference_current is not None else 0.0
    if "cc_gain" in table.items and current == 0:
        r.add([*path, "reference_current"], 'cc_gain needs a reference_current (e.g. "-2000 mA")')
    if "board_offset" in table.items and "cc_offset" not in table.items:
        r.add([*path, "items"], "board_offset is measured over cc_offset: calibrate both")
    limits = pc.limits
    if table.cc_gain is not None:
        low, high = table.cc_gain
        if low < limits.cc_gain.low or high > limits.cc_gain.high:
            r.add([*path, "cc_gain"], f"the CC Gain window must lie inside the profile's "
                  f"{limits.cc_gain.text()}")  # fmt: skip
        else:
            limits = replace(limits, cc_gain=Window(low, high))

    def tol(value: Fraction | None, default: float) -> float:
        return float(value) if value is not None else default

    return CalibrationPlan(
        items=table.items,
        sensors=table.temperature_sensors,
        reference_current_ma=current,
        voltage_samples=table.voltage_samples,
        offset_samples=table.offset_samples,
        current_samples=table.current_samples,
        cell_tolerance_mv=tol(table.cell_tolerance, 5.0),
        voltage_tolerance_mv=tol(table.voltage_tolerance, 50.0),
        current_tolerance_ma=tol(table.current_tolerance, 10.0),
        temperature_tolerance_c=tol(table.temperature_tolerance, 1.5),
        limits=limits,
        pacing=pc.pacing,
        profile=pc,
    )


def plan_lines(p: CalibrationPlan) -> list[str]:
    """The calibration plan as ``recipe show`` prints it."""
    lines = []
    steps = [i.replace("_", " ") for i in p.items]
    if p.sensors:
        steps.append("temperature " + ", ".join(p.sensors))
    lines.append("steps (TI order): " + " → ".join(steps))
    if p.has("cc_gain"):
        lines.append(f"reference current {p.reference_current_ma:g} mA; CC Gain window "
                     f"{p.limits.cc_gain.text()} (Capacity Gain = CC Gain x "
                     f"{p.profile.capacity_gain_factor:g})")  # fmt: skip
    for what, frames in p.frame_runs():
        lines.append(f"{what}: {frames} frames")
    lines.append(
        f"frames take at least {p.floor_s():.2f} s ({p.pacing.period_s * 1000:g} ms each, first "
        f"{p.pacing.settle_steps} of each start thrown away)"
    )
    lines.append(
        f"after writing, within: cells ±{p.cell_tolerance_mv:g} mV, BAT/PACK/Voltage "
        f"±{p.voltage_tolerance_mv:g} mV, current ±{p.current_tolerance_ma:g} mA, "
        f"temperatures ±{p.temperature_tolerance_c:g} °C"
    )
    lim = p.limits
    lines.append(
        f"written only inside: Cell Gain {lim.cell_gain.text()}, Pack Gain {lim.pack_gain.text()}, "
        f"BAT Gain {lim.bat_gain.text()}, offsets ≤ {lim.offset_current_ma:g} mA, "
        f"temperature offsets ≤ ±{lim.temp_offset_dk / 10:g} °C"
    )
    return lines


def read_calibration(
    r: Reader, doc: dict[str, object], profile: Profile | None
) -> CalibrationPlan | None:
    """The recipe's ``[calibration]`` (optional): None when the recipe does not calibrate."""
    if "calibration" not in doc:
        return None
    table = r.table(doc, "calibration", CalibrationTable, required=False)
    return plan(r, table, profile)

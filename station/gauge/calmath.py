"""Calibration arithmetic of the BQ40Z50 family (calibration reference §4, §5).

Pure functions: averaged raw counts and reference values in, constants out. Which formula is
CONFIRMED and which INFERRED is said on each; the numbers the station judges them by (limits,
tolerances) come from the gauge profile and the recipe, never from here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

#: Kelvin offset of the gauge's 0.1 K temperatures (0 °C = 2731.5 in 0.1 K; reference §5.4).
ZERO_C_DK = 2731.5


class CalibrationMathError(ValueError):
    """No constant follows from these counts (nothing was measured)."""


def f4_encode(value: float) -> bytes:
    """F4 = IEEE-754 binary32, little-endian (reference §4, CONFIRMED-2)."""
    return struct.pack("<f", value)


def f4_decode(raw: bytes) -> float:
    value: float = struct.unpack("<f", raw[:4])[0]
    return value


def cell_gain(references_mv: Sequence[float], adc_counts: Sequence[float]) -> float:
    """Cell Gain = ΣV / ΣADC × 2¹⁶ over the populated cells (reference §5.2, CONFIRMED-TI)."""
    total = sum(adc_counts)
    if len(references_mv) != len(adc_counts) or not references_mv or total <= 0:
        raise CalibrationMathError("no cell counted a positive voltage")
    return sum(references_mv) / total * 65536


def voltage_gain(reference_mv: float, adc_count: float) -> float:
    """PACK or BAT gain = V / ADC × 2¹⁶ (reference §5.2; the form is INFERRED)."""
    if adc_count <= 0:
        raise CalibrationMathError("the pin counted no positive voltage")
    return reference_mv / adc_count * 65536


def cc_offset(shorted_average: float, samples: int) -> int:
    """CC Offset = avg(ADC_cc | F082) × N (reference §5.3, INFERRED form)."""
    return round(shorted_average * samples)


def board_offset(open_average: float, samples: int, cc_offset_value: int) -> int:
    """Board Offset = avg(ADC_cc | F081, I = 0) × N − CC Offset (reference §5.3, INFERRED)."""
    return round(open_average * samples) - cc_offset_value


def cc_gain(
    reference_ma: float, adc_average: float, cc_offset_value: int, board: int, samples: int
) -> float:
    """CC Gain = I_ref / (ADC_cc − (CC Offset + Board Offset) / N) (reference §5.3, CONFIRMED-2).
    A negative result means the current flows the other way through the shunt."""
    counts = adc_average - (cc_offset_value + board) / samples
    if counts == 0 or not math.isfinite(counts):
        raise CalibrationMathError("the coulomb counter counted no current")
    return reference_ma / counts


def capacity_gain(cc_gain_value: float, factor: float) -> float:
    """Capacity Gain = CC Gain × factor (298261.6178, reference §5.1, CONFIRMED-2)."""
    return cc_gain_value * factor


def temperature_offset(reference_c: float, measured_dk: float, old_offset: int) -> int:
    """Offset_new [0.1 °C] = Offset_old + round(10·T_ref − (T_meas − 2731.5)) (reference §5.4,
    CONFIRMED-2 formula, units INFERRED)."""
    return old_offset + round(10 * reference_c - (measured_dk - ZERO_C_DK))


@dataclass(frozen=True)
class Window:
    """An inclusive range a computed constant must fall in before it is written."""

    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high

    def text(self) -> str:
        return f"{self.low:g}…{self.high:g}"


@dataclass(frozen=True)
class CalibrationLimits:
    """What the station accepts as a result before writing it (profile data; reference §6)."""

    cell_gain: Window
    pack_gain: Window
    bat_gain: Window
    cc_gain: Window
    #: |(CC Offset + Board Offset) / N| × CC Gain, mA
    offset_current_ma: float
    #: |temperature offset|, 0.1 °C
    temp_offset_dk: int

    def problems(self, constants: dict[str, float]) -> list[str]:
        """What is wrong with ``constants`` (names as in :class:`CalibrationLimits`, plus
        ``cc_offset``, ``board_offset``, ``cc_offset_samples`` and ``temp:<sensor>``)."""
        out: list[str] = []
        if constants.get("cc_gain", 1.0) < 0:
            out.append(
                f"CC Gain {constants['cc_gain']:.6g} is negative: current flows the wrong way "
                "through the sense resistor (shunt or SRP/SRN reversed, or the reference "
                "current's sign)"
            )
        for name in ("cell_gain", "pack_gain", "bat_gain", "cc_gain"):
            if name in constants:
                window: Window = getattr(self, name)
                value = constants[name]
                if not window.holds(value):
                    label = name.replace("_", " ")
                    out.append(f"{label} {value:.6g} is outside {window.text()}")
        if "cc_offset" in constants and "board_offset" in constants:
            samples = constants.get("cc_offset_samples", 0) or 1
            gain = abs(constants.get("cc_gain", 1.0))
            ma = abs((constants["cc_offset"] + constants["board_offset"]) / samples) * gain
            if ma > self.offset_current_ma:
                out.append(
                    f"the offsets amount to {ma:.1f} mA, more than {self.offset_current_ma:g} mA"
                )
        for name, value in constants.items():
            if name.startswith("temp:") and abs(value) > self.temp_offset_dk:
                out.append(
                    f"{name[5:]} offset {value / 10:+.1f} °C is larger than "
                    f"±{self.temp_offset_dk / 10:g} °C (wrong sensor, open thermistor or no soak)"
                )
        return out

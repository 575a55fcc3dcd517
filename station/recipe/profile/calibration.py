"""A profile's ``[calibration]`` table: where the calibration constants live, how the gauge
paces its raw output, and the windows a computed constant must fall in before it is written.

Every figure is data with its source: the reference marks several INFERRED (the station windows
of calibration reference §6), and they stay here, never in code::

    [calibration]
    source = "calibration-ref"      # a [sources] name
    verified = false
    frame_period_ms = 250           # raw frame refresh (CONFIRMED-TI)
    settle_steps = 2                # counter steps thrown away after a start (CONFIRMED-TI)
    stall_periods = 8               # periods without a new frame = stalled (station's)
    capacity_gain_factor = 298261.6178
    [calibration.constants]         # role -> parameter key
    cell_gain = "Calibration:Voltage:Cell Gain"
    ...
    [calibration.temperature_offsets]   # sensor -> parameter key
    TS1 = "Calibration:Temperature:External1 Temp Offset"
    [calibration.limits]
    cell_gain = [11740, 12465]
    ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from station.gauge.calibration import DA_STATUS2_SENSORS, FramePacing
from station.gauge.calmath import CalibrationLimits, Window
from station.recipe.profile.parameter import Parameter
from station.recipe.tomlschema import Reader

#: The constants a calibration may write, in the order TI calibrates them (reference §0 #12).
CONSTANTS = (
    "cell_gain",
    "pack_gain",
    "bat_gain",
    "cc_gain",
    "capacity_gain",
    "cc_offset",
    "cc_offset_samples",
    "board_offset",
)
_WINDOWS = ("cell_gain", "pack_gain", "bat_gain", "cc_gain")


@dataclass(frozen=True)
class ProfileCalibration:
    constants: Mapping[str, str]
    temperature_offsets: Mapping[str, str]
    limits: CalibrationLimits
    pacing: FramePacing
    capacity_gain_factor: float
    source: str = ""
    verified: bool = False


def _number(r: Reader, raw: Mapping[str, Any], key: str, path: tuple[str, ...]) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        r.add([*path, key], f"{key} is a positive number", value=repr(value))
        return 1.0
    return float(value)


def calibration(
    r: Reader, raw: object, params: list[Parameter], sources: Mapping[str, str]
) -> ProfileCalibration | None:
    """The ``[calibration]`` table, or None when the profile has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        r.add(["calibration"], "calibration must be a table ([calibration])")
        return None
    keys = {p.key for p in params}
    path = ("calibration",)
    source = str(raw.get("source", ""))
    if source and source not in sources:
        r.add([*path, "source"], f"{source!r} is not in [sources]")
    constants = _parameter_roles(
        r, raw.get("constants", {}), (*path, "constants"), CONSTANTS, keys,
        unknown="constant", not_key="is not a parameter of this profile",
    )  # fmt: skip
    for role in CONSTANTS:
        if role not in constants and role not in dict(raw.get("constants", {})):
            r.add([*path, "constants"], f"[calibration.constants] names no {role}")
    offsets = _parameter_roles(
        r, raw.get("temperature_offsets", {}), (*path, "temperature_offsets"),
        DA_STATUS2_SENSORS, keys, unknown="sensor", not_key="is not a parameter",
    )  # fmt: skip
    limits = _limits(r, dict(raw.get("limits", {})), (*path, "limits"))
    pacing = FramePacing(
        period_s=_number(r, raw, "frame_period_ms", path) / 1000,
        settle_steps=round(_number(r, raw, "settle_steps", path)),
        stall_periods=round(_number(r, raw, "stall_periods", path)),
    )
    return ProfileCalibration(
        constants=constants,
        temperature_offsets=offsets,
        limits=limits,
        pacing=pacing,
        capacity_gain_factor=_number(r, raw, "capacity_gain_factor", path),
        source=sources.get(source, source),
        verified=bool(raw.get("verified", False)),
    )


def _parameter_roles(
    r: Reader,
    table: Any,
    path: tuple[str, ...],
    roles: Sequence[str],
    keys: set[str],
    *,
    unknown: str,
    not_key: str,
) -> dict[str, str]:
    """A table of role = parameter key: each role one of ``roles``, each key of this profile."""
    found: dict[str, str] = {}
    for role, key in dict(table).items():
        if role not in roles:
            r.add([*path, role], f"unknown {unknown} {role!r}", allowed=", ".join(roles))
        elif key not in keys:
            r.add([*path, role], f"{key!r} {not_key}")
        else:
            found[role] = str(key)
    return found


def _limits(r: Reader, lim: dict[str, Any], path: tuple[str, ...]) -> CalibrationLimits:
    windows: dict[str, Window] = {}
    for name in _WINDOWS:
        w = lim.get(name)
        if (
            not isinstance(w, list)
            or len(w) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in w)
            or not w[0] < w[1]
        ):
            r.add([*path, name], f"{name} is a window [low, high]", value=repr(w))
            windows[name] = Window(0, 0)
        else:
            windows[name] = Window(float(w[0]), float(w[1]))
    return CalibrationLimits(
        cell_gain=windows["cell_gain"],
        pack_gain=windows["pack_gain"],
        bat_gain=windows["bat_gain"],
        cc_gain=windows["cc_gain"],
        offset_current_ma=_number(r, lim, "offset_current_ma", path),
        temp_offset_dk=round(_number(r, lim, "temperature_offset_c", path) * 10),
    )

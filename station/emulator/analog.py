"""The gauge's measuring front end: raw ADC and coulomb-counter counts, and what it reports.

Each pack has its own errors (:class:`FrontEnd`): the constants that would make its readings
exact ("true" gains), the coulomb counter's offsets and each temperature sensor's error. The raw
counts come from the true values through those errors; the reported readings come from the raw
counts through the constants data flash holds now (calibration reference §5.1, §10), so a wrong
calibration shows as a wrong reading and writing new constants changes the readings at once.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from station.emulator.dataflash import DataFlash, Layout, Param

#: Temperature sensors in DAStatus2 order (Int, TS1..TS4; calibration reference §7.3).
SENSORS = ("Int", "TS1", "TS2", "TS3", "TS4")
_OFFSET_ROLES = ("int_temp_offset", "ts1_temp_offset", "ts2_temp_offset", "ts3_temp_offset",
                 "ts4_temp_offset")  # fmt: skip
#: Raw frame status byte YY per mode (calibration reference §2.1).
NORMAL, SHORTED = 1, 2


@dataclass(frozen=True)
class CalibrationModel:
    """The emulated firmware's calibration behaviour, from its data file ``[calibration]``."""

    frame_period_s: float
    cal_en_when_mfg_status_init_zero: bool
    df_access_stops_raw_output: bool
    raw_output_needs_cal_en: bool
    deadband_ma: int
    capacity_gain_factor: float
    open_thermistor_dk: int
    cell_temperature_sensor: str
    noise_counts: int
    params: Mapping[str, str]

    @classmethod
    def from_toml(cls, table: Mapping[str, Any], layout: Layout) -> CalibrationModel:
        params = dict(table["params"])
        for role, key in params.items():
            if key not in layout:
                raise ValueError(f"[calibration.params] {role} names {key!r}, not in the layout")
        sensor = str(table["cell_temperature_sensor"])
        if sensor not in SENSORS:
            raise ValueError(f"cell_temperature_sensor {sensor!r}; one of {', '.join(SENSORS)}")
        return cls(
            frame_period_s=float(table["frame_period_s"]),
            cal_en_when_mfg_status_init_zero=bool(table["cal_en_when_mfg_status_init_zero"]),
            df_access_stops_raw_output=bool(table["df_access_stops_raw_output"]),
            raw_output_needs_cal_en=bool(table["raw_output_needs_cal_en"]),
            deadband_ma=int(table["deadband_ma"]),
            capacity_gain_factor=float(table["capacity_gain_factor"]),
            open_thermistor_dk=int(table["open_thermistor_dk"]),
            cell_temperature_sensor=sensor,
            noise_counts=int(table["noise_counts"]),
            params=params,
        )


@dataclass(frozen=True)
class Constants:
    """The calibration constants as data flash holds them now."""

    cell_gain: float
    pack_gain: float
    bat_gain: float
    cc_gain: float
    cc_offset: int
    cc_offset_samples: int
    board_offset: int
    temp_offsets_dk: tuple[int, ...]

    @classmethod
    def read(cls, model: CalibrationModel, layout: Layout, df: DataFlash) -> Constants:
        def get(role: str) -> float:
            value = df.get(_param(model, layout, role))
            assert not isinstance(value, str)
            return value

        return cls(
            cell_gain=get("cell_gain"),
            pack_gain=get("pack_gain"),
            bat_gain=get("bat_gain"),
            cc_gain=get("cc_gain"),
            cc_offset=int(get("cc_offset")),
            cc_offset_samples=int(get("cc_offset_samples")),
            board_offset=int(get("board_offset")),
            temp_offsets_dk=tuple(int(get(r)) for r in _OFFSET_ROLES),
        )


def _param(model: CalibrationModel, layout: Layout, role: str) -> Param:
    return layout[model.params[role]]


@dataclass
class FrontEnd:
    """One pack's measurement errors. ``cell_gain``..``cc_gain``: the constants that would make
    each reading exact. A negative ``cc_gain`` is a shunt wired the wrong way round."""

    cell_gain: float
    pack_gain: float
    bat_gain: float
    cc_gain: float
    #: coulomb-counter counts per sample with the inputs shorted inside the chip
    chip_offset: float = 0.0
    #: further counts per sample the board adds with no current flowing
    board_offset: float = 0.0
    #: how far each sensor (Int, TS1..TS4) reads above the true temperature, 0.1 K
    temp_errors_dk: list[int] = field(default_factory=lambda: [0] * len(SENSORS))
    #: sensors whose thermistor is open (they read the model's coldest value)
    broken: list[str] = field(default_factory=list)
    #: seeds the raw-count noise
    seed: int = 0

    @classmethod
    def exact(cls, factory: Constants) -> FrontEnd:
        """A pack whose readings are exact with the factory constants (no noise in reports)."""
        return cls(factory.cell_gain, factory.pack_gain, factory.bat_gain, factory.cc_gain)

    @classmethod
    def drawn(cls, factory: Constants, seed: int, *, spread: float = 0.02) -> FrontEnd:
        """A pack with its own errors: gains within ±``spread`` of the factory constants, a few
        counts of offset and up to ±2.5 °C per sensor, all from ``seed``."""
        rng = random.Random(f"front-end:{seed}")

        def gain(base: float) -> float:
            return base * (1 + rng.uniform(-spread, spread))

        return cls(
            cell_gain=gain(factory.cell_gain),
            pack_gain=gain(factory.pack_gain),
            bat_gain=gain(factory.bat_gain),
            cc_gain=gain(factory.cc_gain),
            chip_offset=rng.uniform(-4.0, 4.0),
            board_offset=rng.uniform(-2.0, 2.0),
            temp_errors_dk=[rng.randint(-25, 25) for _ in SENSORS],
            seed=seed,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FrontEnd:
        return cls(**dict(data))


# -- raw counts ------------------------------------------------------------------------------


def _i16(value: float) -> int:
    return max(-32768, min(32767, round(value)))


def cc_counts(fe: FrontEnd, current_ma: float, mode: int) -> float:
    """Coulomb-counter counts per sample before noise: the short removes the board term and the
    signal (calibration reference §10)."""
    if mode == SHORTED:
        return fe.chip_offset
    return current_ma / fe.cc_gain + fe.chip_offset + fe.board_offset


def raw_frame(
    fe: FrontEnd,
    *,
    cells_mv: list[int],
    pack_mv: int,
    current_ma: float,
    mode: int,
    tick: int,
    counter: int,
    noise: int,
) -> bytes:
    """The 24-byte frame of F081/F082: ZZ, YY, then CC, V1..V4, PACK, BAT, I1..I4 as signed
    little-endian words (calibration reference §2.1)."""
    rng = random.Random(f"frame:{fe.seed}:{tick}")

    def jitter() -> int:
        return rng.randint(-noise, noise) if noise > 0 else 0

    cc = cc_counts(fe, current_ma, mode)
    words = [_i16(cc + jitter())]
    words += [_i16(mv * 65536 / fe.cell_gain + jitter()) if mv else 0 for mv in cells_mv]
    bat_mv = sum(cells_mv)
    words.append(_i16(pack_mv * 65536 / fe.pack_gain + jitter()) if pack_mv else 0)
    words.append(_i16(bat_mv * 65536 / fe.bat_gain + jitter()) if bat_mv else 0)
    # Cell currents: scaling UNCONFIRMED (reference §12 item 7); the CC counts of each sample.
    words += [_i16(cc + jitter()) for _ in cells_mv]
    body = b"".join(w.to_bytes(2, "little", signed=True) for w in words)
    return bytes([counter & 0xFF, mode]) + body


# -- reported readings -------------------------------------------------------------------------


def cell_mv(fe: FrontEnd, k: Constants, true_mv: int) -> int:
    """CellVoltageN = ADC x Cell Gain / 65536 (reference §5.1), ADC before quantisation."""
    return round(true_mv * k.cell_gain / fe.cell_gain) if true_mv else 0


def pack_pin_mv(fe: FrontEnd, k: Constants, true_mv: int) -> int:
    return round(true_mv * k.pack_gain / fe.pack_gain) if true_mv else 0


def bat_pin_mv(fe: FrontEnd, k: Constants, true_mv: int) -> int:
    return round(true_mv * k.bat_gain / fe.bat_gain) if true_mv else 0


def current_ma(fe: FrontEnd, k: Constants, true_ma: float, deadband_ma: int) -> int:
    """Current = CC Gain x (ADC - (CC Offset + Board Offset) / N) (reference §5.1), then the
    deadband."""
    samples = k.cc_offset_samples or 1
    adc = cc_counts(fe, true_ma, NORMAL)
    reported = k.cc_gain * (adc - (k.cc_offset + k.board_offset) / samples)
    value = round(reported)
    return 0 if abs(value) < deadband_ma else value


def sensor_dk(
    fe: FrontEnd, k: Constants, true_dk: int, sensor: str, open_thermistor_dk: int
) -> int:
    """A sensor's temperature in 0.1 K: its own error plus the offset data flash holds."""
    i = SENSORS.index(sensor)
    if sensor in fe.broken:
        return open_thermistor_dk
    return true_dk + fe.temp_errors_dk[i] + k.temp_offsets_dk[i]

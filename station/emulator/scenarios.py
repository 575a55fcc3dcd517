"""Named packs the emulator can play, and ``open_emulator`` which builds one.

Every scenario starts from the emulated firmware's factory data flash, then applies its changes.
The ``test-prod`` keys of ``shipped`` are EMULATOR-ONLY test keys (see the firmware data file).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from station.emulator.analog import Constants, FrontEnd
from station.emulator.chip import Chip
from station.emulator.dataflash import DataFlash, Value
from station.emulator.device import AdvancingClock, EmulatedGauge
from station.emulator.faults import FaultPlan
from station.emulator.firmware import Firmware, KeyWords, load_firmware
from station.emulator.pack import PackModel
from station.emulator.security import Security, SecurityMode
from station.emulator.timing import TimingModel

DEFAULT_SCENARIO = "default"


@dataclass(frozen=True)
class Scenario:
    description: str
    security: SecurityMode = "SEALED"
    #: A key set of the firmware data file, or None for keys nobody knows (drawn from the seed).
    keyset: str | None = "ti-default"
    #: PackModel fields to change.
    pack: Mapping[str, Any] = field(default_factory=dict)
    #: Data-flash parameters (role or "class:subclass:name") to change before the first reset.
    dataflash: Mapping[str, Value] = field(default_factory=dict)
    device_type: int | None = None
    safety: tuple[str, ...] = ()
    pf: tuple[str, ...] = ()
    #: FaultPlan fields.
    faults: Mapping[str, Any] = field(default_factory=dict)
    #: TimingModel fields (how the gauge behaves in time).
    timing: Mapping[str, Any] = field(default_factory=dict)
    #: The measuring front end: "exact" (readings exact with the factory constants) or "drawn"
    #: (the pack's own gain and offset errors, from the seed).
    front_end: str = "exact"
    #: FrontEnd fields to change after that (a reversed shunt, a broken thermistor).
    front_end_changes: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0


_PROGRAMMED: Mapping[str, Value] = {
    "da_configuration": 0x13,  # 4S
    "mfg_status_init": 0x0238,  # GAUGE_EN | FET_EN | LF_EN | LED_EN, as in ref §6.3 [S5b]
    "manufacture_date": (2025 - 1980) * 512 + 3 * 32 + 14,
    "serial_number": 0x2A17,
}

_TABLE: Mapping[str, Scenario] = MappingProxyType(
    {
        "default": Scenario(
            "factory pack: SEALED, TI default keys, 4 healthy cells at 3.70 V, 25 °C, DA "
            "Configuration 3S"
        ),
        "sealed": Scenario("same as default (a factory pack is sealed)"),
        "unsealed": Scenario("factory pack already UNSEALED", security="UNSEALED"),
        "full-access": Scenario("factory pack already in FULL ACCESS", security="FULL_ACCESS"),
        "foreign-keys": Scenario(
            "SEALED with keys nobody knows: unsealing with any key set fails", keyset=None, seed=7
        ),
        "3-cells": Scenario(
            "only 3 cells connected: a 4S configuration shows cell 4 near 0 mV after reset",
            pack={"cells_connected": 3},
        ),
        "wrong-device": Scenario(
            "not a BQ40Z50: DeviceType 0x4600 (a BQ40Z60)", device_type=0x4600
        ),
        "flaky": Scenario(
            "1 % of transactions NACK at random (seeded)", faults={"nack_rate": 0.01}, seed=1
        ),
        "nack-mid-write": Scenario(
            "data-flash writes NACK from the 3rd one on", faults={"df_write_nack_from": 3}
        ),
        "gone-mid-write": Scenario(
            "the pack vanishes at the 3rd data-flash write (everything NACKs after)",
            faults={"df_write_gone_at": 3},
        ),
        "busy-acks": Scenario(
            "a gauge that neither NACKs nor clock-stretches while it programs data flash: a "
            "write sent before the previous one finished lands misaligned",
            timing={"flash_busy_nacks": False},
        ),
        "stuck-flash": Scenario(
            "the 2nd data-flash write is acknowledged but does not take",
            faults={"df_write_lost": {2}},
        ),
        "corrupt": Scenario(
            "about 2 % of transactions carry a flipped bit (seeded)",
            faults={"corrupt_rate": 0.02},
            seed=2,
        ),
        "pf": Scenario("permanent failure latched: PFStatus SOV set, FETs off", pf=("SOV",)),
        "safety": Scenario("safety fault: SafetyStatus COV set", safety=("COV",)),
        "hot": Scenario("pack at 55 °C (at the OTC threshold)", pack={"temperature_c": 55.0}),
        "imbalance": Scenario(
            "cell 2 is 120 mV below the others", pack={"cell_mv": [3700, 3580, 3700, 3700]}
        ),
        "uncalibrated": Scenario(
            "factory pack whose gains and offsets are its own (seeded): its readings are off "
            "until it is calibrated",
            front_end="drawn",
            seed=15,
        ),
        "reversed-shunt": Scenario(
            "uncalibrated pack whose sense resistor is wired the wrong way round: current "
            "counts have the wrong sign",
            front_end="drawn",
            front_end_changes={"reverse_shunt": True},
            seed=16,
        ),
        "broken-thermistor": Scenario(
            "uncalibrated pack whose TS2 thermistor is open: TS2 reads -40 °C",
            front_end="drawn",
            front_end_changes={"broken": ["TS2"]},
            seed=17,
        ),
        "empty": Scenario(
            "no pack in the fixture: the bus works, nothing answers at the gauge's address",
            faults={"gone_from": 0},
        ),
        "bus-stuck": Scenario(
            "the bus is stuck (a clock line held low): every transaction times out",
            faults={"stuck_from": 0},
        ),
        "shipped": Scenario(
            "programmed and SEALED with the emulator-only test key set test-prod",
            keyset="test-prod",
            dataflash=_PROGRAMMED,
        ),
        "reference": Scenario(
            "a reference pack set up in bqStudio for bring-up: SEALED, TI default keys, Mfg "
            "Status Init, date and serial programmed",
            dataflash=_PROGRAMMED,
        ),
    }
)

#: Scenario name -> one-line description.
SCENARIOS: Mapping[str, str] = MappingProxyType({k: v.description for k, v in _TABLE.items()})


def _unknown_keys(fw: Firmware, seed: int) -> KeyWords:
    rng = random.Random(f"foreign-keys:{seed}")
    known = {(w1, w2) for ks in fw.keysets.values() for w1, w2 in (ks.unseal, ks.full_access)}
    while True:
        words = [rng.randrange(0x10000) for _ in range(4)]
        pairs = ((words[0], words[1]), (words[2], words[3]))
        if not set(pairs) & known:
            return KeyWords(*pairs)


def _front_end(spec: Scenario, fw: Firmware, df: DataFlash, seed: int) -> FrontEnd:
    """The pack's measuring errors: drawn from ``seed`` or exact, with the scenario's changes."""
    factory = Constants.read(fw.calibration, fw.layout, df)
    front_end = (
        FrontEnd.drawn(factory, seed) if spec.front_end == "drawn" else FrontEnd.exact(factory)
    )
    changes = dict(spec.front_end_changes)
    if changes.pop("reverse_shunt", False):
        front_end.cc_gain = -front_end.cc_gain
    for name, value in changes.items():
        setattr(front_end, name, list(value) if isinstance(value, list) else value)
    return front_end


def open_emulator(
    scenario: str = DEFAULT_SCENARIO,
    *,
    clock: AdvancingClock,
    speed_hz: int = 100_000,
    state_path: Path | None = None,
    seed: int | None = None,
    reset_reseals: bool = False,
    timing: TimingModel | None = None,
    host_pec: bool | None = None,
) -> EmulatedGauge:
    """Build the emulated pack ``scenario`` on ``clock``.

    ``state_path``: load the pack's memory from this file if it exists, save it after every
    change. ``seed`` replaces the scenario's seed. ``reset_reseals``: whether a reset returns an
    unsealed gauge to SEALED (UNCONFIRMED on BQ40Z50, ref §9; off by default). ``host_pec``:
    set (True) or clear (False) SBS Configuration [HPE], so the pack appends PEC to its answers
    or not; None keeps the scenario's data flash (factory: clear).
    """
    if scenario not in _TABLE:
        raise KeyError(f"unknown emulator scenario {scenario!r}; known: {', '.join(_TABLE)}")
    spec = _TABLE[scenario]
    seed = spec.seed if seed is None else seed
    fw = load_firmware()
    df = fw.default_flash()
    for name, value in spec.dataflash.items():
        df.set(fw.lookup(name), value)
    if host_pec is not None:
        sbs_config = fw.param("sbs_configuration")
        bit = 1 << fw.host_pec_bit
        value = df.get_int(sbs_config)
        df.set(sbs_config, value | bit if host_pec else value & ~bit)
    keys = fw.keysets[spec.keyset] if spec.keyset is not None else _unknown_keys(fw, seed)
    pack_fields: dict[str, Any] = {
        k: list(v) if isinstance(v, list) else v for k, v in spec.pack.items()
    }
    chip = Chip(
        fw,
        df,
        PackModel(**pack_fields),
        Security(spec.security, keys),
        timing=replace(timing or TimingModel(speed_hz=speed_hz), **spec.timing),
        identity=fw.identity.as_device_type(spec.device_type) if spec.device_type else None,
        reset_reseals=reset_reseals,
        front_end=_front_end(spec, fw, df, seed),
    )
    chip.safety_status = fw.safety_mask(spec.safety)
    chip.pf_status = fw.pf_mask(spec.pf)
    fault_fields: dict[str, Any] = {
        k: set(v) if isinstance(v, set) else v for k, v in spec.faults.items()
    }
    faults = FaultPlan(**fault_fields, seed=seed)
    return EmulatedGauge(chip, clock=clock, faults=faults, state_path=state_path, scenario=scenario)

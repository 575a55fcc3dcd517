"""A pack calibrated against reference instruments on the emulator: an uncalibrated pack reads
true afterwards; a reversed shunt, an open thermistor, an instrument past due and a reference
that drifts fail CALIBRATION with nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.gauge import Gauge
from station.instruments import InstrumentPastDue, InstrumentSettings
from station.instruments.bench import Bench
from station.instruments.simulated import SimulatedInstrument
from station.keys import ti_default_keys
from station.recipe.product.calibration import CalibrationPlan
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.calibration import CalibrationFailed, CalibrationRecord, Calibrator
from tests.gauge.emu import Sim, sim
from tests.recipe.helpers import variant

TODAY = dt.date(2026, 12, 5)
SECTION = """
[calibration]
items = ["cell_voltage", "bat_voltage", "cc_offset", "board_offset", "cc_gain"]
temperature_sensors = ["Int", "TS1"]
reference_current = "-2000 mA"
"""


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> Recipe:
    tmp = tmp_path_factory.mktemp("cal")
    return load_recipe(variant(tmp, ("[backup]", SECTION + "\n[backup]")))


@dataclass
class Rig:
    s: Sim
    bench: Bench
    calibrator: Calibrator

    @property
    def gauge(self) -> Gauge:
        return self.s.gauge


@contextmanager
def rig(
    recipe: Recipe,
    scenario: str = "uncalibrated",
    *,
    due: dt.date = dt.date(2027, 6, 1),
    drift: dict[str, float] | None = None,
    plan: CalibrationPlan | None = None,
) -> Iterator[Rig]:
    with sim(scenario) as s:
        s.gauge.unseal(ti_default_keys())
        instruments = {
            q: SimulatedInstrument(
                InstrumentSettings(f"sim-{q}", "simulated", (q,), due),
                s.device,
                drift=(drift or {}).get(q, 0.0),
            )
            for q in ("voltage", "current", "temperature")
        }
        bench = Bench(instruments, TODAY)  # type: ignore[arg-type]
        assert recipe.calibration is not None
        calibrator = Calibrator(
            s.gauge, recipe.profile, plan or recipe.calibration, bench, cells=s.device.cell_count
        )
        yield Rig(s, bench, calibrator)


def calibration_block(r: Rig) -> bytes:
    return bytes(r.s.device.df_peek(0x4000, 0x19))


def test_an_uncalibrated_pack_calibrates_and_reads_true(recipe: Recipe) -> None:
    with rig(recipe) as r:
        dev = r.s.device
        true_cells = dev.pack.cell_readings(dev.cell_count)
        dev.pack.current_ma = -1500
        assert int(r.gauge.current().value) != -1500  # off before calibration
        assert int(r.gauge.cell_voltages(1)[0].value) != true_cells[0]
        dev.pack.current_ma = 0
        rec = r.calibrator.run()
        assert rec.passed
        assert rec.written
        fe = dev.front_end
        k = dev.calibration_constants()
        assert k.cell_gain == pytest.approx(fe.cell_gain, abs=2)
        assert k.cc_gain == pytest.approx(fe.cc_gain, rel=0.01)
        for n, mv in enumerate(r.gauge.cell_voltages(dev.cell_count)):
            assert abs(int(mv.value) - true_cells[n]) <= 2
        dev.pack.current_ma = -1500
        assert abs(int(r.gauge.current().value) + 1500) <= 10
        assert "CAL_TEST" not in r.gauge.manufacturing_status()  # left calibration mode


def test_the_record_names_references_raw_averages_constants_and_residuals(
    recipe: Recipe,
) -> None:
    with rig(recipe) as r:
        rec: CalibrationRecord = r.calibrator.run()
    assert set(rec.raw) == {"voltage", "cc_offset", "board_offset", "cc_gain"}
    assert rec.raw["cc_offset"].frames == 32
    assert set(rec.instruments()) == {"sim-voltage", "sim-current", "sim-temperature"}
    names = [c.name for c in rec.changes]
    assert names == ["cell_gain", "bat_gain", "cc_offset", "board_offset", "cc_gain",
                     "capacity_gain", "temp:Int", "temp:TS1"]  # fmt: skip
    cc = next(c for c in rec.changes if c.name == "cc_gain")
    assert cc.old == pytest.approx(3.58422, rel=1e-6)
    assert cc.old_bytes != cc.new_bytes
    assert {res.what for res in rec.residuals} >= {
        "cells (sum)",
        "BAT",
        "current",
        "TS1 temperature",
    }
    assert all(res.passed for res in rec.residuals)
    # frames: (2+8) + (2+32) + (2+32) + (2+8) = 88 in 4 runs: at least 84 periods of 250 ms
    assert rec.frames == 88
    assert rec.duration_s >= 84 * 0.25


def test_a_reversed_shunt_fails_and_nothing_is_written(recipe: Recipe) -> None:
    with rig(recipe, "reversed-shunt") as r:
        before = calibration_block(r)
        with pytest.raises(CalibrationFailed, match=r"negative.*nothing was written"):
            r.calibrator.run()
        assert calibration_block(r) == before
        assert "CAL_TEST" not in r.gauge.manufacturing_status()


def test_an_open_thermistor_fails_and_nothing_is_written(recipe: Recipe) -> None:
    assert recipe.calibration is not None
    from dataclasses import replace

    plan = replace(recipe.calibration, sensors=("TS1", "TS2"))
    with rig(recipe, "broken-thermistor", plan=plan) as r:
        before = calibration_block(r)
        with pytest.raises(CalibrationFailed, match=r"TS2 offset.*open thermistor"):
            r.calibrator.run()
        assert calibration_block(r) == before


def test_an_instrument_past_due_is_refused_before_anything_is_measured(recipe: Recipe) -> None:
    with rig(recipe, due=dt.date(2026, 12, 4)) as r:
        start = r.s.device.transaction_count
        with pytest.raises(InstrumentPastDue, match="2026-12-04"):
            r.calibrator.run()
        assert r.s.device.transaction_count == start


def test_a_reference_that_drifts_mid_step_fails(recipe: Recipe) -> None:
    with rig(recipe, drift={"voltage": 12.0}) as r:
        before = calibration_block(r)
        with pytest.raises(CalibrationFailed, match="voltage reference moved"):
            r.calibrator.run()
        assert calibration_block(r) == before
        assert "CAL_TEST" not in r.gauge.manufacturing_status()


def test_a_pack_that_does_not_read_true_afterwards_fails(recipe: Recipe, tmp_path: Path) -> None:
    assert recipe.calibration is not None
    from dataclasses import replace

    tight = replace(recipe.calibration, current_tolerance_ma=0.001)
    with (
        rig(recipe, plan=tight) as r,
        pytest.raises(CalibrationFailed, match="still reads outside"),
    ):
        r.calibrator.run()


def test_the_dsg_fet_is_turned_on_for_the_current_and_off_again(recipe: Recipe) -> None:
    with rig(recipe) as r:
        assert not r.s.device.fets[1]  # factory pack: no firmware FET control
        rec = r.calibrator.run()
        assert rec.passed
        assert not r.s.device.fets[1]  # the toggle was sent back
        current = next(x for x in rec.residuals if x.what == "current")
        assert current.reference == -2000


def test_a_fet_held_off_by_a_protection_fails_with_the_reason(recipe: Recipe) -> None:
    with rig(recipe) as r:
        dev = r.s.device
        dev.df_set("mfg_status_init", 0x0010)  # FET_EN
        dev.wake()
        dev.safety_status = dev.firmware.safety_mask(["CUV"])  # discharge blocked
        with pytest.raises(CalibrationFailed, match="DSG FET is off under firmware FET control"):
            r.calibrator.run()

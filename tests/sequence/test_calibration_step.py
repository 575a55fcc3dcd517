"""The calibration step of a run: after apply and reset, before verify, only for a recipe with a
[calibration] section; a pack outside its limits or tolerances fails CALIBRATION, is restored
and never sealed; the record is kept and shown by trace and report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.engine import steps_for
from station.sequence.events import Outcome, StepFinished, StepId
from station.store import ReportFilter
from tests.recipe.helpers import variant
from tests.sequence.conftest import make_bench

SECTION = """
[calibration]
items = ["cell_voltage", "bat_voltage", "pack_voltage", "cc_offset", "board_offset", "cc_gain"]
temperature_sensors = ["Int", "TS1"]
reference_current = "-2000 mA"
"""


@pytest.fixture
def cal_recipe(tmp_path: Path) -> Recipe:
    return load_recipe(variant(tmp_path, ("[backup]", SECTION + "\n[backup]"), name="cal.toml"))


def test_the_step_sits_between_reset_and_verify_only_when_the_recipe_calibrates(
    cal_recipe: Recipe, tmp_path: Path
) -> None:
    steps = steps_for(cal_recipe)
    assert steps.index(StepId.CALIBRATE) == steps.index(StepId.RESET) + 1
    assert steps.index(StepId.VERIFY) == steps.index(StepId.CALIBRATE) + 1
    assert StepId.CALIBRATE not in steps_for(load_recipe(variant(tmp_path)))


def test_an_uncalibrated_pack_passes_calibrated_and_the_record_is_kept(
    cal_recipe: Recipe, tmp_path: Path
) -> None:
    bench = make_bench(tmp_path, "uncalibrated")
    events: list[object] = []
    result = bench.run(recipe=cal_recipe, events=events)  # type: ignore[arg-type]
    assert result.outcome is Outcome.PASS, result.failure
    assert bench.device.security_mode == "SEALED"
    fe = bench.device.front_end
    k = bench.device.calibration_constants()
    assert k.cell_gain == pytest.approx(fe.cell_gain, abs=2)
    assert k.pack_gain == pytest.approx(fe.pack_gain, abs=3)
    finished = [e.result.step for e in events if isinstance(e, StepFinished)]
    assert finished.index(StepId.CALIBRATE) < finished.index(StepId.VERIFY)
    trace = bench.store.trace("PK4S-000123")
    assert trace is not None
    cal = trace.attempts[0].calibration
    kinds = {v.kind for v in cal}
    assert kinds == {"reference", "raw", "constant", "residual"}
    refs = [v for v in cal if v.kind == "reference"]
    assert all(v.instrument and "sim-" in v.instrument for v in refs)
    constants = {v.name: v for v in cal if v.kind == "constant"}
    assert constants["cc_gain"].old_value == pytest.approx(3.58422, rel=1e-6)
    assert constants["cc_gain"].value == pytest.approx(fe.cc_gain, rel=0.01)
    assert all(v.passed for v in cal if v.kind == "residual")
    stats = bench.store.calibration_distribution(ReportFilter(include_emulated=True))
    names = {(s.lot, s.kind, s.name) for s in stats}
    assert ("LOT-1", "constant", "cell_gain") in names
    assert ("LOT-1", "residual", "current") in names


def test_a_reversed_shunt_fails_calibration_is_restored_and_never_sealed(
    cal_recipe: Recipe, tmp_path: Path
) -> None:
    bench = make_bench(tmp_path, "reversed-shunt")
    before = bench.device.df_peek(0x4000, 0x19)
    result = bench.run(recipe=cal_recipe)
    assert result.outcome is Outcome.FAIL
    assert result.failure is not None
    assert result.failure.code == "CALIBRATION"
    assert result.failure.step is StepId.CALIBRATE
    assert "negative" in result.failure.reason
    assert not result.sealed
    assert bench.device.security_mode == "UNSEALED"
    assert "NOT sealed" in result.failure.pack_state
    assert bench.device.df_peek(0x4000, 0x19) == before  # never written
    trace = bench.store.trace("PK4S-000123")
    assert trace is not None
    assert any(v.kind == "raw" for v in trace.attempts[0].calibration)  # what it measured


def test_an_instrument_past_due_is_a_station_error_and_the_pack_is_not_sealed(
    cal_recipe: Recipe, tmp_path: Path
) -> None:
    bench = make_bench(tmp_path, "uncalibrated")
    path = tmp_path / "instruments.toml"
    path.write_text(
        '[[instrument]]\nname = "fixture-7"\nbackend = "simulated"\n'
        'quantities = ["voltage", "current", "temperature"]\ndue = 2020-01-31\n'
        '[sockets.A]\nvoltage = "fixture-7"\ncurrent = "fixture-7"\ntemperature = "fixture-7"\n'
    )
    bench.socket.config = replace(bench.socket.config, instruments=str(path))
    result = bench.run(recipe=cal_recipe)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.step is StepId.CALIBRATE
    assert result.failure.code == "INSTRUMENT_PAST_DUE"
    assert "fixture-7" in result.failure.reason
    assert not result.sealed

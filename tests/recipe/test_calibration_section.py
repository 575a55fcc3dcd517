"""A recipe's [calibration] section and the profile's calibration data: what is calibrated,
against what limits, and how `recipe show` tells it."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.recipe.errors import RecipeInvalid
from station.recipe.product import recipe_report as report
from station.recipe.product.recipe_loader import load_recipe
from tests.recipe.helpers import library, variant

SECTION = """
[calibration]
items = ["cc_gain", "cell_voltage", "bat_voltage", "cc_offset", "board_offset"]
temperature_sensors = ["TS1", "Int"]
reference_current = "-2 A"
cc_gain = [1.70, 2.05]
voltage_samples = 8
offset_samples = 32
current_samples = 8
cell_tolerance = "5 mV"
temperature_tolerance = "1.5 °C"
"""


def with_section(tmp: Path, section: str = SECTION) -> Path:
    return variant(tmp, ("[backup]", section + "\n[backup]"))


def test_profile_holds_the_constants_pacing_and_limits_as_data() -> None:
    cal = library().get("bq40z50-r1").calibration
    assert cal is not None
    assert cal.constants["cc_gain"] == "Calibration:Current:CC Gain"
    assert cal.temperature_offsets["TS2"] == "Calibration:Temperature:External2 Temp Offset"
    assert cal.pacing.period_s == 0.25
    assert cal.pacing.settle_steps == 2
    assert cal.limits.cell_gain.low == 11740
    assert cal.limits.temp_offset_dk == 50
    assert cal.capacity_gain_factor == 298261.6178
    assert not cal.verified


def test_plan_is_read_in_ti_order_with_its_numbers(tmp_path: Path) -> None:
    recipe = load_recipe(with_section(tmp_path))
    plan = recipe.calibration
    assert plan is not None
    assert plan.items == ("cell_voltage", "bat_voltage", "cc_offset", "board_offset", "cc_gain")
    assert plan.sensors == ("Int", "TS1")
    assert plan.reference_current_ma == -2000
    assert plan.limits.cc_gain.low == 1.70
    assert plan.voltage_tolerance_mv == 50  # the default
    # frames: (2+8) voltage + (2+32) CC offset + (2+32) board offset + (2+8) CC gain = 88,
    # each run spanning one period less than its frames
    assert plan.floor_s() == pytest.approx((88 - 4) * 0.25)


def test_recipe_show_prints_the_plan(tmp_path: Path) -> None:
    lines = report.summary(load_recipe(with_section(tmp_path)))
    text = "\n".join(str(line) for line in lines)
    assert (
        "steps (TI order): cell voltage → bat voltage → cc offset → board offset → cc gain" in text
    )
    assert "temperature Int, TS1" in text
    assert "frames take at least 21.00 s" in text
    assert "reference current -2000 mA; CC Gain window 1.7…2.05" in text


def test_a_recipe_without_the_section_keeps_factory_calibration(tmp_path: Path) -> None:
    recipe = load_recipe(variant(tmp_path))
    assert recipe.calibration is None
    lines = {line.label: line.text for line in report.summary(recipe)}
    assert lines["calibration"].startswith("none")


@pytest.mark.parametrize(
    ("section", "why"),
    [
        ('[calibration]\nitems = ["cc_gain"]\n', "cc_gain needs a reference_current"),
        ('[calibration]\nitems = ["volts"]\n', "unknown calibration item 'volts'"),
        ('[calibration]\ntemperature_sensors = ["TS9"]\n', "unknown temperature sensor"),
        ('[calibration]\nitems = ["board_offset"]\n', "calibrate both"),
        ('[calibration]\nitems = ["cell_voltage"]\nvoltage_samples = 0\n', "whole number"),
        ('[calibration]\n', "names nothing to calibrate"),
        ('[calibration]\nitems = ["cc_offset", "cc_gain"]\nreference_current = "-1 A"\n'
         'cc_gain = [0.05, 2]\n', "inside the profile's 0.1…4"),
        ('[calibration]\nitems = ["cell_voltage"]\ncell_tolerance = "5 mA"\n', "expected mV"),
    ],
)  # fmt: skip
def test_bad_sections_are_refused_with_the_reason(tmp_path: Path, section: str, why: str) -> None:
    with pytest.raises(RecipeInvalid) as info:
        load_recipe(with_section(tmp_path, section))
    assert why in str(info.value)

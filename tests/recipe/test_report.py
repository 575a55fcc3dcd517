"""What `station recipe show`/`diff` and the engineer screen say about a recipe comes from the
recipe layer: the parameters a pack gets, the blocks backed up and compared, the bus time against
profile defaults and in the worst case, and how two recipes differ."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station.recipe.product import recipe_report as report
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.profile_report import address_ranges, value_text
from tests.recipe.fsrecipe import flashstream_recipe
from tests.recipe.helpers import EXAMPLE_4S, variant

DAY = dt.date(2026, 3, 14)


@pytest.fixture(scope="module")
def recipe() -> Recipe:
    return load_recipe(EXAMPLE_4S)


def test_summary_names_the_recipe_its_hash_and_its_unconfirmed_profile(recipe: Recipe) -> None:
    lines = {line.label: line.text for line in report.summary(recipe)}
    assert lines["recipe"].startswith("pk4s3p-3500 1.0.0: ")
    assert lines["hash"] == f"sha256:{recipe.content_hash}"
    assert "0 of 536 parameters confirmed" in lines["profile"]
    assert lines["checks"] == (
        "cells 3000..4200 mV; imbalance ≤ 50 mV; temperature 10..45 °C; "
        "ManufacturingStatus = 0x0278"
    )
    assert str(report.summary(recipe)[0]).startswith("recipe     pk4s3p-3500")


def test_the_pack_table_marks_per_unit_fields_and_folds_manufacturer_info_a(
    recipe: Recipe,
) -> None:
    pack = report.pack_report(recipe, "PK4S-000123", DAY, speed_hz=100_000)
    rows = {row[0]: row for row in pack.parameters.rows}
    assert rows["Manufacturer Info A *"][1] == "'PK4S-000123'"
    assert rows["Serial Number *"][1] == "0x007B"
    assert rows["Manufacture Date *"][1] == "23662 (2026-03-14)"
    assert rows["OTC Threshold"][1:] == ("55.0", "°C", "26 02", "0x44B5")
    assert not any(name.startswith("Manufacturer Info Block") for name in rows)
    assert "SBS serial 123" in str(pack.notes[0])


def test_the_worst_case_writes_every_byte_the_recipe_sets(recipe: Recipe) -> None:
    target = recipe.target("PK4S-000123", DAY)
    defaults = report.defaults_plan(recipe, target, speed_hz=100_000)
    worst = report.worst_case_plan(recipe, target, speed_hz=100_000)
    written = {a for w in worst.writes for a in range(w.address, w.address + len(w.data))}
    assert set(target.data) <= written
    assert worst.bytes_written > defaults.bytes_written
    assert worst.estimate.total_s > defaults.estimate.total_s
    lines = [
        str(line) for line in report.pack_report(recipe, "PK4S-000123", DAY, speed_hz=100_000).plans
    ]
    assert lines[1] == f"plan worst case:          {report.plan_text(worst)}"


def test_a_flashstream_plan_counts_the_stream_then_the_per_unit_fields() -> None:
    fs = flashstream_recipe()
    (line,) = report.pack_report(fs, "PK4S-000123", DAY, speed_hz=100_000).plans
    assert str(line).startswith(f"FlashStream: {len(fs.fs_plan.writes)} data-flash writes")  # type: ignore[union-attr]
    assert "then the per-unit fields vs profile defaults" in str(line)


def test_coverage_names_what_is_written_backed_up_and_compared(recipe: Recipe) -> None:
    target = recipe.target("PK4S-000123", DAY)
    lines = {line.label: line.text for line in report.coverage(recipe, target)}
    assert lines["backs up"].startswith("9 blocks, 288 bytes: 0x4040-0x409F")
    assert lines["verify"].startswith(f"compares {len(target.data)} bytes")
    assert lines[""] == "never compared: 0x5F80-0x5FFF (does not take writes)"


def test_two_recipes_differ_setting_by_setting_and_value_by_value(
    recipe: Recipe, tmp_path: Path
) -> None:
    other = load_recipe(
        variant(
            tmp_path,
            ('"CUV Delay" = "2 s"', '"CUV Delay" = "3 s"'),
            ("ship_mode = false", "ship_mode = true"),
        )
    )
    found = report.differences(recipe, other)
    assert found.values == [("CUV Delay", "2 s", "3 s")]
    assert [what for what, _, _ in found.settings] == ["security"]
    assert report.differences(recipe, recipe).none


def test_the_engineer_rows_compare_each_setting_with_the_pack(recipe: Recipe) -> None:
    otc = recipe.profile.get("OTC Threshold")
    name = recipe.profile.get("Device Name")
    pack = {s.parameter.key: s.raw for s in recipe.settings}
    pack[otc.key] = 500
    del pack[name.key]
    rows = dict(report.pack_comparison(recipe, pack))
    assert rows["OTC Threshold"] == "recipe 55.0 °C | pack 50.0 °C | DIFFERS"
    assert rows["Device Name"] == 'recipe "PK4S3P-3500" | pack ? | DIFFERS'
    assert rows["CUV Threshold"] == "recipe 2800 mV | pack 2800 mV | same"
    assert dict(report.setting_rows(recipe))["OTC Threshold"] == "55.0 °C  @0x44B5  [26 02]"


def test_an_unsigned_profile_is_noted_on_validation(recipe: Recipe) -> None:
    assert report.signoff_note(recipe).startswith("; note: 64 of the 64 parameters it writes")


def test_values_and_address_runs_read_as_an_engineer_writes_them(recipe: Recipe) -> None:
    da = recipe.profile.get("DA Configuration")
    assert value_text(da, 0x13) == ("0x13 (cells=4, SLEEP)", "")
    assert value_text(recipe.profile.get("Manufacture Date"), 0) == ("0 (not a date)", "")
    assert address_ranges([0x4042, 0x4040, 0x4041, 0x4050]) == "0x4040-0x4042, 0x4050"

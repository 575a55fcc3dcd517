"""Recipes: the examples pass; unsafe or mistyped recipes are refused with file, line, parameter,
value, allowed range and why, every problem at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.recipe.errors import Problem, SerialRejected
from station.recipe.product.recipe_loader import load_recipe
from tests.recipe.helpers import EXAMPLE_3S, EXAMPLE_4S, RECIPES, line_of, validate_recipe, variant


def problems(path: Path) -> list[Problem]:
    found = validate_recipe(path)
    assert found, "the recipe was expected to be refused"
    return found


def only(found: list[Problem], needle: str) -> Problem:
    hits = [p for p in found if needle in str(p)]
    assert len(hits) == 1, "\n".join(map(str, found))
    return hits[0]


def test_every_shipped_recipe_is_valid() -> None:
    paths = sorted(RECIPES.glob("*.toml"))
    assert len(paths) >= 2
    for path in paths:
        assert validate_recipe(path) == [], path


def test_the_4s_example_carries_the_spec_values() -> None:
    r = load_recipe(EXAMPLE_4S)
    v = {r.profile.short_name(r.profile.get(k)): raw for k, raw in r.values().items()}
    assert v["DA Configuration"] & 0b11 == 0b11
    assert v["Design Capacity mAh"] == 10500
    assert v["Design Capacity cWh"] == 15120
    assert v["Design Voltage"] == 14400
    assert (v["CUV Threshold"], v["CUV Delay"]) == (2800, 2)
    for rng in ("Low", "Standard", "High", "Rec"):
        assert v[f"COV Threshold {rng} Temp"] == 4250
        assert v[f"COV Recovery {rng} Temp"] < 4250
    assert (v["OCC1 Threshold"], v["OCC1 Delay"]) == (6000, 2)
    assert (v["OCD1 Threshold"], v["OCD1 Delay"]) == (-20000, 2)
    assert (v["OTC Threshold"], v["OTC Delay"]) == (550, 2)
    assert v["OTC Recovery"] < 550
    assert v["LED Configuration"] & 1
    assert v["Mfg Status Init"] == 0x0278
    assert r.cells == 4
    assert r.serial.example == "PK4S-000123"
    assert r.identify("PK4S-000123").sbs_serial == 123
    assert r.checks.expected_manufacturing_status == 0x0278


def test_cov_at_5000_mv_is_refused(tmp_path: Path) -> None:
    path = variant(
        tmp_path, ('"COV Threshold High Temp" = "4250 mV"', '"COV Threshold High Temp" = "5000 mV"')
    )
    p = only(problems(path), "COV Threshold High Temp")
    assert p.file == str(path)
    assert p.line == line_of(path, '"COV Threshold High Temp"')
    assert p.value == "5000 mV"
    assert "4500 mV" in (p.allowed or "")
    assert "overcharge" in p.why
    assert p.code == "UNSAFE_SETTING"


def test_misspelt_parameter_suggests_the_right_name(tmp_path: Path) -> None:
    path = variant(tmp_path, ('"COV Threshold Low Temp" =', '"COV Treshold Low Temp" ='))
    found = problems(path)
    p = only(found, "COV Treshold Low Temp")
    assert p.line == line_of(path, "COV Treshold")
    assert 'did you mean "COV Threshold Low Temp"' in p.why
    assert p.code == "UNKNOWN_PARAMETER"


def test_three_cell_da_configuration_on_a_4s_recipe(tmp_path: Path) -> None:
    path = variant(tmp_path, ("{ cells = 4, SLEEP = true }", "{ cells = 3, SLEEP = true }"))
    p = only(problems(path), "DA Configuration")
    assert p.line == line_of(path, '"DA Configuration"')
    assert "configures 3 cells in series but the recipe is for 4" in p.why
    assert p.allowed == "cells = 4"


def test_the_spec_energy_slip_is_refused(tmp_path: Path) -> None:
    # The spec wrote "1512 cWh (151.2 Wh)"; 151.2 Wh is 15120 cWh.
    path = variant(
        tmp_path, ('"Design Capacity cWh" = "15120 cWh"', '"Design Capacity cWh" = "1512 cWh"')
    )
    found = problems(path)
    p = only(found, "factor of ten")
    assert p.parameter == "Design Capacity cWh"
    assert p.value == "1512 cWh (15.12 Wh)"
    assert "151.2 Wh is 15120 cWh" in p.why
    assert p.line == line_of(path, '"Design Capacity cWh"')
    # The label still says 151.2 Wh: that disagreement is reported too, on the label's line.
    assert any(q.line == line_of(path, 'energy = "151.2 Wh"') for q in found)


def test_energy_in_watt_hours_converts(tmp_path: Path) -> None:
    path = variant(
        tmp_path, ('"Design Capacity cWh" = "15120 cWh"', '"Design Capacity cWh" = "151.2 Wh"')
    )
    assert validate_recipe(path) == []
    assert load_recipe(path).values()["Gas Gauging:Design:Design Capacity cWh"] == 15120


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('"COV Threshold High Temp" = "4250 mV"', '"COV Threshold High Temp" = "5000 mV"'),
        ('"COV Threshold Low Temp" =', '"COV Treshold Low Temp" ='),
        ("{ cells = 4, SLEEP = true }", "{ cells = 3, SLEEP = true }"),
        ('"Design Capacity cWh" = "15120 cWh"', '"Design Capacity cWh" = "1512 cWh"'),
        ('"CUV Delay" = "2 s"', '"CUV Delay" = "300 s"'),
    )
    found = problems(path)
    for needle in (
        "COV Threshold High Temp",
        "COV Treshold",
        "DA Configuration",
        "Design Capacity cWh",
        "CUV Delay",
    ):
        assert any(needle in str(p) for p in found), needle
    delay = only(found, "CUV Delay")
    assert "300" in (delay.value or "")
    assert delay.allowed == "0 s .. 255 s"


@pytest.mark.parametrize(
    ("old", "new", "needle", "why"),
    [
        (
            '"COV Recovery High Temp" = "4100 mV"',
            '"COV Recovery High Temp" = "4300 mV"',
            "COV Recovery High Temp",
            "recovery must be below its threshold",
        ),
        (
            '"CUV Recovery" = "3000 mV"',
            '"CUV Recovery" = "2700 mV"',
            "CUV Recovery",
            "above the CUV threshold",
        ),
        (
            '"OTC Recovery" = "50.0 °C"',
            '"OTC Recovery" = "56 °C"',
            "OTC Recovery",
            "below the OTC threshold",
        ),
        (
            '"OCD1 Threshold" = "-20000 mA"',
            '"OCD1 Threshold" = "20000 mA"',
            "OCD1 Threshold",
            "stored as a negative current",
        ),
        (
            '"OCC1 Threshold" = "6000 mA"',
            '"OCC1 Threshold" = "-6000 mA"',
            "OCC1 Threshold",
            "positive",
        ),
        (
            '"CUV Threshold" = "2800 mV"',
            '"CUV Threshold" = "4300 mV"',
            "CUV Threshold",
            "below cell over-voltage",
        ),
        (
            '"CUV Threshold" = "2800 mV"',
            '"CUV Threshold" = "280 mV"',
            "CUV Threshold",
            "over-discharged",
        ),
        (
            '"OTC Threshold" = "55.0 °C"',
            '"OTC Threshold" = 550',
            "OTC Threshold",
            "above the profile maximum",
        ),
        (
            '"OTC Threshold" = "55.0 °C"',
            '"OTC Threshold" = "55.05 °C"',
            "OTC Threshold",
            "whole number of steps of 0.1 °C",
        ),
        (
            '"CUV Threshold" = "2800 mV"',
            '"CUV Threshold" = "2800 mA"',
            "CUV Threshold",
            "cannot convert mA to mV",
        ),
        (
            '"Design Voltage" = "14400 mV"',
            '"Design Voltage" = "16800 mV"',
            "Design Voltage",
            "per cell",
        ),
        (
            '"OCD2 Threshold" = "-24000 mA"',
            '"OCD2 Threshold" = "-8000 mA"',
            "OCD2 Threshold",
            "larger current",
        ),
        (
            '"Device Name" = "PK4S3P-3500"',
            '"Device Name" = "PK4S3P-3500-EXTRA-LONG-NAME"',
            "Device Name",
            "holds at most 20",
        ),
        ("LED_ON = true", "LED_OM = true", "LED Configuration", "did you mean LED_ON"),
        ("LED_ON = true", "LED_ON = 1", "LED Configuration", "flag: true or false"),
    ],
)
def test_unsafe_or_wrong_values(tmp_path: Path, old: str, new: str, needle: str, why: str) -> None:
    path = variant(tmp_path, (old, new))
    found = problems(path)
    hits = [p for p in found if needle in str(p) and why in str(p)]
    assert hits, "\n".join(map(str, found))
    assert hits[0].line == line_of(path, new.split(" =")[0]) or hits[0].line == line_of(path, new)


def test_per_unit_and_calibration_fields_are_not_recipe_values(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        (
            '"Manufacturer Name" = "Packline"',
            '"Manufacturer Name" = "Packline"\n"Serial Number" = "0x0001"\n'
            '"CC Gain" = 3.5\n"Cycle Count" = 0',
        ),
    )
    found = problems(path)
    assert "per-unit field" in only(found, "Serial Number").why
    assert "calibration" in only(found, "CC Gain").why
    assert "data the gauge keeps" in only(found, "Cycle Count").why


def test_serial_rules(tmp_path: Path) -> None:
    path = variant(tmp_path, ('example = "PK4S-000123"', 'example = "PK4S-12345"'))
    p = only(problems(path), "example")
    assert 'is not a serial of this recipe: expected "PK4S-" and six digits;' in p.why
    path = variant(
        tmp_path,
        ('sbs_serial = { group = "unit", modulo = 65536 }', 'sbs_serial = { group = "unit" }'),
    )
    r = load_recipe(path)
    assert r.identify("PK4S-065535").sbs_serial == 65535
    with pytest.raises(SerialRejected, match="does not fit the 16-bit"):
        r.identify("PK4S-065536")
    with pytest.raises(SerialRejected, match="is not a serial of this recipe"):
        r.identify("pk4s-000001")
    path = variant(
        tmp_path,
        ('sbs_serial = { group = "unit", modulo = 65536 }', 'sbs_serial = { group = "serial" }'),
    )
    assert "no group named 'serial'" in only(problems(path), "sbs_serial").why
    path = variant(
        tmp_path, ('manufacturer_info_a = "{serial}"', 'manufacturer_info_a = "{lot}-{serial}"')
    )
    assert "{lot}" in only(problems(path), "manufacturer_info_a").why


def test_modulo_maps_large_unit_numbers() -> None:
    r = load_recipe(EXAMPLE_4S)
    assert r.identify("PK4S-065536").sbs_serial == 0
    assert r.identify("PK4S-999999").sbs_serial == 999999 % 65536
    assert r.identify("PK4S-000123").manufacturer_info_a == "PK4S-000123"
    three = load_recipe(EXAMPLE_3S)
    assert three.identify("PK3S-00A7").sbs_serial == 0xA7


def test_unknown_tables_and_entries_are_named(tmp_path: Path) -> None:
    path = variant(tmp_path, ("[label]", "[lable]"), ("cells = 4\n", "cels = 4\n"))
    found = problems(path)
    assert "did you mean [label]" in only(found, "unknown table").why
    assert "did you mean 'cells'" in only(found, "'cels'").why


def test_mode_must_be_exactly_one(tmp_path: Path) -> None:
    path = variant(tmp_path, ("[checks]", '[flashstream]\nfile = "x.bq.fs"\n\n[checks]'))
    assert any("exactly one of" in p.why for p in problems(path))


def test_checks_window_must_sit_inside_the_protections(tmp_path: Path) -> None:
    path = variant(
        tmp_path, ('cell_voltage = ["3000 mV", "4200 mV"]', 'cell_voltage = ["2.5 V", "4.3 V"]')
    )
    found = problems(path)
    assert any("above the CUV threshold" in p.why for p in found)
    assert any("below the COV threshold" in p.why for p in found)


def test_security_production_keys_need_full_access(tmp_path: Path) -> None:
    path = variant(tmp_path, ('production_key_set = ""', 'production_key_set = "acme-2026"'))
    assert "FULL ACCESS" in only(problems(path), "production_key_set").why
    path = variant(tmp_path, ('key_set = "ti-default"', 'key_set = "nope"'))
    found = validate_recipe(path, known_key_sets=["ti-default"])
    assert "not in the key store" in only(found, "key_set").why


def test_label_must_describe_the_pack(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        ('capacity = "10500 mAh"', 'capacity = "10000 mAh"'),
        ('stock = "62x29mm"', 'stock = "62 by 29"'),
    )
    found = problems(path)
    assert any("label would not describe the pack" in p.why for p in found)
    assert any("WIDTHxHEIGHT" in p.why for p in found)


def test_firmware_must_be_in_the_profile(tmp_path: Path) -> None:
    path = variant(tmp_path, ('firmware = ["1.09"]', 'firmware = ["2.00"]'))
    assert "does not describe firmware 2.00" in only(problems(path), "firmware").why


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = variant(tmp_path, ('"CUV Delay" = "2 s"', '"CUV Delay" = "2 s'))
    (p,) = problems(path)
    assert p.line == line_of(path, '"CUV Delay"')
    assert "not valid TOML" in p.why


def test_hash_pins_text_profile_and_referenced_files(tmp_path: Path) -> None:
    a = load_recipe(EXAMPLE_4S)
    assert len(a.content_hash) == 64
    assert a.canonical_text == EXAMPLE_4S.read_text(encoding="utf-8")
    crlf = tmp_path / "crlf.toml"
    crlf.write_bytes(EXAMPLE_4S.read_bytes().replace(b"\n", b"\r\n"))
    assert load_recipe(crlf).content_hash == a.content_hash
    edited = variant(tmp_path, ("# LEDs light", "# The LEDs light"))
    assert load_recipe(edited).content_hash != a.content_hash


def test_target_for_a_serial_and_date() -> None:
    r = load_recipe(EXAMPLE_4S)
    t = r.target("PK4S-000123", dt.date(2026, 3, 14))
    serial = r.profile.get("Serial Number")
    date = r.profile.get("Manufacture Date")
    assert bytes(t.data[a] for a in serial.addresses) == (123).to_bytes(2, "little")
    packed = (2026 - 1980) * 512 + 3 * 32 + 14
    assert bytes(t.data[a] for a in date.addresses) == packed.to_bytes(2, "little")
    info_len = r.profile.get("Manufacturer Info A Length")
    assert t.data[info_len.address] == len("PK4S-000123")
    text = bytes(t.data[info_len.address + 1 + i] for i in range(32))
    assert text == b"PK4S-000123".ljust(32, b"\0")
    assert t.sbs_serial == 123
    assert t.manufacture_date == packed


TOML_VALUES = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(max_size=12).map(
        lambda t: '"' + t.replace("\\", "").replace('"', "").replace("\n", "") + '"'
    ),
    st.sampled_from(
        [
            '"4250 mV"',
            '"-3 A"',
            '"0x1FF"',
            "{ cells = 9 }",
            "{ SLEEP = 1 }",
            "[1, 2]",
            '"55.0 °C"',
            '"1e99 mV"',
            '"nan mV"',
            "{}",
            '{ base = "zz" }',
        ]
    ),
)


@pytest.mark.slow  # a long property run: `make test`, not `make quick`
@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [
            "COV Threshold Low Temp",
            "OTC Threshold",
            "DA Configuration",
            "Device Name",
            "OCD1 Delay",
            "Mfg Status Init",
            "CC Gain",
        ]
    ),
    TOML_VALUES,
)
def test_fuzz_any_value_is_a_problem_or_a_valid_recipe(name: str, value: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        text = EXAMPLE_4S.read_text(encoding="utf-8")
        lines = [ln for ln in text.splitlines() if not ln.startswith(f'"{name}"')]
        body = "\n".join(lines).replace("[parameters]\n", f'[parameters]\n"{name}" = {value}\n')
        path = Path(tmp) / "fuzz.toml"
        path.write_text(body, encoding="utf-8")
        found = validate_recipe(path)
        assert all(p.file == str(path) for p in found)
        assert all(p.line is None or p.line >= 1 for p in found)

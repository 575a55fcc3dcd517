"""bqStudio .gg.csv exports: header, columns by name, display → stored values, keys kept apart."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.keys import KeyStore
from station.recipe.errors import FileFormatError, Problem, ProblemsError
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile
from station.recipe.profile.values import parse_setting
from station.recipe.ti.gg_import import import_gg
from station.recipe.ti.ggcsv import parse_gg_csv
from station.recipe.ti.importer import import_file
from station.recipe.ti.recipe_text import setting_toml
from tests.recipe.helpers import FIXTURES


@pytest.fixture(scope="module")
def r1() -> Profile:
    return ProfileLibrary().get("bq40z50-r1")


def gg(name: str):  # type: ignore[no-untyped-def]
    return parse_gg_csv((FIXTURES / name).read_text(encoding="utf-8"), name)


def test_header_and_columns() -> None:
    f = gg("pk4s-export.gg.csv")
    assert f.device_number == 0x4500
    assert f.firmware == "1.09"
    assert f.build == "0x0016"
    assert f.columns[3] == "Parameter Value"
    assert len(f.rows) == 21
    assert f.rows[0].line == 14


def test_values_against_the_shipped_profile(r1: Profile) -> None:
    result = import_gg(gg("pk4s-export.gg.csv"), r1)
    v = {r1.short_name(p): raw for p, raw in result.values}
    assert v["DA Configuration"] == 0x13  # hex display format
    assert v["Mfg Status Init"] == 0x0278
    assert v["OTC Threshold"] == 550  # "55.0" with ddd.d → × 10
    assert v["Open Thermistor Threshold"] == 2232  # "-50.0" × 10, then x+2732
    assert v["OCD1 Threshold"] == -20000
    assert v["Device Name"] == "PK4S3P-3500"
    assert v["CC Gain"] == pytest.approx(3.58422, rel=1e-6)
    assert set(result.keys) == {"unseal", "full_access"}
    assert result.keys["unseal"] == 0x36720414


def test_short_export_with_units_column(r1: Profile) -> None:
    result = import_gg(gg("short-units.gg.csv"), r1)
    v = {r1.short_name(p): raw for p, raw in result.values}
    assert v == {
        "CUV Threshold": 2800,
        "OTC Threshold": 550,
        "DA Configuration": 0x13,
        "Design Capacity cWh": 15120,
    }


def test_missing_field_order() -> None:
    with pytest.raises(FileFormatError, match="Field Order"):
        gg("missing-field-order.gg.csv")


def test_device_mismatch(r1: Profile) -> None:
    with pytest.raises(FileFormatError) as exc:
        import_gg(gg("wrong-device.gg.csv"), r1)
    codes = {p.code for p in exc.value.problems}
    assert codes == {"DEVICE_MISMATCH", "FIRMWARE_MISMATCH"}
    assert "0x0550" in str(exc.value)


def test_value_out_of_range(r1: Profile) -> None:
    with pytest.raises(FileFormatError) as exc:
        import_gg(gg("out-of-range.gg.csv"), r1)
    (p,) = exc.value.problems
    assert p.line == 6
    assert p.parameter == "Protections:OTC:Threshold"
    assert "2000" in p.why
    assert "-400..1500" in p.why


def test_formulas_are_never_evaluated_as_code(r1: Profile) -> None:
    with pytest.raises(FileFormatError) as exc:
        import_gg(gg("bad-formula.gg.csv"), r1)
    lines = sorted((p.line, p.code) for p in exc.value.problems)
    assert lines == [(5, "GG_FORMULA"), (6, "GG_FORMULA")]
    assert "only linear formulas" in str(exc.value)


def test_address_mismatch_means_another_layout(r1: Profile) -> None:
    with pytest.raises(FileFormatError, match="the layouts differ"):
        import_gg(gg("wrong-address.gg.csv"), r1)


def test_key_rows_are_never_echoed(r1: Profile) -> None:
    text = (FIXTURES / "pk4s-export.gg.csv").read_text(encoding="utf-8")
    text = text.replace('"Sealed to Unsealed","36720414"', '"Sealed to Unsealed","SECRETXYZ"')
    with pytest.raises(FileFormatError) as exc:
        import_gg(parse_gg_csv(text, "x.gg.csv"), r1)
    assert "SECRETXYZ" not in str(exc.value)
    assert "32-bit hex value" in str(exc.value)


def test_import_writes_recipe_profile_and_private_key_file(tmp_path: Path) -> None:
    result = import_file(
        FIXTURES / "pk4s-export.gg.csv",
        tmp_path,
        profiles=ProfileLibrary(),
        profile_id="bq40z50-r1",
        serial_pattern=r"^PK4S-(?P<unit>\d{6})$",
        serial_example="PK4S-000123",
    )
    assert result.profile is None  # an existing profile was named
    assert result.keys is not None
    assert stat.S_IMODE(os.stat(result.keys).st_mode) == 0o600
    store = KeyStore.load(result.keys)
    keys = store.get("pk4s-export-keys")
    assert keys.unseal.first.reveal() == 0x0414
    assert keys.unseal.second.reveal() == 0x3672
    recipe_text = result.recipe.read_text(encoding="utf-8")
    assert "36720414" not in recipe_text
    assert "FFFFFFFF" not in recipe_text.upper()
    assert 'key_set = "pk4s-export-keys"' in recipe_text
    doc = tomllib.loads(recipe_text)
    params = doc["parameters"]
    assert params["OTC Threshold"] == "55.0 °C"
    assert params["DA Configuration"] == "0x13"
    assert "CC Gain" not in params  # calibration belongs to each pack
    assert "Serial Number" not in params  # per-unit
    assert "Cell 1 Max Voltage" not in params  # lifetime data
    assert doc["recipe"]["cells"] == 4
    # Everything an export cannot say has to be filled in; the rest validates.
    from station.recipe.errors import RecipeInvalid

    with pytest.raises(RecipeInvalid) as exc:
        load_recipe(result.recipe)
    whys = " | ".join(str(p) for p in exc.value.problems)
    assert "stock" not in whys
    assert "label" in whys  # product name is empty


def test_import_without_a_profile_builds_one_from_the_addresses(tmp_path: Path) -> None:
    result = import_file(FIXTURES / "pk4s-export.gg.csv", tmp_path, profiles=ProfileLibrary())
    assert result.profile is not None
    made = load_profile(result.profile)
    assert made.device_type == 0x4500
    assert made.firmware == ("1.09",)
    otc = made.get("OTC Threshold")
    assert (otc.address, otc.dtype.name, otc.unit) == (0x44B5, "I2", "°C")
    assert str(otc.scale) == "0.1"
    assert all(not p.verified for p in made.parameters)
    assert made.parameter_at(0x0000) is None
    assert "Sealed to Unsealed" not in {p.name for p in made.parameters}


def test_profile_import_needs_addresses(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no Address Offset"):
        import_file(FIXTURES / "short-units.gg.csv", tmp_path, profiles=ProfileLibrary())


def test_written_values_read_back_exactly(r1: Profile) -> None:
    for p in r1.parameters:
        raw = p.default
        doc = tomllib.loads(f"v = {setting_toml(p, raw)}")
        got = parse_setting(p, doc["v"])
        assert got == raw or (isinstance(raw, float) and got == pytest.approx(raw)), p.key


ROW = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
    min_size=0,
    max_size=12,
).map(lambda cells: ",".join(cells))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            ROW,
            st.sampled_from(
                [
                    "* Field Order: Class name, SubClass name, Parameter name, Parameter Value",
                    "* Device Number 4500",
                    "* Firmware Version 1.09",
                    '"Protections","CUV","Threshold","2800"',
                    '"a","b"',
                    "*",
                    "",
                ]
            ),
        ),
        max_size=8,
    )
)
def test_fuzz_gg_csv(lines: list[str]) -> None:
    text = "\n".join(lines)
    with contextlib.suppress(FileFormatError):
        parsed = parse_gg_csv(text, "fuzz.gg.csv")
        with contextlib.suppress(FileFormatError):
            import_gg(parsed, ProfileLibrary().get("bq40z50-r1"))


# == what an engineer's export really looks like: hex limits, words, Windows code pages ==========

EXPORT = (FIXTURES / "pk4s-export.gg.csv").read_text(encoding="utf-8")
LED_ROW = '"LED Configuration","00D1","U","2","0x442e","00D0","0","511"'


def test_hexadecimal_limits_without_0x_on_an_h_row_are_read_as_hex(tmp_path: Path) -> None:
    source = tmp_path / "hex.gg.csv"
    source.write_text(
        EXPORT.replace(LED_ROW, '"LED Configuration","00D1","H","2","0x442e","00D0","0","1FF"'),
        encoding="utf-8",
    )
    result = import_file(source, tmp_path / "out", profiles=ProfileLibrary())
    assert result.profile is not None
    led = load_profile(result.profile).get("LED Configuration")
    assert (led.minimum, led.maximum) == (0, 0x1FF)


def test_a_limit_that_is_a_word_is_a_problem_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "zero.gg.csv"
    source.write_text(
        EXPORT.replace(LED_ROW, '"LED Configuration","00D1","U","2","0x442e","00D0","zero","511"'),
        encoding="utf-8",
    )
    line = 1 + next(n for n, text in enumerate(EXPORT.splitlines()) if LED_ROW in text)
    with pytest.raises(FileFormatError) as caught:
        import_file(source, tmp_path / "out", profiles=ProfileLibrary())
    (problem,) = caught.value.problems
    assert problem.location() == f"{source}:{line}"
    assert "Minimum Value 'zero' is not a number" in problem.why


def test_an_export_saved_as_windows_1252_is_read(tmp_path: Path) -> None:
    source = tmp_path / "ansi.gg.csv"
    source.write_bytes(EXPORT.encode("cp1252"))  # "°C" is one byte, 0xB0
    result = import_file(source, tmp_path / "out", profiles=ProfileLibrary())
    assert any("Windows-1252" in note for note in result.notes)
    assert (
        tomllib.loads(result.recipe.read_text(encoding="utf-8"))["parameters"]["OTC Threshold"]
        == "55.0 °C"
    )


#: cells a careless export or editor puts in the columns the importer reads
CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "zero",
            "1FF",
            "0x1FF",
            "FFFF",
            "0xZZ",
            "1e400",
            "inf",
            "nan",
            "NaN",
            "3.5",
            "-0",
            "99999999999999999999",
            "0x",
            "°C",
            "mV",
            "x*x",
            "2",
            "4",
            "H",
            "U",
            "I",
            "F",
            "S",
            "hhhh",
            "dddd",
            "dd.d",
            "0x4481",
            "0x5FFF",
            "4481",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)
HEADER = (
    "* Texas Instruments Data Flash File\n* bqz Device Number 0x4500\n"
    "* bqz Firmware Version 0x0109\n* Field Order: Class name, SubClass name, Parameter name, "
    "Parameter Value, Data Type, Data Length, Address Offset, Minimum Value, Maximum Value, "
    "Display Format, Read Formula, Write Formula, Display Units\n"
)


def _csv(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


@pytest.mark.slow  # a long property run: `make test`, not `make quick`
@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=13, max_size=13), min_size=1, max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
    against_profile=st.booleans(),
)
def test_any_export_imports_or_says_file_line_and_why(
    rows: list[list[str]], encoding: str, against_profile: bool
) -> None:
    body = "\n".join(",".join(_csv(c) for c in row) for row in rows)
    text = HEADER + body + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "fuzz.gg.csv"
        source.write_bytes(data)
        problems = _problems_of(
            lambda: import_file(
                source,
                Path(tmp) / "out",
                profiles=ProfileLibrary(),
                profile_id="bq40z50-r1" if against_profile else None,
            )
        )
    for problem in problems:
        assert problem.file, problem
        assert problem.why, problem
        if problem.file == str(source):
            assert problem.line is not None, problem


def _problems_of(call: Callable[[], object]) -> tuple[Problem, ...]:
    """The problems ``call`` was refused with (none when it succeeded)."""
    try:
        call()
    except ProblemsError as exc:
        if not exc.problems:
            raise
        return exc.problems
    return ()

"""The shipped bq40z50-r1 profile, name resolution, profile validation and the TRM importer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.recipe.errors import ProfileInvalid, ProfileNotFound, UnverifiedWriteRefused
from station.recipe.profile.library import ProfileLibrary, package_profile_dir
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile, UnknownParameter
from station.recipe.ti.trm_table import import_trm_table
from tests.recipe.helpers import FIXTURES

PROFILE_DIR = package_profile_dir()
SOURCE_TABLE = FIXTURES / "bq4050-data-flash-summary.csv"


@pytest.fixture(scope="module")
def r1() -> Profile:
    return ProfileLibrary().get("bq40z50-r1")


def test_identity_of_the_shipped_profile(r1: Profile) -> None:
    assert r1.device_type == 0x4500
    assert r1.firmware == ("1.09",)
    assert not r1.signed_off
    assert r1.signoffs == ()


def test_table_is_the_bq4050_table_with_the_documented_changes(r1: Profile) -> None:
    with SOURCE_TABLE.open(encoding="utf-8") as f:
        ti = {(r["class"], r["subclass"], r["name"].casefold()): r for r in csv.DictReader(f)}
    assert len(ti) == 538
    mine = {(p.class_name, p.subclass, p.name.casefold()): p for p in r1.parameters}
    dropped = set(ti) - set(mine)
    assert dropped == {
        ("Protections", "ASCD", "threshold 1"),
        ("Protections", "ASCD", "threshold 2"),
    }
    moved = [k for k, p in mine.items() if p.address != int(ti[k]["address"], 16)]
    assert moved == [("Settings", "Manufacturing", "mfg status init")]
    for key, p in mine.items():
        assert p.dtype.name == ti[key]["type"]


def test_notable_addresses(r1: Profile) -> None:
    expect = {
        "Mfg Status Init": (0x4580, "H2"),
        "DA Configuration": (0x457B, "H1"),
        "Design Capacity mAh": (0x444D, "I2"),
        "Design Capacity cWh": (0x444F, "I2"),
        "Design Voltage": (0x4451, "I2"),
        "CUV Threshold": (0x4481, "I2"),
        "COV Threshold Rec Temp": (0x448C, "I2"),
        "COV Recovery Rec Temp": (0x4495, "I2"),
        "OCC1 Threshold": (0x4497, "I2"),
        "OCD1 Threshold": (0x44A0, "I2"),
        "OTC Threshold": (0x44B5, "I2"),
        "OTC Recovery": (0x44B8, "I2"),
        "LED Configuration": (0x442E, "H2"),
        "Manufacturer Info A Length": (0x4040, "U1"),
        "Static DF Signature": (0x4066, "H2"),
        "Manufacture Date": (0x406C, "U2"),
        "Serial Number": (0x406E, "H2"),
        "Manufacturer Name": (0x4070, "S21"),
        "Device Name": (0x4085, "S21"),
        "Device Chemistry": (0x409A, "S5"),
        "Specification Information": (0x444B, "H2"),
        "Initial Battery Mode": (0x4449, "H2"),
    }
    for name, (address, kind) in expect.items():
        p = r1.get(name)
        assert (p.address, p.dtype.name) == (address, kind), name
    assert r1.parameter_at(0x4340) is None
    assert r1.get("Device Name").default == "BQ40Z50"
    assert r1.get("DA Configuration").default == 0x12


def test_every_address_is_unverified_with_a_source(r1: Profile) -> None:
    assert all(not p.verified for p in r1.parameters)
    assert all(p.source for p in r1.parameters)
    assert r1.get("Mfg Status Init").source == "E2E 613934 bus trace on BQ40Z50-R1"
    assert "not confirmed on BQ40Z50" in r1.get("OTC Threshold").source


def test_bit_fields(r1: Profile) -> None:
    da = r1.get("DA Configuration")
    cells = da.field("cells")
    assert cells is not None
    assert [cells.get(v) for v in (0b00, 0b01, 0b10, 0b11)] == [1, 2, 3, 4]
    assert da.field("SLEEP").get(0x12) == 1  # type: ignore[union-attr]
    assert {f.name for f in da.fields} == {"cells", "NR", "IN_SYSTEM_SLEEP", "SLEEP"}
    mfg = r1.get("Mfg Status Init")
    assert {f.name: f.low for f in mfg.fields} == {
        "GAUGE_EN": 3,
        "FET_EN": 4,
        "LF_EN": 5,
        "PF_EN": 6,
        "BBR_EN": 7,
        "FUSE_EN": 8,
        "LED_EN": 9,
    }
    assert r1.get("LED Configuration").field("LED_ON").low == 0  # type: ignore[union-attr]


def test_scaled_units(r1: Profile) -> None:
    otc = r1.get("OTC Threshold")
    assert (otc.unit, str(otc.scale)) == ("°C", "0.1")
    assert otc.format(550) == "55.0 °C"
    assert otc.range_text() == "-40.0 °C .. 150.0 °C"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("CUV Threshold", "Protections:CUV:Threshold"),
        ("COV Threshold Low Temp", "Protections:COV:Threshold Low Temp"),
        ("OCD1 Threshold", "Protections:OCD1:Threshold"),
        ("OTC Threshold", "Protections:OTC:Threshold"),
        ("DA Configuration", "Settings:Configuration:DA Configuration"),
        ("Design Capacity mAh", "Gas Gauging:Design:Design Capacity mAh"),
        ("Protections:OTC:Recovery", "Protections:OTC:Recovery"),
        ("mfg status init", "Settings:Manufacturing:Mfg Status Init"),
        ("  OTC   Threshold ", "Protections:OTC:Threshold"),
    ],
)
def test_names_resolve(r1: Profile, written: str, key: str) -> None:
    assert r1.get(written).key == key


def test_short_names_are_unique_and_read_like_the_spec(r1: Profile) -> None:
    names = [r1.short_name(p) for p in r1.parameters]
    assert len(set(names)) == len(names)
    assert r1.short_name(r1.get("Protections:COV:Threshold Low Temp")) == "COV Threshold Low Temp"
    assert r1.short_name(r1.get("Settings:Configuration:DA Configuration")) == "DA Configuration"
    for name in names:
        assert r1.short_name(r1.get(name)) == name


def test_ambiguous_and_unknown_names_suggest(r1: Profile) -> None:
    with pytest.raises(UnknownParameter, match="ambiguous") as amb:
        r1.get("Threshold")
    assert "CUV Threshold" in amb.value.suggestions
    with pytest.raises(UnknownParameter, match="no such parameter") as typo:
        r1.get("COV Treshold Low Temp")
    assert typo.value.suggestions[0] == "COV Threshold Low Temp"
    with pytest.raises(UnknownParameter) as occ:
        r1.get("OCC Threshold")
    assert "OCC1 Threshold" in occ.value.suggestions


def test_unverified_writes_refused_on_hardware_only(r1: Profile) -> None:
    params = [r1.get("COV Threshold Low Temp"), r1.get("DA Configuration")]
    r1.check_write_allowed(params, emulated=True)
    with pytest.raises(UnverifiedWriteRefused, match="nobody has confirmed") as exc:
        r1.check_write_allowed(params, emulated=False)
    assert exc.value.parameters == ("COV Threshold Low Temp", "DA Configuration")
    assert exc.value.failure_code == "UNVERIFIED_ADDRESS"


def _copy_profile(
    tmp: Path, header_edit: tuple[str, str] | None = None, table_edit: tuple[str, str] | None = None
) -> Path:
    header = (PROFILE_DIR / "bq40z50-r1.toml").read_text(encoding="utf-8")
    table = (PROFILE_DIR / "bq40z50-r1.csv").read_text(encoding="utf-8")
    if header_edit:
        assert header_edit[0] in header
        header = header.replace(*header_edit)
    if table_edit:
        assert table_edit[0] in table
        table = table.replace(*table_edit)
    (tmp / "bq40z50-r1.toml").write_text(header, encoding="utf-8")
    (tmp / "bq40z50-r1.csv").write_text(table, encoding="utf-8")
    return tmp / "bq40z50-r1.toml"


SIGNOFF = """
[[signoff]]
by = "A. Engineer"
on = "2026-03-14"
method = "reference-pack"
evidence = "read-df dump of reference pack REF-0001 (sha256:0123abcd)"
parameters = ["Protections:CUV:Threshold", "Protections:CUV:Recovery"]
"""


def _with_signoff(tmp: Path, text: str = SIGNOFF) -> Path:
    path = _copy_profile(tmp)
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def test_a_header_sign_off_alone_confirms_nothing(tmp_path: Path) -> None:
    path = _copy_profile(tmp_path, ('verified_by = ""', 'verified_by = "A. Engineer"'))
    profile = load_profile(path)
    with pytest.raises(UnverifiedWriteRefused) as exc:
        profile.check_write_allowed([profile.get("CUV Threshold")], emulated=False)
    assert exc.value.parameters == ("CUV Threshold",)


def test_sign_off_is_per_parameter(tmp_path: Path) -> None:
    profile = load_profile(_with_signoff(tmp_path))
    cuv = profile.get("CUV Threshold")
    assert cuv.verified
    (confirmation,) = [s for s in profile.signoffs if cuv.key in s.parameters]
    assert (confirmation.by, confirmation.on, confirmation.method) == (
        "A. Engineer",
        "2026-03-14",
        "reference-pack",
    )
    profile.check_write_allowed([cuv, profile.get("CUV Recovery")], emulated=False)
    # Other parameters of the same profile, even of the same block, stay unconfirmed.
    with pytest.raises(UnverifiedWriteRefused) as exc:
        profile.check_write_allowed([cuv, profile.get("CUV Delay")], emulated=False)
    assert exc.value.parameters == ("CUV Delay",)
    assert "nobody has confirmed" in str(exc.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('method = "reference-pack"', 'method = "looked at it"'), "method is"),
        (('by = "A. Engineer"', 'by = ""'), "by is required"),
        (('on = "2026-03-14"', 'on = "14/03/2026"'), "YYYY-MM-DD"),
        (('evidence = "read-df', 'evidence = ""  # "'), "evidence"),
        (('"Protections:CUV:Recovery"', '"Protections:CUV:Recoveryy"'), "no such parameter"),
    ],
)
def test_a_sign_off_says_who_when_how_and_what(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = _with_signoff(tmp_path, SIGNOFF.replace(*edit))
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(path)
    assert any(message in p.why for p in exc.value.problems), exc.value


def test_a_table_row_marked_verified_needs_a_sign_off(tmp_path: Path) -> None:
    path = _copy_profile(
        tmp_path,
        table_edit=(
            "Protections,CUV,Threshold,0x4481,I2,mV,1,0,32767,2500,false",
            "Protections,CUV,Threshold,0x4481,I2,mV,1,0,32767,2500,true",
        ),
    )
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(path)
    assert any("[[signoff]]" in p.why for p in exc.value.problems), exc.value
    # With the sign-off that names it, the row loads.
    text = path.read_text(encoding="utf-8") + SIGNOFF
    path.write_text(text, encoding="utf-8")
    assert load_profile(path).get("CUV Threshold").verified


def test_io_config_disagreement_is_carried_as_data(r1: Profile) -> None:
    io = r1.get("IO Config")
    assert io.address == 0x440C
    assert not io.verified
    (dispute,) = r1.disputes_of(io)
    assert {address for _, address in dispute.claims} == {0x440C, 0x47CC}
    assert any("904639" in source for source, _ in dispute.claims)
    with pytest.raises(UnverifiedWriteRefused) as exc:
        r1.check_write_allowed([io], emulated=False)
    assert "0x47CC" in str(exc.value)


def test_a_disputed_parameter_cannot_be_signed_off_while_disputed(tmp_path: Path) -> None:
    text = SIGNOFF.replace(
        '"Protections:CUV:Recovery"]',
        '"Protections:CUV:Recovery", "Settings:Configuration:IO Config"]',
    )
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(_with_signoff(tmp_path, text))
    assert any("disputed" in p.why for p in exc.value.problems), exc.value


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("Protections,CUV,Delay,0x4483,U1", "Protections,CUV,Delay,0x4482,U1"), "overlaps"),
        (("Protections,CUV,Delay,0x4483,U1", "Protections,CUV,Delay,0x4483,U3"), "1, 2 or 4"),
        (
            (
                "Protections,CUV,Delay,0x4483,U1,s,1,0,255,2",
                "Protections,CUV,Delay,0x4483,U1,s,1,0,255,300",
            ),
            "does not fit type U1",
        ),
        (
            (
                "Protections,CUV,Threshold,0x4481,I2,mV,1,0,32767,2500",
                "Protections,CUV,Threshold,0x4481,I2,mV,1,3000,32767,2500",
            ),
            "outside min..max",
        ),
        (
            ("Protections,CUV,Delay,0x4483,U1", "Protections,CUV,Delay,0x5f80,U1"),
            "outside the writable data flash",
        ),
        (
            (
                "Protections,CUV,Delay,0x4483,U1,s,1,0,255,2,false,bq4050-trm",
                "Protections,CUV,Delay,0x4483,U1,s,1,0,255,2,maybe,nowhere",
            ),
            "unknown source",
        ),
    ],
)
def test_profile_validation_names_file_and_line(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = _copy_profile(tmp_path, table_edit=edit)
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(path)
    table = tmp_path / "bq40z50-r1.csv"
    line = _line(table, edit[1])
    assert any(
        p.file == str(table) and p.line == line and message in p.why for p in exc.value.problems
    ), exc.value


def test_profile_header_errors_are_collected(tmp_path: Path) -> None:
    path = _copy_profile(tmp_path, ('firmware = ["1.09"]', 'firmware = ["1.9", 109]'))
    text = path.read_text().replace(
        'design_voltage = "Gas Gauging:Design:Design Voltage"',
        'design_voltage = "Gas Gauging:Design:Design Volts"',
    )
    path.write_text(text)
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(path)
    whys = [(p.line, p.why) for p in exc.value.problems]
    assert len(exc.value.problems) >= 3
    assert any("firmware version" in w and line == _line(path, "firmware =") for line, w in whys)
    assert any(
        "role names a parameter" in w and line == _line(path, "design_voltage =")
        for line, w in whys
    )


def test_library_finds_extra_folders_and_refuses_duplicate_ids(tmp_path: Path) -> None:
    _copy_profile(tmp_path)
    with pytest.raises(ProfileNotFound, match="declared twice"):
        ProfileLibrary([tmp_path]).get("bq40z50-r1")
    with pytest.raises(ProfileNotFound, match="known: bq40z50-r1"):
        ProfileLibrary().get("bq40z60")
    assert "bq40z50-r1" in ProfileLibrary().ids()


def test_importer_reproduces_the_shipped_table(tmp_path: Path) -> None:
    result = import_trm_table(SOURCE_TABLE, PROFILE_DIR / "bq40z50-r1.toml", tmp_path)
    shipped = (PROFILE_DIR / "bq40z50-r1.csv").read_text(encoding="utf-8")
    assert result.table_path.read_text(encoding="utf-8") == shipped
    assert len(result.profile.parameters) == 536


def test_importer_refuses_a_change_that_does_not_apply(tmp_path: Path) -> None:
    header = (PROFILE_DIR / "bq40z50-r1.toml").read_text(encoding="utf-8")
    header = header.replace('value = "0x4580"', 'value = "0x5F7F"')
    (tmp_path / "h.toml").write_text(header.replace('table = "bq40z50-r1.csv"', 'table = "h.csv"'))
    from station.recipe.errors import FileFormatError

    with pytest.raises(FileFormatError, match="relocate does not apply"):
        import_trm_table(SOURCE_TABLE, tmp_path / "h.toml", tmp_path / "out")


def test_decode_and_default_image(r1: Profile) -> None:
    image = r1.default_image()
    values = r1.decode(image)
    assert values["Protections:OTC:Threshold"] == 550
    assert values["SBS Configuration:Data:Device Name"] == "BQ40Z50"
    assert len(values) == len(r1.parameters)


TRM_ROW = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "0x4481",
                "I2",
                "U1",
                "H2",
                "S21",
                "F4",
                "mV",
                "0.1°C",
                "Hex",
                "x",
                "0x0",
                "0xff",
                "-5",
                "32767",
                "CUV",
                "Threshold",
            ]
        ),
        st.text(max_size=6),
    ),
    min_size=0,
    max_size=10,
).map(lambda cells: ",".join(f'"{c}"' if "," in c else c for c in cells))


@settings(max_examples=200)
@given(st.lists(TRM_ROW, max_size=6), st.booleans())
def test_fuzz_trm_table(rows: list[str], with_header: bool) -> None:
    from station.recipe.errors import FileFormatError
    from station.recipe.ti.trm_table import parse_trm_table

    text = "class,subclass,address,type,name,min,max,default,unit\n" if with_header else ""
    text += "\n".join(rows)
    try:
        params = parse_trm_table(text, "fuzz.csv", source="s")
    except FileFormatError as exc:
        params, problems = [], list(exc.problems)
    else:
        problems = []
    assert all(p.line is not None and p.line >= 1 for p in problems)
    assert all(p.dtype.size >= 1 for p in params)


@settings(max_examples=200)
@given(st.lists(TRM_ROW, max_size=6))
def test_fuzz_profile_table(rows: list[str]) -> None:
    from station.recipe.errors import Problem
    from station.recipe.profile.table import COLUMNS, parse_table

    text = ",".join(COLUMNS) + "\n" + "\n".join(rows)
    found: list[Problem] = []
    params = parse_table(text, "fuzz.csv", {"s": "source"}, found)
    assert all(p.line is not None for p in params)
    assert all(p.line is None or p.line >= 1 for p in found)

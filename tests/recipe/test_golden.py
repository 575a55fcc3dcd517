"""Golden data-flash images (raw dump or S-record) as a recipe mode, and the S-record parser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.recipe.errors import FileFormatError
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.profile.image import DataFlashImage
from station.recipe.ti.golden import load_golden
from station.recipe.ti.srec import parse_srec
from tests.recipe.helpers import EXAMPLE_4S, FIXTURES, validate_recipe

DAY = dt.date(2026, 3, 14)


def srec_line(kind: int, address: int, data: bytes) -> str:
    """An S-record written independently of the parser under test."""
    n_addr = {0: 2, 1: 2, 2: 3, 3: 4, 5: 2, 7: 4, 8: 3, 9: 2}[kind]
    body = bytes([n_addr + len(data) + 1]) + address.to_bytes(n_addr, "big") + data
    return f"S{kind}{body.hex().upper()}{0xFF - (sum(body) & 0xFF):02X}"


def golden_4s_image() -> bytes:
    """What a pack at profile defaults holds after the 4S example recipe."""
    r = load_recipe(EXAMPLE_4S)
    target = r.target("PK4S-000001", DAY)
    return r.plan(target, r.profile.default_image(fill=0)).after.to_bytes(fill=0)


def image_recipe(tmp: Path, file_name: str, mask: str = '["0x4066-0x406B"]') -> Path:
    text = EXAMPLE_4S.read_text(encoding="utf-8")
    head, rest = text.split("[parameters]")
    tail = rest.split("[checks]")[1]
    path = tmp / "golden.toml"
    path.write_text(
        f'{head}[image]\nfile = "{file_name}"\nverify_mask = {mask}\n\n[checks]{tail}',
        encoding="utf-8",
    )
    return path


def test_small_srec_parses() -> None:
    s = parse_srec((FIXTURES / "small.srec").read_text(), "small.srec")
    assert s.header == b"hello     \x00\x00"
    assert len(s.records) == 1
    assert s.records[0].address == 0
    assert len(s.records[0].data) == 16
    assert s.start_address == 0


def test_bad_checksum_names_the_line() -> None:
    with pytest.raises(FileFormatError) as exc:
        parse_srec((FIXTURES / "bad-checksum.srec").read_text(), "bad-checksum.srec")
    (p,) = exc.value.problems
    assert p.line == 2
    assert "checksum" in p.why
    assert "corrupted" in p.why


def test_partial_srec_gives_a_masked_data_flash_range() -> None:
    g = load_golden(FIXTURES / "df-partial.srec")
    assert g.byte(0x444D) == 0x04
    assert g.byte(0x4452) == 0x38
    assert g.byte(0x457B) == 0x13
    assert g.byte(0x4000) is None
    assert g.outside_bytes == 16


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("S1130000285F245F2212226A000424290008000801\nS5030002FA\n", "records are missing"),
        ("S1130000285F245F2212226A00042429000800080\n", "odd number"),
        ("S1130000285F245F2212226A000424290008000G01\n", "not hexadecimal"),
        ("S4030000FC\n", "not an S-record"),
        ("S1120000285F245F2212226A000424290008000801\n", "byte count"),
        ("S9030000FC\nS1130000285F245F2212226A000424290008000801\n", "after the end record"),
        ("S00600004844521B\n", "no data records"),
        (srec_line(1, 0, b"\x01") + "\n" + srec_line(1, 0, b"\x02") + "\n", "another value"),
    ],
)
def test_malformed_srec(text: str, why: str) -> None:
    with pytest.raises(FileFormatError) as exc:
        parse_srec(text, "x.srec")
    assert any(why in p.why for p in exc.value.problems), exc.value


@settings(max_examples=300)
@given(st.text(alphabet="S0123456789ABCDEFabcdefg \n\r", max_size=120))
def test_srec_fuzz_only_format_errors(text: str) -> None:
    try:
        parse_srec(text)
    except FileFormatError as exc:
        problems = exc.problems
    else:
        problems = (None,)
    assert problems


@given(
    st.lists(st.tuples(st.integers(0x4000, 0x5FE0), st.binary(min_size=1, max_size=32)), max_size=6)
)
def test_srec_round_trip(records: list[tuple[int, bytes]]) -> None:
    memory: dict[int, int] = {}
    lines = []
    for address, data in records:
        if any(memory.get(address + i, b) != b for i, b in enumerate(data)):
            continue
        memory.update({address + i: b for i, b in enumerate(data)})
        lines.append(srec_line(3, address, data))
    lines.append(srec_line(7, 0, b""))
    if len(lines) == 1:
        return
    s = parse_srec("\n".join(lines) + "\n")
    data, present = s.extract(0x4000, 0x6000)
    for a in range(0x4000, 0x6000):
        assert bool(present[a - 0x4000]) == (a in memory)
        if a in memory:
            assert data[a - 0x4000] == memory[a]


def test_raw_dump_must_be_8_kib(tmp_path: Path) -> None:
    (tmp_path / "short.bin").write_bytes(bytes(100))
    with pytest.raises(FileFormatError, match="exactly 8192 bytes"):
        load_golden(tmp_path / "short.bin")


def test_golden_image_recipe_plans_like_the_parameter_recipe(tmp_path: Path) -> None:
    (tmp_path / "golden.bin").write_bytes(golden_4s_image())
    path = image_recipe(tmp_path, "golden.bin", '["0x4449-0x444A"]')
    assert validate_recipe(path) == []
    r = load_recipe(path)
    assert r.mode == "image"
    assert r.references[0].relative == "golden.bin"
    target = r.target("PK4S-000777", DAY)
    # Per-unit fields come from the serial, not from the golden unit.
    serial = r.profile.get("Serial Number")
    assert bytes(target.data[a] for a in serial.addresses) == (777).to_bytes(2, "little")
    # Signatures are the gauge's own business: never written from a golden image.
    assert 0x4066 not in target.data
    # The verify mask keeps masked bytes out of the read-back compare.
    assert 0x4449 in target.no_verify
    assert serial.address not in target.no_verify
    plan = r.plan(target, r.profile.default_image(fill=0))
    (check,) = [c for c in plan.final_check if c.address == 0x4440]
    assert check.mask[0x4449 - 0x4440] == 0
    assert check.mask[0x444D - 0x4440] == 0xFF


def test_hash_follows_the_image_bytes(tmp_path: Path) -> None:
    image = bytearray(golden_4s_image())
    (tmp_path / "golden.bin").write_bytes(bytes(image))
    path = image_recipe(tmp_path, "golden.bin")
    first = load_recipe(path).content_hash
    image[0x4100 - 0x4000] ^= 1
    (tmp_path / "golden.bin").write_bytes(bytes(image))
    assert load_recipe(path).content_hash != first


def test_image_values_are_cross_checked(tmp_path: Path) -> None:
    image = bytearray(golden_4s_image())
    cov = 0x4486 - 0x4000
    image[cov : cov + 2] = (5000).to_bytes(2, "little")
    (tmp_path / "golden.bin").write_bytes(bytes(image))
    found = validate_recipe(image_recipe(tmp_path, "golden.bin"))
    assert any("COV Threshold Low Temp" in str(p) and "4500 mV" in str(p) for p in found)


def test_srec_golden_image_recipe(tmp_path: Path) -> None:
    image = golden_4s_image()
    lines = [srec_line(0, 0, b"golden")]
    lines += [srec_line(3, 0x4000 + off, image[off : off + 32]) for off in range(0, 0x2000, 32)]
    lines.append(srec_line(7, 0, b""))
    (tmp_path / "golden.srec").write_text("\n".join(lines) + "\n")
    r = load_recipe(image_recipe(tmp_path, "golden.srec", "[]"))
    assert DataFlashImage.from_bytes(0x4000, r.image.data if r.image else b"").to_bytes() == image
    assert r.values()["Protections:COV:Threshold Low Temp"] == 4250


def test_bad_mask_and_missing_file(tmp_path: Path) -> None:
    found = validate_recipe(image_recipe(tmp_path, "absent.bin", '["0x3000-0x3010", "nope"]'))
    whys = " | ".join(p.why for p in found)
    assert "does not exist" in whys
    assert "inside 0x4000-0x5FFF" in whys
    assert "verify-mask" in whys

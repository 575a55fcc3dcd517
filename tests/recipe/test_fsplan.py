"""What a FlashStream writes, worked out before it runs: refused lines, planned writes, the
target, backup blocks and verify mask of a FlashStream recipe, and lines that carry keys."""

from __future__ import annotations

import datetime as dt

import pytest

from station.recipe.errors import FileFormatError
from station.recipe.planning.flashstream_plan import plan_flashstream
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.profile_model import Profile
from station.recipe.ti.flashstream import parse_flashstream, shown
from tests.leaks import leaked
from tests.recipe.fsrecipe import flashstream_recipe


@pytest.fixture(scope="module")
def r1() -> Profile:
    return ProfileLibrary().get("bq40z50-r1")


def _plan(r1: Profile, text: str) -> object:
    return plan_flashstream(parse_flashstream(text, "t.bq.fs"), r1)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("SWW: 16 00 30 00", "seals the pack"),
        ("SWB: 16 44 30 00", "seals the pack"),
        ("SWW: 16 00 00 0F", "ROM mode"),
        ("SWW: 16 00 22 00", "changes the pack"),  # FETControl rewrites Mfg Status Init
        ("SWB: 16 44 35 00 01 02 03 04 05 06 07 08", "SecurityKeys"),
        ("SWB: 16 44 37 00 01 02", "authentication key"),
        ("SWB: 16 44 00 50 FF", "does not describe"),  # a byte no parameter describes
        ("SWB: 16 44 80 5F 00", "0x5F80-0x5FFF"),
        ("SWB: 16 44 1F 40 00 00", "crosses a 32-byte row"),
        ("SWB: 16 44 99 99", "not one a FlashStream may send"),
    ],
)
def test_lines_the_station_refuses_to_run(r1: Profile, line: str, why: str) -> None:
    with pytest.raises(FileFormatError) as exc:
        _plan(r1, f"SWW: 16 00 14 04\n{line}\n")
    (problem,) = exc.value.problems
    assert problem.line == 2
    assert why in problem.why, problem


def test_writes_are_planned_in_order_with_their_parameters(r1: Profile) -> None:
    plan = _plan(
        r1,
        "SWW: 16 00 14 04\nSWW: 16 00 72 36\nSWB: 16 44 4D 44 04 29\nX: 20\n"
        "SWB: 16 44 4D 44 05 29\nSWB: 16 44 40 44\nSWW: 16 00 41 00\n",
    )
    assert [(w.address, w.data) for w in plan.df_writes] == [  # type: ignore[attr-defined]
        (0x444D, b"\x04\x29"),
        (0x444D, b"\x05\x29"),
    ]
    assert plan.written == {0x444D: 0x05, 0x444E: 0x29}  # type: ignore[attr-defined]
    assert [p.name for p in plan.parameters_written] == ["Design Capacity mAh"]  # type: ignore[attr-defined]
    assert plan.blocks == (0x4440,)  # type: ignore[attr-defined]
    assert plan.mode_changing == {7}  # type: ignore[attr-defined]


def test_bytes_the_gauge_keeps_for_itself_are_written_but_not_compared(r1: Profile) -> None:
    cycles = r1.get("Cycle Count")
    low, high = cycles.address & 0xFF, cycles.address >> 8
    plan = _plan(r1, f"SWB: 16 44 {low:02X} {high:02X} 00 00\n")
    assert plan.no_verify == frozenset(cycles.addresses)  # type: ignore[attr-defined]


def test_lines_that_carry_keys_are_never_shown() -> None:
    stream = parse_flashstream(
        "SWW: 16 00 C3 A5\nSWW: 16 00 3C 5A\nSWB: 16 44 35 00\nSCL: 16 44 0A 35 00 C3 A5 3C 5A "
        "A5 C3 5A 3C\nSWB: 16 44 01 00\nSCL: 16 44 04 01 00 00 45\n",
        "k.bq.fs",
    )
    texts = [shown(line) for line in stream.lines]
    assert texts[:4] == ["SWW 0x00 <key>", "SWW 0x00 <key>", "SWB: 16 44 35 00", "SCL 0x44 <key>"]
    assert texts[5] == "SCL: 16 44 04 01 00 00 45"  # an ordinary compare is shown as written
    assert leaked([0xA5C3, 0x5A3C, 0xC3A5, 0x3C5A], " ".join(texts)) == []
    assert "C3 A5" not in repr(stream.lines[0])


def test_a_malformed_key_line_is_reported_without_its_bytes() -> None:
    with pytest.raises(FileFormatError) as exc:
        parse_flashstream("SWW: 16 00 0414 3672\n", "k.bq.fs")
    text = str(exc.value)
    assert "SWW 0x00 <key>" in text
    assert "0414" not in text
    assert "3672" not in text


def test_a_flashstream_recipe_targets_the_stream_bytes_and_the_unit_fields() -> None:
    recipe = flashstream_recipe()
    assert recipe.fs_plan is not None
    target = recipe.target("PK4S-000777", dt.date(2026, 3, 14))
    assert set(recipe.fs_plan.written) <= set(target.data)
    serial = recipe.profile.role("serial_number")
    assert serial is not None
    assert bytes(target.data[a] for a in serial.addresses) == (777).to_bytes(2, "little")
    assert set(recipe.fs_plan.blocks) < set(target.blocks())
    names = {p.name for p in recipe.written_parameters()}
    assert {"Design Capacity mAh", "Serial Number", "Manufacture Date"} <= names

"""Write planning: only changed blocks, never an unknown byte, aligned blocks, per-unit fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.recipe.errors import PlanError, UnverifiedWriteRefused
from station.recipe.planning.writes import block_read_s, block_write_s, build_target, plan_writes
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.dftypes import DFType
from station.recipe.profile.image import BLOCK_SIZE, DataFlashImage, block_of
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile, Timing
from tests.recipe.helpers import EXAMPLE_4S, variant

DAY = dt.date(2026, 3, 14)


@pytest.fixture(scope="module")
def recipe() -> Recipe:
    return load_recipe(EXAMPLE_4S)


def programmed(recipe: Recipe, serial: str = "PK4S-000123") -> DataFlashImage:
    """A pack at profile defaults after this recipe ran for ``serial``."""
    t = recipe.target(serial, DAY)
    return recipe.plan(t, recipe.profile.default_image()).after


def test_a_programmed_pack_needs_no_write(recipe: Recipe) -> None:
    current = programmed(recipe)
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), current)
    assert plan.empty
    assert plan.changes == ()
    assert plan.written_blocks == ()
    assert plan.estimate.flash_s == 0


def test_a_write_covers_whole_parameters(recipe: Recipe) -> None:
    current = programmed(recipe)
    otc = recipe.profile.get("OTC Threshold")
    current.apply(otc.address, otc.encode(600))  # 0x0258 vs 0x0226: only the low byte differs
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), current)
    assert [(w.address, w.data) for w in plan.writes] == [(otc.address, otc.encode(550))]


def test_only_the_block_that_changes_is_written(recipe: Recipe) -> None:
    current = programmed(recipe)
    otc = recipe.profile.get("OTC Threshold")
    current.apply(otc.address, otc.encode(300))
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), current)
    assert [(w.address, w.data) for w in plan.writes] == [(otc.address, otc.encode(550))]
    assert plan.written_blocks == (block_of(otc.address),)
    assert plan.backup_blocks == plan.written_blocks
    assert [(c.name, c.before_text, c.after_text) for c in plan.changes] == [
        ("OTC Threshold", "30.0 °C", "55.0 °C")
    ]
    assert [(c.before, c.after) for c in plan.changes] == [(300, 550)]


def test_a_new_serial_rewrites_only_the_per_unit_bytes(recipe: Recipe) -> None:
    current = programmed(recipe, "PK4S-000123")
    plan = recipe.plan(recipe.target("PK4S-000124", DAY), current)
    touched = {a for w in plan.writes for a in range(w.address, w.address + len(w.data))}
    serial = recipe.profile.get("Serial Number")
    info = recipe.profile.get("Manufacturer Info A Length")
    assert set(serial.addresses) <= touched
    assert touched <= set(serial.addresses) | set(range(info.address, info.address + 33))
    # The text of Manufacturer Info A changes as one value, not byte by byte.
    assert {c.name for c in plan.changes} == {"Serial Number", "Manufacturer Info A"}
    info_change = next(c for c in plan.changes if c.name == "Manufacturer Info A")
    assert (info_change.before_text, info_change.after_text) == ('"PK4S-000123"', '"PK4S-000124"')


def test_writes_stay_inside_aligned_blocks_and_known_bytes(recipe: Recipe) -> None:
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), recipe.profile.default_image())
    known = recipe.profile.known_addresses
    for w in plan.writes:
        assert 1 <= len(w.data) <= BLOCK_SIZE
        assert block_of(w.address) == block_of(w.address + len(w.data) - 1)
        assert all(a in known for a in range(w.address, w.address + len(w.data)))
    # Manufacturer Info A spans 0x4040-0x4060: two blocks, two writes.
    assert {w.address for w in plan.writes} >= {0x4040, 0x4060}


def _synthetic(params: list[tuple[int, str]]) -> Profile:
    return Profile(
        id="synthetic",
        description="",
        device_type=0x4500,
        firmware=("1.09",),
        parameters=tuple(
            Parameter(
                "C",
                "S",
                f"P{a:04X}",
                a,
                DFType.parse(t),
                minimum=None,
                maximum=None,
                default=0 if t[0] != "S" else "",
            )
            for a, t in params
        ),
        timing=Timing(),
    )


def test_unknown_bytes_are_never_written_even_between_changes() -> None:
    # Two parameters with a gap nobody describes at 0x4002-0x4003.
    profile = _synthetic([(0x4000, "U2"), (0x4004, "U2")])
    p1, p2 = profile.parameters
    target = build_target(profile, [(p1, 0x1111), (p2, 0x2222)])
    current = DataFlashImage.from_bytes(0x4000, bytes([0xAB]) * 32)
    plan = plan_writes(target, current)
    assert [(w.address, w.data) for w in plan.writes] == [
        (0x4000, b"\x11\x11"),
        (0x4004, b"\x22\x22"),
    ]
    assert plan.after.read(0x4002, 2) == b"\xab\xab"


def test_target_bytes_must_be_known_and_writable() -> None:
    profile = _synthetic([(0x4000, "U2")])
    with pytest.raises(PlanError, match="not described by profile"):
        build_target(profile, [], raw_bytes={0x4002: 1})


def test_planning_needs_every_target_block(recipe: Recipe) -> None:
    target = recipe.target("PK4S-000123", DAY)
    partial = DataFlashImage(
        {b: recipe.profile.default_image().blocks[b] for b in target.blocks()[1:]}
    )
    with pytest.raises(PlanError, match="was not read from the pack"):
        recipe.plan(target, partial)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[Profile, list[tuple[Parameter, int]], DataFlashImage]:
    address = 0x4000
    params: list[tuple[int, str]] = []
    while address < 0x40C0 and len(params) < 24:
        address += draw(st.integers(0, 3))
        kind = draw(st.sampled_from(["U1", "U2", "H2", "I4"]))
        size = int(kind[1])
        if address + size > 0x40C0:
            break
        params.append((address, kind))
        address += size
    profile = _synthetic(params)
    chosen = draw(st.lists(st.sampled_from(profile.parameters), unique_by=lambda p: p.key))
    settings = [(p, draw(st.integers(p.dtype.raw_min, p.dtype.raw_max))) for p in chosen]
    current = DataFlashImage.from_bytes(0x4000, draw(st.binary(min_size=0xC0, max_size=0xC0)))
    return profile, settings, current


@given(layouts())
def test_plan_properties(case: tuple[Profile, list[tuple[Parameter, int]], DataFlashImage]) -> None:
    profile, settings, current = case
    target = build_target(profile, settings)
    plan = plan_writes(target, current)
    known = profile.known_addresses
    written: set[int] = set()
    for w in plan.writes:
        span = range(w.address, w.address + len(w.data))
        assert block_of(span[0]) == block_of(span[-1])
        assert all(a in known for a in span)
        assert any(a in target.data and current.byte(a) != target.data[a] for a in span)
        written |= set(span)
    for a in range(0x4000, 0x40C0):
        if a in target.data:
            assert plan.after.byte(a) == target.data[a]
        else:
            assert plan.after.byte(a) == current.byte(a)
        if a not in known:
            assert a not in written
    changed_blocks = {block_of(a) for a in target.data if current.byte(a) != target.data[a]}
    assert set(plan.written_blocks) == changed_blocks
    for check in plan.verify:
        assert check.mismatches(plan.after.blocks[check.address]) == []


def test_verify_expectations_catch_a_bad_readback(recipe: Recipe) -> None:
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), recipe.profile.default_image())
    check = next(c for c in plan.verify if c.address == block_of(0x44B5))
    readback = bytearray(check.expected)
    readback[0x44B5 - check.address] ^= 0xFF
    assert check.mismatches(bytes(readback)) == [0x44B5]
    # A byte the recipe does not own is not compared.
    untouched = next(i for i in range(BLOCK_SIZE) if not check.mask[i])
    readback = bytearray(check.expected)
    readback[untouched] ^= 0xFF
    assert check.mismatches(bytes(readback)) == []


def test_unverified_plan_refused_on_hardware(recipe: Recipe) -> None:
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), recipe.profile.default_image())
    recipe.profile.check_write_allowed(plan.parameters_written, emulated=True)
    with pytest.raises(UnverifiedWriteRefused) as exc:
        recipe.profile.check_write_allowed(plan.parameters_written, emulated=False)
    assert "COV Threshold Low Temp" in exc.value.parameters


def test_estimate_follows_the_timing_model(recipe: Recipe) -> None:
    current = programmed(recipe)
    otc = recipe.profile.get("OTC Threshold")
    current.apply(otc.address, otc.encode(300))
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), current, speed_hz=100_000)
    e = plan.estimate
    n_blocks = len(plan.read_blocks)
    assert e.read_s == pytest.approx(n_blocks * (43 * 9 + 5) / 100_000)
    assert e.write_s == pytest.approx((7 * 9 + 2) / 100_000)
    assert e.flash_s == pytest.approx((8.0 + 0.2 * 2) / 1000)
    assert e.verify_s == pytest.approx(block_read_s(100_000))
    assert block_write_s(2, 400_000) == pytest.approx(block_write_s(2, 100_000) / 4)


def test_full_backup_policy_lists_the_whole_data_flash(tmp_path: Path) -> None:
    r = load_recipe(variant(tmp_path, ('policy = "touched"', 'policy = "full"')))
    plan = r.plan(r.target("PK4S-000123", DAY), r.profile.default_image())
    assert len(plan.backup_blocks) == 256
    assert plan.backup_blocks[0] == 0x4000


def test_a_plan_that_leaves_the_pack_unsafe_is_refused(tmp_path: Path) -> None:
    # A recipe that sets the COV thresholds but not the recoveries ...
    text = EXAMPLE_4S.read_text(encoding="utf-8")
    for rng in ("Low", "Standard", "High", "Rec"):
        text = text.replace(f'"COV Recovery {rng} Temp" = "4100 mV"\n', "")
    path = tmp_path / "no-recovery.toml"
    path.write_text(text, encoding="utf-8")
    r = load_recipe(path)
    # ... on a pack whose recoveries sit above 4250 mV.
    current = r.profile.default_image()
    rec = r.profile.get("COV Recovery High Temp")
    current.apply(rec.address, rec.encode(4300))
    with pytest.raises(PlanError, match="COV Recovery High Temp = 4300 mV"):
        r.plan(r.target("PK4S-000123", DAY), current)


def test_apply_writes_through_the_protocol(recipe: Recipe) -> None:
    class Fake:
        def __init__(self, image: DataFlashImage) -> None:
            self.image = image
            self.writes: list[tuple[int, bytes]] = []

        def read_df(self, start: int, length: int) -> bytes:
            data = self.image.read(start, length)
            assert data is not None
            return data

        def write_df(self, address: int, data: bytes) -> None:
            self.writes.append((address, data))
            self.image.apply(address, data)

    fake = Fake(recipe.profile.default_image())
    target = recipe.target("PK4S-000123", DAY)
    plan = recipe.plan(target, DataFlashImage.read_from(fake, target.blocks()))
    for w in plan.writes:
        fake.write_df(w.address, w.data)
    assert fake.writes == [(w.address, w.data) for w in plan.writes]
    after = DataFlashImage.read_from(fake, target.blocks())
    assert recipe.decode_values(after) == recipe.values()
    for check in plan.final_check:
        assert check.mismatches(after.blocks[check.address]) == []

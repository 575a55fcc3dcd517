"""The 4S example recipe on the emulated BQ40Z50, through the gauge driver, as the station will
run it: unseal, read the target blocks, plan, write, verify, reset, decode, check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from station.bus import SMBusTransport
from station.bus.spec import OpenedBus, open_bus
from station.gauge import Gauge, SecurityMode
from station.keys import KeyStore
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.dftypes import decode_sbs_date
from station.recipe.profile.image import DF_SIZE, DF_START, DataFlashImage, block_of
from tests.recipe.helpers import EXAMPLE_4S

DAY = dt.date(2026, 3, 14)
SERIAL = "PK4S-000123"


@dataclass
class Bench:
    opened: OpenedBus
    gauge: Gauge

    @property
    def device(self) -> Any:
        return self.opened.device


@pytest.fixture
def bench() -> Iterator[Bench]:
    opened = open_bus("sim:default")
    try:
        transport = SMBusTransport(opened.bus, opened.clock)
        yield Bench(opened, Gauge(transport, clock=opened.clock))
    finally:
        opened.close()


def _unsealed(bench: Bench, recipe: Recipe) -> None:
    keys = KeyStore.builtin().get(recipe.security.key_set)
    mode = bench.gauge.unseal(keys)
    assert mode in (SecurityMode.UNSEALED, SecurityMode.FULL_ACCESS)


def _program(bench: Bench, recipe: Recipe, serial: str) -> tuple[int, Any]:
    target = recipe.target(serial, DAY)
    current = DataFlashImage.read_from(bench.gauge, target.blocks())
    plan = recipe.plan(target, current)
    recipe.profile.check_write_allowed(plan.parameters_written, emulated=bench.opened.emulated)
    before = bench.device.stats.df_writes
    for w in plan.writes:
        bench.gauge.write_df(w.address, w.data)
    for check in plan.verify:
        assert check.mismatches(bench.gauge.read_df(check.address, 32)) == []
    return bench.device.stats.df_writes - before, plan


def test_4s_recipe_programs_the_emulated_pack(bench: Bench) -> None:
    recipe = load_recipe(EXAMPLE_4S)
    assert bench.opened.emulated
    identity = bench.gauge.identify()
    recipe.check_identity(identity.device_type, identity.firmware_version)
    _unsealed(bench, recipe)

    before = bench.device.df_peek(DF_START, DF_SIZE)
    writes, plan = _program(bench, recipe, SERIAL)
    after = bench.device.df_peek(DF_START, DF_SIZE)

    # One data-flash write on the wire per planned write, only in blocks that change.
    assert writes == len(plan.writes) > 0
    changed = [DF_START + i for i in range(DF_SIZE) if before[i] != after[i]]
    assert {block_of(a) for a in changed} == set(plan.written_blocks)
    # Nothing outside the recipe's target moved.
    assert set(changed) <= set(plan.target.data)

    # After a reset the pack holds exactly the recipe's values and the per-unit fields.
    if bench.gauge.reset() is SecurityMode.SEALED:
        _unsealed(bench, recipe)
    image = DataFlashImage.from_bytes(DF_START, bench.gauge.read_df(DF_START, DF_SIZE))
    assert recipe.decode_values(image) == recipe.values()
    profile = recipe.profile
    pack = profile.decode(image)
    assert pack[profile.get("Serial Number").key] == 123
    assert decode_sbs_date(int(pack[profile.get("Manufacture Date").key])) == DAY
    info = image.read(profile.get("Manufacturer Info A Length").address, 33)
    assert info is not None
    assert info[1 : 1 + info[0]] == SERIAL.encode()
    for check in plan.final_check:
        assert check.mismatches(image.blocks[check.address]) == []

    # The checks after programming pass on a healthy pack.
    outcomes = recipe.checks.evaluate(
        cells_seen=bench.device.cell_count,
        cell_voltages_mv=[int(v.value) for v in bench.gauge.cell_voltages(4)],
        temperatures_c=[float(bench.gauge.temperature().value)],
        safety_status=bench.gauge.safety_status().raw,
        pf_status=bench.gauge.pf_status().raw,
        manufacturing_status=bench.gauge.manufacturing_status().raw,
    )
    assert [o.name for o in outcomes if not o.passed] == []
    assert {o.name for o in outcomes} >= {"cells", "cell voltage", "ManufacturingStatus"}


def test_a_second_run_writes_nothing_and_a_new_serial_little(bench: Bench) -> None:
    recipe = load_recipe(EXAMPLE_4S)
    _unsealed(bench, recipe)
    first, _ = _program(bench, recipe, SERIAL)
    again, plan = _program(bench, recipe, SERIAL)
    assert first > 0
    assert again == 0
    assert plan.empty
    other, plan = _program(bench, recipe, "PK4S-000124")
    assert other == len(plan.writes)
    # The text of Manufacturer Info A changes as one value, not byte by byte.
    assert {c.name for c in plan.changes} == {"Serial Number", "Manufacturer Info A"}
    info_change = next(c for c in plan.changes if c.name == "Manufacturer Info A")
    assert (info_change.before_text, info_change.after_text) == ('"PK4S-000123"', '"PK4S-000124"')


def _stream_for(device: Any, expect_capacity: bytes) -> str:
    """Unseal, write Design Capacity mAh, read its block back and compare all 34 bytes."""
    block = bytearray(device.df_peek(0x4440, 32))
    block[0x444D - 0x4440 : 0x444F - 0x4440] = expect_capacity
    expected = " ".join(f"{b:02X}" for b in bytes([0x40, 0x44]) + bytes(block))
    return (
        "; unseal with the TI default keys\n"
        "SWW: 16 00 14 04\nSWW: 16 00 72 36\nX: 10\n"
        "; Design Capacity mAh = 10500\n"
        "SWB: 16 44 4D 44 04 29\nX: 20\n"
        "SWB: 16 44 40 44\n"
        f"SCL: 16 44 22 {expected}\n"
    )


def test_flashstream_runs_on_the_emulated_pack(bench: Bench) -> None:
    from station.recipe.ti.flashstream import parse_flashstream, run_flashstream

    stream = parse_flashstream(_stream_for(bench.device, bytes([0x04, 0x29])), "demo.bq.fs")
    transport = bench.gauge.transport
    started = bench.opened.clock.monotonic()
    done: list[int] = []
    result = run_flashstream(
        stream, transport, bench.opened.clock, progress=lambda p: done.append(p.done)
    )
    assert result.lines_run == len(stream.lines) == len(done)
    assert bench.device.df_peek(0x444D, 2) == bytes([0x04, 0x29])
    assert bench.opened.clock.monotonic() - started >= 0.030


def test_flashstream_compare_failure_stops_with_the_line(bench: Bench) -> None:
    from station.recipe.errors import FlashStreamFailed
    from station.recipe.ti.flashstream import parse_flashstream, run_flashstream

    text = _stream_for(bench.device, bytes([0x05, 0x29]))  # expects a value never written
    stream = parse_flashstream(text, "demo.bq.fs")
    with pytest.raises(FlashStreamFailed) as exc:
        run_flashstream(stream, bench.gauge.transport, bench.opened.clock)
    assert exc.value.line_number == 9
    assert exc.value.compare
    assert "byte 15 reads 0x04, the file expects 0x05" in str(exc.value)

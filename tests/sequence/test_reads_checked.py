"""Reads are trusted only when checked: by PEC when the gauge appends it (found out at identify,
whatever the setting), else by a second read that agrees. One flipped bit in one read must
never end in a PASS with data flash unlike the recipe's, nor put a good pack aside."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from station.keys import KeyStore, ti_default_keys
from station.sequence.events import MeasurementTaken, Outcome, StepId
from tests.sequence.conftest import Bench, make_bench
from tests.sequence.test_rules import PROD, recipe_variant

OCD_RECOVERY = 0x44A6  # OCD Recovery Threshold (200 mA), which the recipe does not set


def _other_otc(bench: Bench) -> None:
    """A pack whose OTC Threshold is not the recipe's: the write that fixes it spans from OCD1
    to OTC, so the bytes between (OCD Recovery Threshold) are written back from the backup."""
    bench.device.df_set("Protections:OTC:Threshold", 600)


def flip_once(bench: Bench, matches: Callable[[bytes], bool], byte: int, bit: int) -> list[int]:
    """Flip one bit of the first answer ``matches`` accepts, on the wire (after the gauge computed
    any PEC, so a station that checks PEC sees it). Returns the flipped transaction's index."""
    device = bench.device
    transact = device.i2c_rdwr
    done: list[int] = []

    def flipping(*msgs: Any) -> None:
        index = device.transaction_count
        transact(*msgs)
        if done or len(msgs) != 2:
            return
        answer = bytes(msgs[1])
        if matches(answer):
            msgs[1].buf[byte] = answer[byte] ^ (1 << bit)
            done.append(index)

    device.i2c_rdwr = flipping  # type: ignore[method-assign]
    return done


def _block_of(address: int) -> Callable[[bytes], bool]:
    return lambda answer: answer[:3] == bytes([34, address & 0xFF, address >> 8])


def _measured(events: list[Any], name: str) -> str:
    return next(
        e.measurement.text
        for e in events
        if isinstance(e, MeasurementTaken) and e.measurement.name == name
    )


@pytest.mark.parametrize(
    ("sends_pec", "setting", "checked_by"),
    [
        # A factory pack: no PEC, so the rows to be written back are read twice.
        (False, "auto", "off"),
        # A pack that appends PEC is checked by it, even with the station set to off.
        (True, "off", "on"),
    ],
)
def test_a_flipped_backup_byte_is_never_written_back(
    tmp_path: Path, sends_pec: bool, setting: str, checked_by: str
) -> None:
    bench = make_bench(tmp_path, pec=sends_pec, pec_setting=setting)
    _other_otc(bench)
    before = bench.device.df_peek(OCD_RECOVERY, 2)
    flipped = flip_once(bench, _block_of(0x44A0), 3 + (OCD_RECOVERY - 0x44A0), 0)
    events: list[Any] = []
    result = bench.run(events=events)
    assert flipped
    assert result.outcome is Outcome.PASS, result.failure
    assert bench.device.df_peek(OCD_RECOVERY, 2) == before  # 200 mA, not 201 mA
    assert _measured(events, "PEC").startswith(checked_by)


def test_pec_on_refuses_a_pack_that_sends_none_before_touching_it(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, pec_setting="on")
    result = bench.run()
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == ("PEC_NOT_SENT", StepId.IDENTIFY)
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"


def test_production_keys_are_never_installed_without_pec(tmp_path: Path) -> None:
    keys = KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    bench = make_bench(tmp_path, keys=keys)  # a factory pack: no PEC
    result = bench.run(recipe=recipe)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == ("KEYS_NEED_PEC", StepId.IDENTIFY)
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"
    # The same recipe on a pack that appends PEC installs and proves the keys.
    (tmp_path / "pec").mkdir()
    with_pec = make_bench(tmp_path / "pec", keys=keys, pec=True)
    again = with_pec.run(recipe=recipe)
    assert again.passed, again.failure

"""Production keys are proven whole: seal, unseal AND full access with the new set, and they are
only ever written with PEC (a key write garbled on the way is refused by the gauge)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from station.keys import KeyStore, ti_default_keys
from station.sequence.events import Outcome, StepId
from station.store import AttemptOutcome
from tests.sequence.conftest import make_bench
from tests.sequence.test_rules import PROD, recipe_variant

KEY_WRITE = bytes([0x44, 10, 0x35, 0x00])  # block write to 0x44: MAC 0x0035 and 8 key bytes


def test_a_garbled_key_write_is_refused_by_pec_and_sent_again(tmp_path: Path) -> None:
    # Production keys are installed only on packs that append PEC; the station's key write then
    # carries a PEC too, and one garbled on the way is NACKed, never taken as it came.
    keys = KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})
    bench = make_bench(tmp_path, keys=keys, pec=True)
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    device = bench.device
    transact = device.i2c_rdwr
    garbled: list[int] = []

    def garble_the_key_write(*msgs: Any) -> None:
        if bytes(msgs[0])[:4] == KEY_WRITE and not garbled:
            # One bit of the last byte (the full-access keys' second word) flips on the wire.
            garbled.append(device.transaction_count)
            device.faults.corrupt_at = {device.transaction_count}
        transact(*msgs)

    device.i2c_rdwr = garble_the_key_write  # type: ignore[method-assign]

    result = bench.run(recipe=recipe)

    assert garbled
    assert result.outcome is Outcome.PASS, result.failure
    (attempt,) = bench.store.pack_history("PK4S-000123")
    assert attempt.outcome is AttemptOutcome.PASS
    assert attempt.key_set_id == "ti-default"
    # The pack holds exactly the production set: it opens with it.
    device.faults.corrupt_at = set()
    again = bench.run(recipe=recipe, rework_by="SUP-1")
    assert again.passed, again.failure


def test_unusable_production_keys_are_refused_before_the_pack_is_touched(tmp_path: Path) -> None:
    from station.keys import KeyPair, KeySet

    # 0xF081 is a calibration MAC code the driver does not implement: the gauge would act on it.
    bad = KeySet("acme-prod", KeyPair.of(0xF081, 0x5A3C), KeyPair.of(0xC3A5, 0x3C5A))
    bench = make_bench(tmp_path, keys=KeyStore({"acme-prod": bad, "ti-default": ti_default_keys()}))
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    before = bench.device.df_peek(0x4000, 0x2000)

    result = bench.run(recipe=recipe)

    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == ("KEYS_UNUSABLE", StepId.IDENTIFY)
    assert "MAC command code" in result.failure.reason
    assert bench.device.df_peek(0x4000, 0x2000) == before
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"

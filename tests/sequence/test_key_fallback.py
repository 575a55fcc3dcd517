"""A production-key change that was sent but never proven leaves the pack holding one of two key
sets. The next attempt on that serial tries the new set, then the one it replaced; nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from station.keys import KeyStore, ti_default_keys
from station.sequence.events import Notice, Outcome, StepId
from station.sequence.steps.finish import KEY_CHANGE_SENT, KEY_CHANGED
from tests.sequence.conftest import make_bench
from tests.sequence.test_rules import PROD, recipe_variant

KEY_WRITE = bytes([0x44, 10, 0x35, 0x00])


def _keys() -> KeyStore:
    return KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})


def test_a_key_change_lost_on_the_way_falls_back_to_the_old_set(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, keys=_keys(), pec=True)
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    device = bench.device
    transact = device.i2c_rdwr

    def drop_the_key_write(*msgs: Any) -> None:
        if bytes(msgs[0])[:4] == KEY_WRITE:
            device.faults.gone_from = device.transaction_count  # the pack vanishes at the write
        transact(*msgs)

    device.i2c_rdwr = drop_the_key_write  # type: ignore[method-assign]
    first = bench.run(recipe=recipe)
    assert first.outcome is Outcome.ERROR
    sent = bench.store.audit_entries(subject="PK4S-000123", action=KEY_CHANGE_SENT)
    assert [e.detail["to"] for e in sent] == ["acme-prod"]
    assert not bench.store.audit_entries(subject="PK4S-000123", action=KEY_CHANGED)

    # The pack comes back sealed (a power cycle) and still holding the TI default keys: the
    # write never reached it.
    device.i2c_rdwr = transact  # type: ignore[method-assign]
    device.faults.gone_from = None
    device.security_mode = "SEALED"
    events: list[object] = []
    second = bench.run(recipe=recipe, events=events)  # type: ignore[arg-type]
    assert second.passed, second.failure
    assert any(
        isinstance(e, Notice)
        and e.step is StepId.UNSEAL
        and "trying the set it replaced" in e.message
        for e in events
    )
    proven = bench.store.audit_entries(subject="PK4S-000123", action=KEY_CHANGED)
    assert [e.detail["to"] for e in proven] == ["acme-prod"]


def test_a_proven_key_change_is_the_only_set_tried(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, keys=_keys(), pec=True)
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    assert bench.run(recipe=recipe).passed
    # Someone changed the keys behind the station's back: the rework must not guess.
    bench.device.set_keys((0x1111, 0x2222), (0x3333, 0x4444))
    again = bench.run(recipe=recipe, rework_by="SUP-1")
    assert again.outcome is Outcome.FAIL
    assert again.failure is not None
    assert again.failure.code in {"SEALED_UNKNOWN_KEYS", "FULL_ACCESS_UNKNOWN_KEYS"}

"""A write or a seal the gauge may have taken, though the station could not confirm it, counts as
done: such a pack is never re-sealed as untouched, and the pack state says what is unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from station.emulator import FaultPlan
from station.keys import KeyStore, ti_default_keys
from station.recipe.product.recipe_model import Recipe
from station.sequence.events import Outcome, StepId
from station.sequence.socket_context import PackConnection
from station.store import AttemptOutcome
from tests.sequence.conftest import Bench, make_bench
from tests.sequence.test_rules import PROD, recipe_variant


class _GoneWhile(FaultPlan):
    """Everything NACKs while ``when()`` holds and the plan is armed."""

    def __init__(self, when: Any) -> None:
        super().__init__()
        self.when = when
        self.armed = True

    def is_gone(self, index: int) -> bool:
        return self.armed and bool(self.when())


def _disarm_when_fails(bench: Bench, plan: _GoneWhile, method: str) -> None:
    """The bus comes back as soon as the driver gives up on ``method``."""
    connect = bench.socket.connect

    def wrapped(recipe: Recipe) -> PackConnection:
        conn = connect(recipe)
        real = getattr(conn.gauge, method)

        def call(*args: Any) -> Any:
            try:
                return real(*args)
            except Exception:
                plan.armed = False
                raise

        setattr(conn.gauge, method, call)
        return conn

    bench.socket.connect = wrapped  # type: ignore[method-assign]


def test_a_write_that_took_but_was_not_confirmed_is_not_resealed_as_untouched(
    tmp_path: Path,
) -> None:
    bench = make_bench(tmp_path)
    before = bench.device.df_peek(0x4000, 0x2000)
    # The first data-flash write takes; then the bus is silent until the driver gives up on it.
    plan = _GoneWhile(lambda: bench.device.stats.df_writes >= 1)
    bench.device.faults = plan
    _disarm_when_fails(bench, plan, "write_df")

    result = bench.run()

    assert result.outcome is not Outcome.PASS
    assert result.failure is not None
    assert result.failure.step is StepId.APPLY
    assert not plan.armed  # the bus was back before the run ended
    assert bench.device.df_peek(0x4000, 0x2000) != before  # the write took
    assert bench.device.security_mode != "SEALED"  # ... so the pack was not sealed again
    assert "write 1 unconfirmed" in result.failure.pack_state
    assert "NOT sealed" in result.failure.pack_state
    bench.device.faults = FaultPlan()
    again = bench.run()
    assert again.passed, again.failure


def test_a_seal_that_took_but_was_not_confirmed_is_reported_as_unknown(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    # The pack goes silent the moment it is sealed: the station cannot confirm the seal.
    bench.device.faults = _GoneWhile(lambda: bench.device.security_mode == "SEALED")
    bench.device.security_mode = "UNSEALED"  # arrives unsealed, so the plan is quiet until then

    result = bench.run()

    assert result.outcome is not Outcome.PASS
    assert result.failure is not None
    assert result.failure.step is StepId.SEAL
    assert bench.device.security_mode == "SEALED"
    assert "may be SEALED or UNSEALED" in result.failure.pack_state
    (attempt,) = bench.store.pack_history("PK4S-000123")
    assert attempt.outcome is not AttemptOutcome.PASS
    bench.device.faults = FaultPlan()
    again = bench.run()
    assert again.passed, again.failure


def test_a_pack_that_opened_but_did_not_say_so_is_sealed_again(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    # The unseal takes, but the pack is silent from then until the driver gives up on it.
    plan = _GoneWhile(lambda: bench.device.security_mode != "SEALED")
    bench.device.faults = plan
    _disarm_when_fails(bench, plan, "unseal")

    result = bench.run()

    assert result.failure is not None
    assert result.failure.step is StepId.UNSEAL
    assert not plan.armed
    assert bench.device.security_mode == "SEALED"
    assert "sealed again as it arrived" in result.failure.pack_state


class _SilentOnceReopened(FaultPlan):
    """The pack goes silent when it is opened again after being sealed with written data."""

    def __init__(self, bench: Bench) -> None:
        super().__init__()
        self.bench = bench
        self.sealed_after_writes = False

    def is_gone(self, index: int) -> bool:
        device = self.bench.device
        if device.security_mode == "SEALED" and device.stats.df_writes > 0:
            self.sealed_after_writes = True
        return self.sealed_after_writes and device.security_mode != "SEALED"


def test_production_keys_whose_proof_got_no_answer_are_not_called_wrong(tmp_path: Path) -> None:
    keys = KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})
    bench = make_bench(tmp_path, keys=keys, pec=True)
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    bench.device.faults = _SilentOnceReopened(bench)

    result = bench.run(recipe=recipe)

    assert result.failure is not None
    assert result.failure.step is StepId.KEYS
    # The new keys did open the pack: the bus failed, not the keys.
    assert result.failure.code != "KEYS_NOT_PROVEN"
    assert bench.device.security_mode != "SEALED"
    assert "may be UNSEALED" in result.failure.pack_state
    bench.device.faults = FaultPlan()
    again = bench.run(recipe=recipe)
    assert again.passed, again.failure


def test_a_key_proof_seal_that_was_not_confirmed_is_reported_as_unknown(tmp_path: Path) -> None:
    keys = KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})
    bench = make_bench(tmp_path, keys=keys, pec=True)
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    bench.device.faults = _GoneWhile(
        lambda: bench.device.security_mode == "SEALED" and bench.device.stats.df_writes > 0
    )

    result = bench.run(recipe=recipe)

    assert result.failure is not None
    assert result.failure.step is StepId.KEYS
    assert bench.device.security_mode == "SEALED"
    assert "may be SEALED or UNSEALED" in result.failure.pack_state
    bench.device.faults = FaultPlan()
    again = bench.run(recipe=recipe)
    assert again.passed, again.failure

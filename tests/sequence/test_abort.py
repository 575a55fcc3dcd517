"""An operator abort at every safe point, for a parameter recipe and for a FlashStream recipe:
the pack is given back as it came (data flash restored, sealed again), the attempt is recorded
ABORTED, and the next run passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from station.recipe.product.recipe_model import Recipe
from station.sequence.events import CancelToken, Outcome, StepFinished, StepId, StepProgress
from station.store import AttemptOutcome
from tests.recipe.fsrecipe import flashstream_recipe
from tests.sequence.conftest import make_bench

#: Where the abort is asked for: after a step ends (honoured at the next step's safe point), or
#: during APPLY once three of its writes or lines are done.
POINTS = ["unseal", "backup", "apply-midway", "apply", "reset", "verify"]


def _recipe(kind: str, default: Recipe) -> Recipe:
    return flashstream_recipe() if kind == "flashstream" else default


def _abort(point: str) -> tuple[CancelToken, Any]:
    cancel = CancelToken()

    def on_event(event: object) -> None:
        if point == "apply-midway":
            if isinstance(event, StepProgress) and event.step is StepId.APPLY and event.done == 3:
                cancel.request()
        elif isinstance(event, StepFinished) and event.result.step.value == point:
            cancel.request()

    return cancel, on_event


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("kind", ["parameters", "flashstream"])
def test_an_abort_gives_the_pack_back_as_it_came(tmp_path: Path, kind: str, point: str) -> None:
    bench = make_bench(tmp_path)
    recipe = _recipe(kind, bench.recipe)
    original = bench.device.df_peek(0x4000, 0x2000)
    cancel, on_event = _abort(point)

    result = bench.run(recipe=recipe, cancel=cancel, on_event=on_event)

    assert result.outcome is Outcome.ABORTED, result.failure
    assert result.failure is not None
    assert result.failure.code == "ABORTED"
    if bench.device.stats.df_writes:
        assert "restored" in result.failure.pack_state
    assert "sealed again" in result.failure.pack_state
    assert bench.device.df_peek(0x4000, 0x2000) == original
    assert bench.device.security_mode == "SEALED"
    (attempt,) = bench.store.pack_history("PK4S-000123")
    assert attempt.outcome is AttemptOutcome.ABORTED

    again = bench.run(recipe=recipe)
    assert again.passed, again.failure

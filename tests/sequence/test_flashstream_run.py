"""FlashStream recipes get every guard parameter recipes have: what the stream writes is backed
up first, guarded per address, read back through the verify mask; the per-unit fields are
written; an abort restores; keys never show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from station.recipe.product.recipe_loader import load_recipe
from station.sequence.events import CancelToken, Outcome, StepFinished, StepId, StepStarted
from station.store import AttemptOutcome
from tests.campaign.harness import observe, recipe_bytes_wrong
from tests.leaks import database_text, leaked
from tests.recipe.fsrecipe import flashstream_recipe, write_flashstream_recipe
from tests.sequence.conftest import make_bench

SERIAL = "PK4S-000123"


def test_a_flashstream_recipe_programs_what_the_parameter_recipe_does(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "f").mkdir()
    by_parameters = make_bench(tmp_path / "p")
    by_stream = make_bench(tmp_path / "f")
    first = observe(by_parameters)
    second = observe(by_stream, recipe=flashstream_recipe())
    assert first.result.passed, first.result.failure
    assert second.result.passed, second.result.failure
    assert second.df_after == first.df_after
    assert by_stream.device.security_mode == "SEALED"


def test_the_per_unit_fields_are_written_after_the_stream(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    seen = observe(bench, "PK4S-000777", recipe=flashstream_recipe())
    assert seen.result.passed, seen.result.failure
    assert bench.device.df_get("serial_number") == 777
    assert bench.device.df_get("manufacture_date") != 0
    assert bench.device.df_peek(0x4041, 11) == b"PK4S-000777"
    assert seen.target is not None
    assert recipe_bytes_wrong(bench.device, seen.target) == []


def test_writes_that_did_not_take_are_caught_by_verify(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "stuck-flash")
    result = bench.run(recipe=flashstream_recipe())
    assert result.outcome is Outcome.FAIL
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == ("VERIFY_MISMATCH", StepId.VERIFY)
    assert "read back wrong" in result.failure.reason
    assert bench.device.security_mode != "SEALED"


def test_unconfirmed_addresses_are_refused_on_real_packs_before_any_line(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.as_real_hardware()
    before = bench.device.transaction_count
    result = bench.run(recipe=flashstream_recipe())
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == ("UNVERIFIED_ADDRESS", StepId.APPLY)
    assert "Design Capacity mAh" in result.failure.reason
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"
    assert bench.device.transaction_count > before


def test_the_backup_holds_exactly_the_blocks_the_stream_and_the_unit_fields_write(
    tmp_path: Path,
) -> None:
    bench = make_bench(tmp_path)
    recipe = flashstream_recipe()
    seen = observe(bench, recipe=recipe)
    assert seen.result.passed, seen.result.failure
    assert seen.target is not None
    trace = bench.store.trace(SERIAL)
    assert trace is not None
    (image,) = [i for i in trace.attempts[-1].images if i.role.value == "BEFORE"]
    before = bench.store.load_blocks(image.image_id)
    assert sorted(before) == sorted(seen.target.blocks())
    assert recipe.fs_plan is not None
    assert set(recipe.fs_plan.blocks) <= set(before)
    assert 0x4060 in before  # Manufacturer Info A: a per-unit field the stream does not write


def _abort_at(step: StepId) -> tuple[CancelToken, Any]:
    cancel = CancelToken()

    def on_event(event: object) -> None:
        if isinstance(event, StepFinished) and event.result.step is step:
            cancel.request()

    return cancel, on_event


def test_an_abort_at_the_reset_safe_point_restores_and_reseals(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    original = bench.device.df_peek(0x4000, 0x2000)
    cancel, on_event = _abort_at(StepId.APPLY)
    result = bench.run(recipe=flashstream_recipe(), cancel=cancel, on_event=on_event)
    assert result.outcome is Outcome.ABORTED
    assert result.failure is not None
    assert result.failure.step is StepId.RESET
    assert "restored" in result.failure.pack_state
    assert "sealed again" in result.failure.pack_state
    assert bench.device.df_peek(0x4000, 0x2000) == original
    assert bench.device.security_mode == "SEALED"
    (attempt,) = bench.store.pack_history(SERIAL)
    assert attempt.outcome is AttemptOutcome.ABORTED


def test_key_lines_never_show_when_they_fail(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    device = bench.device
    transact = device.i2c_rdwr
    applying: list[bool] = []

    def refuse_the_streams_key_word(*msgs: Any) -> None:
        # The stream's own prologue, not the station's unseal: the bus fails on its key word.
        if applying and bytes(msgs[0])[:3] == bytes([0x00, 0x72, 0x36]):
            device.faults.gone_from = device.transaction_count
        transact(*msgs)

    def on_event(event: object) -> None:
        if isinstance(event, StepStarted) and event.step is StepId.APPLY:
            applying.append(True)

    device.i2c_rdwr = refuse_the_streams_key_word  # type: ignore[method-assign]
    result = bench.run(recipe=flashstream_recipe(), on_event=on_event)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert "SWW 0x00 <key>" in result.failure.reason
    shown = " ".join(
        [result.failure.reason, result.failure.pack_state]
        + [s.summary for s in result.steps]
        + [str(s.failure) for s in result.steps if s.failure]
    )
    stored = database_text(tmp_path / "station.sqlite3")
    for text in (shown, stored):
        assert leaked([0x0414, 0x3672], text) == []
        assert "14 04" not in text
        assert "72 36" not in text


def test_a_stream_that_writes_security_keys_is_refused_without_showing_them(
    tmp_path: Path,
) -> None:
    from station.recipe.errors import RecipeInvalid

    path = write_flashstream_recipe(
        tmp_path, extra="SWB: 16 44 35 00 C3 A5 3C 5A A5 C3 5A 3C\nX: 20\n"
    )
    try:
        load_recipe(path)
    except RecipeInvalid as exc:
        text = str(exc)
    else:
        raise AssertionError("a FlashStream that installs keys was accepted")
    assert "SecurityKeys" in text
    assert "SWB 0x44 0x0035 <key>" in text
    assert leaked([0xA5C3, 0x5A3C, 0xC3A5, 0x3C5A], text) == []
    assert "C3 A5" not in text

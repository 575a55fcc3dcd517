"""A good pack: programmed, verified, sealed, labelled and recorded."""

from __future__ import annotations

from station.recipe.profile.image import DataFlashImage
from station.sequence.events import (
    MeasurementTaken,
    Outcome,
    RunFinished,
    RunStarted,
    StepFinished,
    StepId,
    StepProgress,
)
from station.store import AttemptOutcome, LabelState
from tests.sequence.conftest import Bench


def emulator_image(bench: Bench) -> DataFlashImage:
    return DataFlashImage.from_bytes(0x4000, bench.device.df_peek(0x4000, 0x2000))


def test_pass_run_programs_verifies_seals_and_records(bench: Bench) -> None:
    events: list[object] = []
    result = bench.run(events=events)  # type: ignore[arg-type]

    assert result.outcome is Outcome.PASS, result.failure
    assert result.sealed
    assert bench.device.security_mode == "SEALED"
    # The pack's data flash now decodes to exactly the recipe's values.
    values = bench.recipe.decode_values(emulator_image(bench))
    for setting in bench.recipe.settings:
        assert values[setting.parameter.key] == setting.raw, setting.written_name
    # Per-unit fields: SBS serial from the scanned serial.
    serial_p = bench.recipe.profile.role("serial_number")
    assert serial_p is not None
    assert bench.recipe.profile.decode(emulator_image(bench), [serial_p])[serial_p.key] == 123

    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted
    assert kinds[-1] is RunFinished
    finished = [e.result.step for e in events if isinstance(e, StepFinished)]
    assert finished == [
        StepId.SERIAL,
        StepId.IDENTIFY,
        StepId.UNSEAL,
        StepId.BACKUP,
        StepId.APPLY,
        StepId.RESET,
        StepId.VERIFY,
        StepId.SEAL,
        StepId.LABEL,
        StepId.RECORD,
    ]
    assert any(isinstance(e, StepProgress) and e.step is StepId.APPLY for e in events)
    assert any(
        isinstance(e, MeasurementTaken) and e.measurement.name == "cells seen" for e in events
    )

    trace = bench.store.trace("PK4S-000123")
    assert trace is not None
    (attempt,) = trace.attempts
    assert attempt.summary.outcome is AttemptOutcome.PASS
    assert attempt.summary.recipe_hash == bench.recipe.content_hash
    assert attempt.summary.key_set_id == "ti-default"
    assert attempt.summary.label_state is LabelState.PRINTED
    assert [s.kind for s in attempt.steps] == [
        "serial",
        "identify",
        "unseal",
        "backup",
        "apply",
        "reset",
        "verify",
        "seal",
        "label",
        "record",
    ]
    verify = next(s for s in attempt.steps if s.kind == "verify")
    names = {m.name for m in verify.measurements}
    assert {"cells seen", "cell imbalance", "temperature", "PFStatus clear"} <= names
    assert any(
        p.name == "COV Threshold Low Temp" and p.after == "4250 mV" for p in attempt.parameters
    )
    roles = {i.role.value for i in attempt.images}
    assert roles == {"BEFORE", "AFTER"}
    # The label files exist for that serial.
    assert sorted(p.suffix for p in (bench.tmp / "labels").iterdir()) == [".png", ".svg", ".zpl"]


def test_only_changed_blocks_are_written_and_the_next_pack_writes_only_its_own_fields(
    bench: Bench,
) -> None:
    first = bench.run()
    assert first.passed
    writes_first = bench.device.stats.df_writes
    assert 0 < writes_first <= 12  # a handful of blocks, not the 8 KiB image
    second = bench.run(serial="PK4S-000124")
    assert second.passed, second.failure
    # Only the per-unit fields (serial number, manufacturer info) change on the next pack.
    assert bench.device.stats.df_writes - writes_first <= 3


def test_bus_time_is_reported_from_the_emulator_timing_model(bench: Bench) -> None:
    result = bench.run()
    assert result.bus_time_s is not None
    # Two resets (300 ms each, model) and a signature (250 ms) bound it from below.
    assert 0.85 < result.bus_time_s < 3.0

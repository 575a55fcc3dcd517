"""Every emulator scenario and injected fault ends in the right outcome and code; a pack that did
not verify is never sealed; the database always holds the attempt."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.sequence.events import Outcome, StepId
from station.sequence.failures import FAILURES, FailureCode
from station.store import AttemptOutcome
from tests.sequence.conftest import make_bench

CHECKS_FAILED = (
    "UNSEALED: programmed and read back correctly, but the pack checks did not pass; it was NOT "
    "sealed"
)
HALF_WRITTEN = (
    "UNSEALED, data flash written (2 of 10 writes, write 3 unconfirmed) but not verified; it was "
    "NOT sealed"
)

CASES = [
    # scenario, outcome, failure code, failing step, pack sealed afterwards, what the operator
    # reads first in the reason, the pack's state as told
    ("foreign-keys", Outcome.FAIL, "SEALED_UNKNOWN_KEYS", StepId.UNSEAL, True,
     "unseal: the gauge is still SEALED after the unseal keys of key set 'ti-default'",
     "nothing was written; sealed again as it arrived"),
    ("wrong-device", Outcome.FAIL, "WRONG_DEVICE", StepId.IDENTIFY, True,
     "the gauge reports device type 0x4600; recipe pk4s3p-3500 is for 0x4500",
     "nothing was written"),
    ("3-cells", Outcome.FAIL, "CELL_COUNT", StepId.VERIFY, False,
     "check failed: cells seen = 3 [4..4] FAIL; the pack was not sealed", CHECKS_FAILED),
    ("pf", Outcome.FAIL, "PF_STATUS", StepId.VERIFY, False,
     "check failed: PFStatus clear = 0x00000002 (expected 0x00000000) FAIL", CHECKS_FAILED),
    ("safety", Outcome.FAIL, "SAFETY_STATUS", StepId.VERIFY, False,
     "check failed: SafetyStatus clear = 0x00000002 (expected 0x00000000) FAIL", CHECKS_FAILED),
    ("hot", Outcome.FAIL, "TEMPERATURE", StepId.VERIFY, False,
     "check failed: temperature = 55 °C [10..45] FAIL", CHECKS_FAILED),
    ("imbalance", Outcome.FAIL, "CELL_IMBALANCE", StepId.VERIFY, False,
     "check failed: cell imbalance = 120 mV [0..50] FAIL", CHECKS_FAILED),
    ("stuck-flash", Outcome.FAIL, "VERIFY_MISMATCH", StepId.VERIFY, False,
     "1 data-flash bytes read back wrong at 0x4060 (Manufacturer Info Block A32)",
     "UNSEALED, data flash written (10 of 10 writes) but not verified; it was NOT sealed"),
    ("nack-mid-write", Outcome.ERROR, "BUS_NACK", StepId.APPLY, False,
     "data-flash write 0x406C (block write 0x44): Remote I/O error", HALF_WRITTEN),
    ("gone-mid-write", Outcome.ERROR, "GAUGE_NOT_RESPONDING", StepId.APPLY, False,
     "data-flash write 0x406C: no answer 1.00 s after data-flash write 0x406C", HALF_WRITTEN),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "outcome", "code", "step", "sealed", "reason", "pack_state"), CASES
)
def test_scenario_outcome(
    tmp_path: Path,
    db_url: str,
    scenario: str,
    outcome: Outcome,
    code: str,
    step: StepId,
    sealed: bool,
    reason: str,
    pack_state: str,
) -> None:
    bench = make_bench(tmp_path, scenario, database=db_url)
    result = bench.run()
    assert result.outcome is outcome
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == (code, step)
    assert result.failure.reason.startswith(reason)
    # the table's own words for this code
    assert result.failure.action == FAILURES[FailureCode(code)].action
    assert result.failure.pack_state == pack_state
    # Never sealed after a failed verify; a pack that arrived sealed and got no write is sealed
    # again (or never opened).
    assert (bench.device.security_mode == "SEALED") is sealed
    assert not result.sealed or sealed
    trace = bench.store.trace("PK4S-000123")
    assert trace is not None
    (attempt,) = trace.attempts
    assert attempt.summary.outcome is AttemptOutcome(outcome.value)
    assert attempt.summary.failure_code == code
    assert attempt.summary.failing_step == step.value
    kinds = [s.kind for s in attempt.steps]
    assert "seal" not in [s.kind for s in attempt.steps if s.outcome.value == "PASS"]
    assert kinds[-1] == "record"


def test_failed_verify_leaves_the_pack_unsealed_and_says_so(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "3-cells")
    result = bench.run()
    assert result.failure is not None
    assert "NOT sealed" in result.failure.pack_state
    assert bench.device.security_mode != "SEALED"


def test_a_failed_pack_passes_on_a_fresh_attempt_once_fixed(tmp_path: Path, db_url: str) -> None:
    bench = make_bench(tmp_path, "nack-mid-write", database=db_url)
    assert bench.run().outcome is Outcome.ERROR
    # The fixture is fixed: same pack (half-written, unsealed), no more faults.
    bench.device.faults.df_write_nack_from = None
    result = bench.run()
    assert result.passed, result.failure
    history = bench.store.pack_history("PK4S-000123")
    assert [a.outcome for a in history] == [AttemptOutcome.ERROR, AttemptOutcome.PASS]


def test_flaky_bus_passes_through_retries(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "flaky")
    result = bench.run()
    assert result.passed, result.failure

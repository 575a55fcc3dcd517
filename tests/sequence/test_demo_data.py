"""The bench's synthetic attempts look like what the real engine records: the same steps in the
same order, the same measurements in each, and only failure codes the engine produces, judged
FAIL or ERROR as the engine judges them."""

from __future__ import annotations

from pathlib import Path

from station.sequence.failures import FAILURES as FAILURE_TABLE
from station.sequence.failures import Fault
from station.store import AttemptOutcome
from tests.bench.demo_data import FAILURES, STEPS
from tests.sequence.conftest import make_bench


def test_the_synthetic_steps_and_measurements_are_those_of_a_real_pass(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, printer=f"file:{tmp_path}/labels")
    assert bench.run().passed
    trace = bench.store.trace("PK4S-000123")
    assert trace is not None
    (attempt,) = trace.attempts
    assert attempt.summary.outcome is AttemptOutcome.PASS
    real = [(s.name, s.kind, [m.name for m in s.measurements]) for s in attempt.steps]
    synthetic = [(name, kind, [m[0] for m in measured]) for name, kind, _, measured in STEPS]
    assert synthetic == real


def test_the_synthetic_failures_are_the_engines_codes_at_their_steps() -> None:
    kinds = [kind for _, kind, _, _ in STEPS]
    where = {
        "VERIFY_MISMATCH": "verify",
        "CELL_IMBALANCE": "verify",
        "BUS_NACK": "identify",
        "SEAL_FAILED": "seal",
        "SEALED_UNKNOWN_KEYS": "unseal",
    }
    for code, step, measurement, _ in FAILURES:
        assert kinds[step] == where[code]
        assert FAILURE_TABLE[code].fault in (Fault.PACK, Fault.STATION)
        if measurement is not None:
            assert measurement in [m[0] for m in STEPS[step][3]]

"""What the terminal shows when a run's call raised instead of returning a result."""

from __future__ import annotations

from station.sequence.events import Outcome, RunResult, StepId
from station.sequence.failures import FailureCode, make_failure


def station_fault_result(
    serial: str, step: StepId | None, error: str, cycle_time_s: float
) -> RunResult:
    """An ERROR verdict for a run the station stopped on a fault: never anything like a PASS,
    and the pack's state unknown."""
    return RunResult(
        attempt_id=None,
        serial=serial,
        outcome=Outcome.ERROR,
        failure=make_failure(
            step or StepId.SERIAL,
            FailureCode.STATION_FAULT,
            f"The station stopped the run on a fault: {error}",
            "unknown: check it before any further use",
        ),
        steps=(),
        cycle_time_s=cycle_time_s,
        sealed=False,
    )

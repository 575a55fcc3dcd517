"""One failure vocabulary: every code a lower layer can end a run with is in the one table, with
its own action and whose fault it is, and the engine judges a code the same way wherever it
comes from."""

from __future__ import annotations

import pytest

import station.bus.errors
import station.gauge.calibration
import station.gauge.errors
import station.instruments.bench
import station.instruments.model
import station.labels.errors
import station.recipe.errors
import station.sequence.calibration
import station.store.errors
from station.gauge.errors import BadKeysError, GaugeError, MissingKeysError
from station.sequence.events import Outcome, StepId
from station.sequence.failures import (
    FAILURES,
    FailureCode,
    failure_from,
    make_failure,
)

ERROR_MODULES = (
    station.bus.errors,
    station.gauge.errors,
    station.gauge.calibration,
    station.instruments.model,
    station.instruments.bench,
    station.labels.errors,
    station.recipe.errors,
    station.sequence.calibration,
    station.store.errors,
)


def _coded_errors() -> list[type[BaseException]]:
    return [
        kind
        for module in ERROR_MODULES
        for kind in vars(module).values()
        if isinstance(kind, type)
        and issubclass(kind, BaseException)
        and isinstance(getattr(kind, "failure_code", None), str)
    ]


def test_every_code_a_lower_layer_carries_is_in_the_table() -> None:
    kinds = _coded_errors()
    assert len(kinds) > 50  # the walk found the errors, not an empty list
    missing = sorted(
        {k.failure_code for k in kinds if k.failure_code not in set(FailureCode)}  # type: ignore[attr-defined]
        - {"PREVIEW_REFUSED"}  # a refusal of a command, never the end of a run
    )
    assert missing == []


def test_every_code_has_its_own_row_and_no_two_faults() -> None:
    assert set(FAILURES) == set(FailureCode)
    for code, row in FAILURES.items():
        assert row.action.endswith("."), code
        assert make_failure(StepId.VERIFY, code, "why").outcome is row.fault.outcome


def test_a_code_means_the_same_fault_whether_the_engine_or_the_driver_raises_it() -> None:
    # KEYS_UNUSABLE: the engine's own key check made it an ERROR (a key store to fix), the
    # driver's BadKeysError made the same code a FAIL of the pack.
    from_driver = failure_from(StepId.KEYS, BadKeysError(key_set_id="prod", why="0x0000 word"))
    from_engine = make_failure(StepId.IDENTIFY, FailureCode.KEYS_UNUSABLE, "why")
    assert from_driver.outcome is from_engine.outcome is Outcome.ERROR
    missing = failure_from(StepId.UNSEAL, MissingKeysError(key_set_id="prod", which="unseal"))
    assert (missing.code, missing.outcome) == ("KEYS_MISSING", Outcome.ERROR)
    assert "key store" in missing.action


def test_a_code_outside_the_vocabulary_is_a_station_fault() -> None:
    class Invented(GaugeError):
        failure_code = "SOMETHING_NEW"

    found = failure_from(StepId.APPLY, Invented("odd", command="x"))
    assert (found.code, found.outcome) == ("STATION_FAULT", Outcome.ERROR)
    assert "call a technician" in found.action


@pytest.mark.parametrize(
    ("code", "outcome", "action"),
    [
        (FailureCode.VERIFY_MISMATCH, Outcome.FAIL, "Put the pack aside for engineering"),
        (FailureCode.BUS_NACK, Outcome.ERROR, "Check the pack is seated"),
        (FailureCode.PRINTER_OFFLINE, Outcome.ERROR, "Fix the printer, then reprint the label"),
        (FailureCode.ABORTED, Outcome.ABORTED, "Nothing else to do; scan the pack again"),
    ],
)
def test_whose_fault_decides_the_outcome(code: FailureCode, outcome: Outcome, action: str) -> None:
    # The pack's fault is a FAIL, the station's an ERROR, the operator's stop ABORTED: what the
    # screen shows, with the table's next step for the operator.
    failure = make_failure(StepId.APPLY, code, "why")
    assert failure.outcome is outcome
    assert failure.action.startswith(action)


def test_a_failed_calibration_is_the_packs_and_an_unusable_instrument_the_stations() -> None:
    import datetime as dt

    from station.instruments.model import InstrumentPastDue
    from station.refusal import Refused
    from station.sequence.calibration import CalibrationFailed

    failed = failure_from(StepId.CALIBRATE, CalibrationFailed("CC Gain 9.1 outside 1.7-2.1"))
    assert (failed.code, failed.outcome) == ("CALIBRATION", Outcome.FAIL)
    assert "not sealed" in failed.action
    past_due = InstrumentPastDue("dmm-1", dt.date(2026, 1, 1), dt.date(2026, 12, 5))
    assert isinstance(past_due, Refused)
    late = failure_from(StepId.CALIBRATE, past_due)
    assert (late.code, late.outcome) == ("INSTRUMENT_PAST_DUE", Outcome.ERROR)
    assert "reference instrument" in late.action

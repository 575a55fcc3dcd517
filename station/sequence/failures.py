"""From whatever went wrong to a :class:`Failure` an operator can act on.

Lower layers raise typed errors that already say what happened; this module decides, per step,
whether it is the pack's fault (FAIL) or the station's (ERROR), and what the operator does next.
"""

from __future__ import annotations

import logging

from station.bus.errors import BusError, BusGoneError, BusOpenError, PecError
from station.gauge.errors import (
    FlashWriteTimeoutError,
    FullAccessRefusedError,
    GaugeError,
    GaugeNotRespondingError,
    GaugeResponseError,
    PecNotSentError,
    SignatureTimeoutError,
    UnsealRefusedError,
)
from station.instruments.model import InstrumentError
from station.recipe.errors import FirmwareMismatch, RecipeError, UnverifiedWriteRefused
from station.sequence.events import Failure, Outcome, StepId
from station.store.errors import StoreError, StoreUnavailableError

log = logging.getLogger("station.sequence")


class StepFailed(Exception):
    """Raised inside a step to end the run with ``failure``."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"[{failure.code}] {failure.reason}")
        self.failure = failure


class AbortRequested(Exception):
    """The operator asked to abort; raised at a safe point."""


#: what the operator should do, by failure code (the reason comes from the error itself)
ACTIONS: dict[str, str] = {
    "SERIAL_REJECTED": "Scan the serial again; if the label is damaged, hand the pack to a "
    "supervisor.",
    "SERIAL_ALREADY_PASSED": "This pack is done. If it must be reprogrammed, a supervisor "
    "authorises a rework.",
    "SERIAL_BUSY": "Another station is working on this pack: check you scanned the right one.",
    "WRONG_DEVICE": "Put the pack aside for engineering: its gauge is not the one this recipe "
    "is for.",
    "FIRMWARE_MISMATCH": "Put the pack aside for engineering: its gauge firmware is not allowed.",
    "SEALED_UNKNOWN_KEYS": "Do not retry. Put the pack aside for a supervisor: it is sealed with "
    "keys this station does not have.",
    "FULL_ACCESS_UNKNOWN_KEYS": "Do not retry. Put the pack aside for a supervisor: its "
    "full-access keys are not the ones in the key set.",
    "UNVERIFIED_ADDRESS": "Call engineering: the gauge profile must be checked and signed off "
    "before it can program real packs.",
    "VERIFY_MISMATCH": "Put the pack aside for engineering; it was not sealed.",
    "CALIBRATION": "Check the fixture's reference connections and run the pack again; if it "
    "fails again, put it aside for engineering. It was not sealed.",
    "INSTRUMENT": "Call engineering: a reference instrument of this socket cannot be used; the "
    "pack was not sealed.",
    "CELL_COUNT": "Check the cell connections of the pack; it was not sealed.",
    "CELL_VOLTAGE": "Put the pack aside: a cell voltage is out of limits; it was not sealed.",
    "CELL_IMBALANCE": "Put the pack aside for balancing; it was not sealed.",
    "TEMPERATURE": "Let the pack reach room temperature and run it again.",
    "SAFETY_STATUS": "Put the pack aside for engineering: a protection is active.",
    "PF_STATUS": "Put the pack aside for failure analysis: the gauge reports a permanent failure.",
    "MANUFACTURING_STATUS": "Put the pack aside for engineering; it was not sealed.",
    "KEYS_UNUSABLE": "Call engineering: the production key set must be changed in the key store "
    "before packs can be programmed with this recipe.",
    "KEYS_NEED_PEC": "Call engineering: packs that get production keys must append PEC (SBS "
    "Configuration HPE) before they reach this station.",
    "PEC_NOT_SENT": "Call engineering: the station requires PEC and this pack sends none; set "
    "pec = auto or program the pack's HPE bit.",
    "KEYS_NOT_PROVEN": "Put the pack aside for a supervisor: the production keys could not be "
    "proven.",
    "SEAL_FAILED": "Run the pack again; if it repeats, put it aside for engineering.",
    "SHIP_MODE_FAILED": "Run the pack again; if it repeats, ship it awake and tell engineering.",
    "DB_UNAVAILABLE": "Call the line supervisor: the traceability database cannot be reached. "
    "Do not program packs until it is back.",
    "PRINTER": "Fix the printer, then reprint the label from the result screen.",
    "ABORTED": "Nothing else to do; scan the pack again to run it.",
    "STATION_FAULT": "Put the pack aside and call a technician: the station itself has a fault "
    "(its details are in the station log).",
    "CLOCK_IMPLAUSIBLE": "Call a technician: the station's clock is wrong and would date the "
    "pack wrongly. Nothing was done to this pack; run it again once the clock is set.",
    "EMULATED_ON_PRODUCTION": "Call engineering: this database is a production one and never "
    "records runs on the emulator. Use a training database for the emulator.",
}

BUS_ACTION = (
    "Check the pack is seated in the fixture and the cable is connected, then run the pack again."
)


OPEN_ACTION = (
    "Call engineering: the station cannot open its bus; check the bus setting with "
    "station config check."
)


def action_for(code: str) -> str:
    if code.startswith("BUS_"):
        return BUS_ACTION
    if code.startswith("PRINTER_"):
        return ACTIONS["PRINTER"]
    return ACTIONS.get(code, "Put the pack aside and call engineering with the failure code.")


def failure_from(step: StepId, exc: BaseException) -> Failure:
    """The failure a step ends with when a lower layer raised ``exc``."""
    if isinstance(exc, StepFailed):
        return exc.failure
    if isinstance(exc, FullAccessRefusedError | UnsealRefusedError):
        code = exc.failure_code
        return Failure(step, code, str(exc), action_for(code), Outcome.FAIL)
    if isinstance(exc, InstrumentError):
        # The station's instrument, not the pack.
        return Failure(step, exc.failure_code, str(exc), action_for("INSTRUMENT"), Outcome.ERROR)
    if isinstance(exc, BusOpenError):
        # The station's own setting, not the pack: nothing reached the pack.
        return Failure(step, exc.failure_code, str(exc), OPEN_ACTION, Outcome.ERROR)
    if isinstance(
        exc, GaugeNotRespondingError | BusGoneError | FlashWriteTimeoutError | SignatureTimeoutError
    ):
        # The gauge went quiet: a pack pulled mid-run or a station fault, not a bad pack.
        code = exc.failure_code
        return Failure(step, code, str(exc), BUS_ACTION, Outcome.ERROR)
    if isinstance(exc, PecNotSentError):
        # The station's setting against the pack's configuration, not a faulty pack.
        code = exc.failure_code
        return Failure(step, code, str(exc), action_for(code), Outcome.ERROR)
    if isinstance(exc, PecError):
        return Failure(step, exc.failure_code, str(exc), BUS_ACTION, Outcome.ERROR)
    if isinstance(exc, BusError):
        return Failure(step, exc.failure_code, str(exc), BUS_ACTION, Outcome.ERROR)
    if isinstance(exc, GaugeResponseError):
        return Failure(step, exc.failure_code, str(exc), BUS_ACTION, Outcome.ERROR)
    if isinstance(exc, GaugeError):
        return Failure(step, exc.failure_code, str(exc), action_for(exc.failure_code), Outcome.FAIL)
    if isinstance(exc, FirmwareMismatch):
        code = "WRONG_DEVICE" if "device type" in str(exc) else "FIRMWARE_MISMATCH"
        return Failure(step, code, str(exc), action_for(code), Outcome.FAIL)
    if isinstance(exc, UnverifiedWriteRefused):
        code = exc.failure_code
        return Failure(step, code, str(exc), action_for(code), Outcome.ERROR)
    if isinstance(exc, RecipeError):
        return Failure(
            step, exc.failure_code, str(exc), action_for(exc.failure_code), Outcome.ERROR
        )
    if isinstance(exc, StoreUnavailableError):
        return Failure(
            step, exc.failure_code, str(exc), action_for("DB_UNAVAILABLE"), Outcome.ERROR
        )
    if isinstance(exc, StoreError):
        code = getattr(exc, "failure_code", "DB_ERROR")
        return Failure(step, code, str(exc), action_for("DB_UNAVAILABLE"), Outcome.ERROR)
    # Anything else is a station defect: its traceback goes to the log (with the run's attempt
    # id, bound by the run), and the operator is told plainly, never shown the traceback.
    log.error("station fault during %s: %s", step.value, type(exc).__name__, exc_info=exc)
    return Failure(
        step,
        "STATION_FAULT",
        f"station fault (unexpected {type(exc).__name__}: {exc})",
        action_for("STATION_FAULT"),
        Outcome.ERROR,
    )

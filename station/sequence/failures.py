"""From whatever went wrong to a :class:`Failure` an operator can act on.

Lower layers raise typed errors that already say what happened and carry a failure code; the one
table here (:data:`FAILURES`) says for each code whether it is the pack's fault (FAIL) or the
station's (ERROR), and what the operator does next. The engine, the terminal, the CLI and the
bench's demo data all take their words from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from enum import StrEnum

from station.bus.errors import BusError, BusOpenError
from station.gauge.errors import GaugeError
from station.instruments.model import InstrumentError
from station.recipe.errors import FirmwareMismatch, RecipeError
from station.sequence.events import Failure, Outcome, RunResult, StepId
from station.store.errors import StoreError

log = logging.getLogger("station.sequence")


class StepFailed(Exception):
    """Raised inside a step to end the run with ``failure``."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"[{failure.code}] {failure.reason}")
        self.failure = failure


class AbortRequested(Exception):
    """The operator asked to abort; raised at a safe point."""


class Fault(StrEnum):
    """Whose fault a failure is: it decides the run's outcome."""

    PACK = "pack"  # the pack is not good: FAIL
    STATION = "station"  # the station could not do its job (bus, database, printer, setting): ERROR
    OPERATOR = "operator"  # the operator stopped the run: ABORTED

    @property
    def outcome(self) -> Outcome:
        return {
            Fault.PACK: Outcome.FAIL,
            Fault.STATION: Outcome.ERROR,
            Fault.OPERATOR: Outcome.ABORTED,
        }[self]


class FailureCode(StrEnum):
    """Every code a run can end with: the database, reports, the terminal and the CLI share it.
    Lower layers name theirs in their errors' ``failure_code``; each is one of these."""

    # the scan
    SERIAL_REJECTED = "SERIAL_REJECTED"
    SERIAL_ALREADY_PASSED = "SERIAL_ALREADY_PASSED"
    SERIAL_BUSY = "SERIAL_BUSY"
    CLOCK_IMPLAUSIBLE = "CLOCK_IMPLAUSIBLE"
    EMULATED_ON_PRODUCTION = "EMULATED_ON_PRODUCTION"
    RECIPE_NOT_AVAILABLE = "RECIPE_NOT_AVAILABLE"
    # the gauge and its firmware
    WRONG_DEVICE = "WRONG_DEVICE"
    FIRMWARE_MISMATCH = "FIRMWARE_MISMATCH"
    SEALED_UNKNOWN_KEYS = "SEALED_UNKNOWN_KEYS"
    FULL_ACCESS_UNKNOWN_KEYS = "FULL_ACCESS_UNKNOWN_KEYS"
    GAUGE_ERROR = "GAUGE_ERROR"
    GAUGE_SECURITY_MODE = "GAUGE_SECURITY_MODE"
    GAUGE_KEY_WINDOW = "GAUGE_KEY_WINDOW"
    GAUGE_SEAL_FAILED = "GAUGE_SEAL_FAILED"
    GAUGE_STILL_AWAKE = "GAUGE_STILL_AWAKE"
    DF_RANGE = "DF_RANGE"
    # the bus: the gauge went quiet or garbled its answers
    BUS_ERROR = "BUS_ERROR"
    BUS_NACK = "BUS_NACK"
    BUS_PEC = "BUS_PEC"
    BUS_BAD_RESPONSE = "BUS_BAD_RESPONSE"
    BUS_SHORT_READ = "BUS_SHORT_READ"
    BUS_TIMEOUT = "BUS_TIMEOUT"
    BUS_GONE = "BUS_GONE"
    BUS_OPEN = "BUS_OPEN"
    BUS_FAULT = "BUS_FAULT"  # the station cannot use its bus at all, found before a run
    GAUGE_NOT_RESPONDING = "GAUGE_NOT_RESPONDING"
    GAUGE_BAD_RESPONSE = "GAUGE_BAD_RESPONSE"
    GAUGE_BAD_ECHO = "GAUGE_BAD_ECHO"
    GAUGE_SHORT_BLOCK = "GAUGE_SHORT_BLOCK"
    GAUGE_IMPLAUSIBLE_VALUE = "GAUGE_IMPLAUSIBLE_VALUE"
    GAUGE_READS_DISAGREE = "GAUGE_READS_DISAGREE"
    GAUGE_SIGNATURE_TIMEOUT = "GAUGE_SIGNATURE_TIMEOUT"
    DF_WRITE_TIMEOUT = "DF_WRITE_TIMEOUT"
    PEC_NOT_SENT = "PEC_NOT_SENT"
    # keys
    KEYS_MISSING = "KEYS_MISSING"
    KEYS_UNUSABLE = "KEYS_UNUSABLE"
    KEYS_NEED_PEC = "KEYS_NEED_PEC"
    KEYS_NOT_PROVEN = "KEYS_NOT_PROVEN"
    # the recipe and its profile
    UNVERIFIED_ADDRESS = "UNVERIFIED_ADDRESS"
    UNKNOWN_ADDRESS = "UNKNOWN_ADDRESS"
    RECIPE_ERROR = "RECIPE_ERROR"
    RECIPE_INVALID = "RECIPE_INVALID"
    PROFILE_INVALID = "PROFILE_INVALID"
    PROFILE_NOT_FOUND = "PROFILE_NOT_FOUND"
    FILE_FORMAT = "FILE_FORMAT"
    PLAN_ERROR = "PLAN_ERROR"
    FLASHSTREAM_FAILED = "FLASHSTREAM_FAILED"
    # verify and the pack checks
    VERIFY_MISMATCH = "VERIFY_MISMATCH"
    CELL_COUNT = "CELL_COUNT"
    CELL_VOLTAGE = "CELL_VOLTAGE"
    CELL_IMBALANCE = "CELL_IMBALANCE"
    TEMPERATURE = "TEMPERATURE"
    SAFETY_STATUS = "SAFETY_STATUS"
    PF_STATUS = "PF_STATUS"
    MANUFACTURING_STATUS = "MANUFACTURING_STATUS"
    # calibration and its reference instruments
    CALIBRATION = "CALIBRATION"
    INSTRUMENT = "INSTRUMENT"
    INSTRUMENT_FILE = "INSTRUMENT_FILE"
    INSTRUMENT_PAST_DUE = "INSTRUMENT_PAST_DUE"
    INSTRUMENT_VALUE_REJECTED = "INSTRUMENT_VALUE_REJECTED"
    # seal
    NOT_VERIFIED = "NOT_VERIFIED"
    SEAL_FAILED = "SEAL_FAILED"
    # the label
    PRINTER_ERROR = "PRINTER_ERROR"
    PRINTER_OFFLINE = "PRINTER_OFFLINE"
    PRINTER_TIMEOUT = "PRINTER_TIMEOUT"
    PRINTER_REFUSED = "PRINTER_REFUSED"
    PRINTER_NOT_CONFIRMED = "PRINTER_NOT_CONFIRMED"
    PRINTER_LP_MISSING = "PRINTER_LP_MISSING"
    PRINTER_CUPS_REJECTED = "PRINTER_CUPS_REJECTED"
    PRINTER_FILE_ERROR = "PRINTER_FILE_ERROR"
    PRINTER_SPEC_INVALID = "PRINTER_SPEC_INVALID"
    LABEL_ERROR = "LABEL_ERROR"
    LABEL_DATA_INVALID = "LABEL_DATA_INVALID"
    LABEL_STOCK_INVALID = "LABEL_STOCK_INVALID"
    LABEL_DOES_NOT_FIT = "LABEL_DOES_NOT_FIT"
    LABEL_ENCODING = "LABEL_ENCODING"
    # the database
    DB_UNAVAILABLE = "DB_UNAVAILABLE"
    DB_ERROR = "DB_ERROR"
    DB_SCHEMA = "DB_SCHEMA"
    DB_MIGRATIONS_MISSING = "DB_MIGRATIONS_MISSING"
    DB_INPUT = "DB_INPUT"
    DB_UNKNOWN_ATTEMPT = "DB_UNKNOWN_ATTEMPT"
    DB_UNKNOWN_IMAGE = "DB_UNKNOWN_IMAGE"
    DB_RECORD_CORRUPT = "DB_RECORD_CORRUPT"
    DB_IMAGE_CORRUPT = "DB_IMAGE_CORRUPT"
    CLAIM_LOST = "CLAIM_LOST"
    ATTEMPT_FINISHED = "ATTEMPT_FINISHED"
    PASS_NOT_PROVEN = "PASS_NOT_PROVEN"
    RECIPE_CONFLICT = "RECIPE_CONFLICT"
    REWORK_INVALID = "REWORK_INVALID"
    LABEL_REFUSED = "LABEL_REFUSED"
    # the run itself
    NOT_PROVEN = "NOT_PROVEN"
    ABORTED = "ABORTED"
    STATION_FAULT = "STATION_FAULT"


@dataclass(frozen=True)
class Advice:
    """What a failure code means for the operator: whose fault it is and what to do next."""

    fault: Fault
    action: str


_BUS = (
    "Check the pack is seated in the fixture and the cable is connected, then run the pack again."
)
_ENGINEERING = "Put the pack aside and call engineering with the failure code."
_DATABASE = (
    "Call the line supervisor: the traceability database cannot be reached. Do not program "
    "packs until it is back."
)
_PRINTER = "Fix the printer, then reprint the label from the result screen."
_RECIPE = "Call engineering: the recipe or its gauge profile cannot be run as it is."
_INSTRUMENT = (
    "Call engineering: a reference instrument of this socket cannot be used; the pack was not "
    "sealed."
)

P, S = Fault.PACK, Fault.STATION
C = FailureCode

#: The one table: every failure code, whose fault it is, and what the operator does next.
FAILURES: dict[FailureCode, Advice] = {
    C.SERIAL_REJECTED: Advice(
        P, "Scan the serial again; if the label is damaged, hand the pack to a supervisor."
    ),
    C.SERIAL_ALREADY_PASSED: Advice(
        P,
        "This pack is done. If it must be reprogrammed, a supervisor authorises a rework.",
    ),
    C.SERIAL_BUSY: Advice(
        P, "Another station is working on this pack: check you scanned the right one."
    ),
    C.CLOCK_IMPLAUSIBLE: Advice(
        S,
        "Call a technician: the station's clock is wrong and would date the pack wrongly. "
        "Nothing was done to this pack; run it again once the clock is set.",
    ),
    C.EMULATED_ON_PRODUCTION: Advice(
        S,
        "Call engineering: this database is a production one and never records runs on the "
        "emulator. Use a training database for the emulator.",
    ),
    C.RECIPE_NOT_AVAILABLE: Advice(S, _RECIPE),
    C.WRONG_DEVICE: Advice(
        P, "Put the pack aside for engineering: its gauge is not the one this recipe is for."
    ),
    C.FIRMWARE_MISMATCH: Advice(
        P, "Put the pack aside for engineering: its gauge firmware is not allowed."
    ),
    C.SEALED_UNKNOWN_KEYS: Advice(
        P,
        "Do not retry. Put the pack aside for a supervisor: it is sealed with keys this "
        "station does not have.",
    ),
    C.FULL_ACCESS_UNKNOWN_KEYS: Advice(
        P,
        "Do not retry. Put the pack aside for a supervisor: its full-access keys are not the "
        "ones in the key set.",
    ),
    C.GAUGE_ERROR: Advice(P, _ENGINEERING),
    C.GAUGE_SECURITY_MODE: Advice(P, _ENGINEERING),
    C.GAUGE_KEY_WINDOW: Advice(P, _ENGINEERING),
    C.GAUGE_SEAL_FAILED: Advice(
        P, "Run the pack again; if it repeats, put it aside for engineering."
    ),
    C.GAUGE_STILL_AWAKE: Advice(
        P, "Run the pack again; if it repeats, ship it awake and tell engineering."
    ),
    C.DF_RANGE: Advice(P, _ENGINEERING),
    C.BUS_ERROR: Advice(S, _BUS),
    C.BUS_NACK: Advice(S, _BUS),
    C.BUS_PEC: Advice(S, _BUS),
    C.BUS_BAD_RESPONSE: Advice(S, _BUS),
    C.BUS_SHORT_READ: Advice(S, _BUS),
    C.BUS_TIMEOUT: Advice(S, _BUS),
    C.BUS_GONE: Advice(S, _BUS),
    C.BUS_OPEN: Advice(
        S,
        "Call engineering: the station cannot open its bus; check the bus setting with "
        "station config check.",
    ),
    C.BUS_FAULT: Advice(
        S,
        "Call a technician: the station cannot use its bus (adapter unplugged, cable or "
        "fixture fault). Scan the pack again once the header shows Place pack or Pack detected.",
    ),
    C.GAUGE_NOT_RESPONDING: Advice(S, _BUS),
    C.GAUGE_BAD_RESPONSE: Advice(S, _BUS),
    C.GAUGE_BAD_ECHO: Advice(S, _BUS),
    C.GAUGE_SHORT_BLOCK: Advice(S, _BUS),
    C.GAUGE_IMPLAUSIBLE_VALUE: Advice(S, _BUS),
    C.GAUGE_READS_DISAGREE: Advice(S, _BUS),
    C.GAUGE_SIGNATURE_TIMEOUT: Advice(S, _BUS),
    C.DF_WRITE_TIMEOUT: Advice(S, _BUS),
    C.PEC_NOT_SENT: Advice(
        S,
        "Call engineering: the station requires PEC and this pack sends none; set pec = auto "
        "or program the pack's HPE bit.",
    ),
    C.KEYS_MISSING: Advice(
        S,
        "Call engineering: the key set this recipe names is not in the station's key store.",
    ),
    C.KEYS_UNUSABLE: Advice(
        S,
        "Call engineering: the production key set must be changed in the key store before "
        "packs can be programmed with this recipe.",
    ),
    C.KEYS_NEED_PEC: Advice(
        S,
        "Call engineering: packs that get production keys must append PEC (SBS Configuration "
        "HPE) before they reach this station.",
    ),
    C.KEYS_NOT_PROVEN: Advice(
        P, "Put the pack aside for a supervisor: the production keys could not be proven."
    ),
    C.UNVERIFIED_ADDRESS: Advice(
        S,
        "Call engineering: the gauge profile must be checked and signed off before it can "
        "program real packs.",
    ),
    C.UNKNOWN_ADDRESS: Advice(
        S,
        "Call engineering: the recipe's plan wrote outside what it planned; nothing more was "
        "written to the pack.",
    ),
    C.RECIPE_ERROR: Advice(S, _RECIPE),
    C.RECIPE_INVALID: Advice(S, _RECIPE),
    C.PROFILE_INVALID: Advice(S, _RECIPE),
    C.PROFILE_NOT_FOUND: Advice(S, _RECIPE),
    C.FILE_FORMAT: Advice(S, _RECIPE),
    C.PLAN_ERROR: Advice(S, _RECIPE),
    C.FLASHSTREAM_FAILED: Advice(S, _RECIPE),
    C.VERIFY_MISMATCH: Advice(P, "Put the pack aside for engineering; it was not sealed."),
    C.CELL_COUNT: Advice(P, "Check the cell connections of the pack; it was not sealed."),
    C.CELL_VOLTAGE: Advice(
        P, "Put the pack aside: a cell voltage is out of limits; it was not sealed."
    ),
    C.CELL_IMBALANCE: Advice(P, "Put the pack aside for balancing; it was not sealed."),
    C.TEMPERATURE: Advice(P, "Let the pack reach room temperature and run it again."),
    C.SAFETY_STATUS: Advice(P, "Put the pack aside for engineering: a protection is active."),
    C.PF_STATUS: Advice(
        P, "Put the pack aside for failure analysis: the gauge reports a permanent failure."
    ),
    C.MANUFACTURING_STATUS: Advice(P, "Put the pack aside for engineering; it was not sealed."),
    C.CALIBRATION: Advice(
        P,
        "Check the fixture's reference connections and run the pack again; if it fails again, "
        "put it aside for engineering. It was not sealed.",
    ),
    C.INSTRUMENT: Advice(S, _INSTRUMENT),
    C.INSTRUMENT_FILE: Advice(S, _INSTRUMENT),
    C.INSTRUMENT_PAST_DUE: Advice(S, _INSTRUMENT),
    C.INSTRUMENT_VALUE_REJECTED: Advice(S, _INSTRUMENT),
    C.NOT_VERIFIED: Advice(
        S,
        "Put the pack aside and call a technician: the station refused to seal a pack that did "
        "not verify.",
    ),
    C.SEAL_FAILED: Advice(P, "Run the pack again; if it repeats, put it aside for engineering."),
    C.PRINTER_ERROR: Advice(S, _PRINTER),
    C.PRINTER_OFFLINE: Advice(S, _PRINTER),
    C.PRINTER_TIMEOUT: Advice(S, _PRINTER),
    C.PRINTER_REFUSED: Advice(S, _PRINTER),
    C.PRINTER_NOT_CONFIRMED: Advice(S, _PRINTER),
    C.PRINTER_LP_MISSING: Advice(S, _PRINTER),
    C.PRINTER_CUPS_REJECTED: Advice(S, _PRINTER),
    C.PRINTER_FILE_ERROR: Advice(S, _PRINTER),
    C.PRINTER_SPEC_INVALID: Advice(S, _PRINTER),
    C.LABEL_ERROR: Advice(S, _PRINTER),
    C.LABEL_DATA_INVALID: Advice(S, _RECIPE),
    C.LABEL_STOCK_INVALID: Advice(S, _RECIPE),
    C.LABEL_DOES_NOT_FIT: Advice(S, _RECIPE),
    C.LABEL_ENCODING: Advice(S, _RECIPE),
    C.DB_UNAVAILABLE: Advice(S, _DATABASE),
    C.DB_ERROR: Advice(S, _DATABASE),
    C.DB_SCHEMA: Advice(S, _DATABASE),
    C.DB_MIGRATIONS_MISSING: Advice(S, _DATABASE),
    C.DB_INPUT: Advice(S, _DATABASE),
    C.DB_UNKNOWN_ATTEMPT: Advice(S, _DATABASE),
    C.DB_UNKNOWN_IMAGE: Advice(S, _DATABASE),
    C.DB_RECORD_CORRUPT: Advice(S, _DATABASE),
    C.DB_IMAGE_CORRUPT: Advice(S, _DATABASE),
    C.CLAIM_LOST: Advice(S, _DATABASE),
    C.ATTEMPT_FINISHED: Advice(S, _DATABASE),
    C.PASS_NOT_PROVEN: Advice(S, _DATABASE),
    C.RECIPE_CONFLICT: Advice(S, _DATABASE),
    C.REWORK_INVALID: Advice(S, _DATABASE),
    C.LABEL_REFUSED: Advice(S, _DATABASE),
    C.NOT_PROVEN: Advice(S, _ENGINEERING),
    C.ABORTED: Advice(Fault.OPERATOR, "Nothing else to do; scan the pack again to run it."),
    C.STATION_FAULT: Advice(
        S,
        "Put the pack aside and call a technician: the station itself has a fault (its "
        "details are in the station log).",
    ),
}


def make_failure(step: StepId, code: FailureCode, reason: str, pack_state: str = "") -> Failure:
    """A failure with the table's action and outcome for ``code``."""
    row = FAILURES[code]
    return Failure(step, code, reason, row.action, row.fault.outcome, pack_state)


def failure_from(step: StepId, exc: BaseException) -> Failure:
    """The failure a step ends with when a lower layer raised ``exc``: its code, and from the
    table whose fault that is and what to do."""
    if isinstance(exc, StepFailed):
        return exc.failure
    code = _code_of(exc)
    if code is None:
        # Anything else is a station defect: its traceback goes to the log (with the run's
        # attempt id, bound by the run), and the operator is told plainly, never shown the
        # traceback.
        log.error("station fault during %s: %s", step.value, type(exc).__name__, exc_info=exc)
        return make_failure(
            step,
            FailureCode.STATION_FAULT,
            f"station fault (unexpected {type(exc).__name__}: {exc})",
        )
    return make_failure(step, code, str(exc))


def station_error_result(serial: str, exc: BaseException, pack_state: str) -> RunResult:
    """A run that never got a result from the engine (a station defect, or an error before the
    engine could start), told as an ERROR result with ``pack_state``: nothing was recorded."""
    failure = failure_from(StepId.SERIAL, exc)
    return RunResult(
        attempt_id=None,
        serial=serial,
        outcome=Outcome.ERROR,
        failure=replace(failure, outcome=Outcome.ERROR, pack_state=pack_state),
        steps=(),
        cycle_time_s=0.0,
        sealed=False,
    )


def _code_of(exc: BaseException) -> FailureCode | None:
    """The failure code a typed error of a lower layer carries; None for anything else."""
    if isinstance(exc, FirmwareMismatch):
        wrong_device = "device type" in str(exc)
        return FailureCode.WRONG_DEVICE if wrong_device else FailureCode.FIRMWARE_MISMATCH
    if isinstance(
        exc, BusError | BusOpenError | GaugeError | InstrumentError | RecipeError | StoreError
    ):
        try:
            return FailureCode(exc.failure_code)
        except ValueError:
            log.error("%s carries failure code %r, not in the table", type(exc), exc.failure_code)
            return None
    return None

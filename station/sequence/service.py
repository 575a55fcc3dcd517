"""The station as the faces see it: everything the operator terminal and the CLI may ask for.

A request the station declines raises :class:`~station.refusal.Refused` with the reason for the
operator; any other exception out of a call is a station defect.

The TUI and ``station`` commands talk only to :class:`StationService`; every rule (what a valid
serial is, when a rework is allowed, what PASS means) lives behind it and is tested without a UI.
All calls are blocking; the TUI calls them from thread workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from station.sequence.events import (
    CancelToken,
    Event,
    Failure,
    LabelResult,
    RunResult,
    StepId,
)
from station.sequence.failures import FailureCode, make_failure


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ENGINEER = "engineer"


@dataclass(frozen=True)
class Badge:
    code: str
    role: Role

    @property
    def needs_pin(self) -> bool:
        """Supervisor and engineer badges prove themselves with a PIN; operators only scan."""
        return self.role is not Role.OPERATOR


@dataclass(frozen=True)
class Credentials:
    """A badge as scanned with the PIN typed for it. The PIN never shows in a repr or log."""

    code: str
    pin: str = field(default="", repr=False)


@dataclass(frozen=True)
class RecipeProblem:
    """A file in the recipes folder that cannot be run, and why (shown in the recipe list)."""

    file: str
    problem: str


@dataclass(frozen=True)
class StationInfo:
    station_id: str
    socket: str
    bus: str
    emulated: bool
    database: str  # URL with any password masked
    printer: str
    software_version: str
    #: the shift starts with the reference-pack self-test
    reference_check: bool = False


@dataclass(frozen=True)
class RecipeChoice:
    """A released recipe the line may run."""

    name: str
    version: str
    hash: str
    description: str
    serial_example: str
    released_by: str
    released_at: datetime

    @property
    def short_hash(self) -> str:
        return self.hash[:12]


@dataclass(frozen=True)
class Release:
    """What releasing a recipe did: released it now, or found it released already (by whom and
    when: ``choice.released_by``, ``choice.released_at``), changing nothing."""

    choice: RecipeChoice
    already_released: bool


@dataclass(frozen=True)
class ActiveRecipe:
    name: str
    version: str
    hash: str
    description: str
    product: str
    serial_pattern: str
    serial_example: str
    steps: tuple[StepId, ...]
    serial_form: str = ""  # the expected form in words, e.g. "`PK4S-` and six digits, e.g. …"


@dataclass(frozen=True)
class Shift:
    operator: Badge
    recipe: ActiveRecipe
    lot: str


@dataclass(frozen=True)
class PassRecord:
    attempt_id: int
    ended_at: datetime
    station_id: str
    recipe_version: str


#: What the operator does about a bus fault.


class SocketState(StrEnum):
    PLACE_PACK = "Place pack"  # the bus works; nothing answers at the gauge's address
    PACK_DETECTED = "Pack detected"  # the gauge answers at its address
    BUS_FAULT = "Bus fault"  # the bus cannot be used at all


@dataclass(frozen=True)
class Readiness:
    state: SocketState
    #: what was seen, in words (the bus error for a fault)
    detail: str
    #: the bus error's failure code for a fault (BUS_OPEN, BUS_GONE, BUS_TIMEOUT), else ""
    code: str = ""

    @property
    def fault(self) -> bool:
        return self.state is SocketState.BUS_FAULT

    def refusal(self, serial: str) -> Failure:
        """The station fault a scan is refused with on this bus: nothing touched the pack."""
        # BUS_OPEN: the station's bus setting; any other bus error at a scan: the adapter or
        # its cable (the error's own code, in the reason, says which).
        code = FailureCode.BUS_OPEN if self.code == "BUS_OPEN" else FailureCode.BUS_FAULT
        seen = f" [{self.code}]" if self.code and code is FailureCode.BUS_FAULT else ""
        return make_failure(
            StepId.SERIAL,
            code,
            f"station fault, {self.detail}{seen}; {serial} was not run and nothing was "
            "recorded against it",
            "untouched by this run",
        )


@dataclass(frozen=True)
class SerialCheck:
    """What a scan means. When several things are wrong the reason names the first of: not a
    serial of this recipe, busy at another station, already passed (rework possible), a bus the
    station cannot use."""

    serial: str
    valid: bool
    reason: str = ""  # why it is refused, in words for the operator
    previous_pass: PassRecord | None = None  # set when the pack already passed: rework needed
    busy_elsewhere: str = ""  # "station ST-02 since 10:42" when another station holds it
    #: the socket as the check found it (None when the serial was refused before the bus)
    readiness: Readiness | None = None

    @property
    def station_fault(self) -> bool:
        """Refused because the station cannot use its bus, not because of the serial."""
        return self.readiness is not None and self.readiness.fault


@dataclass(frozen=True)
class ReworkAuthorisation:
    serial: str
    supervisor: str
    reason: str


@dataclass(frozen=True)
class RunRequest:
    serial: str
    rework: ReworkAuthorisation | None = None
    #: asks the operator what a manual reference instrument shows (the terminal's dialog)
    ask: Callable[[str], str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class HistoryRow:
    attempt_id: int
    serial: str
    outcome: str
    failure_code: str
    cycle_time_s: float | None
    ended_at: datetime | None


@dataclass(frozen=True)
class ShiftCounters:
    passed: int
    failed: int
    errors: int
    first_pass_yield: float | None  # 0..1 over PASS + FAIL + ERROR; None before the first pack
    aborted: int = 0  # stopped by the operator: neither PASS nor FAIL
    interrupted: int = 0  # the station stopped mid-run (crash, power loss)


@dataclass(frozen=True)
class Section:
    """A titled block of pre-formatted lines (trace view, gauge info, recipe details)."""

    title: str
    rows: tuple[tuple[str, str], ...]  # (label, value)


class StationService(Protocol):
    # -- set-up ---------------------------------------------------------------------------------
    def info(self) -> StationInfo: ...

    def badge(self, code: str) -> Badge:
        """Identify a scanned badge; raises Refused with the reason for a malformed one.
        A badge that ``needs_pin`` proves itself with :class:`Credentials` where it is used."""
        ...

    def released_recipes(self) -> list[RecipeChoice]: ...

    def recipe_problems(self) -> list[RecipeProblem]:
        """Recipe files that cannot be run, with what is wrong with each."""
        ...

    def find_released(self, name_or_hash: str) -> RecipeChoice:
        """The one released recipe a supervisor lock names (full hash, a hash prefix of at
        least 6 characters, or a name released once); Refused with the reason otherwise."""
        ...

    def start_shift(self, operator: Badge, recipe_hash: str, lot: str) -> Shift:
        """Load and check the released recipe; raises Refused with the reason if refused."""
        ...

    def authorise_recipe_change(self, shift: Shift, supervisor: Credentials) -> Badge:
        """The supervisor's badge when badge and PIN allow a recipe change during ``shift`` (not
        by its operator); Refused (NotAuthorised) otherwise."""
        ...

    def change_recipe(self, shift: Shift, recipe_hash: str, supervisor: Credentials) -> Shift:
        """``shift`` on another released recipe, allowed by a supervisor (checked again here);
        Refused with the reason if refused."""
        ...

    # -- one pack -------------------------------------------------------------------------------
    def readiness(self) -> Readiness:
        """Whether the socket is ready for a pack: Place pack, Pack detected or Bus fault."""
        ...

    def check_serial(self, shift: Shift, serial: str) -> SerialCheck:
        """What a scan means; on a bus the station cannot use, refused as a station fault."""
        ...

    def partial_serial_ok(self, shift: Shift, text: str) -> bool:
        """Whether ``text`` can still become a valid serial (live validation while typing).
        Pure and fast: the terminal calls it on every key press."""
        ...

    def authorise_rework(
        self, shift: Shift, serial: str, supervisor: Credentials, reason: str
    ) -> ReworkAuthorisation:
        """A supervisor (badge and PIN, not the shift's operator) allows one more run of a pack
        that passed; audited. Refused with the reason if refused."""
        ...

    def run(
        self,
        shift: Shift,
        request: RunRequest,
        on_event: Callable[[Event], None],
        cancel: CancelToken,
    ) -> RunResult:
        """Program one pack. Always returns a result (a station fault becomes an ERROR result
        that says the pack state is unknown); never raises for a pack or station problem."""
        ...

    def reprint_label(
        self, shift: Shift | None, serial: str, reason: str, by: Credentials
    ) -> LabelResult:
        """Print a passed pack's label again; needs a supervisor's badge and PIN (not the
        operator's) and a reason, recorded in the audit log. Refused with the reason if
        refused (also when the pack's latest attempt is not its PASS)."""
        ...

    # -- history --------------------------------------------------------------------------------
    def shift_history(self, shift: Shift, since: datetime, limit: int = 20) -> list[HistoryRow]:
        """Packs started at this station since ``since`` (an aware datetime), newest first."""
        ...

    def shift_counters(self, shift: Shift, since: datetime) -> ShiftCounters: ...

    def trace(self, serial: str) -> list[Section]: ...

    # -- engineer mode --------------------------------------------------------------------------
    def engineer_mode(self, engineer: Credentials) -> Badge:
        """The engineer's badge when badge and PIN allow engineer mode; Refused (NotAuthorised)
        otherwise."""
        ...

    def gauge_snapshot(self, shift: Shift | None) -> list[Section]: ...

    def recipe_details(self, shift: Shift) -> list[Section]: ...

    def recipe_diff_against_pack(self, shift: Shift) -> list[Section]: ...

    def release_recipe(self, path: Path, by: Credentials) -> Release:
        """Release a recipe file (an engineer's badge and PIN); a recipe released already is
        reported as such and nothing changes. Refused with the reason if refused."""
        ...

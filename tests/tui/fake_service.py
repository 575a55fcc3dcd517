"""A scripted :class:`StationService` for the operator-terminal tests.

Its refusals are :class:`~station.refusal.Refused` and its failures come from the failure table,
as the real service's do. It behaves like a small station: badges by prefix, two released
recipes, serials ``PK4S-NNNNNN``,
and a run script chosen by serial (PASS, the three FAIL scenarios, a pack that already passed, a
pack busy elsewhere). ``run()`` emits the events a real engine would, advances an injected clock by
each step's duration, and can stop at a pause point inside *Apply recipe* until the test releases
it, so abort can be tested. Every call it receives is recorded for the assertions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from station.refusal import Refused
from station.sequence.events import (
    CancelToken,
    Event,
    Failure,
    LabelResult,
    Measurement,
    MeasurementTaken,
    Notice,
    Outcome,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
    StepId,
    StepProgress,
    StepResult,
    StepStarted,
    Verdict,
)
from station.sequence.failures import FailureCode, make_failure
from station.sequence.service import (
    ActiveRecipe,
    Badge,
    Credentials,
    HistoryRow,
    PassRecord,
    Readiness,
    RecipeChoice,
    RecipeProblem,
    Release,
    ReworkAuthorisation,
    Role,
    RunRequest,
    Section,
    SerialCheck,
    Shift,
    ShiftCounters,
    SocketState,
    StationInfo,
)

BASE_TIME = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
#: the PIN of every supervisor and engineer badge of the fake station
FAKE_PIN = "2468"
SERIAL_TEMPLATE = "PK4S-######"

PASS_SERIAL = "PK4S-000123"
SEALED_SERIAL = "PK4S-000201"  # sealed with keys the station does not know
CELLS_SERIAL = "PK4S-000202"  # a 3-cell stack on a 4-cell recipe
NACK_SERIAL = "PK4S-000203"  # the gauge stops answering in the middle of the data-flash write
PASSED_SERIAL = "PK4S-000777"  # already passed on another station: rework needed
BUSY_SERIAL = "PK4S-000888"  # held by another station right now

STEP_SECONDS: dict[StepId, float] = {
    StepId.SERIAL: 0.1,
    StepId.IDENTIFY: 0.4,
    StepId.UNSEAL: 0.6,
    StepId.BACKUP: 3.2,
    StepId.APPLY: 18.5,
    StepId.RESET: 2.5,
    StepId.VERIFY: 4.1,
    StepId.KEYS: 0.8,
    StepId.SEAL: 0.5,
    StepId.LABEL: 1.2,
    StepId.RECORD: 0.2,
}

FLASH_BLOCKS = 230


class FakeClock:
    """A monotonic clock the fake engine moves forward by each step's duration."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def _hash(seed: str) -> str:
    return (seed * 64)[:64]


RECIPES: tuple[RecipeChoice, ...] = (
    RecipeChoice(
        name="PK4S-STD",
        version="1.2.0",
        hash="3fa9c2e17b4d" + _hash("0a1b2c3d")[:52],
        description="4S2P 6.8 Ah pack, standard chemistry",
        serial_example="PK4S-000123",
        released_by="ENG-0001",
        released_at=BASE_TIME - timedelta(days=3),
    ),
    RecipeChoice(
        name="PK4S-COLD",
        version="0.9.1",
        hash="b7e05d21c9aa" + _hash("f0e1d2c3")[:52],
        description="4S2P pack, cold-storage temperature limits",
        serial_example="PK4S-000500",
        released_by="ENG-0002",
        released_at=BASE_TIME - timedelta(days=1),
    ),
)

#: The fake's recipe installs keys and does not calibrate.
ALL_STEPS: tuple[StepId, ...] = tuple(s for s in StepId if s is not StepId.CALIBRATE)


@dataclass
class _Attempt:
    attempt_id: int
    serial: str
    outcome: Outcome
    failure_code: str
    cycle_time_s: float
    ended_at: datetime
    rework: ReworkAuthorisation | None
    measurements: tuple[Measurement, ...] = ()


@dataclass
class FakeStationService:
    """Scripted station; the attributes ending in ``s`` record what it was asked."""

    clock: FakeClock = field(default_factory=FakeClock)
    emulated: bool = True
    printer_online: bool = True
    recipes: list[RecipeChoice] = field(default_factory=lambda: list(RECIPES))
    #: stop inside Apply recipe (after half the blocks) until ``resume`` is set or abort is asked
    pause_in_apply: bool = False
    paused: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)
    hold_after_abort: bool = False
    #: serials look like this template (``#`` a digit)
    serial_template: str = SERIAL_TEMPLATE
    #: when set, ``start_shift`` waits for it (``starting`` is set while it waits)
    start_gate: threading.Event | None = None
    starting: threading.Event = field(default_factory=threading.Event)
    # what the service received
    badges_looked_up: list[str] = field(default_factory=list)
    shifts_started: list[tuple[str, str, str]] = field(default_factory=list)
    serials_checked: list[str] = field(default_factory=list)
    runs: list[RunRequest] = field(default_factory=list)
    reworks: list[ReworkAuthorisation] = field(default_factory=list)
    reprints: list[tuple[str, str]] = field(default_factory=list)
    gauge_reads: int = 0
    diffs: int = 0
    ready_checks: int = 0
    #: what ``readiness`` answers (the real rule, a bus fault refusing scans, is the service's)
    ready: Readiness = field(
        default_factory=lambda: Readiness(SocketState.PACK_DETECTED, "a gauge answers at 0x0B")
    )
    released: list[tuple[Path, str]] = field(default_factory=list)
    credentials_given: list[Credentials] = field(default_factory=list)
    problems: list[RecipeProblem] = field(default_factory=list)
    attempts: list[_Attempt] = field(default_factory=list)

    # -- set-up ---------------------------------------------------------------------------------
    def info(self) -> StationInfo:
        return StationInfo(
            station_id="ST-01",
            socket="A",
            bus="sim" if self.emulated else "/dev/i2c-1",
            emulated=self.emulated,
            database="postgresql+psycopg://line:***@db.plant.local/trace",
            printer="zpl-tcp:10.0.0.9:9100",
            software_version="0.1.0",
        )

    def badge(self, code: str) -> Badge:
        self.badges_looked_up.append(code)
        code = code.strip()
        for prefix, role in (
            ("OP-", Role.OPERATOR),
            ("SUP-", Role.SUPERVISOR),
            ("ENG-", Role.ENGINEER),
        ):
            if code.startswith(prefix) and code[len(prefix) :].isdigit():
                return Badge(code=code, role=role)
        raise Refused(f"{code!r} is not a badge: expected OP-, SUP- or ENG- and digits")

    def released_recipes(self) -> list[RecipeChoice]:
        return list(self.recipes)

    def find_released(self, name_or_hash: str) -> RecipeChoice:
        wanted = name_or_hash.strip()
        found = [
            c
            for c in self.recipes
            if c.name == wanted or (len(wanted) >= 6 and c.hash.startswith(wanted))
        ]
        if len(found) == 1:
            return found[0]
        if found:
            raise Refused(f"Recipe {wanted!r} matches several releases")
        raise Refused(f"Recipe {wanted!r} is not released on this station")

    def start_shift(self, operator: Badge, recipe_hash: str, lot: str) -> Shift:
        self.shifts_started.append((operator.code, recipe_hash, lot))
        if self.start_gate is not None:
            self.starting.set()
            self.start_gate.wait(10)
        if not lot.strip():
            raise Refused("A work order or lot is required to start the shift")
        if lot.strip().upper() == "CLOSED-01":
            raise Refused("Lot CLOSED-01 is closed in the database: ask the supervisor")
        for choice in self.recipes:
            if choice.hash == recipe_hash:
                return Shift(operator=operator, recipe=_active(choice), lot=lot.strip())
        raise Refused(f"Recipe {recipe_hash[:12]} is not released")

    # -- one pack -------------------------------------------------------------------------------
    def partial_serial_ok(self, shift: Shift, text: str) -> bool:
        if len(text) > len(self.serial_template):
            return False
        for char, want in zip(text, self.serial_template, strict=False):
            if want == "#":
                if not char.isdigit():
                    return False
            elif char != want:
                return False
        return True

    def readiness(self) -> Readiness:
        self.ready_checks += 1
        return self.ready

    def check_serial(self, shift: Shift, serial: str) -> SerialCheck:
        self.serials_checked.append(serial)
        template = self.serial_template
        if len(serial) != len(template) or not self.partial_serial_ok(shift, serial):
            return SerialCheck(
                serial=serial,
                valid=False,
                reason=f"{serial!r} is not a {shift.recipe.product} serial: expected "
                f"{shift.recipe.serial_form}",
            )
        if serial == BUSY_SERIAL:
            return SerialCheck(
                serial=serial,
                valid=False,
                reason="This pack is being run on another station",
                busy_elsewhere="station ST-02 since 10:42",
            )
        previous = self._previous_pass(serial)
        if previous is not None:
            return SerialCheck(
                serial=serial,
                valid=False,
                reason="This pack already passed",
                previous_pass=previous,
            )
        return SerialCheck(serial=serial, valid=True, readiness=self.ready)

    def _previous_pass(self, serial: str) -> PassRecord | None:
        if serial == PASSED_SERIAL:
            return PassRecord(
                attempt_id=41,
                ended_at=BASE_TIME - timedelta(hours=20, minutes=18),
                station_id="ST-02",
                recipe_version="1.2.0",
            )
        for attempt in reversed(self.attempts):
            if attempt.serial == serial and attempt.outcome is Outcome.PASS:
                return PassRecord(attempt.attempt_id, attempt.ended_at, "ST-01", "1.2.0")
        return None

    def _authorise(self, given: Credentials, role: Role, what: str, operator: str = "") -> Badge:
        """The real rule's answers, scripted: role, not the operator, the PIN."""
        self.credentials_given.append(given)
        badge = self.badge(given.code)
        if badge.role is not role:
            raise Refused(f"badge {badge.code} is a {badge.role.value} badge: {what} refused")
        if badge.code == operator:
            raise Refused(f"badge {badge.code} is the operator of this run: {what} refused")
        if given.pin != FAKE_PIN:
            raise Refused(f"wrong PIN for badge {badge.code}")
        return badge

    def authorise_rework(
        self, shift: Shift, serial: str, supervisor: Credentials, reason: str
    ) -> ReworkAuthorisation:
        badge = self._authorise(supervisor, Role.SUPERVISOR, "rework", shift.operator.code)
        auth = ReworkAuthorisation(serial=serial, supervisor=badge.code, reason=reason)
        self.reworks.append(auth)
        return auth

    def run(
        self,
        shift: Shift,
        request: RunRequest,
        on_event: Callable[[Event], None],
        cancel: CancelToken,
    ) -> RunResult:
        self.runs.append(request)
        return _Run(self, shift, request, on_event, cancel).execute()

    def reprint_label(
        self, shift: Shift | None, serial: str, reason: str, by: Credentials
    ) -> LabelResult:
        operator = shift.operator.code if shift is not None else ""
        badge = self._authorise(by, Role.SUPERVISOR, "reprint", operator)
        self.reprints.append((serial, f"{reason} (authorised by {badge.code})"))
        if not self.printer_online:
            return LabelResult(
                printed=False,
                printer="zpl-tcp:10.0.0.9:9100",
                detail="printer offline: connection refused by 10.0.0.9:9100",
            )
        return LabelResult(printed=True, printer="zpl-tcp:10.0.0.9:9100", detail="sent to printer")

    # -- history --------------------------------------------------------------------------------
    def shift_history(self, shift: Shift, since: datetime, limit: int = 20) -> list[HistoryRow]:
        rows = [
            HistoryRow(
                attempt_id=a.attempt_id,
                serial=a.serial,
                outcome=a.outcome.value,
                failure_code=a.failure_code,
                cycle_time_s=a.cycle_time_s,
                ended_at=a.ended_at,
            )
            for a in self.attempts
            if a.ended_at >= since
        ]
        return list(reversed(rows))[:limit]

    def shift_counters(self, shift: Shift, since: datetime) -> ShiftCounters:
        mine = [a for a in self.attempts if a.ended_at >= since]
        passed = sum(a.outcome is Outcome.PASS for a in mine)
        failed = sum(a.outcome is Outcome.FAIL for a in mine)
        errors = sum(a.outcome is Outcome.ERROR for a in mine)
        aborted = sum(a.outcome is Outcome.ABORTED for a in mine)
        first: dict[str, Outcome] = {}
        for a in mine:
            first.setdefault(a.serial, a.outcome)
        judged = [o for o in first.values() if o in (Outcome.PASS, Outcome.FAIL, Outcome.ERROR)]
        fpy = sum(o is Outcome.PASS for o in judged) / len(judged) if judged else None
        return ShiftCounters(
            passed=passed, failed=failed, errors=errors, first_pass_yield=fpy, aborted=aborted
        )

    def trace(self, serial: str) -> list[Section]:
        mine = [a for a in self.attempts if a.serial == serial]
        if not mine:
            return []
        last = mine[-1]
        sections = [
            Section(
                "Pack",
                (
                    ("Serial", serial),
                    ("Status", last.outcome.value),
                    ("Attempts", str(len(mine))),
                ),
            ),
            Section(
                "Attempts",
                tuple(
                    (
                        f"#{a.attempt_id}",
                        f"{a.ended_at:%Y-%m-%d %H:%M} {a.outcome.value} {a.failure_code}".strip()
                        + (f" (rework: {a.rework.reason})" if a.rework else ""),
                    )
                    for a in mine
                ),
            ),
        ]
        if last.measurements:
            sections.append(
                Section(
                    "Measurements (last attempt)",
                    tuple((m.name, m.describe()) for m in last.measurements),
                )
            )
        return sections

    # -- engineer mode --------------------------------------------------------------------------
    def gauge_snapshot(self, shift: Shift | None) -> list[Section]:
        self.gauge_reads += 1
        millivolts = 16200 + self.gauge_reads
        return [
            Section(
                "Gauge",
                (
                    ("Device type", "0x4500"),
                    ("Firmware", "0x0101 build 0x0027"),
                    ("Security", "SEALED"),
                ),
            ),
            Section(
                "SBS",
                (
                    ("Voltage", f"{millivolts} mV"),
                    ("Current", "0 mA"),
                    ("Temperature", "24.8 °C"),
                    ("RelativeStateOfCharge", "48 %"),
                    ("Reads", str(self.gauge_reads)),
                ),
            ),
        ]

    def recipe_details(self, shift: Shift) -> list[Section]:
        r = shift.recipe
        return [
            Section(
                "Recipe",
                (
                    ("Name", r.name),
                    ("Version", r.version),
                    ("Hash", r.hash),
                    ("Product", r.product),
                    ("Serial pattern", r.serial_pattern),
                    ("Steps", ", ".join(s.value for s in r.steps)),
                ),
            )
        ]

    def recipe_diff_against_pack(self, shift: Shift) -> list[Section]:
        self.diffs += 1
        return [
            Section(
                "Differences (recipe → pack)",
                (
                    ("Design Capacity mAh", "6800 → 6600"),
                    ("Cell Overvoltage Threshold", "4250 → 4200"),
                ),
            )
        ]

    def engineer_mode(self, engineer: Credentials) -> Badge:
        return self._authorise(engineer, Role.ENGINEER, "engineer mode")

    def authorise_recipe_change(self, shift: Shift, supervisor: Credentials) -> Badge:
        return self._authorise(supervisor, Role.SUPERVISOR, "recipe change", shift.operator.code)

    def change_recipe(self, shift: Shift, recipe_hash: str, supervisor: Credentials) -> Shift:
        self.authorise_recipe_change(shift, supervisor)
        return self.start_shift(shift.operator, recipe_hash, shift.lot)

    def recipe_problems(self) -> list[RecipeProblem]:
        return list(self.problems)

    def release_recipe(self, path: Path, by: Credentials) -> Release:
        self._authorise(by, Role.ENGINEER, "release")
        self.released.append((path, by.code))
        if path.suffix != ".toml":
            raise Refused(f"{path} is not a recipe file (.toml)")
        choice = RecipeChoice(
            name=path.stem.upper(),
            version="2.0.0",
            hash="c0ffee000000" + _hash("12")[:52],
            description=f"released from {path.name}",
            serial_example="PK4S-000900",
            released_by=by.code,
            released_at=BASE_TIME,
        )
        self.recipes.append(choice)
        return Release(choice, already_released=False)


def _active(choice: RecipeChoice) -> ActiveRecipe:
    return ActiveRecipe(
        name=choice.name,
        version=choice.version,
        hash=choice.hash,
        description=choice.description,
        product="PK4S",
        serial_pattern=r"PK4S-\d{6}",
        serial_example=choice.serial_example,
        steps=ALL_STEPS,
        serial_form=f'"PK4S-" and six digits, e.g. {choice.serial_example}',
    )


class _Run:
    """One scripted run; the scenario is chosen by the serial."""

    def __init__(
        self,
        service: FakeStationService,
        shift: Shift,
        request: RunRequest,
        on_event: Callable[[Event], None],
        cancel: CancelToken,
    ) -> None:
        self.svc = service
        self.shift = shift
        self.request = request
        self.emit = on_event
        self.cancel = cancel
        self.results: list[StepResult] = []
        self.measurements: list[Measurement] = []
        self.start = service.clock.monotonic()

    def execute(self) -> RunResult:
        serial = self.request.serial
        steps = self.shift.recipe.steps
        attempt_id = len(self.svc.attempts) + 100
        self.emit(
            RunStarted(
                serial=serial,
                recipe_name=self.shift.recipe.name,
                recipe_version=self.shift.recipe.version,
                recipe_hash=self.shift.recipe.hash,
                steps=steps,
                started_at=BASE_TIME,
                attempt_id=attempt_id,
                rework_of=41 if self.request.rework else None,
            )
        )
        failure: Failure | None = None
        for index, step in enumerate(steps):
            if failure is None and self.cancel.requested:
                failure = _aborted(step, "pack untouched since the last completed step")
                self.emit(Notice(step, "Abort requested: stopping before " + step.value))
            if failure is not None:
                self.results.append(StepResult(step, Outcome.SKIPPED, 0.0))
                continue
            self.emit(StepStarted(step, index))
            failure = self._step(step)
            self.svc.clock.advance(STEP_SECONDS[step])
            outcome = Outcome.PASS if failure is None else failure.outcome
            result = StepResult(
                step=step,
                outcome=outcome,
                duration_s=STEP_SECONDS[step],
                failure=failure,
                measurements=tuple(m for m in self.measurements if m.name in _STEP_M[step]),
            )
            self.results.append(result)
            self.emit(StepFinished(result))
        outcome = Outcome.PASS if failure is None else failure.outcome
        label = (
            LabelResult(True, "zpl-tcp:10.0.0.9:9100", "sent to printer")
            if outcome is Outcome.PASS
            else None
        )
        cycle = self.svc.clock.monotonic() - self.start
        run = RunResult(
            attempt_id=attempt_id,
            serial=serial,
            outcome=outcome,
            failure=failure,
            steps=tuple(self.results),
            cycle_time_s=cycle,
            sealed=outcome is Outcome.PASS,
            label=label,
            bus_time_s=cycle * 0.8,
        )
        self.svc.attempts.append(
            _Attempt(
                attempt_id=attempt_id,
                serial=serial,
                outcome=outcome,
                failure_code=failure.code if failure else "",
                cycle_time_s=cycle,
                ended_at=BASE_TIME + timedelta(minutes=2 * len(self.svc.attempts) + 2),
                rework=self.request.rework,
                measurements=tuple(self.measurements),
            )
        )
        self.emit(RunFinished(run))
        return run

    def measure(self, step: StepId, m: Measurement) -> None:
        self.measurements.append(m)
        self.emit(MeasurementTaken(step, m))

    def _step(self, step: StepId) -> Failure | None:
        serial = self.request.serial
        if step is StepId.IDENTIFY:
            self.measure(step, Measurement("Device type", None, text="0x4500"))
            self.measure(step, Measurement("Firmware", None, text="0x0101"))
        elif step is StepId.UNSEAL and serial == SEALED_SERIAL:
            return make_failure(
                step,
                FailureCode.SEALED_UNKNOWN_KEYS,
                "The gauge is sealed with keys this station does not know.",
                "sealed, not changed",
            )
        elif step is StepId.BACKUP:
            self.emit(Notice(step, "Data flash backed up (8192 bytes)"))
        elif step is StepId.APPLY:
            return self._apply(step)
        elif step is StepId.VERIFY:
            cells = 3 if serial == CELLS_SERIAL else 4
            self.measure(step, Measurement("Pack voltage", 16.21, "V", 14.0, 16.8, Verdict.PASS))
            self.measure(step, Measurement("Temperature", 24.8, "°C", 15.0, 35.0, Verdict.PASS))
            self.measure(
                step,
                Measurement(
                    "Cell count",
                    float(cells),
                    "",
                    4.0,
                    4.0,
                    Verdict.of(cells == 4),
                ),
            )
            if cells != 4:
                return make_failure(
                    step,
                    FailureCode.CELL_COUNT,
                    "The gauge sees 3 cells; recipe PK4S-STD expects 4.",
                    "configured, not sealed; data flash restored from backup",
                )
        elif step is StepId.SEAL:
            self.measure(
                step, Measurement("Security mode", None, verdict=Verdict.PASS, text="SEALED")
            )
        return None

    def _apply(self, step: StepId) -> Failure | None:
        chunk = 23
        for done in range(chunk, FLASH_BLOCKS + 1, chunk):
            self.emit(StepProgress(step, done, FLASH_BLOCKS, f"block {done}/{FLASH_BLOCKS}"))
            if self.request.serial == NACK_SERIAL and done >= 92:
                self.emit(Notice(step, "NACK at block 92: restoring the backup"))
                return make_failure(
                    step,
                    FailureCode.BUS_NACK,
                    "The gauge stopped answering (NACK) while writing block 92 of 230.",
                    "data flash restored from backup; not sealed",
                )
            if self.svc.pause_in_apply and done == 115:
                self.svc.paused.set()
                # The test releases the run; an abort releases it too unless the test wants to
                # see the "aborting" state first. Bounded, so a forgotten release cannot hang.
                for _ in range(1000):
                    if self.svc.resume.wait(0.01):
                        break
                    if self.cancel.requested and not self.svc.hold_after_abort:
                        break
                if self.cancel.requested:
                    self.emit(Notice(step, "Abort: restoring the data-flash backup"))
                    return _aborted(step, "data flash restored from backup; not sealed")
        return None


def _aborted(step: StepId, pack_state: str) -> Failure:
    return make_failure(step, FailureCode.ABORTED, "Stopped by the operator.", pack_state)


_STEP_M: dict[StepId, frozenset[str]] = {
    StepId.IDENTIFY: frozenset({"Device type", "Firmware"}),
    StepId.VERIFY: frozenset({"Pack voltage", "Temperature", "Cell count"}),
    StepId.SEAL: frozenset({"Security mode"}),
}
_STEP_M.update({s: frozenset() for s in StepId if s not in _STEP_M})


def seed_history(service: FakeStationService) -> None:
    """Earlier packs of this shift, so history and counters have something to show."""
    earlier = [
        ("PK4S-000101", Outcome.PASS, "", 31.6),
        ("PK4S-000102", Outcome.PASS, "", 32.0),
        ("PK4S-000103", Outcome.FAIL, "CELL_COUNT", 29.4),
        ("PK4S-000104", Outcome.ERROR, "BUS_NACK", 22.8),
        ("PK4S-000104", Outcome.PASS, "", 32.4),
    ]
    for serial, outcome, code, cycle in earlier:
        service.attempts.append(
            _Attempt(
                attempt_id=len(service.attempts) + 100,
                serial=serial,
                outcome=outcome,
                failure_code=code,
                cycle_time_s=cycle,
                ended_at=BASE_TIME + timedelta(minutes=2 * len(service.attempts) + 2),
                rework=None,
            )
        )

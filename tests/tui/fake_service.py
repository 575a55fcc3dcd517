"""A scripted station for the pictures of the operator terminal (``test_snapshots``) and the
bring-up screen's note (``tests/bringup/test_terminal``).

Every behaviour test runs on the real station service (``tests/tui/real_station``). A snapshot
must be the same picture byte for byte on every run and machine, and the real station cannot
draw that: its store stamps records with the wall clock (a pack's "first seen" in the trace, the
audit log) and its header shows the database in the test's own folder. This station shows fixed
text instead: a database URL, two released recipes, a history, gauge values, at fixed times.

It answers only what those screens ask: badges by prefix, the engineer's PIN, serials
``PK4S-NNNNNN``, and a run script chosen by serial (PASS, or the 3-cell FAIL). ``run()`` emits
the events a real engine would, advances an injected clock by each step's duration, and can stop
inside *Apply recipe* until the test releases it (the running picture).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from station.clock import VirtualClock
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
    Readiness,
    RecipeChoice,
    RecipeProblem,
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
CELLS_SERIAL = "PK4S-000202"  # a 3-cell stack on a 4-cell recipe

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
    measurements: tuple[Measurement, ...] = ()


@dataclass
class FakeStationService:
    """Scripted station for fixed pictures (see the module's docstring)."""

    #: the fake engine moves it forward by each step's duration
    clock: VirtualClock = field(default_factory=lambda: VirtualClock(start=1000.0))
    #: stop inside Apply recipe (after half the blocks) until ``resume`` is set
    pause_in_apply: bool = False
    paused: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)
    gauge_reads: int = 0
    ready: Readiness = field(
        default_factory=lambda: Readiness(SocketState.PACK_DETECTED, "a gauge answers at 0x0B")
    )
    attempts: list[_Attempt] = field(default_factory=list)

    # -- set-up ---------------------------------------------------------------------------------
    def info(self) -> StationInfo:
        return StationInfo(
            station_id="ST-01",
            socket="A",
            bus="sim",
            emulated=True,
            database="postgresql+psycopg://line:***@db.plant.local/trace",
            printer="zpl-tcp:10.0.0.9:9100",
            software_version="0.1.0",
        )

    def badge(self, code: str) -> Badge:
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
        return list(RECIPES)

    def recipe_problems(self) -> list[RecipeProblem]:
        return []

    def find_released(self, name_or_hash: str) -> RecipeChoice:
        found = [c for c in RECIPES if name_or_hash.strip() in (c.name, c.hash)]
        if len(found) != 1:
            raise Refused(f"Recipe {name_or_hash!r} is not released on this station")
        return found[0]

    def start_shift(self, operator: Badge, recipe_hash: str, lot: str) -> Shift:
        (choice,) = [c for c in RECIPES if c.hash == recipe_hash]
        return Shift(operator=operator, recipe=_active(choice), lot=lot.strip())

    # -- one pack -------------------------------------------------------------------------------
    def partial_serial_ok(self, shift: Shift, text: str) -> bool:
        if len(text) > len(SERIAL_TEMPLATE):
            return False
        for char, want in zip(text, SERIAL_TEMPLATE, strict=False):
            if want == "#":
                if not char.isdigit():
                    return False
            elif char != want:
                return False
        return True

    def readiness(self) -> Readiness:
        return self.ready

    def check_serial(self, shift: Shift, serial: str) -> SerialCheck:
        if len(serial) != len(SERIAL_TEMPLATE) or not self.partial_serial_ok(shift, serial):
            return SerialCheck(
                serial=serial,
                valid=False,
                reason=f"{serial!r} is not a {shift.recipe.product} serial: expected "
                f"{shift.recipe.serial_form}",
            )
        return SerialCheck(serial=serial, valid=True, readiness=self.ready)

    def run(
        self,
        shift: Shift,
        request: RunRequest,
        on_event: Callable[[Event], None],
        cancel: CancelToken,
    ) -> RunResult:
        return _Run(self, shift, request, on_event, cancel).execute()

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
                        f"{a.ended_at:%Y-%m-%d %H:%M} {a.outcome.value} {a.failure_code}".strip(),
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
        badge = self.badge(engineer.code)
        if badge.role is not Role.ENGINEER:
            raise Refused(f"badge {badge.code} is not an engineer badge")
        if engineer.pin != FAKE_PIN:
            raise Refused(f"wrong PIN for badge {badge.code}")
        return badge


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
            if self.svc.pause_in_apply and done == 115:
                self.svc.paused.set()
                # The test releases the run, or the terminal closes and cancels it (the
                # snapshot of the running screen); bounded, so neither forgotten can hang.
                for _ in range(1000):
                    if self.svc.resume.wait(0.01) or self.cancel.requested:
                        break
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
            )
        )

"""One pack on one socket: the programming sequence, from scanned serial to recorded outcome.

The run is a list of steps. Each step either returns normally (PASS) or raises; the engine turns
what was raised into a :class:`Failure`, records the step at once, skips what follows, leaves the
pack in a state it can name, and always finishes the attempt in the database. Rules that protect
the pack live here, next to the steps they guard:

* nothing is written before a backup of what will be touched is stored;
* a pack whose verify failed is never sealed;
* an operator abort is honoured only at safe points, and an abort after writes began restores
  the backup and re-seals a pack that arrived sealed, so it is never left half-written unsaid.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from station import __version__
from station.gauge import Gauge, SecurityMode, UnsealRefusedError
from station.gauge.identity import GaugeIdentity
from station.gauge.security import key_problems
from station.recipe.errors import FirmwareMismatch, SerialRejected
from station.recipe.planning.flashstream_plan import FlashStreamPlan
from station.recipe.planning.writes import DFWrite, Target, WritePlan
from station.recipe.product.model import Recipe
from station.recipe.profile.image import BLOCK_SIZE, DataFlashImage
from station.sequence.calibration import (
    CalibrationFailed,
    CalibrationRecord,
    Calibrator,
    calibration_measurements,
    calibration_parameters,
    calibration_rows,
    read_back,
)
from station.sequence.context import PackConnection, SocketContext
from station.sequence.events import (
    STEP_TITLES,
    AttemptOpened,
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
from station.sequence.failures import AbortRequested, StepFailed, action_for, failure_from
from station.sequence.guards import check_before_run, check_connection
from station.sequence.instruments import socket_bench
from station.sequence.labelling import print_pass_label
from station.sequence.readiness import connect_ready
from station.sequence.verify import evaluate_checks, read_blocks
from station.store import (
    AttemptOutcome,
    AttemptStart,
    Claim,
    MeasurementOutcome,
    MeasurementRecord,
    ParameterChange,
    StepOutcome,
    StepRecord,
)
from station.store import ReworkAuthorisation as StoredRework
from station.store.errors import SerialBusyError, StoreError

log = logging.getLogger("station.sequence")

#: Steps of every run, in order; KEYS only when the recipe installs production keys.
BASE_STEPS: tuple[StepId, ...] = (
    StepId.SERIAL,
    StepId.IDENTIFY,
    StepId.UNSEAL,
    StepId.BACKUP,
    StepId.APPLY,
    StepId.RESET,
    StepId.CALIBRATE,
    StepId.VERIFY,
    StepId.KEYS,
    StepId.SEAL,
    StepId.LABEL,
    StepId.RECORD,
)


#: Audit actions of a production-key change: sent (the pack may hold either set), then proven.
KEY_CHANGE_SENT = "KEY_SET_CHANGE_SENT"
KEY_CHANGED = "KEY_SET_CHANGED"

#: Seconds between claim heartbeats during a run (the store's claim TTL is minutes).
HEARTBEAT_S = 30.0


def steps_for(recipe: Recipe) -> tuple[StepId, ...]:
    """KEYS only when the recipe installs production keys, CALIBRATE only when it has a
    [calibration] section."""
    skip = set()
    if not recipe.security.production_key_set:
        skip.add(StepId.KEYS)
    if recipe.calibration is None:
        skip.add(StepId.CALIBRATE)
    return tuple(s for s in BASE_STEPS if s not in skip)


@dataclass
class _PackState:
    """What the station did to the pack so far: enough to say what state it is left in."""

    arrived_mode: SecurityMode | None = None
    unsealed_by_us: bool = False
    writes_total: int = 0
    writes_done: int = 0
    #: writes sent, confirmed or not: one whose confirmation failed may still have taken
    writes_sent: int = 0
    df_verified: bool = False  # the data flash read back as planned
    verified: bool = False  # ... and every pack check passed
    sealed: bool = False
    seal_sent: bool = False  # the seal may have taken even if it was not confirmed
    keys_changed_to: str | None = None
    backup: DataFlashImage | None = None
    #: every data-flash write of the run, in the order sent (a FlashStream's, then the plan's)
    writes: tuple[DFWrite, ...] = ()
    before_image: int | None = None  # its id in the store
    plan: WritePlan | None = None
    target: Target | None = None

    @property
    def written(self) -> bool:
        """Whether the data flash may differ from the backup (a pack never to be re-sealed as
        untouched)."""
        return self.writes_sent > 0 or self.writes_done > 0

    def writes_text(self) -> str:
        text = f"{self.writes_done} of {self.writes_total} writes"
        if self.writes_sent > self.writes_done:
            text += f", write {self.writes_sent} unconfirmed"
        return text


@dataclass
class PackRun:
    """Programs one pack. Build one per pack; :meth:`execute` runs it to the end."""

    socket: SocketContext
    recipe: Recipe
    serial: str
    operator: str
    lot: str = ""
    rework: StoredRework | None = None
    on_event: Callable[[Event], None] = lambda event: None
    cancel: CancelToken = field(default_factory=CancelToken)

    def __post_init__(self) -> None:
        self._steps = steps_for(self.recipe)
        self._results: list[StepResult] = []
        self._pending: list[Measurement] = []
        self._state = _PackState()
        self._attempt_id: int | None = None
        self._claim: Claim | None = None
        self._conn: PackConnection | None = None
        self._identity: GaugeIdentity | None = None
        self._key_set_id = self.recipe.security.key_set
        self._fallback_key_set: str | None = None
        self._started = time.monotonic()
        self._started_at = self.socket.now()
        self._bus_started: float | None = None
        self._label: LabelResult | None = None
        self._last_beat = time.monotonic()

    # == the run ================================================================================

    def execute(self) -> RunResult:
        failure: Failure | None = None
        try:
            failure = self._open_attempt()
            if failure is None:
                failure = self._run_steps()
        finally:
            result = self._finish(failure)
            self._close()
        self.on_event(RunFinished(result))
        return result

    def _open_attempt(self) -> Failure | None:
        """Serial rules, the claim and the RUNNING attempt row: nothing touches the pack first."""
        store = self.socket.store
        self.on_event(
            RunStarted(
                serial=self.serial,
                recipe_name=self.recipe.name,
                recipe_version=self.recipe.version,
                recipe_hash=self.recipe.content_hash,
                steps=self._steps,
                started_at=self._started_at,
                rework_of=self.rework.rework_of if self.rework else None,
            )
        )
        started = self.socket.now()
        t0 = time.monotonic()
        self.on_event(StepStarted(StepId.SERIAL, 0))
        try:
            check_before_run(self.socket)
            unit = self.recipe.identify(self.serial)
            previous = store.last_pass(self.serial, emulated=self.socket.emulated)
            if previous is not None and self.rework is None:
                ended = previous.ended_at.isoformat(timespec="minutes") if previous.ended_at else ""
                raise StepFailed(
                    Failure(
                        StepId.SERIAL,
                        "SERIAL_ALREADY_PASSED",
                        f"pack {self.serial} already passed at station {previous.station_id} "
                        f"({ended}, attempt {previous.id})",
                        action_for("SERIAL_ALREADY_PASSED"),
                        pack_state="untouched by this run",
                    )
                )
            self._key_set_id = self._unseal_key_set()
            self._claim = store.claim(
                self.serial,
                self.socket.station_id,
                self.socket.socket,
                self.socket.host,
                self.socket.pid,
            )
            # A bus the station cannot use says nothing about the pack: refused as a station
            # fault before any attempt is written against the serial.
            self._conn, ready = connect_ready(self.socket, self.recipe)
            if self._conn is None:
                log.warning("scan of %s refused, %s", self.serial, ready.detail)
                raise StepFailed(ready.refusal(self.serial))
            self._attempt_id = store.start_attempt(
                AttemptStart(
                    serial=self.serial,
                    station_id=self.socket.station_id,
                    socket=self.socket.socket,
                    operator=self.operator,
                    recipe_name=self.recipe.name,
                    recipe_version=self.recipe.version,
                    recipe_hash=self.recipe.content_hash,
                    software_version=__version__,
                    key_set_id=self._key_set_id,
                    host=self.socket.host,
                    pid=self.socket.pid,
                    lot=self.lot,
                    work_order=self.lot,
                    started_at=self._started_at,
                    rework=self.rework,
                    emulated=self.socket.emulated,
                ),
                claim=self._claim,
            )
        except (StepFailed, SerialRejected, SerialBusyError, StoreError) as exc:
            failure = self._serial_failure(exc)
            self._refused(failure)
            result = StepResult(
                StepId.SERIAL, failure.outcome, time.monotonic() - t0, failure.reason, failure
            )
            self._results.append(result)
            self.on_event(StepFinished(result))
            return failure
        self.on_event(AttemptOpened(self._attempt_id, self.serial))
        if self._conn is not None and self.socket.bus_trace is not None:
            # The bus was opened (and asked whether a gauge answers) before the attempt
            # existed: the run's transactions go on under a header that names the attempt.
            self._conn.transport.trace = self.socket.trace_session(self._conn.bus)
        self.on_event(Notice(StepId.SERIAL, f"attempt {self._attempt_id} opened for {self.serial}"))
        self._measure(Measurement("serial", None, text=self.serial))
        if unit.sbs_serial is not None:
            self._measure(Measurement("SBS serial number", float(unit.sbs_serial)))
        self._record(StepId.SERIAL, 0, started, t0, Outcome.PASS, "serial accepted", None)
        return None

    def _serial_failure(self, exc: BaseException) -> Failure:
        if isinstance(exc, StepFailed):
            return exc.failure
        if isinstance(exc, SerialRejected):
            return Failure(
                StepId.SERIAL,
                "SERIAL_REJECTED",
                str(exc),
                action_for("SERIAL_REJECTED"),
                pack_state="untouched by this run",
            )
        if isinstance(exc, SerialBusyError):
            return Failure(
                StepId.SERIAL,
                "SERIAL_BUSY",
                str(exc),
                action_for("SERIAL_BUSY"),
                pack_state="untouched by this run",
            )
        failure = failure_from(StepId.SERIAL, exc)
        return Failure(
            failure.step,
            failure.code,
            failure.reason,
            failure.action,
            failure.outcome,
            "untouched by this run",
        )

    def _refused(self, failure: Failure) -> None:
        """A refused scan is not an attempt (nothing touched the pack) but it is audited."""
        if failure.code in {
            "SERIAL_ALREADY_PASSED",
            "SERIAL_BUSY",
            "CLOCK_IMPLAUSIBLE",
            "EMULATED_ON_PRODUCTION",
        }:
            try:
                self.socket.store.audit(
                    "SERIAL_REFUSED",
                    self.operator,
                    self.socket.station_id,
                    self.serial,
                    {"code": failure.code, "reason": failure.reason},
                )
            except StoreError:
                log.warning("could not audit the refused serial %s", self.serial)

    def _unseal_key_set(self) -> str:
        """Which key set opens this pack: the production set this station installed on it last
        (rework of a sealed pack), else the recipe's. When the last key change was sent but never
        proven, the pack holds one of two sets: :attr:`_fallback_key_set` keeps the other."""
        store = self.socket.store
        changes = [
            e
            for action in (KEY_CHANGED, KEY_CHANGE_SENT)
            for e in store.audit_entries(subject=self.serial, action=action)
        ]
        if not changes:
            return self.recipe.security.key_set
        last = max(changes, key=lambda e: e.id)
        to, before = last.detail.get("to"), last.detail.get("from")
        if last.action == KEY_CHANGE_SENT and isinstance(before, str) and before:
            self._fallback_key_set = before
        return to if isinstance(to, str) and to else self.recipe.security.key_set

    def _run_steps(self) -> Failure | None:
        handlers: dict[StepId, Callable[[], str]] = {
            StepId.IDENTIFY: self._identify,
            StepId.UNSEAL: self._unseal,
            StepId.BACKUP: self._backup,
            StepId.APPLY: self._apply,
            StepId.RESET: self._reset,
            StepId.CALIBRATE: self._calibrate,
            StepId.VERIFY: self._verify,
            StepId.KEYS: self._install_keys,
            StepId.SEAL: self._seal,
            StepId.LABEL: self._print_label,
        }
        for index, step in enumerate(self._steps):
            if step in (StepId.SERIAL, StepId.RECORD):
                continue
            started = self.socket.now()
            t0 = time.monotonic()
            self.on_event(StepStarted(step, index))
            outcome, failure = Outcome.PASS, None
            disagreed = self._disagreements()
            try:
                if not self._state.sealed:
                    self._checkpoint()
                self._heartbeat()
                summary = handlers[step]()
            except AbortRequested:
                failure = self._aborted(step)
                outcome, summary = Outcome.ABORTED, failure.reason
            except Exception as exc:
                failure = self._left_state(failure_from(step, exc))
                outcome, summary = failure.outcome, failure.reason
            self._note_disagreements(step, disagreed)
            try:
                self._record(step, index, started, t0, outcome, summary, failure)
            except Exception as exc:
                # A step that cannot be recorded ends the run: nothing is done to a pack that
                # the database cannot account for, and above all it is not sealed.
                lost = self._left_state(failure_from(step, exc))
                result = StepResult(step, Outcome.ERROR, time.monotonic() - t0, lost.reason, lost)
                self._results.append(result)
                self.on_event(StepFinished(result))
                return lost
            if failure is not None and not (step is StepId.LABEL and outcome is Outcome.ERROR):
                return failure
            # A printer fault does not unmake a pass: the pack is sealed and verified.
        return None

    def _disagreements(self) -> int:
        return self._conn.gauge.read_disagreements if self._conn is not None else 0

    def _note_disagreements(self, step: StepId, before: int) -> None:
        """Reads that disagreed (no PEC) were read again until two agreed: say so, and count."""
        n = self._disagreements() - before
        if n > 0:
            self._measure(Measurement("reads that disagreed and were read again", float(n)))
            self.on_event(
                Notice(step, f"{n} read(s) disagreed with the read before and were read again")
            )

    # == steps ==================================================================================

    def _identify(self) -> str:
        # The bus was opened, and found usable, before the attempt was written.
        assert self._conn is not None
        self._check_production_keys()
        check_connection(self.socket, self._conn.emulated, self._attempt)
        if self._conn.virtual_clock is not None:
            self._bus_started = self._conn.virtual_clock()
        gauge = self._gauge
        self._establish_pec(gauge)
        identity = gauge.identify()
        try:
            self.recipe.check_identity(identity.device_type, identity.firmware_version)
        except FirmwareMismatch:
            if gauge.pec:
                raise
            # Without PEC a pack is not put aside on one read: confirm the identity first.
            with gauge.confirming():
                identity = gauge.identify()
        self._identity = identity
        self._measure(Measurement("device type", None, text=identity.device_type_hex))
        self._measure(Measurement("firmware", None, text=identity.firmware_version))
        self._measure(Measurement("firmware build", float(identity.firmware_build)))
        self._measure(
            Measurement("hardware version", None, text=f"0x{identity.hardware_version:04X}")
        )
        self._measure(Measurement("ChemID", None, text=f"0x{identity.chem_id:04X}"))
        self.recipe.check_identity(identity.device_type, identity.firmware_version)
        mode = gauge.security_mode()
        self._state.arrived_mode = mode
        self._measure(Measurement("security mode on arrival", None, text=mode.name))
        return f"{identity.part} firmware {identity.firmware_version}, {mode.name.lower()}"

    def _establish_pec(self, gauge: Gauge) -> None:
        """Whether reads can be trusted one by one (PEC) or must be confirmed by a second read;
        production keys are never written or proven without PEC."""
        pec = gauge.establish_pec(self.socket.config.pec)
        self._measure(
            Measurement(
                "PEC",
                None,
                text="on: the gauge appends it"
                if pec
                else "off: the gauge sends none; every read that decides is read twice",
            )
        )
        if pec and self.socket.config.pec == "off":
            self.on_event(
                Notice(StepId.IDENTIFY, "the gauge appends PEC although pec = off: checking it")
            )
        key_set = self.recipe.security.production_key_set
        if key_set and not pec:
            raise StepFailed(
                Failure(
                    StepId.IDENTIFY,
                    "KEYS_NEED_PEC",
                    f"recipe {self.recipe.name} installs production key set {key_set}, and this "
                    "gauge appends no PEC to its answers (SBS Configuration HPE clear): a key "
                    "write garbled on the way could lock the pack for good, so it is refused",
                    action_for("KEYS_NEED_PEC"),
                    Outcome.ERROR,
                    "untouched by this run",
                )
            )

    def _check_production_keys(self) -> None:
        """Keys the gauge would misread are refused before the pack is touched, not after it
        was programmed and verified."""
        new_id = self.recipe.security.production_key_set
        if new_id is None:
            return
        problems = key_problems(self.socket.keys.get(new_id))
        if problems:
            raise StepFailed(
                Failure(
                    StepId.IDENTIFY,
                    "KEYS_UNUSABLE",
                    f"production key set {new_id} cannot be installed: {'; '.join(problems)}",
                    action_for("KEYS_UNUSABLE"),
                    Outcome.ERROR,
                    "untouched by this run",
                )
            )

    def _unseal(self) -> str:
        # Before the keys are sent: the pack may open even if its answer is lost, and a pack
        # that came sealed is then sealed again if the run stops (sealing a sealed one is a no-op).
        self._state.unsealed_by_us = self._state.arrived_mode is SecurityMode.SEALED
        try:
            mode = self._open_with(self._key_set_id)
        except UnsealRefusedError:
            # Only the one other set this station itself may have left in the pack (a key change
            # sent but never proven); never a search.
            if self._fallback_key_set is None:
                raise
            self.on_event(
                Notice(
                    StepId.UNSEAL,
                    f"key set {self._key_set_id} refused; the last key change on this pack was "
                    f"never proven, trying the set it replaced ({self._fallback_key_set})",
                )
            )
            self._key_set_id, self._fallback_key_set = self._fallback_key_set, None
            mode = self._open_with(self._key_set_id)
        self._measure(Measurement("security mode", None, text=mode.name))
        return f"{mode.name.lower()} with key set {self._key_set_id}"

    def _open_with(self, key_set_id: str) -> SecurityMode:
        gauge = self._gauge
        keys = self.socket.keys.get(key_set_id)
        mode = gauge.security_mode()
        if self.recipe.security.full_access or self.recipe.security.production_key_set:
            return gauge.full_access(keys)
        if mode is SecurityMode.SEALED:
            return gauge.unseal(keys)
        return mode

    def _backup(self) -> str:
        gauge = self._gauge
        today = self.socket.now().astimezone().date()
        self._state.target = target = self.recipe.target(self.serial, today)
        blocks = list(target.blocks())
        # The calibration constants are written through the same backed-up path as the recipe.
        for p in calibration_parameters(self.recipe):
            block = p.address - p.address % BLOCK_SIZE
            if block not in blocks:
                blocks.append(block)
        blocks.sort()
        if self.recipe.backup.policy == "full":
            blocks = list(range(0x4000, 0x6000, BLOCK_SIZE))
        # Without PEC the rows planning reads are confirmed by a second read: their bytes may be
        # written back, and the plan's safety checks judge them.
        image = read_blocks(
            gauge,
            blocks,
            self._progress(StepId.BACKUP),
            self._checkpoint,
            confirm=target.blocks(),
        )
        self._state.backup = image
        store = self.socket.store
        # One image per role: a set of blocks is stored once however many packs share it (the
        # before image of factory-fresh packs is the same for every pack).
        if self.recipe.backup.policy == "full":
            before = store.store_image(image.to_bytes(), 0x4000)
        else:
            before = store.store_blocks(image.blocks)
        store.link_images(self._attempt, before=before)
        self._state.before_image = before
        n = len(blocks)
        detail = f"{n} block{'s' if n != 1 else ''} ({n * BLOCK_SIZE} bytes) stored"
        if self.recipe.backup.signature:
            sig = gauge.static_df_signature()
            self._measure(
                Measurement(
                    "static DF signature before",
                    float(sig.value),
                    # The gauge's top bit (its own mismatch flag) read as a verdict beside PASS;
                    # the signature is the other 15 bits, kept as read in ``value``.
                    text=f"0x{sig.value & 0x7FFF:04X}",
                )
            )
        return detail

    def _apply(self) -> str:
        """The recipe's writes: a FlashStream's lines as written (its data-flash writes guarded
        and paced like any other), then the per-unit fields; a parameter or image recipe's
        planned writes. Either way every address written is checked against the profile's
        sign-off first, and every write is one the backup can undo."""
        state = self._state
        assert state.target is not None
        assert state.backup is not None
        gauge = self._gauge
        fs = self.recipe.fs_plan if self.recipe.mode == "flashstream" else None
        target, backup = state.target, state.backup
        # What the whole recipe changes, judged against the pack as backed up (verify, record).
        plan = self.recipe.plan(target, backup, speed_hz=self.socket.speed_hz)
        after_stream = backup
        if fs is not None:
            after_stream = backup.copy()
            for w in fs.df_writes:
                after_stream.apply(w.address, w.data)
        # What is left to write once the stream has run: the per-unit fields (all of it for a
        # parameter recipe).
        unit = (
            plan
            if fs is None
            else self.recipe.plan(target, after_stream, speed_hz=self.socket.speed_hz)
        )
        stream_writes = fs.df_writes if fs is not None else ()
        params = {
            p.key: p for p in (*(fs.parameters_written if fs else ()), *unit.parameters_written)
        }
        self.recipe.profile.check_write_allowed(
            params.values(), emulated=self._conn is not None and self._conn.emulated
        )
        state.plan = plan
        state.writes = (*stream_writes, *unit.writes)
        state.writes_total = len(state.writes)
        allowed = {a for p in params.values() for a in p.addresses}
        allowed.update(target.data)

        def guard(address: int, length: int) -> None:
            # Defence in depth: the plan only holds known bytes; refuse anything else outright.
            outside = [a for a in range(address, address + length) if a not in allowed]
            if outside:
                raise StepFailed(
                    Failure(
                        StepId.APPLY,
                        "UNKNOWN_ADDRESS",
                        f"write to 0x{outside[0]:04X} is not in the recipe's plan; refused",
                        action_for("UNVERIFIED_ADDRESS"),
                        Outcome.ERROR,
                    )
                )

        gauge.write_guard = guard
        progress = self._progress(StepId.APPLY)
        steps = (len(fs.stream.lines) if fs is not None else 0) + len(unit.writes)
        progress(0, steps)
        ran = self._run_flashstream(fs, progress, steps) if fs is not None else 0
        for n, write in enumerate(unit.writes, start=1):
            self._checkpoint()
            self._write(write.address, write.data)
            progress(ran + n, steps)
        self._record_parameters(plan)
        if plan.changes:
            shown = ", ".join(
                f"{c.name} {c.before_text} -> {c.after_text}" for c in plan.changes[:4]
            )
            more = f" and {len(plan.changes) - 4} more" if len(plan.changes) > 4 else ""
            self.on_event(Notice(StepId.APPLY, f"changed {shown}{more}"))
        if fs is not None:
            return (
                f"FlashStream {fs.stream.name}: {len(fs.stream.lines)} lines, "
                f"{len(stream_writes)} data-flash writes; {len(unit.writes)} per-unit writes"
            )
        if not plan.writes:
            return "the pack already holds every recipe value: nothing to write"
        return (
            f"{len(plan.writes)} writes, {plan.bytes_written} bytes, {len(plan.changes)} "
            "parameters changed"
        )

    def _write(self, address: int, data: bytes) -> None:
        """One data-flash write, counted so an abort or a failure knows what to undo."""
        state = self._state
        n = state.writes_done + 1
        state.writes_sent = n
        self._gauge.write_df(address, data)
        state.writes_done = n

    def _run_flashstream(
        self, fs: FlashStreamPlan, progress: Callable[[int, int], None], steps: int
    ) -> int:
        """The stream's lines as written; its data-flash writes through the guarded, paced
        driver; an operator abort honoured between lines. Returns the lines run."""
        from station.recipe.ti.flashstream import FlashStreamProgress, run_flashstream

        assert self._conn is not None
        gauge = self._gauge

        def on_line(p: FlashStreamProgress) -> None:
            if p.line.number in fs.mode_changing:
                gauge.forget_mode()
            progress(p.done, steps)

        # One program on the adapter: a stream's key words (two writes to 0x00) and its
        # write-then-wait lines must not be split by another user of the adapter.
        with self._conn.transport.lock:
            result = run_flashstream(
                fs.stream,
                self._conn.transport,
                self._conn.clock,
                progress=on_line,
                checkpoint=self._checkpoint,
                write_df=self._write,
            )
        # Key words or a reset in the stream may have changed the mode behind the driver.
        gauge.forget_mode()
        if gauge.security_mode() is SecurityMode.SEALED:
            gauge.unseal(self.socket.keys.get(self._key_set_id))
            self.on_event(Notice(StepId.APPLY, "the FlashStream left the gauge sealed; unsealed"))
        return result.lines_run

    def _reset(self) -> str:
        gauge = self._gauge
        mode = gauge.reset()
        if mode is SecurityMode.SEALED:
            # Whether a reset re-seals is not documented for every firmware: open it again.
            keys = self.socket.keys.get(self._key_set_id)
            mode = gauge.unseal(keys)
            self.on_event(Notice(StepId.RESET, "the reset re-sealed the gauge; unsealed again"))
        self._measure(Measurement("security mode after reset", None, text=mode.name))
        return f"gauge answered after reset ({mode.name.lower()})"

    def _calibrate(self) -> str:
        """The recipe's calibration against the socket's reference instruments; its writes go
        through the run's write path (guarded, counted, undone on abort) and are read back."""
        plan = self.recipe.calibration
        assert plan is not None
        conn = self._conn
        assert conn is not None
        state = self._state
        gauge = self._gauge
        profile = self.recipe.profile
        params = calibration_parameters(self.recipe)
        profile.check_write_allowed(params, emulated=conn.emulated)
        allowed = {a for p in params for a in p.addresses}
        planned = gauge.write_guard

        def guard(address: int, length: int) -> None:
            if not all(a in allowed for a in range(address, address + length)):
                if planned is None:
                    raise CalibrationFailed(f"write to 0x{address:04X} is not a constant")
                planned(address, length)

        def write(address: int, data: bytes) -> None:
            p = profile.parameter_at(address)
            state.writes = (*state.writes, DFWrite(address, data, (p.name if p else "",)))
            state.writes_total += 1
            self._checkpoint()
            self._write(address, data)
            read_back(gauge, address, data)

        today = self.socket.now().astimezone().date()
        device = conn.bus.device if conn.emulated else None
        bench = socket_bench(self.socket.config, device, today, ask=self.socket.instrument_ask)
        calibrator = Calibrator(
            gauge, profile, plan, bench, writer=write, cells=self.recipe.cells,
            progress=lambda text: self.on_event(Notice(StepId.CALIBRATE, text)),
        )  # fmt: skip
        gauge.write_guard = guard
        try:
            record = calibrator.run()
        finally:
            gauge.write_guard = planned
            bench.close()
            if calibrator.record is not None:
                self._record_calibration(calibrator.record)
        return (
            f"{len([c for c in record.changes if c.old_bytes != c.new_bytes])} constants "
            f"written, {len(record.residuals)} readings within tolerance, {record.frames} frames"
        )

    def _record_calibration(self, record: CalibrationRecord) -> None:
        for m in calibration_measurements(record):
            self._measure(m)
        self.socket.store.record_calibration(self._attempt, calibration_rows(record))

    def _verify(self) -> str:
        gauge = self._gauge
        plan = self._state.plan
        problems: list[str] = []
        if plan is not None:
            checks = plan.final_check
            image = read_blocks(
                gauge,
                [c.address for c in checks],
                self._progress(StepId.VERIFY),
                self._checkpoint,
                confirm=[c.address for c in checks],
            )
            if image.blocks:
                # Kept as a difference from the before image: mostly the same bytes.
                after = self.socket.store.store_blocks(image.blocks, base=self._state.before_image)
                self.socket.store.link_images(self._attempt, after=after)
            wrong = [a for c in checks for a in c.mismatches(image.blocks[c.address])]
            self._measure(
                Measurement(
                    "data-flash bytes differing",
                    float(len(wrong)),
                    "bytes",
                    0,
                    0,
                    Verdict.of(not wrong),
                )
            )
            if wrong:
                names = sorted(
                    {
                        plan.profile.short_name(p)
                        for a in wrong
                        if (p := plan.profile.parameter_at(a)) is not None
                    }
                )
                problems.append(
                    f"{len(wrong)} data-flash bytes read back wrong at "
                    f"{', '.join(f'0x{a:04X}' for a in wrong[:6])} ({', '.join(names[:4])})"
                )
                code = "VERIFY_MISMATCH"
                raise StepFailed(
                    Failure(
                        StepId.VERIFY,
                        code,
                        problems[0] + "; the pack was not sealed",
                        action_for(code),
                    )
                )
        self._state.df_verified = True
        with gauge.confirming():
            outcomes = evaluate_checks(gauge, self.recipe)
        first_bad: tuple[str, str] | None = None
        for m, code in outcomes:
            self._measure(m)
            if m.verdict is Verdict.FAIL and first_bad is None:
                first_bad = (code, m.describe())
        if first_bad is not None:
            code, text = first_bad
            raise StepFailed(
                Failure(
                    StepId.VERIFY,
                    code,
                    f"check failed: {text}; the pack was not sealed",
                    action_for(code),
                )
            )
        self._state.verified = True
        return "data flash and pack checks pass"

    def _install_keys(self) -> str:
        new_id = self.recipe.security.production_key_set
        assert new_id is not None
        gauge = self._gauge
        new = self.socket.keys.get(new_id)
        gauge.full_access(self.socket.keys.get(self._key_set_id))
        change = {"from": self._key_set_id, "to": new_id, "attempt": self._attempt}
        # Written before the keys are sent: from the send on, the pack may hold either set (the
        # write may take even if its answer is lost), and a later attempt on this serial must
        # know both. KEY_SET_CHANGED below says which one it holds once that is proven.
        self.socket.store.audit(
            KEY_CHANGE_SENT, self.operator, self.socket.station_id, self.serial, change
        )
        gauge.set_security_keys(new)
        self._state.keys_changed_to = new_id
        self._state.seal_sent = True
        gauge.seal()
        self._state.sealed = True
        try:
            # Both halves: unseal, then full access. A key write that was garbled on the way
            # (no PEC) may leave the unseal keys right and the full-access keys unknown.
            mode = gauge.full_access(new)
        except UnsealRefusedError as exc:
            self._state.sealed = exc.mode is SecurityMode.SEALED
            raise StepFailed(
                Failure(
                    StepId.KEYS,
                    "KEYS_NOT_PROVEN",
                    f"after installing key set {new_id} the pack did not open with it "
                    f"({exc}); it is {exc.mode.label}",
                    action_for("KEYS_NOT_PROVEN"),
                    pack_state=f"programmed and verified, {exc.mode.label}, with keys that are "
                    f"not all those of key set {new_id}",
                )
            ) from None
        except Exception as exc:
            # The bus failed, not the keys: the unseal may have taken.
            lost = failure_from(StepId.KEYS, exc)
            raise StepFailed(
                replace(
                    lost,
                    pack_state=f"programmed, verified and sealed with key set {new_id}; the "
                    "unseal that proves the keys got no answer, so it may be UNSEALED. Running "
                    "the pack again completes it",
                )
            ) from None
        self._state.sealed = self._state.seal_sent = False
        self._key_set_id = new_id
        self.socket.store.audit(
            KEY_CHANGED, self.operator, self.socket.station_id, self.serial, change
        )
        self._measure(
            Measurement(
                "production keys proven", None, verdict=Verdict.PASS, text=f"{new_id}: {mode.name}"
            )
        )
        return f"key set {new_id} installed and proven (seal, unseal, full access)"

    def _seal(self) -> str:
        if not self._state.verified:
            # Unreachable by construction; kept because sealing an unverified pack is the one
            # mistake the station must never make.
            raise StepFailed(
                Failure(
                    StepId.SEAL,
                    "NOT_VERIFIED",
                    "refusing to seal a pack that did not verify",
                    action_for("VERIFY_MISMATCH"),
                    Outcome.ERROR,
                )
            )
        gauge = self._gauge
        self._state.seal_sent = True
        gauge.seal()
        self._state.sealed = True
        mode = gauge.reset()
        self._measure(
            Measurement(
                "security mode after seal and reset",
                None,
                text=mode.name,
                verdict=Verdict.of(mode is SecurityMode.SEALED),
            )
        )
        if mode is not SecurityMode.SEALED:
            self._state.sealed = False
            raise StepFailed(
                Failure(
                    StepId.SEAL,
                    "SEAL_FAILED",
                    f"after seal and reset the gauge reports {mode.name}",
                    action_for("SEAL_FAILED"),
                    pack_state=f"programmed and verified but {mode.name}: it did NOT seal",
                )
            )
        if self.recipe.security.ship_mode:
            gauge.shutdown()
            gauge.wait_silent()
            self._measure(Measurement("ship mode", None, verdict=Verdict.PASS, text="gauge silent"))
            return "sealed (confirmed after reset); ship mode entered"
        return "sealed (confirmed after reset)"

    def _print_label(self) -> str:
        assert self._attempt_id is not None
        self._label = print_pass_label(
            self.socket, self.recipe, self.serial, self._attempt_id, self.operator
        )
        if not self._label.printed:
            raise StepFailed(
                Failure(
                    StepId.LABEL,
                    self._label.failure_code or "PRINTER_ERROR",
                    self._label.detail,
                    action_for(self._label.failure_code or "PRINTER_ERROR"),
                    Outcome.ERROR,
                    "sealed and PASS; label NOT printed",
                )
            )
        return self._label.detail

    # == safe points, abort, cleanup ============================================================

    def _checkpoint(self) -> None:
        if self.cancel.requested and not self._state.sealed:
            raise AbortRequested

    def _aborted(self, step: StepId) -> Failure:
        state = self._state
        if state.written:
            note = self._rollback()
        elif state.unsealed_by_us:
            note = self._reseal("nothing was written")
        else:
            note = "nothing was written"
        return Failure(
            step,
            "ABORTED",
            f"aborted by the operator during {STEP_TITLES[step]}",
            action_for("ABORTED"),
            Outcome.ABORTED,
            note,
        )

    def _rollback(self) -> str:
        """Put back the bytes this run wrote, from the backup, then re-seal if it came sealed."""
        state = self._state
        assert state.backup is not None
        self.on_event(Notice(StepId.APPLY, "aborting: restoring the backed-up data flash"))
        gauge = self._gauge
        try:
            # Every write sent, confirmed or not, is put back (restoring one that did not take
            # is harmless).
            done = state.writes[: max(state.writes_done, state.writes_sent)]
            for write in done:
                original = state.backup.read(write.address, len(write.data))
                assert original is not None
                gauge.write_df(write.address, original)
            blocks = sorted({w.address - w.address % BLOCK_SIZE for w in done})
            back = read_blocks(gauge, blocks, None, None, confirm=blocks)
            if any(back.blocks[b] != state.backup.blocks[b] for b in blocks):
                raise RuntimeError("the restored blocks do not read back as backed up")
        except Exception as exc:
            return (
                f"UNSEALED, data flash PARTIALLY written ({state.writes_text()}) and the restore "
                f"failed ({exc}); run the pack again to complete it"
            )
        state.writes_done = state.writes_sent = 0
        return self._reseal("data flash restored from the backup")

    def _reseal(self, what: str) -> str:
        if not self._state.unsealed_by_us:
            arrived = self._state.arrived_mode
            return f"{what}; left {arrived.name if arrived else 'as found'}"
        try:
            self._gauge.seal()
        except Exception:
            return f"{what}; re-sealing failed, so it may be left UNSEALED"
        return f"{what}; sealed again as it arrived"

    def _left_state(self, failure: Failure) -> Failure:
        """Say what state a failure leaves the pack in, and re-seal one nothing was written to."""
        state = self._state
        if failure.pack_state:
            return failure
        if state.sealed:
            what = "sealed"
        elif state.seal_sent:
            what = (
                "programmed and verified; the seal was sent but not confirmed, so the pack may "
                "be SEALED or UNSEALED. Running the pack again (rework if asked) completes it"
            )
        elif state.df_verified and not state.verified:
            what = (
                "UNSEALED: programmed and read back correctly, but the pack checks did not "
                "pass; it was NOT sealed"
            )
        elif state.written and not state.verified:
            what = (
                # What to do is the failure code's one action (failures.ACTIONS), not said here.
                f"UNSEALED, data flash written ({state.writes_text()}) but not verified; it was "
                "NOT sealed"
            )
        elif state.verified:
            what = "UNSEALED, programmed and verified but NOT sealed; run it again to seal it"
        elif state.unsealed_by_us and self._conn is not None:
            # Nothing changed: give the pack back sealed, as it came (best effort on a bad bus).
            what = self._reseal("nothing was written")
        else:
            what = "nothing was written"
        return Failure(
            failure.step, failure.code, failure.reason, failure.action, failure.outcome, what
        )

    # == results and records ====================================================================

    def _finish(self, failure: Failure | None) -> RunResult:
        skipped_from = len(self._results)
        for step in self._steps[skipped_from:]:
            if step is StepId.RECORD:
                continue
            self._results.append(StepResult(step, Outcome.SKIPPED, 0.0, "not run"))
        outcome = failure.outcome if failure is not None else Outcome.PASS
        if failure is None and not (self._state.verified and self._state.sealed):
            failure = Failure(
                StepId.RECORD,
                "NOT_PROVEN",
                "the run ended without verify and seal",
                action_for(""),
                Outcome.ERROR,
            )
            outcome = Outcome.ERROR
        record = self._record_outcome(outcome, failure)
        if record is not None:
            failure, outcome = record, record.outcome
        cycle = time.monotonic() - self._started
        bus_time = None
        if (
            self._conn is not None
            and self._conn.virtual_clock is not None
            and self._bus_started is not None
        ):
            bus_time = self._conn.virtual_clock() - self._bus_started
        return RunResult(
            attempt_id=self._attempt_id,
            serial=self.serial,
            outcome=outcome,
            failure=failure,
            steps=tuple(self._results),
            cycle_time_s=cycle,
            sealed=self._state.sealed,
            label=self._label,
            bus_time_s=bus_time,
        )

    def _record_outcome(self, outcome: Outcome, failure: Failure | None) -> Failure | None:
        """The RECORD step: finish the attempt. Returns a failure if recording itself failed."""
        if self._attempt_id is None:
            return None
        started = self.socket.now()
        t0 = time.monotonic()
        index = len(self._steps) - 1
        self.on_event(StepStarted(StepId.RECORD, index))
        stored = {
            Outcome.PASS: AttemptOutcome.PASS,
            Outcome.FAIL: AttemptOutcome.FAIL,
            Outcome.ERROR: AttemptOutcome.ERROR,
            Outcome.ABORTED: AttemptOutcome.ABORTED,
        }[outcome]
        try:
            self._record(
                StepId.RECORD,
                index,
                started,
                t0,
                Outcome.PASS,
                f"attempt {self._attempt_id}: {outcome.value}",
                None,
                emit=False,
            )
            self.socket.store.finish_attempt(
                self._attempt_id,
                stored,
                failure_code=failure.code if failure else None,
                failing_step=failure.step.value if failure else None,
                reason=(f"{failure.reason} | pack: {failure.pack_state}" if failure else None),
                cycle_time_s=time.monotonic() - self._started,
            )
        except Exception as exc:
            log.exception("could not record attempt %s", self._attempt_id)
            state = self._pack_state_now(failure)
            recorded = Failure(
                StepId.RECORD,
                getattr(exc, "failure_code", "DB_UNAVAILABLE"),
                f"the result could not be recorded ({exc}); the attempt will show as INTERRUPTED",
                action_for("DB_UNAVAILABLE"),
                Outcome.ERROR,
                f"{state}; keep it aside and run it again (rework) once the database is back",
            )
            result = StepResult(
                StepId.RECORD, Outcome.ERROR, time.monotonic() - t0, recorded.reason, recorded
            )
            self._results.append(result)
            self.on_event(StepFinished(result))
            return recorded
        result = StepResult(
            StepId.RECORD,
            Outcome.PASS,
            time.monotonic() - t0,
            f"attempt {self._attempt_id} recorded as {outcome.value}",
        )
        self._results.append(result)
        self.on_event(StepFinished(result))
        return None

    def _pack_state_now(self, failure: Failure | None) -> str:
        """What the pack is left as: what the failure found, else what the gauge last said."""
        if failure is not None and failure.pack_state:
            return failure.pack_state
        mode = self._conn.gauge.last_reported_mode if self._conn is not None else None
        if mode is SecurityMode.SEALED:
            return "sealed" + (" and programmed" if self._state.verified else "")
        if mode is not None:
            return f"{mode.name}: not sealed"
        return "not touched" if self._conn is None else "in an unknown state"

    def _record(
        self,
        step: StepId,
        index: int,
        started: datetime,
        t0: float,
        outcome: Outcome,
        summary: str,
        failure: Failure | None,
        *,
        emit: bool = True,
    ) -> None:
        duration = time.monotonic() - t0
        measurements = tuple(self._pending)
        self._pending.clear()
        if self._attempt_id is not None:
            self.socket.store.record_step(
                self._attempt_id,
                StepRecord(
                    ordinal=index,
                    name=STEP_TITLES[step],
                    kind=step.value,
                    outcome=StepOutcome(outcome.value),
                    started_at=started,
                    ended_at=self.socket.now(),
                    duration_s=duration,
                    failure_code=failure.code if failure else None,
                    message=summary if failure is None else f"{failure.reason}",
                    details={"pack_state": failure.pack_state} if failure else {},
                    measurements=tuple(_to_record(m) for m in measurements),
                ),
            )
        if emit:
            result = StepResult(step, outcome, duration, summary, failure, measurements)
            self._results.append(result)
            self.on_event(StepFinished(result))

    def _record_parameters(self, plan: WritePlan) -> None:
        changes = [
            ParameterChange(name=c.name, before=c.before_text, after=c.after_text)
            for c in plan.changes
        ]
        if changes:
            self.socket.store.record_parameters(self._attempt, changes)

    def _measure(self, m: Measurement) -> None:
        self._pending.append(m)
        self.on_event(MeasurementTaken(self._current_step(), m))

    def _current_step(self) -> StepId:
        done = len(self._results)
        return self._steps[min(done, len(self._steps) - 1)]

    def _progress(self, step: StepId) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self.on_event(StepProgress(step, done, total))

        return report

    def _heartbeat(self) -> None:
        # The claim's time-to-live is minutes; a beat every HEARTBEAT_S is plenty, and a
        # database write per step is not.
        now = time.monotonic()
        if self._claim is not None and now - self._last_beat >= HEARTBEAT_S:
            self._claim = self.socket.store.heartbeat(self._claim)
            self._last_beat = now

    def _close(self) -> None:
        if self._claim is not None:
            try:
                self.socket.store.release(self._claim)
            except StoreError:
                log.warning("could not release the claim on %s", self.serial)
        if self._conn is not None:
            self._conn.close()

    @property
    def _gauge(self) -> Gauge:
        assert self._conn is not None
        return self._conn.gauge

    @property
    def _attempt(self) -> int:
        assert self._attempt_id is not None
        return self._attempt_id


def _to_record(m: Measurement) -> MeasurementRecord:
    # Stored as judged: the store never judges an engine measurement again.
    return MeasurementRecord(
        name=m.name,
        value=m.value,
        text=m.text,
        unit=m.unit,
        low=m.low,
        high=m.high,
        outcome=MeasurementOutcome(m.verdict.value),
    )

"""What every campaign checks after a run on a faulty bus, and how a run is observed.

A run is observed from outside, like a technician with a second tool: the emulator's data flash
and security mode before and after, which step was running at each bus transaction (from the
events), the run's result, and what the database holds for the serial.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.bus.spec import BusSpec, OpenedBus
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, FaultPlan, open_emulator
from station.keys import KeyPair, KeySet, KeyStore
from station.recipe.planning.writes import Target
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.events import Event, Outcome, RunResult, RunStarted, StepId, StepStarted
from station.sequence.failures import FAILURES, FailureCode
from station.sequence.socket_context import PackConnection, SocketContext
from station.store import AttemptOutcome, Store
from tests.sequence.conftest import RECIPE_4S, Bench

SERIAL = "PK4S-000123"
DF_START, DF_END = 0x4000, 0x6000
#: A supervisor badge for reworks of packs that already passed.
SUPERVISOR = "SUP-0042"
_BEFORE_WRITES = (StepId.SERIAL, StepId.IDENTIFY, StepId.UNSEAL, StepId.BACKUP)
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def full_sweep() -> bool:
    """STATION_FULL_SWEEP=1 runs every transaction index, every seed and every kill."""
    return os.environ.get("STATION_FULL_SWEEP", "") not in ("", "0")


@dataclass
class Observed:
    """One run as seen from outside the station."""

    result: RunResult
    #: (step, index of the first bus transaction of the step), in the order the steps started.
    starts: list[tuple[StepId, int]]
    df_before: bytes
    df_after: bytes
    mode_before: str
    mode_after: str
    target: Target | None
    transactions: tuple[int, int]  # first index of the run, next index after it
    events: list[Event] = field(default_factory=list)

    def step_at(self, index: int) -> StepId:
        """The step that was running when the run made bus transaction ``index``."""
        running = self.starts[0][0]
        for step, first in self.starts:
            if first <= index:
                running = step
        return running

    @property
    def wrote(self) -> bool:
        return self.df_before != self.df_after


def observe(
    bench: Bench,
    serial: str = SERIAL,
    *,
    recipe: Recipe | None = None,
    rework_by: str | None = None,
) -> Observed:
    device = bench.device
    before = device.df_peek(DF_START, DF_END - DF_START)
    mode_before = device.security_mode
    first = device.transaction_count
    starts: list[tuple[StepId, int]] = []
    events: list[Event] = []

    def on_event(event: Event) -> None:
        if isinstance(event, StepStarted):
            starts.append((event.step, bench.device.transaction_count))

    result = bench.run(serial, recipe=recipe, events=events, on_event=on_event, rework_by=rework_by)
    started = next((e for e in events if isinstance(e, RunStarted)), None)
    target = None
    if started is not None and result.attempt_id is not None:
        # The same target the run computed: the recipe's bytes for this serial and date.
        target = (recipe or bench.recipe).target(serial, started.started_at.astimezone().date())
    return Observed(
        result=result,
        starts=starts,
        df_before=before,
        df_after=bench.device.df_peek(DF_START, DF_END - DF_START),
        mode_before=mode_before,
        mode_after=bench.device.security_mode,
        target=target,
        transactions=(first, bench.device.transaction_count),
        events=events,
    )


def recipe_bytes_wrong(device: EmulatedGauge, target: Target) -> list[int]:
    """Addresses where the pack's data flash differs from the recipe (through the verify mask:
    bytes the recipe does not verify are left out)."""
    wrong = []
    for address, value in sorted(target.data.items()):
        if address in target.no_verify:
            continue
        if device.df_peek(address, 1)[0] != value:
            wrong.append(address)
    return wrong


def check_run(
    bench: Bench, seen: Observed, *, fault_at: int | None = None, bus_back: bool = False
) -> None:
    """Everything that must hold after any run, whatever the bus did.

    * it ends PASS, or FAIL/ERROR/ABORTED with a failure that names a step, a code, a reason,
      an action and the pack's state; the failing step is not before the step running at the
      fault; what the pack state says about sealing is true;
    * with ``bus_back`` (the pack answers again after the fault), a pack that came sealed and
      failed before any write was sent is sealed again;
    * the pack is never sealed with data flash that differs from the recipe, and a pack left
      sealed by a run that did not pass holds what it held before (or the recipe, verified);
    * the database holds the attempt with its steps, under the same outcome; a PASS only for a
      pack that is sealed and verified.
    """
    result = seen.result
    failure = result.failure
    if result.outcome is Outcome.PASS:
        # A PASS may carry a failure only for the label (the printer), never for the pack.
        assert failure is None or failure.step is StepId.LABEL, failure
    else:
        assert result.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.ABORTED), result.outcome
        assert failure is not None
        assert isinstance(failure.step, StepId)
        assert _CODE.match(failure.code), failure.code
        assert failure.code != "STATION_FAULT", failure.reason
        assert failure.reason
        # the table's own action and outcome for the code: no catch-all, no second opinion
        row = FAILURES[FailureCode(failure.code)]
        assert (failure.action, failure.outcome) == (row.action, row.fault.outcome), failure
        assert failure.pack_state
        said = _mode_claimed(failure.pack_state)
        if said is not None:
            # What the operator is told about the pack's security mode is true.
            assert (seen.mode_after == "SEALED") is said, (failure.pack_state, seen.mode_after)
        if fault_at is not None:
            order = list(StepId)
            running = seen.step_at(fault_at)
            assert order.index(failure.step) >= order.index(running), (
                f"failed at {failure.step.value}, before the step running at the fault "
                f"({running.value})"
            )

    device = bench.device
    sealed = seen.mode_after == "SEALED"
    if sealed and seen.wrote:
        assert seen.target is not None
        wrong = recipe_bytes_wrong(device, seen.target)
        assert not wrong, f"SEALED with {len(wrong)} bytes unlike the recipe: {wrong[:6]}"
    if sealed and result.outcome is not Outcome.PASS and seen.wrote:
        # Sealed without a PASS: only a pack that verified before the seal may differ from what
        # it held before this run (the run then failed while sealing, after the data was proven).
        verified = any(r.step is StepId.VERIFY and r.outcome is Outcome.PASS for r in result.steps)
        assert verified, "left SEALED, written, not verified"
    before_writes = failure is not None and failure.step in _BEFORE_WRITES
    if bus_back and seen.mode_before == "SEALED" and before_writes:
        # The pack answers again after the fault: one that came sealed and failed before any
        # write was sent is given back sealed, as it came.
        assert not seen.wrote
        assert sealed, f"came SEALED, failed before writing, left {seen.mode_after}"
    if result.outcome is Outcome.PASS:
        assert result.sealed
        assert sealed, f"PASS but the pack is {seen.mode_after}"
        assert seen.target is not None
        assert not recipe_bytes_wrong(device, seen.target)

    check_recorded(bench.store, seen)


def _mode_claimed(pack_state: str) -> bool | None:
    """Whether a failure's pack state says the pack is sealed (True), not sealed (False), or
    makes no claim (None: it says nothing, or that it does not know)."""
    if "may be" in pack_state:
        return None
    if re.search(r"\bUNSEALED\b|FULL.ACCESS|NOT sealed|did NOT seal", pack_state):
        return False
    if re.search(r"\bsealed\b|\bSEALED\b", pack_state):
        return True
    return None


def check_recorded(store: Store, seen: Observed) -> None:
    result = seen.result
    assert result.attempt_id is not None, result.failure
    trace = store.trace(result.serial)
    assert trace is not None
    attempt = next(a for a in trace.attempts if a.summary.id == result.attempt_id)
    stored = attempt.summary.outcome
    assert stored is AttemptOutcome(result.outcome.value), (stored, result.outcome)
    assert attempt.steps, "no steps recorded"
    assert attempt.steps[-1].kind == "record"
    kinds = [s.kind for s in attempt.steps]
    if result.failure is not None and result.outcome is not Outcome.PASS:
        assert attempt.summary.failure_code == result.failure.code
        assert attempt.summary.failing_step == result.failure.step.value
        assert result.failure.step.value in kinds
    if stored is AttemptOutcome.PASS:
        passed = {s.kind for s in attempt.steps if s.outcome.value == "PASS"}
        assert {"verify", "seal"} <= passed, kinds


def clear_faults(device: EmulatedGauge) -> None:
    """The fixture is fixed: no more faults (a pack that was gone is back)."""
    device.faults = FaultPlan()


def check_fresh_attempt(bench: Bench, previous: Observed, serial: str = SERIAL) -> Observed:
    """Once the fault is cleared, the same pack passes: a rework if it had already passed (it
    must still unseal with the right keys if the run left it sealed)."""
    clear_faults(bench.device)
    rework = SUPERVISOR if bench.store.last_pass(serial, emulated=True) is not None else None
    again = observe(bench, serial, rework_by=rework)
    assert again.result.outcome is Outcome.PASS, (
        f"fresh attempt after {previous.result.outcome.value} "
        f"{previous.result.failure.code if previous.result.failure else ''}: "
        f"{again.result.failure}"
    )
    check_run(bench, again)
    history = bench.store.pack_history(serial)
    assert history[-1].outcome is AttemptOutcome.PASS
    assert history[-1].id == again.result.attempt_id
    return again


@functools.cache
def recipe_4s() -> Recipe:
    """The 4S3P recipe (recipes/pk4s3p-3500.toml), loaded once."""
    return load_recipe(RECIPE_4S)


#: An emulator-test production key set (never a real pack's keys).
PRODUCTION_KEYS = KeySet(
    "acme-prod", unseal=KeyPair.of(0xA5C3, 0x5A3C), full_access=KeyPair.of(0xC3A5, 0x3C5A)
)


@functools.cache
def _production_recipe() -> Recipe:
    """The 4S3P recipe, installing production keys (FULL ACCESS, then the KEYS step)."""
    text = RECIPE_4S.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^production_key_set = .*$", 'production_key_set = "acme-prod"', text)
    text = re.sub(r"(?m)^full_access = .*$", "full_access = true", text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pk4s3p-3500-prod.toml"
        path.write_text(text, encoding="utf-8")
        return load_recipe(path)


@functools.cache
def _template_db() -> bytes:
    """A database at the schema head, as bytes: copying it is much faster than migrating."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.sqlite3"
        Store.open(f"sqlite:///{path}").close()
        return path.read_bytes()


def fresh_bench(
    tmp_path: Path, *, pec: bool = False, production_keys: bool = False, flashstream: bool = False
) -> Bench:
    """A socket with a factory pack (SEALED, TI default keys) and an empty database: what
    ``tests.sequence.conftest.make_bench`` builds, with the schema copied rather than migrated
    and the recipe loaded once (a sweep builds hundreds). ``production_keys``: the recipe
    installs :data:`PRODUCTION_KEYS`; ``flashstream``: the recipe is the 4S3P recipe's FlashStream
    twin (``tests.recipe.fsrecipe``)."""
    (tmp_path / "station.sqlite3").write_bytes(_template_db())
    clock = VirtualClock()
    # ``pec``: the pack appends PEC (SBS Configuration HPE set); the station finds out (auto).
    device = open_emulator("default", clock=clock, host_pec=pec or None)
    config = StationConfig(
        station_id="ST-T1",
        bus="sim:default",
        database=f"sqlite:///{tmp_path}/station.sqlite3",
        printer=f"file:{tmp_path}/labels",
    )
    store = Store.open(config.database)
    if flashstream:
        from tests.recipe.fsrecipe import flashstream_recipe

        recipe = flashstream_recipe()
    else:
        recipe = _production_recipe() if production_keys else recipe_4s()
    bench = Bench(tmp_path, store, None, device, clock, recipe, pec)  # type: ignore[arg-type]

    def factory() -> OpenedBus:
        return OpenedBus(
            BusSpec("sim", "default", {}, config.bus),
            bench.device,
            bench.clock,
            emulated=True,
            device=bench.device,
        )

    keys = KeyStore({PRODUCTION_KEYS.id: PRODUCTION_KEYS}) if production_keys else KeyStore({})
    bench.socket = SocketContext(config, store, keys, bus_factory=factory)
    return bench


# == faults ======================================================================================

#: Fault kinds of the sweep: what fails at transaction k, and whether the station uses PEC.
FAULT_KINDS: dict[str, bool] = {
    "nack": False,  # transaction k is not acknowledged
    "corrupt-pec": True,  # one bit of transaction k flips; PEC on: the station sees it
    "corrupt": False,  # ... PEC off: a corrupted write may be applied, verify must catch it
    "gone": False,  # the pack is gone from transaction k on
    "stall": False,  # the pack is silent from k until the station gives up, then answers again
}


class _GaugeProxy:
    """The run's gauge, calling ``on_error`` when a call the engine made raises."""

    def __init__(self, gauge: object, on_error: Callable[[], None]) -> None:
        object.__setattr__(self, "_gauge", gauge)
        object.__setattr__(self, "_on_error", on_error)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._gauge, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except Exception:
                self._on_error()
                raise

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._gauge, name, value)


def arm(bench: Bench, kind: str, k: int) -> None:
    """Make transaction ``k`` of the next run fail the way ``kind`` says."""
    faults = bench.device.faults
    if kind == "nack":
        faults.nack_at = {k}
    elif kind in ("corrupt", "corrupt-pec"):
        faults.corrupt_at = {k}
    elif kind == "gone":
        faults.gone_from = k
    elif kind == "stall":
        faults.gone_from = k
        connect = bench.socket.connect

        def back() -> None:
            bench.device.faults.gone_from = None

        def connect_stalling(recipe: Recipe) -> PackConnection:
            conn = connect(recipe)
            # The driver gave up on a call: from now on the pack answers again, so whatever
            # the station does next (re-seal, restore) reaches a live pack.
            conn.gauge = _GaugeProxy(conn.gauge, back)  # type: ignore[assignment]
            return conn

        bench.socket.connect = connect_stalling  # type: ignore[method-assign]
    else:
        raise ValueError(f"unknown fault kind {kind!r}")

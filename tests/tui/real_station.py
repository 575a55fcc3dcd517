"""The real station service for the operator-terminal tests: emulator, SQLite, label files.

:func:`open_station` builds what ``station run --demo`` builds (``open_service``: the shipped
recipes in ``recipes/`` released, the demo's supervisor and engineer badges with their PIN), on
virtual time: the emulator's waits and the station's step clock advance one
:class:`~station.clock.VirtualClock`, so a pack runs as fast as the machine allows and its step
durations are the emulator's timing model, never the load on the machine.

The terminal is tested against the rules it really calls. :class:`RealStation` only watches the
service (which calls it received) and can hold a run at one of its events (a pack mid-write),
the way a slow pack would keep it there; the run itself is the real engine's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from station import BUILD_DATE
from station.bus.adapters import AdapterRegistry
from station.bus.spec import BusSpec, OpenedBus, open_bus
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.sequence import LineStation, open_service
from station.sequence.authority import DEMO_ENGINEER, DEMO_PIN, DEMO_SUPERVISOR
from station.sequence.events import CancelToken, Event, RunResult, StepId, StepProgress
from station.sequence.service import Badge, Readiness, RunRequest, SerialCheck, Shift
from station.store import Store
from station.tui import LineOptions, StationApp, make_app
from tests.pins import give_pin

REPO = Path(__file__).resolve().parents[2]
#: the shipped 4S recipe the tests' shifts run, and the 3S one a recipe change goes to
RECIPE = "pk4s3p-3500"
OTHER_RECIPE = "pk3s3p-3500"
#: the PIN of the demo's supervisor (SUP-0001) and engineer (ENG-0001) badges
PIN = DEMO_PIN
SUPERVISOR = DEMO_SUPERVISOR
ENGINEER = DEMO_ENGINEER
OPERATOR = "OP-0001"
LOT = "WO-2607-A"
STATION_ID = "ST-01"
#: when the terminal's shift started: before anything the station records (its clock is refused
#: before the build date), so every pack a test runs, before or after the app starts, is in it
SHIFT_START = datetime.combine(BUILD_DATE, time(0), UTC)

#: a key store with the production key set the shipped 3S recipe seals with (emulator tests only)
_KEYS = (
    '[key_sets.pk-production]\nunseal = ["0x1111", "0x2222"]\nfull_access = ["0x3333", "0x4444"]\n'
)

#: polls (of 10 ms) a held run waits for the test before going on by itself: a minute, so a
#: forgotten release cannot hang the suite, and a test on a loaded machine never reaches it
_HOLD_LIMIT = 6000


def in_apply(event: Event) -> bool:
    """The first data-flash write of *Apply recipe* is done: the pack is half written."""
    return isinstance(event, StepProgress) and event.step is StepId.APPLY and event.done == 1


@dataclass
class RealStation:
    """A real :class:`LineStation` on the emulator, and what the terminal asked of it."""

    service: LineStation
    clock: VirtualClock
    tmp: Path
    config: StationConfig
    #: the emulator scenario of the next pack put in the socket (``station.emulator``): each
    #: connection finds a fresh pack of it ...
    pack: str = "default"
    #: ... unless one stays seated in the socket between connections (:meth:`seat`)
    seated: EmulatedGauge | None = None
    #: the run stops at the first event this accepts until ``resume`` is set (or, unless
    #: ``hold_after_abort``, the operator aborts)
    hold: Callable[[Event], bool] | None = None
    hold_after_abort: bool = False
    paused: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)
    #: when set, ``start_shift`` waits for it (``starting`` is set while it waits)
    start_gate: threading.Event | None = None
    starting: threading.Event = field(default_factory=threading.Event)
    # what the terminal asked
    runs: list[RunRequest] = field(default_factory=list)
    serials_checked: list[str] = field(default_factory=list)
    shifts_started: list[tuple[str, str, str]] = field(default_factory=list)
    ready_checks: int = 0

    def __post_init__(self) -> None:
        service = self.service
        real_run = service.run
        real_check = service.check_serial
        real_ready = service.readiness
        real_start = service.start_shift

        def run(
            shift: Shift, request: RunRequest, on_event: Callable[[Event], None], c: CancelToken
        ) -> RunResult:
            self.runs.append(request)

            def event(e: Event) -> None:
                on_event(e)
                if self.hold is not None and not self.paused.is_set() and self.hold(e):
                    self._held(c)

            return real_run(shift, request, event, c)

        def check_serial(shift: Shift, serial: str) -> SerialCheck:
            self.serials_checked.append(serial)
            return real_check(shift, serial)

        def readiness() -> Readiness:
            self.ready_checks += 1
            return real_ready()

        def start_shift(operator: Badge, recipe_hash: str, lot: str) -> Shift:
            self.shifts_started.append((operator.code, recipe_hash, lot))
            if self.start_gate is not None:
                self.starting.set()
                self.start_gate.wait(10)
            return real_start(operator, recipe_hash, lot)

        service.run = run  # type: ignore[method-assign]
        service.check_serial = check_serial  # type: ignore[method-assign]
        service.readiness = readiness  # type: ignore[method-assign]
        service.start_shift = start_shift  # type: ignore[method-assign]
        if service.socket.emulated:
            service.socket.bus_factory = self._open_pack

    def _open_pack(self) -> OpenedBus:
        """The seated pack, else a fresh emulated pack of scenario ``pack``; on the station's
        virtual time."""
        if self.seated is not None:
            spec = BusSpec("sim", self.pack, {}, self.config.bus)
            return OpenedBus(spec, self.seated, self.clock, emulated=True, device=self.seated)
        return open_bus(f"sim:{self.pack}", speed_hz=self.config.bus_speed_hz, clock=self.clock)

    def seat(self, scenario: str = "default") -> EmulatedGauge:
        """Seat one pack that stays in the socket (a test can take it out, fault its bus, look
        into it afterwards through its ``faults`` and state)."""
        self.pack = scenario
        self.seated = open_emulator(scenario, clock=self.clock)
        return self.seated

    def _held(self, cancel: CancelToken) -> None:
        self.paused.set()
        for _ in range(_HOLD_LIMIT):
            # Polls a test's release from the engine's thread; not a stand-in for time passing.
            if self.resume.wait(0.01):
                return
            if cancel.requested and not self.hold_after_abort:
                return

    def hold_in_apply(self, *, after_abort: bool = False) -> None:
        """Hold the next run with its pack half written (see :func:`in_apply`)."""
        self.hold = in_apply
        self.hold_after_abort = after_abort

    # -- what the station recorded -------------------------------------------------------------
    def hash_of(self, name: str) -> str:
        (choice,) = [c for c in self.service.released_recipes() if c.name == name]
        return choice.hash

    def attempts(self) -> list[tuple[str, str]]:
        """Every attempt in the database, oldest first: (serial, outcome)."""
        with sqlite3.connect(self.tmp / "station.sqlite3") as conn:
            rows = conn.execute(
                "SELECT p.serial, a.outcome FROM attempts a JOIN packs p ON p.id = a.pack_id "
                "ORDER BY a.id"
            ).fetchall()
        return [(str(s), str(o)) for s, o in rows]

    def labels(self, serial: str) -> list[Path]:
        return sorted((self.tmp / "labels").glob(f"{serial}-*"))

    # -- other stations ------------------------------------------------------------------------
    def passed_at(self, station_id: str, serial: str) -> RunResult:
        """``serial`` programmed and passed at another station of the line (same database)."""
        other = open_service(replace(self.config, station_id=station_id), demo=True)
        other.socket.bus_factory = self._open_pack
        other.socket.clock = self.clock
        try:
            shift = other.start_shift(other.badge("OP-0009"), self.hash_of(RECIPE), "LOT-ELSEWHERE")
            return other.run(shift, RunRequest(serial), lambda e: None, CancelToken())
        finally:
            other.socket.store.close()

    def claimed_at(self, station_id: str, serial: str) -> None:
        """Another station holds ``serial`` right now (its run is on)."""
        self.service.socket.store.claim(serial, station_id, "A", "line-host", os.getpid())

    def close(self) -> None:
        self.resume.set()  # never leave a held run behind a finished test
        self.service.socket.store.close()


def recipes_with_long_serials(folder: Path) -> Path:
    """The shipped 4S recipe with 20-character serials (``PK4S-`` and 15 digits)."""
    text = (REPO / "recipes" / f"{RECIPE}.toml").read_text(encoding="utf-8")
    text = text.replace(r"(?P<unit>\d{6})", r"(?P<unit>\d{15})")
    text = text.replace('example = "PK4S-000123"', 'example = "PK4S-000000000000123"')
    folder.mkdir()
    (folder / f"{RECIPE}.toml").write_text(text, encoding="utf-8")
    return folder


def open_station(tmp_path: Path, *, demo: bool = True, **config: Any) -> RealStation:
    """``station run --demo`` on the emulator in ``tmp_path``, on virtual time (``demo`` false:
    ``station run``, nothing released)."""
    url = f"sqlite:///{tmp_path}/station.sqlite3"
    keys = tmp_path / "keys.toml"
    keys.write_text(_KEYS, encoding="utf-8")
    keys.chmod(0o600)
    values: dict[str, Any] = {
        "station_id": STATION_ID,
        "bus": "sim",
        "database": url,
        "printer": f"file:{tmp_path}/labels",
        "labels_dir": str(tmp_path / "label-previews"),
        "recipes": str(REPO / "recipes"),
        "keys": str(keys),
    }
    values.update(config)
    settings = StationConfig(**values)
    # The demo badges' PINs, hashed with argon2's cheapest parameters: checking one costs
    # microseconds, not the production hash's tens of milliseconds on a loaded machine.
    with Store.open(url) as store:
        for code in (SUPERVISOR, ENGINEER):
            give_pin(store, code, PIN)
    clock = VirtualClock(start=1000.0)
    service = open_service(settings, demo=demo, adapters=AdapterRegistry(clock=clock))
    service.socket.clock = clock
    return RealStation(service, clock, tmp_path, settings)


def terminal_options(clock: VirtualClock, start: datetime, **overrides: Any) -> LineOptions:
    """The terminal on ``clock`` with a shift that started at ``start`` (UTC on screen), no
    timers of its own unless a test asks for them."""
    values: dict[str, Any] = {
        "monotonic": clock.monotonic,
        "now": lambda: start,
        "tz": UTC,
        "gauge_refresh_s": 0,
        "ready_poll_s": 0,
    }
    values.update(overrides)
    return LineOptions(**values)


def station_app(station: RealStation, **overrides: Any) -> StationApp:
    """The terminal on the real station, at the start of shift."""
    return make_app(station.service, terminal_options(station.clock, SHIFT_START, **overrides))


def locked_app(station: RealStation, **overrides: Any) -> StationApp:
    """The terminal with the shift locked (as a supervisor would): it opens on the line."""
    values: dict[str, Any] = {"recipe": RECIPE, "operator": OPERATOR, "lot": LOT}
    values.update(overrides)
    return station_app(station, **values)

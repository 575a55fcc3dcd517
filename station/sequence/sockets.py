"""Several sockets on one station: their configuration checked as a whole, and their packs run
side by side, one worker per socket.

Each socket is a :class:`~station.sequence.line.LineStation` of its own (its own bus, pack lock,
printer and cancel token) over the station's one store, key store, recipe library and adapter
registry. A socket's worker runs that socket's packs one after another through the same engine
as a single socket; nothing one socket's run raises, fails or aborts reaches another's: a worker
turns any escape into that socket's own result and goes on with its next pack.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from station.bus.adapters import AdapterRegistry, adapter_key, pack_key
from station.bus.errors import BusOpenError
from station.bus.spec import BusSpec, parse_bus_spec
from station.config import ConfigError, StationConfig
from station.sequence.events import (
    CancelToken,
    Event,
    RunFinished,
    RunResult,
)
from station.sequence.failures import station_error_result
from station.sequence.line import LineStation
from station.sequence.service import RunRequest, Shift
from station.sequence.socket_context import SocketContext

log = logging.getLogger("station.sockets")

#: Runs tasks (name, callable) to their end, each in its own worker; returns when all ended.
Runner = Callable[[Sequence[tuple[str, Callable[[], None]]]], None]


def check_sockets(config: StationConfig) -> dict[str, BusSpec]:
    """Every socket's bus spec, parsed; refuses a spec that does not parse and two sockets that
    would reach the same pack (one adapter, one address, no mux channel to tell them apart)."""
    specs: dict[str, BusSpec] = {}
    packs: dict[str, str] = {}
    for sock in config.sockets:
        try:
            spec = parse_bus_spec(sock.bus)
        except BusOpenError as exc:
            raise ConfigError(f"socket {sock.id}: bus = {sock.bus!r}: {exc}") from None
        if spec.kind == "sim" and spec.target == "mux" and spec.mux is None:
            raise ConfigError(
                f"socket {sock.id}: bus = {sock.bus!r} is the emulated mux alone, with no pack: "
                f'name the socket\'s channel, e.g. "{sock.bus}@0x70:0"'
            )
        key = pack_key(spec)
        other = packs.get(key)
        if other is not None:
            raise ConfigError(
                f"sockets {other} and {sock.id} both reach the pack at {sock.bus!r}: two packs "
                "answer at one address on one bus, so each socket needs its own adapter or its "
                'own channel of an I2C multiplexer (bus = "/dev/i2c-1@0x70:N"; on the '
                'emulator "sim:mux?channels=8@0x70:N" or "sim?adapter=NAME")'
            )
        packs[key] = sock.id
        specs[sock.id] = spec
    return specs


def shared_adapters(config: StationConfig) -> dict[str, list[str]]:
    """Adapter -> the sockets on it, for every adapter several sockets share."""
    on: dict[str, list[str]] = {}
    for sock_id, spec in check_sockets(config).items():
        on.setdefault(adapter_key(spec), []).append(sock_id)
    return {adapter: ids for adapter, ids in on.items() if len(ids) > 1}


def socket_stations(station: LineStation, config: StationConfig) -> dict[str, LineStation]:
    """One :class:`LineStation` per socket of ``config``, sharing ``station``'s store, keys,
    recipes and adapter registry (so sockets on one adapter share its lock)."""
    check_sockets(config)
    base = station.socket
    out: dict[str, LineStation] = {}
    for sock_id in config.socket_ids():
        context = SocketContext(
            config.for_socket(sock_id),
            base.store,
            base.keys,
            adapters=base.adapters,
            now=base.now,
            host=base.host,
            pid=base.pid,
        )
        # One set of badge rules for the station (the demo's PINs included).
        out[sock_id] = LineStation(
            context, station.recipes, demo=station.demo, authority=station.rules
        )
    return out


def run_in_threads(tasks: Sequence[tuple[str, Callable[[], None]]]) -> None:
    """The real-hardware runner: one thread per task."""
    threads = [threading.Thread(target=task, name=name, daemon=True) for name, task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@dataclass
class SocketBatch:
    """What one socket runs: its packs in order, and what happens around each."""

    shift: Shift
    requests: Sequence[RunRequest]
    #: Called before each pack (a fixture seats it; a test injects its faults).
    before_pack: Callable[[RunRequest], None] | None = None


@dataclass
class SocketOutcomes:
    """What each socket's packs ended as, in the order they ran."""

    results: dict[str, list[RunResult]] = field(default_factory=dict)

    def all(self) -> list[RunResult]:
        return [r for rs in self.results.values() for r in rs]


class SocketPool:
    """The station's sockets, each running its own packs in its own worker."""

    def __init__(self, stations: Mapping[str, LineStation]) -> None:
        self.stations = dict(stations)
        self._guard = threading.Lock()
        self._cancels: dict[str, CancelToken] = {}

    @property
    def adapters(self) -> AdapterRegistry:
        first = next(iter(self.stations.values()))
        return first.socket.adapters

    def abort(self, socket_id: str) -> bool:
        """Ask the pack running on ``socket_id`` to stop at its next safe point (the other
        sockets go on). False when that socket runs nothing."""
        with self._guard:
            token = self._cancels.get(socket_id)
        if token is None:
            return False
        token.request()
        return True

    def run(
        self,
        batches: Mapping[str, SocketBatch],
        *,
        on_event: Callable[[str, Event], None] | None = None,
        runner: Runner = run_in_threads,
    ) -> SocketOutcomes:
        """Run every socket's batch, sockets side by side, each socket's packs in turn."""
        unknown = set(batches) - set(self.stations)
        if unknown:
            raise ValueError(f"no socket {sorted(unknown)} on this station")
        outcomes = SocketOutcomes({sock_id: [] for sock_id in batches})
        tasks = [
            (f"socket {sock_id}", self._worker(sock_id, batch, outcomes.results[sock_id], on_event))
            for sock_id, batch in batches.items()
        ]
        runner(tasks)
        return outcomes

    def _worker(
        self,
        sock_id: str,
        batch: SocketBatch,
        results: list[RunResult],
        on_event: Callable[[str, Event], None] | None,
    ) -> Callable[[], None]:
        station = self.stations[sock_id]

        def emit(event: Event) -> None:
            if on_event is not None:
                try:
                    on_event(sock_id, event)
                except Exception:  # a face's trouble never stops a pack
                    log.exception("socket %s: event handler failed", sock_id)

        def work() -> None:
            for request in batch.requests:
                cancel = CancelToken()
                with self._guard:
                    self._cancels[sock_id] = cancel
                try:
                    if batch.before_pack is not None:
                        batch.before_pack(request)
                    result = station.run(batch.shift, request, emit, cancel)
                except Exception as exc:
                    result = _station_error(request, exc)
                    log.exception("socket %s: pack %s failed outside the engine", sock_id, request)
                    emit(RunFinished(result))
                finally:
                    with self._guard:
                        self._cancels.pop(sock_id, None)
                results.append(result)

        return work


def _station_error(request: RunRequest, exc: Exception) -> RunResult:
    """A socket's own error, told as that socket's result (nothing recorded: the engine never
    ran, or the error came before it could)."""
    return station_error_result(request.serial, exc, "untouched by this run")

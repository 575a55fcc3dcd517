"""A station with several sockets on the emulator, in virtual time: the test and the benchmark
build theirs here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smbus2 import i2c_msg

from station.bus.adapters import AdapterRegistry
from station.clock import VirtualScheduler
from station.config import SocketConfig, StationConfig
from station.emulator import EmulatedGauge, EmulatedMux, open_emulator
from station.sequence import open_service
from station.sequence.events import Event, RunResult
from station.sequence.line import LineStation
from station.sequence.service import RunRequest, Shift
from station.sequence.sockets import SocketBatch, SocketPool, socket_stations

MUX = "sim:mux?channels=8"
RECIPE = "pk4s3p-3500"
SPEED_HZ = 100_000


def socket_ids(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]


def serial(socket_index: int, pack: int) -> str:
    return f"PK4S-{socket_index + 1:02d}{pack:04d}"


@dataclass
class Fleet:
    """The station's sockets, their pool and the virtual time they run on."""

    clock: VirtualScheduler
    registry: AdapterRegistry
    stations: dict[str, LineStation]
    pool: SocketPool
    shift: Shift
    behind_mux: bool
    #: whether the packs seated append PEC to their answers (SBS Configuration [HPE] set)
    host_pec: bool = False
    #: (channel meant, is a key word) for every transaction on the shared mux's bus
    wire: list[tuple[int | None, bool]] = field(default_factory=list)

    @property
    def mux(self) -> EmulatedMux:
        shared = self.registry.shared_adapter(MUX)
        assert shared is not None
        assert isinstance(shared.device, EmulatedMux)
        return shared.device

    def seat(self, socket: str, scenario: str = "default") -> EmulatedGauge:
        """Put a fresh pack in the socket's fixture (behind the mux; a socket on an adapter of
        its own gets a fresh pack at every connection, as ``sim`` does)."""
        pack = open_emulator(
            scenario, clock=self.clock, speed_hz=SPEED_HZ, host_pec=self.host_pec or None
        )
        if self.behind_mux:
            self.mux.seat(self.channel(socket), pack)
        return pack

    def channel(self, socket: str) -> int:
        return ord(socket) - ord("A")

    def run(
        self,
        packs: int,
        *,
        scenario: Callable[[str, int], str] = lambda socket, n: "default",
        on_event: Callable[[str, Event], None] | None = None,
        sockets: Sequence[str] | None = None,
    ) -> dict[str, list[RunResult]]:
        chosen = list(sockets or self.stations)
        batches = {}
        for sock in chosen:
            index = self.channel(sock)
            requests = [RunRequest(serial(index, n)) for n in range(packs)]
            batches[sock] = SocketBatch(
                self.shift, requests, before_pack=self._seater(sock, requests, scenario)
            )
        outcomes = self.pool.run(batches, on_event=on_event, runner=self.clock.run)
        return outcomes.results

    def _seater(
        self, sock: str, requests: list[RunRequest], scenario: Callable[[str, int], str]
    ) -> Callable[[RunRequest], None]:
        def seat(request: RunRequest) -> None:
            self.seat(sock, scenario(sock, requests.index(request)))

        return seat


def is_key_word(msgs: tuple[i2c_msg, ...]) -> bool:
    """A Write Word to ManufacturerAccess 0x00 (with or without PEC): how key words go."""
    first = msgs[0] if msgs else None
    return (
        len(msgs) == 1
        and first is not None
        and first.addr == 0x0B
        and first.len in (3, 4)
        and bytes(first)[0] == 0x00
    )


def fleet(
    tmp: Path, n: int, *, behind_mux: bool, database: str | None = None, host_pec: bool = False
) -> Fleet:
    """``n`` sockets A, B, ... behind one emulated mux or each on an adapter of its own."""
    clock = VirtualScheduler()
    registry = AdapterRegistry(waiter=clock, clock=clock)
    sockets = tuple(
        SocketConfig(
            sock,
            f"{MUX}@0x70:{i}"
            if behind_mux
            else f"sim?adapter={sock}{'&hpe=1' if host_pec else ''}",
            printer=f"file:{tmp}/labels-{sock}",
        )
        for i, sock in enumerate(socket_ids(n))
    )
    config = StationConfig(
        station_id="ST-MULTI",
        bus="sim",
        database=database or f"sqlite:///{tmp}/station.sqlite3",
        printer=f"file:{tmp}/labels",
        sockets=sockets,
    )
    service = open_service(config, demo=True, adapters=registry)
    stations = socket_stations(service, config)
    choice = service.find_released(RECIPE)
    shift = service.start_shift(service.badge("OP-0001"), choice.hash, "LOT-M")
    result = Fleet(clock, registry, stations, SocketPool(stations), shift, behind_mux, host_pec)
    if behind_mux:
        # Open the shared mux now, so the packs can be seated before the first connection.
        registry.open(sockets[0].bus, speed_hz=SPEED_HZ).close()
        result.mux.listener = lambda meant, msgs: result.wire.append((meant, is_key_word(msgs)))
    return result

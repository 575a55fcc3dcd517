"""The socket pool with real threads (as on a line) and a socket whose fixture fails."""

from __future__ import annotations

from pathlib import Path

from station.bus.adapters import AdapterRegistry
from station.config import SocketConfig, StationConfig
from station.emulator import EmulatedMux, open_emulator
from station.sequence import open_service
from station.sequence.events import Outcome, RunResult
from station.sequence.service import RunRequest
from station.sequence.sockets import SocketBatch, SocketPool, socket_stations

MUX = "sim:mux?channels=2"


def test_two_sockets_behind_one_mux_in_real_threads_each_program_their_own_packs(
    tmp_path: Path,
) -> None:
    registry = AdapterRegistry()
    config = StationConfig(
        database=f"sqlite:///{tmp_path}/s.sqlite3",
        printer=f"file:{tmp_path}/labels",
        sockets=(SocketConfig("A", f"{MUX}@0x70:0"), SocketConfig("B", f"{MUX}@0x70:1")),
    )
    service = open_service(config, demo=True, adapters=registry)
    stations = socket_stations(service, config)
    shift = service.start_shift(
        service.badge("OP-1"), service.find_released("pk4s3p-3500").hash, ""
    )
    registry.open(f"{MUX}@0x70:0", speed_hz=100_000).close()
    shared = registry.shared_adapter(MUX)
    assert shared is not None
    mux = shared.device
    assert isinstance(mux, EmulatedMux)
    seated: list[str] = []

    def fixture(socket: str) -> SocketBatch:
        requests = [RunRequest(f"PK4S-{socket == 'B':d}0000{n}") for n in range(2)]

        def seat(request: RunRequest) -> None:
            # A passed pack leaves the fixture: each run gets a factory pack.
            channel = 0 if socket == "A" else 1
            mux.seat(channel, open_emulator("default", clock=mux.clock))
            seated.append(request.serial)

        return SocketBatch(shift, requests, before_pack=seat)

    outcomes = SocketPool(stations).run({"A": fixture("A"), "B": fixture("B")})

    assert [r.outcome for r in outcomes.all()] == [Outcome.PASS] * 4
    assert sorted(r.serial for r in outcomes.results["B"]) == ["PK4S-100000", "PK4S-100001"]
    assert mux.stats.stray == 0
    assert len(seated) == 4


def test_a_socket_whose_fixture_fails_reports_it_and_the_other_socket_goes_on(
    tmp_path: Path,
) -> None:
    config = StationConfig(
        database=f"sqlite:///{tmp_path}/s.sqlite3",
        printer=f"file:{tmp_path}/labels",
        sockets=(SocketConfig("A", "sim?adapter=A"), SocketConfig("B", "sim?adapter=B")),
    )
    service = open_service(config, demo=True)
    stations = socket_stations(service, config)
    shift = service.start_shift(
        service.badge("OP-1"), service.find_released("pk4s3p-3500").hash, ""
    )

    def jammed(request: RunRequest) -> None:
        raise OSError("the fixture's clamp did not close")

    pool = SocketPool(stations)
    outcomes = pool.run(
        {
            "A": SocketBatch(shift, [RunRequest("PK4S-000010")], before_pack=jammed),
            "B": SocketBatch(shift, [RunRequest("PK4S-000011"), RunRequest("PK4S-000012")]),
        }
    )
    (a,) = outcomes.results["A"]
    assert isinstance(a, RunResult)
    assert a.outcome is Outcome.ERROR
    assert a.failure is not None
    assert "clamp did not close" in a.failure.reason
    assert a.attempt_id is None
    assert [r.outcome for r in outcomes.results["B"]] == [Outcome.PASS, Outcome.PASS]
    assert service.socket.store.pack_history("PK4S-000010") == []
    assert not pool.abort("A")  # nothing runs there any more

"""The socket's ready state, and scans on a bus the station cannot use.

Place pack (the bus works, nothing answers at the gauge's address), Pack detected (the gauge
answers), Bus fault (the bus cannot be used). On a bus fault a scan is refused as a station
fault: nothing is written against the serial, and the same pack runs once the bus is back.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from station.sequence import LineStation, open_service
from station.sequence.events import Outcome, StepId
from station.sequence.readiness import socket_readiness
from station.sequence.service import Shift, SocketState
from station.store import AttemptOutcome
from tests.sequence.conftest import Bench, make_bench

SERIAL = "PK4S-000123"


def unopenable(bench: Bench, tmp_path: Path) -> None:
    """The socket's bus spec names an emulator state file that cannot be written."""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    bench.socket.bus_factory = None
    bench.socket.config = replace(bench.socket.config, bus=f"sim?state={blocked}/pack.json")


def assert_nothing_recorded(bench: Bench, serial: str = SERIAL) -> None:
    assert bench.store.trace(serial) is None
    assert bench.store.current_claim(serial) is None
    assert bench.store.pack_history(serial) == []


@pytest.mark.parametrize(
    ("scenario", "state", "code"),
    [
        ("default", SocketState.PACK_DETECTED, ""),
        ("empty", SocketState.PLACE_PACK, ""),
        ("bus-stuck", SocketState.BUS_FAULT, "BUS_TIMEOUT"),
    ],
)
def test_the_socket_says_whether_a_pack_answers(
    tmp_path: Path, scenario: str, state: SocketState, code: str
) -> None:
    bench = make_bench(tmp_path, scenario)
    ready = socket_readiness(bench.socket)
    assert (ready.state, ready.code) == (state, code)
    assert "0x0B" in ready.detail or code


def test_a_bus_that_cannot_be_opened_is_a_bus_fault(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    unopenable(bench, tmp_path)
    ready = socket_readiness(bench.socket)
    assert (ready.state, ready.code) == (SocketState.BUS_FAULT, "BUS_OPEN")
    assert "state file cannot be written" in ready.detail


def test_a_scan_on_a_stuck_bus_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.device.faults.stuck_from = bench.device.transaction_count
    result = bench.run(SERIAL)

    assert result.outcome is Outcome.ERROR
    assert result.attempt_id is None
    assert result.failure is not None
    # one code for a bus the station cannot use before a run, the bus error's own in the reason
    assert (result.failure.step, result.failure.code) == (StepId.SERIAL, "BUS_FAULT")
    assert "[BUS_TIMEOUT]" in result.failure.reason
    assert "station fault" in result.failure.reason
    assert "nothing was recorded" in result.failure.reason
    assert "technician" in result.failure.action
    assert result.failure.pack_state == "untouched by this run"
    assert_nothing_recorded(bench)

    # The bus is back: the same pack runs, and it is its first attempt.
    bench.device.faults.stuck_from = None
    again = bench.run(SERIAL)
    assert again.passed, again.failure
    (attempt,) = bench.store.pack_history(SERIAL)
    assert (attempt.attempt_no, attempt.outcome) == (1, AttemptOutcome.PASS)


def test_a_scan_on_a_bus_that_cannot_be_opened_is_refused(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    unopenable(bench, tmp_path)
    result = bench.run(SERIAL)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert (result.failure.step, result.failure.code) == (StepId.SERIAL, "BUS_OPEN")
    assert "state file cannot be written" in result.failure.reason
    assert result.attempt_id is None
    assert_nothing_recorded(bench)


def test_an_empty_socket_is_still_tried_and_recorded(tmp_path: Path) -> None:
    # Nothing answers at the address: no pack, or a pack whose gauge is dead. The bus works, so
    # this is the pack's story, and it is recorded like any other attempt.
    bench = make_bench(tmp_path, "empty")
    result = bench.run(SERIAL)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.step is StepId.IDENTIFY
    assert result.attempt_id is not None
    (attempt,) = bench.store.pack_history(SERIAL)
    assert attempt.outcome is AttemptOutcome.ERROR


def line_station(tmp_path: Path, bench: Bench) -> tuple[LineStation, Shift]:
    """The station service on the bench's socket (the pack stays in it between connections)."""
    config = replace(bench.socket.config, bus="sim")
    service = open_service(config, demo=True, bus_factory=bench.socket.bus_factory)
    choice = service.find_released("pk4s3p-3500")
    return service, service.start_shift(service.badge("OP-0001"), choice.hash, "LOT-1")


def test_the_service_refuses_a_scan_on_a_stuck_bus_as_a_station_fault(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    service, shift = line_station(tmp_path, bench)
    assert service.readiness().state is SocketState.PACK_DETECTED
    good = service.check_serial(shift, SERIAL)
    assert good.valid
    assert good.readiness is not None
    assert good.readiness.state is SocketState.PACK_DETECTED

    bench.device.faults.stuck_from = bench.device.transaction_count
    assert service.readiness().state is SocketState.BUS_FAULT
    check = service.check_serial(shift, SERIAL)
    assert not check.valid
    assert check.station_fault
    assert "station fault" in check.reason
    # A malformed serial is refused for what it is, before the bus is asked.
    assert not service.check_serial(shift, "PK4S-12X").station_fault
    assert_nothing_recorded(bench)

    bench.device.faults.stuck_from = None
    bench.device.faults.gone_from = bench.device.transaction_count  # the pack is taken out
    assert service.readiness().state is SocketState.PLACE_PACK
    assert service.check_serial(shift, SERIAL).valid  # a pack that does not answer is tried

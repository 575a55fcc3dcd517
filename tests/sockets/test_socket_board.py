"""The sockets as the terminal drives them (station/sequence/board.py), on the emulated mux with
the real line station: a scan routed to a socket runs there, an abort stops only the selected
socket, each socket prints on its own printer and calibrates with its own instrument."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from station.clock import VirtualClock
from station.config import SocketConfig, StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.instruments.model import InstrumentError
from station.sequence.board import SocketBoard, socket_board
from station.sequence.events import CancelToken, Event, Outcome, RunResult, StepId, StepStarted
from station.sequence.instruments import socket_bench
from station.sequence.routing import RouteKind, ScanRouting, SocketState
from station.sequence.service import Credentials, RunRequest
from tests.sockets.fleet import Fleet, fleet


def board_of(f: Fleet, routing: ScanRouting = ScanRouting.SOCKET_BARCODE) -> SocketBoard:
    return SocketBoard(f.stations, routing)


def scan_and_run(f: Fleet, board: SocketBoard, *scans: str) -> RunResult:
    route = None
    for scan in scans:
        route = board.route(scan)
    assert route is not None
    assert route.kind is RouteKind.RUN, route
    check = board.check_serial(f.shift, route.socket, route.serial)
    assert check.valid, check.reason
    return board.run(f.shift, route.socket, RunRequest(route.serial), lambda e: None, CancelToken())


def test_socket_barcode_then_serial_programs_the_pack_in_that_socket(tmp_path: Path) -> None:
    f = fleet(tmp_path, 4, behind_mux=True)
    board = board_of(f)
    b_pack = f.seat("B")
    a_pack = f.seat("A")
    result = scan_and_run(f, board, "SOCKET:B", "PK4S-020001")
    assert result.outcome is Outcome.PASS, result.failure
    assert b_pack.security_mode == "SEALED"
    assert a_pack is not b_pack
    attempt = f.stations["B"].socket.store.last_attempt("PK4S-020001", emulated=True)
    assert attempt is not None
    assert attempt.socket == "B"
    assert f.mux.stats.stray == 0
    assert board.router.state("B") is SocketState.IDLE
    assert board.last("B") is not None
    assert board.adapters() == ("sim:mux?channels=8",)


def test_next_idle_puts_two_scans_in_two_sockets_and_they_run_side_by_side(
    tmp_path: Path,
) -> None:
    f = fleet(tmp_path, 4, behind_mux=True)
    board = board_of(f, ScanRouting.NEXT_IDLE)
    first = board.route("PK4S-010001")
    second = board.route("PK4S-020001")
    assert (first.socket, second.socket) == ("A", "B")
    for sock in "AB":
        f.seat(sock)
    results: dict[str, RunResult] = {}

    def task(sock: str, serial: str) -> tuple[str, object]:
        def go() -> None:
            results[sock] = board.run(
                f.shift, sock, RunRequest(serial), lambda e: None, CancelToken()
            )

        return (sock, go)

    f.clock.run([task("A", "PK4S-010001"), task("B", "PK4S-020001")])  # type: ignore[list-item]
    assert {s: r.outcome for s, r in results.items()} == {"A": Outcome.PASS, "B": Outcome.PASS}
    assert f.mux.stats.stray == 0


def test_aborting_the_selected_socket_leaves_the_other_sockets_pack_and_record(
    tmp_path: Path,
) -> None:
    f = fleet(tmp_path, 2, behind_mux=True)
    board = board_of(f, ScanRouting.NEXT_IDLE)
    for sock in "AB":
        f.seat(sock)
    board.route("PK4S-010001")
    board.route("PK4S-020001")
    results: dict[str, RunResult] = {}
    aborted: list[bool] = []

    def on_a(event: Event) -> None:
        # The operator selects A and presses Esc twice while A writes its recipe.
        if isinstance(event, StepStarted) and event.step is StepId.APPLY and not aborted:
            board.router.select("A")
            aborted.append(board.abort(board.router.selected))

    def run(sock: str, serial: str, on_event: object) -> None:
        results[sock] = board.run(
            f.shift,
            sock,
            RunRequest(serial),
            on_event,  # type: ignore[arg-type]
            CancelToken(),
        )

    f.clock.run(
        [
            ("A", lambda: run("A", "PK4S-010001", on_a)),
            ("B", lambda: run("B", "PK4S-020001", lambda e: None)),
        ]
    )
    assert aborted == [True]
    assert results["A"].outcome is Outcome.ABORTED
    assert results["B"].outcome is Outcome.PASS, results["B"].failure
    store = f.stations["A"].socket.store
    a = store.last_attempt("PK4S-010001", emulated=True)
    b = store.last_attempt("PK4S-020001", emulated=True)
    assert a is not None
    assert a.outcome.value == "ABORTED"
    assert a.socket == "A"
    assert b is not None
    assert b.outcome.value == "PASS"
    assert b.socket == "B"
    assert board.abort("A") is False  # nothing runs there any more


def test_a_serial_held_by_another_socket_of_the_station_is_refused(tmp_path: Path) -> None:
    f = fleet(tmp_path, 2, behind_mux=True)
    board = board_of(f)
    board.route("SOCKET:A")
    assert board.route("PK4S-010001").kind is RouteKind.RUN
    board.route("SOCKET:B")
    refused = board.route("PK4S-010001")
    assert refused.kind is RouteKind.REFUSED
    assert "already on socket A" in refused.message


def test_a_supervisor_badge_scanned_on_the_line_touches_no_socket(tmp_path: Path) -> None:
    f = fleet(tmp_path, 2, behind_mux=True)
    board = board_of(f)
    board.route("SOCKET:A")
    ignored = board.route("SUP-0001")  # the demo's supervisor badge
    assert ignored.kind is RouteKind.IGNORED
    assert board.router.armed == "A"


def test_retry_runs_the_selected_sockets_last_pack_again(tmp_path: Path) -> None:
    f = fleet(tmp_path, 2, behind_mux=True)
    board = board_of(f)
    assert board.retry("B").kind is RouteKind.REFUSED
    f.seat("B", "empty")
    failed = scan_and_run(f, board, "SOCKET:B", "PK4S-020001")
    assert failed.outcome is not Outcome.PASS
    f.seat("B")
    again = board.retry("B")
    assert (again.kind, again.socket, again.serial) == (RouteKind.RUN, "B", "PK4S-020001")


def test_reprint_goes_to_the_selected_sockets_printer(tmp_path: Path) -> None:
    f = fleet(tmp_path, 2, behind_mux=True)
    board = board_of(f)
    f.seat("B")
    assert scan_and_run(f, board, "SOCKET:B", "PK4S-020001").outcome is Outcome.PASS
    before = set((tmp_path / "labels-B").glob("*"))
    label = board.reprint_label(
        f.shift, "B", "PK4S-020001", "Label damaged", Credentials("SUP-0001", "1234")
    )
    assert label.printed
    assert set((tmp_path / "labels-B").glob("*")) - before
    assert not (tmp_path / "labels-A").exists()


def test_a_station_with_one_socket_has_no_board(tmp_path: Path) -> None:
    f = fleet(tmp_path, 2, behind_mux=True)
    one = StationConfig(database=f"sqlite:///{tmp_path}/station.sqlite3")
    assert socket_board(f.stations["A"], one) is None


INSTRUMENTS = """
[[instrument]]
name = "meter-a"
backend = "simulated"
quantities = ["voltage", "current", "temperature"]
serial = "A-111"
due = 2099-01-01

[[instrument]]
name = "meter-b"
backend = "simulated"
quantities = ["voltage"]
serial = "B-222"
due = 2099-01-01

[sockets.A]
voltage = "meter-a"
current = "meter-a"
temperature = "meter-a"

[sockets.B]
voltage = "meter-a"
current = "meter-a"
temperature = "meter-a"
"""


TODAY = dt.date(2026, 12, 5)


def pack() -> EmulatedGauge:
    return open_emulator("default", clock=VirtualClock())


def instrument_config(tmp_path: Path, b_instrument: str) -> StationConfig:
    path = tmp_path / "instruments.toml"
    path.write_text(INSTRUMENTS, encoding="utf-8")
    return StationConfig(
        instruments=str(path),
        sockets=(
            SocketConfig("A", "sim:mux?channels=2@0x70:0"),
            SocketConfig("B", "sim:mux?channels=2@0x70:1", instrument=b_instrument),
        ),
    )


def test_socket_b_measures_with_its_own_instrument(tmp_path: Path) -> None:
    config = instrument_config(tmp_path, "meter-b")
    pack = open_emulator("default", clock=VirtualClock())
    today = dt.date(2026, 12, 5)
    b = socket_bench(config.for_socket("B"), pack, today)
    a = socket_bench(config.for_socket("A"), pack, today)
    assert b.read("voltage").identity.serial == "B-222"
    assert b.read("current").identity.serial == "A-111"  # meter-b gives no current
    assert a.read("voltage").identity.serial == "A-111"


def test_a_socket_naming_an_instrument_the_file_lacks_is_refused_with_the_fix(
    tmp_path: Path,
) -> None:
    config = instrument_config(tmp_path, "meter-x")
    with pytest.raises(InstrumentError, match="socket B names instrument 'meter-x'") as caught:
        socket_bench(
            config.for_socket("B"),
            open_emulator("default", clock=VirtualClock()),
            dt.date(2026, 12, 5),
        )
    assert "meter-a, meter-b" in str(caught.value)
    no_file = replace(config, instruments="")
    with pytest.raises(InstrumentError, match="no instrument file is configured"):
        socket_bench(
            no_file.for_socket("B"),
            open_emulator("default", clock=VirtualClock()),
            dt.date(2026, 12, 5),
        )

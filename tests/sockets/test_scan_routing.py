"""Where a scan goes on a station with several sockets (station/sequence/routing.py): each case
the module's docstring decides, as the operator would meet it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.config import ConfigError, load_config
from station.sequence.routing import RouteKind, ScanRouter, ScanRouting, SocketState

SOCKETS = ("A", "B", "C", "D")


def router(routing: ScanRouting = ScanRouting.SOCKET_BARCODE) -> ScanRouter:
    return ScanRouter(SOCKETS, routing, is_badge=lambda code: code.startswith("SUP-"))


def test_socket_barcode_then_serial_runs_the_pack_on_that_socket() -> None:
    r = router()
    chosen = r.route("SOCKET:B")
    assert (chosen.kind, chosen.socket) == (RouteKind.SELECT, "B")
    run = r.route("PK4S-000001")
    assert (run.kind, run.socket, run.serial) == (RouteKind.RUN, "B", "PK4S-000001")
    assert r.state("B") is SocketState.CLAIMED
    assert r.selected == "B"
    # The barcode was used: the next serial needs the next fixture's barcode.
    again = r.route("PK4S-000002")
    assert again.kind is RouteKind.REFUSED
    assert "scan the socket barcode (SOCKET:ID)" in again.message
    assert r.state("A") is SocketState.IDLE


def test_socket_barcode_is_read_whatever_its_case() -> None:
    r = router()
    assert r.route("socket:c").socket == "C"


def test_a_serial_without_a_socket_barcode_is_refused_in_socket_barcode_mode() -> None:
    r = router()
    refused = r.route("PK4S-000001")
    assert refused.kind is RouteKind.REFUSED
    assert "not started" in refused.message
    assert all(r.state(s) is SocketState.IDLE for s in SOCKETS)


def test_an_unknown_socket_is_refused_naming_the_sockets_and_keeps_the_selection() -> None:
    r = router()
    r.route("SOCKET:B")
    refused = r.route("SOCKET:Q")
    assert refused.kind is RouteKind.REFUSED
    assert "no socket 'Q'" in refused.message
    assert "A, B, C, D" in refused.message
    assert r.selected == "B"
    assert r.route("PK4S-000001").socket == "B"  # B still takes the serial


def test_a_busy_socket_can_be_selected_but_takes_no_serial() -> None:
    r = router()
    r.route("SOCKET:A")
    r.route("PK4S-000001")
    r.running("A")
    chosen = r.route("SOCKET:A")
    assert (chosen.kind, chosen.socket) == (RouteKind.SELECT, "A")
    assert "busy with PK4S-000001" in chosen.message
    assert r.selected == "A"  # abort, retry and reprint now act on A
    refused = r.route("PK4S-000002")
    assert refused.kind is RouteKind.REFUSED
    assert r.state("A") is SocketState.RUNNING
    assert r.serial_on("A") == "PK4S-000001"  # the running pack is untouched


def test_next_idle_takes_the_first_idle_socket_in_order() -> None:
    r = router(ScanRouting.NEXT_IDLE)
    assert r.route("PK4S-000001").socket == "A"
    assert r.route("PK4S-000002").socket == "B"
    r.release("A")
    assert r.route("PK4S-000003").socket == "A"
    # A socket barcode still chooses, in this mode too.
    r.route("SOCKET:D")
    assert r.route("PK4S-000004").socket == "D"


def test_next_idle_with_every_socket_busy_refuses_and_queues_nothing() -> None:
    r = router(ScanRouting.NEXT_IDLE)
    for n in range(4):
        r.route(f"PK4S-00000{n}")
    refused = r.route("PK4S-000009")
    assert refused.kind is RouteKind.REFUSED
    assert "every socket is busy" in refused.message
    assert "scan it again" in refused.message
    r.release("C")
    # Nothing was queued: C takes the next scan, not the refused one by itself.
    assert r.state("C") is SocketState.IDLE
    assert r.route("PK4S-000010").socket == "C"


@pytest.mark.parametrize("routing", list(ScanRouting))
def test_a_serial_already_on_a_socket_is_refused_naming_it(routing: ScanRouting) -> None:
    r = router(routing)
    r.route("SOCKET:A")
    r.route("PK4S-000001")
    r.route("SOCKET:B")
    refused = r.route("PK4S-000001")
    assert refused.kind is RouteKind.REFUSED
    assert "already on socket A" in refused.message
    assert r.state("B") is SocketState.IDLE
    # Once A's run ended the pack may go in another socket (the store decides a rework).
    r.release("A")
    assert r.route("PK4S-000001").socket == "B"


@pytest.mark.parametrize("scan", ["SUP-0001", "CMD:ABORT", "BADGE:X"])
def test_badges_and_command_barcodes_mid_run_touch_no_socket(scan: str) -> None:
    r = router()
    r.route("SOCKET:A")
    r.route("PK4S-000001")
    r.running("A")
    r.route("SOCKET:B")
    ignored = r.route(scan)
    assert ignored.kind is RouteKind.IGNORED
    assert "no socket was touched" in ignored.message
    assert r.state("A") is SocketState.RUNNING
    assert r.armed == "B"  # B still waits for its serial


def test_retry_claims_only_an_idle_socket() -> None:
    r = router()
    r.route("SOCKET:A")
    r.route("PK4S-000001")
    assert r.claim("A", "PK4S-000001").kind is RouteKind.REFUSED
    r.release("A")
    assert r.claim("A", "PK4S-000001").kind is RouteKind.RUN
    assert r.claim("B", "PK4S-000001").kind is RouteKind.REFUSED


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(["SOCKET:A", "SOCKET:B", "SOCKET:Z", "P1", "P2", "P3", "SUP-1"])))
def test_no_scan_sequence_touches_a_running_socket(scans: list[str]) -> None:
    r = router(ScanRouting.NEXT_IDLE)
    r.route("SOCKET:C")
    r.route("PK4S-RUNNING")
    r.running("C")
    for scan in scans:
        route = r.route(scan)
        assert route.socket != "C" or route.kind is RouteKind.SELECT
    assert r.state("C") is SocketState.RUNNING
    assert r.serial_on("C") == "PK4S-RUNNING"


def test_scan_routing_is_validated_in_the_configuration(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "station.toml"
    path.write_text('scan_routing = "next-idle"\n', encoding="utf-8")
    assert load_config(path, environ={}).scan_routing == "next-idle"
    path.write_text('scan_routing = "round-robin"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="scan_routing = 'round-robin'; allowed: socket-barcode"):
        load_config(path, environ={})

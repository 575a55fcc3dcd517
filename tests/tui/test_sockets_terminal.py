"""Two sockets behind one emulated mux, through a real pseudo-terminal: ``station run`` with
``[[sockets]]`` in its configuration, the scanner typing ``SOCKET:B`` then a serial, the pack
running on B while A takes its own pack. The emulated packs take the time real ones would."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.terminal import Terminal, station_argv

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

MUX = "sim:mux?channels=2&realtime=1"
CONFIG = f"""
station_id = "ST-07"
database = "sqlite:///station.sqlite3"
printer = "file:labels"
scan_routing = "socket-barcode"

[[sockets]]
id = "A"
bus = "{MUX}@0x70:0"

[[sockets]]
id = "B"
bus = "{MUX}@0x70:1"
"""


@pytest.fixture
def station(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    (tmp_path / "station.toml").write_text(CONFIG, encoding="utf-8")
    args = ["run", "--config", "station.toml", "--demo"]
    args += ["--recipe", "pk4s3p-3500", "--operator", "OP-0001", "--lot", "LOT-1"]
    term = Terminal(station_argv(*args), size=(120, 40), cwd=tmp_path)
    try:
        yield term, tmp_path / "station.sqlite3"
    finally:
        term.close()


def attempts(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.serial, a.socket, a.outcome FROM attempts a JOIN packs p ON p.id = a.pack_id "
            "ORDER BY a.id"
        ).fetchall()
    return [(str(s), str(k), str(o)) for s, k, o in rows]


def right_half(screen: str) -> str:
    return "\n".join(line[60:] for line in screen.splitlines())


def left_half(screen: str) -> str:
    return "\n".join(line[:60] for line in screen.splitlines())


def test_socket_b_runs_its_pack_while_a_is_idle_then_busy(station: tuple[Terminal, Path]) -> None:
    term, db = station
    term.wait_for("Socket B", "the tiles")
    term.scan("SOCKET:B")
    term.wait_for("Socket B: scan the pack serial", "socket B chosen")
    term.scan("PK4S-000202")
    shown = term.wait_for(lambda s: "Apply recipe" in right_half(s), "B programming its pack")
    assert "PK4S-000202" in right_half(shown)
    assert "PK4S-000202" not in left_half(shown)
    assert "Ready for a pack" in left_half(shown)  # A idle while B runs
    # A takes a pack of its own while B is still at work.
    term.scan("SOCKET:A")
    term.scan("PK4S-000101")
    term.wait_for(lambda s: "running" in left_half(s), "A running")
    shown = term.wait_for(lambda s: s.count("sealed, label printed") == 2, "both packs' verdicts")
    assert "PK4S-000101" in left_half(shown)
    assert "PK4S-000202" in right_half(shown)
    assert sorted(attempts(db)) == [
        ("PK4S-000101", "A", "PASS"),
        ("PK4S-000202", "B", "PASS"),
    ]

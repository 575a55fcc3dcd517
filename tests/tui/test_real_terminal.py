"""The scanner on a real terminal: ``station run`` in a pseudo-terminal, keys written to it as a
keyboard-wedge scanner sends them, the screen read back through a VT emulator.

These go through everything the Pilot tests skip: the terminal driver, Textual's key parser,
the real station service on the emulator and its SQLite database.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.real_station import RECIPE, recipes_with_long_serials
from tests.tui.terminal import Terminal, station_argv

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


@pytest.fixture
def station(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    yield from _station(tmp_path, "sim")


def _station(
    tmp_path: Path, bus: str, recipes: Path | None = None
) -> Iterator[tuple[Terminal, Path]]:
    db = tmp_path / "t.sqlite3"
    args = [
        "run",
        "--demo",
        "--bus",
        bus,
        "--db",
        f"sqlite:///{db}",
        "--printer",
        f"file:{tmp_path}/labels",
        "--recipe",
        RECIPE,
        "--operator",
        "OP-0001",
        "--lot",
        "LOT-1",
    ]
    env_recipes = {"STATION_RECIPES": str(recipes)} if recipes else {}
    old = {k: os.environ.get(k) for k in env_recipes}
    os.environ.update(env_recipes)
    term = Terminal(station_argv(*args), size=(120, 40), cwd=tmp_path)
    try:
        yield term, db
    finally:
        term.close()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def attempts(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.serial, a.outcome FROM attempts a JOIN packs p ON p.id = a.pack_id "
            "ORDER BY a.id"
        ).fetchall()
    return [(str(s), str(o)) for s, o in rows]


def result_shown(serial: str) -> str:
    return f"{serial}  ·"


def test_the_first_scan_after_a_locked_start_runs_the_pack(
    station: tuple[Terminal, Path],
) -> None:
    term, db = station
    term.wait_for("Scan pack serial")
    term.scan("PK4S-000777")
    term.wait_for(result_shown("PK4S-000777"), "the first pack's result")
    assert attempts(db) == [("PK4S-000777", "PASS")]


def test_a_scan_typed_before_the_line_screen_shows_is_not_lost(tmp_path: Path) -> None:
    for term, db in _station(tmp_path, "sim"):
        term.wait_for(lambda s: s.strip() != "", "the first screen")
        term.scan("PK4S-000778")  # the shift is still starting
        term.wait_for(result_shown("PK4S-000778"), "the first pack's result")
        assert attempts(db) == [("PK4S-000778", "PASS")]


def test_a_scan_during_a_run_never_aborts_it_and_is_reported(tmp_path: Path) -> None:
    # The emulated pack takes the time a real one would, so the run is still on when the
    # scan arrives.
    for term, db in _station(tmp_path, "sim?realtime=1"):
        term.wait_for("Scan pack serial")
        term.scan("PK4S-000127")
        term.wait_for("Running PK4S-000127", "the run")
        term.scan("lot-a7")
        shown = term.wait_for("scan lot-a7 ignored", "the ignored scan")
        assert "Pack running: scan lot-a7 ignored, scan again when it ends" in shown
        term.wait_for(result_shown("PK4S-000127"), "the result")
        shown = term.settle()
        assert "ABORTED" not in shown
        assert attempts(db) == [("PK4S-000127", "PASS")]  # never queued: one pack, one run


def test_esc_twice_aborts_a_run(tmp_path: Path) -> None:
    for term, db in _station(tmp_path, "sim?realtime=1"):
        term.wait_for("Scan pack serial")
        term.scan("PK4S-000128")
        term.wait_for("Running PK4S-000128", "the run")
        term.key("escape")
        term.wait_for("Abort PK4S-000128?", "the abort question")
        term.key("escape")
        term.wait_for(result_shown("PK4S-000128"), "the result")
        assert attempts(db) == [("PK4S-000128", "ABORTED")]


def test_a_hundred_scans_at_scanner_speed(tmp_path: Path) -> None:
    recipes = recipes_with_long_serials(tmp_path / "recipes")
    for term, db in _station(tmp_path, "sim", recipes):
        term.wait_for("Scan pack serial")
        sent: list[str] = []
        for n in range(100):
            # valid and invalid in turn, 20 characters each; the invalid ones hold an "a"
            scan = f"PK4S-{n:015d}" if n % 2 == 0 else f"lot-a{n:03d}-XXXXXXXXXXX"
            assert len(scan) == 20
            sent.append(scan)
            term.scan(scan)
            if n % 2 == 0:
                term.wait_for(result_shown(scan), f"the result of {scan}")
            else:
                term.wait_for(f"REFUSED  {scan}", f"the refusal of {scan}")
        assert attempts(db) == [(s, "PASS") for s in sent[::2]]


def test_two_scans_in_one_burst_stay_two(station: tuple[Terminal, Path]) -> None:
    term, db = station
    term.wait_for("Scan pack serial")
    term.type("PK4S-000301\rPK4S-000302\r")
    term.wait_for(result_shown("PK4S-000301"), "the first pack's result")
    shown = term.wait_for(re.compile(r"PK4S-000302\b.*ignored").search, "the second scan")
    assert "PK4S-000301PK4S" not in shown
    assert attempts(db) == [("PK4S-000301", "PASS")]

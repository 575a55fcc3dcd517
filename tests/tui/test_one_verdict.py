"""One judgement, one word: a measurement's verdict is made once, where it is measured, and every
face shows that word: the operator terminal (its measurement table and its trace screen),
``station trace`` and ``station program``.

Checks the recipe judges (SafetyStatus, PFStatus, ManufacturingStatus, cells...) read PASS or FAIL;
readings nothing judges (firmware, device type) read INFO.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from station.tui.screens import LineScreen, TraceScreen
from station.tui.widgets import MeasurementTable, SectionsView
from tests.station_cli import clean_environment
from tests.tui.helpers import settle, type_and_enter
from tests.tui.real_station import RECIPE, REPO, locked_app, open_station

SERIAL = "PK4S-000123"
STATUS_CHECKS = ("SafetyStatus clear", "PFStatus clear", "ManufacturingStatus")
READINGS = ("firmware", "device type")
WORD = re.compile(r"\b(PASS|FAIL|INFO)\s*$")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)


def words_in_lines(lines: list[str], names: tuple[str, ...]) -> dict[str, str]:
    """The verdict word at the end of the line of each measurement ``name``."""
    found: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        for name in names:
            # The name, then "=" or a column gap ("firmware" is not "firmware build").
            if re.match(rf"{re.escape(name)}( =|  )", text) and name not in found:
                match = WORD.search(text)
                assert match, f"no verdict on {text!r}"
                found[name] = match.group(1)
    return found


def cli_words(*args: str) -> list[str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.output.splitlines()


async def terminal_words(folder: Path, bus: str) -> tuple[dict[str, str], dict[str, str]]:
    """(measurement table, trace screen) words after one pack on the real station, whose
    database is ``folder``/station.sqlite3."""
    folder.mkdir()
    station = open_station(folder)
    station.pack = bus.removeprefix("sim").removeprefix(":") or "default"
    app = locked_app(station)
    names = STATUS_CHECKS + READINGS
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        table = screen.query_one(MeasurementTable)
        shown: dict[str, str] = {}
        for i in range(table.row_count):
            cells = [str(cell) for cell in table.get_row_at(i)]
            # The name column cuts a long name with "…"; the Result column is the last.
            cut = cells[0].removesuffix("…")
            for name in names:
                if cells[0] == name or (cells[0].endswith("…") and name.startswith(cut)):
                    shown.setdefault(name, cells[-1])
        await pilot.press("f4")  # trace of the pack just run
        await settle(pilot)
        trace = app.screen
        assert isinstance(trace, TraceScreen)
        trace_rows = trace.query_one(SectionsView).text().splitlines()
    station.close()
    return shown, words_in_lines(trace_rows, names)


@pytest.mark.parametrize(
    ("bus", "status_words"),
    [
        ("sim", ("PASS", "PASS", "PASS")),
        # A protection is active: the SafetyStatus check fails, and verify stops at it.
        ("sim:safety", ("FAIL", "PASS", "PASS")),
    ],
)
async def test_every_face_shows_the_same_verdict_word(
    tmp_path: Path, bus: str, status_words: tuple[str, ...]
) -> None:
    expected = dict(zip(STATUS_CHECKS, status_words, strict=True)) | dict.fromkeys(READINGS, "INFO")

    table, trace_screen = await terminal_words(tmp_path / "terminal", bus)
    db = f"sqlite:///{tmp_path}/terminal/station.sqlite3"
    trace = words_in_lines(cli_words("trace", SERIAL, "--db", db), tuple(expected))

    program = words_in_lines(
        cli_words(
            "program",
            "--bus",
            bus,
            "--recipe",
            str(REPO / "recipes" / f"{RECIPE}.toml"),
            "--serial",
            SERIAL,
            "--operator",
            "alice",
            "--db",
            f"sqlite:///{tmp_path}/program.sqlite3",
            "--printer",
            f"file:{tmp_path}/labels",
        ),
        tuple(expected),
    )

    assert table == expected, "terminal measurement table"
    assert trace_screen == expected, "terminal trace screen"
    assert trace == expected, "station trace"
    assert program == expected, "station program"

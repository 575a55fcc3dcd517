"""A keyboard-wedge scanner on the line screen: it types printable keys and Enter, a whole serial
in one burst. A scan must never act as a key, never be lost, never be cut or run together."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from station.sequence.service import RunRequest
from station.tui.screens import LineScreen, Phase
from station.tui.widgets import VerdictBanner
from tests.tui.helpers import line, scanner_keys, settle, text_of, type_and_enter, wait_until
from tests.tui.real_station import (
    RealStation,
    locked_app,
    open_station,
    recipes_with_long_serials,
)

PASS_SERIAL = "PK4S-000123"
OTHER_SERIAL = "PK4S-000202"


def burst(pilot: Pilot[Any], text: str) -> None:
    """Send ``text`` (``\\n`` for Enter) as a scanner does: every key queued at once, nothing
    processed in between."""
    driver = pilot.app._driver
    assert driver is not None
    for event in scanner_keys(text):
        event.set_sender(pilot.app)
        driver.send_message(event)


async def running(pilot: Pilot[Any], station: RealStation) -> LineScreen:
    await settle(pilot)
    await type_and_enter(pilot, PASS_SERIAL)
    await wait_until(pilot, station.paused.is_set, "the run to reach the data-flash write")
    screen = line(pilot)
    assert screen.phase is Phase.RUNNING
    return screen


async def test_a_scan_typed_while_a_locked_shift_starts_is_the_first_pack(
    station: RealStation,
) -> None:
    station.start_gate = threading.Event()
    app = locked_app(station)
    async with app.run_test() as pilot:
        await wait_until(pilot, station.starting.is_set, "the locked shift to start")
        burst(pilot, PASS_SERIAL + "\n")
        await pilot.pause()
        station.start_gate.set()
        await settle(pilot)
        assert station.runs == [RunRequest(PASS_SERIAL)]
        assert line(pilot).query_one(VerdictBanner).word == "PASS"


async def test_the_scan_field_is_the_first_and_only_field_to_take_the_focus(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = line(pilot)
        # The run's notes once took the focus first and swallowed the first scan.
        assert [w.id for w in screen.focus_chain if w.id != "history-table"] == ["scan"]
        assert pilot.app.focused is screen.query_one("#scan")


async def test_a_scan_reaches_the_scan_field_even_when_it_does_not_have_the_focus(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        line(pilot).set_focus(None)
        await pilot.pause()
        burst(pilot, PASS_SERIAL + "\n")
        await settle(pilot)
        assert station.runs == [RunRequest(PASS_SERIAL)]


@pytest.mark.parametrize("scan", ["lot-a7", "PK4S-000127", "a", "A"])
async def test_a_scan_during_a_run_never_aborts_it_and_is_reported_ignored(
    station: RealStation, scan: str
) -> None:
    station.hold_in_apply()
    app = locked_app(station)
    async with app.run_test() as pilot:
        screen = await running(pilot, station)
        burst(pilot, scan + "\n")
        await pilot.pause()
        await pilot.pause()
        assert not screen.cancel or not screen.cancel.requested
        assert "Abort" not in text_of(pilot, "#run-status")
        note = text_of(pilot, "#scan-note")
        assert f"Pack running: scan {scan} ignored, scan again when it ends" in note
        assert screen.query_one("#scan-note").display
        station.resume.set()
        await settle(pilot)
        # Never queued: the run's pack is the only one run, and the screen shows its PASS.
        assert station.runs == [RunRequest(PASS_SERIAL)]
        assert station.serials_checked == [PASS_SERIAL]
        assert screen.query_one(VerdictBanner).word == "PASS"
        assert screen.scans == [(PASS_SERIAL, "run"), (scan, "ignored")]


async def test_abort_is_esc_confirmed_by_a_second_esc(station: RealStation) -> None:
    station.hold_in_apply(after_abort=True)
    app = locked_app(station)
    async with app.run_test() as pilot:
        screen = await running(pilot, station)
        await pilot.press("escape")
        assert "Abort PK4S-000123?" in text_of(pilot, "#run-status")
        assert screen.cancel is not None
        assert not screen.cancel.requested
        await pilot.press("x")  # any other key: carry on
        assert "Abort" not in text_of(pilot, "#run-status")
        assert not screen.cancel.requested

        await pilot.press("escape")
        await pilot.press("escape")
        assert screen.cancel.requested
        assert "Aborting at the next safe point" in text_of(pilot, "#run-status")
        station.resume.set()
        await settle(pilot)
        assert screen.query_one(VerdictBanner).word == "ABORTED"
        details = text_of(pilot, "#details")
        assert "aborted by the operator during Apply recipe" in details
        assert "data flash restored from the backup; sealed again as it arrived" in details
        assert station.attempts() == [(PASS_SERIAL, "ABORTED")]


async def test_the_footer_offers_no_printable_key_while_a_pack_runs(
    station: RealStation,
) -> None:
    station.hold_in_apply()
    app = locked_app(station)
    async with app.run_test() as pilot:
        screen = await running(pilot, station)
        keys = [b.key for (_, b, enabled, _) in screen.active_bindings.values() if enabled]
        assert "escape" in keys
        assert not [k for k in keys if len(k) == 1]
        station.resume.set()
        await settle(pilot)


async def test_a_second_scan_in_the_same_burst_is_reported_whole(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        burst(pilot, f"{PASS_SERIAL}\n{OTHER_SERIAL}\n")
        await settle(pilot)
        screen = line(pilot)
        assert station.runs == [RunRequest(PASS_SERIAL)]
        assert sorted(screen.scans) == [(PASS_SERIAL, "run"), (OTHER_SERIAL, "ignored")]
        assert OTHER_SERIAL in text_of(pilot, "#scan-note")


async def test_a_hundred_scans_at_scanner_speed_each_give_one_run_or_one_refusal(
    tmp_path: Path,
) -> None:
    station = open_station(tmp_path, recipes=str(recipes_with_long_serials(tmp_path / "r")))
    app = locked_app(station, bell=False)
    sent: list[str] = []
    async with app.run_test() as pilot:
        await settle(pilot)
        for n in range(100):
            # valid and invalid in turn, 20 characters each; the invalid ones hold an "a"
            scan = f"PK4S-{n:015d}" if n % 2 == 0 else f"lot-a{n:03d}-XXXXXXXXXXX"
            assert len(scan) == 20
            sent.append(scan)
            burst(pilot, scan + "\n")
            await settle(pilot)
        screen = line(pilot)
        assert [s for s, _ in screen.scans] == sent  # none lost, none cut, none run together
        assert station.serials_checked == sent
        outcomes = [what for _, what in screen.scans]
        assert outcomes == ["run" if n % 2 == 0 else "refused" for n in range(100)]
        assert [r.serial for r in station.runs] == sent[::2]
    assert station.attempts() == [(s, "PASS") for s in sent[::2]]
    station.close()


async def test_a_runaway_scanner_burst_is_refused_whole_and_the_field_stays_small(
    station: RealStation,
) -> None:
    app = locked_app(station, bell=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = line(pilot)
        field = screen.query_one("#scan")
        burst(pilot, PASS_SERIAL * 2000 + "\n")  # 22 000 characters, then Enter
        await settle(pilot)
        assert station.runs == []
        assert station.serials_checked == []
        assert "too long for a serial" in text_of(pilot, "#scan-note")
        assert "22000 characters" in text_of(pilot, "#scan-note")
        assert field.value == ""  # type: ignore[attr-defined]
        # The next scan goes straight on.
        burst(pilot, PASS_SERIAL + "\n")
        await settle(pilot)
        assert station.runs == [RunRequest(PASS_SERIAL)]

"""A keyboard-wedge scanner on the line screen: it types printable keys and Enter, a whole serial
in one burst. A scan must never act as a key, never be lost, never be cut or run together."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from station.sequence.service import RunRequest
from station.tui.screens import LineScreen, Phase
from station.tui.widgets import VerdictBanner
from tests.tui.fake_service import CELLS_SERIAL, PASS_SERIAL, FakeStationService
from tests.tui.helpers import line, line_app, settle, text_of, type_and_enter, wait_until


def burst(pilot: Pilot[Any], text: str) -> None:
    """Send ``text`` (``\\n`` for Enter) as a scanner does: every key queued at once, nothing
    processed in between."""
    driver = pilot.app._driver
    assert driver is not None
    for char in text:
        if char == "\n":
            event = events.Key("enter", "\r")
        elif char == "-":
            event = events.Key("minus", "-")
        elif char.isalnum():
            event = events.Key(char, char)
        else:
            event = events.Key(char, char)
        event.set_sender(pilot.app)
        driver.send_message(event)


async def running(pilot: Pilot[Any], fake: FakeStationService) -> LineScreen:
    await settle(pilot)
    await type_and_enter(pilot, PASS_SERIAL)
    await wait_until(pilot, fake.paused.is_set, "the run to reach the data-flash write")
    screen = line(pilot)
    assert screen.phase is Phase.RUNNING
    return screen


async def test_a_scan_typed_while_a_locked_shift_starts_is_the_first_pack(
    fake: FakeStationService,
) -> None:
    fake.start_gate = threading.Event()
    app = line_app(fake)
    async with app.run_test() as pilot:
        await wait_until(pilot, fake.starting.is_set, "the locked shift to start")
        burst(pilot, PASS_SERIAL + "\n")
        await pilot.pause()
        fake.start_gate.set()
        await settle(pilot)
        assert fake.runs == [RunRequest(PASS_SERIAL)]
        assert line(pilot).query_one(VerdictBanner).word == "PASS"


async def test_the_scan_field_is_the_first_and_only_field_to_take_the_focus(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = line(pilot)
        # The run's notes once took the focus first and swallowed the first scan.
        assert [w.id for w in screen.focus_chain if w.id != "history-table"] == ["scan"]
        assert pilot.app.focused is screen.query_one("#scan")


async def test_a_scan_reaches_the_scan_field_even_when_it_does_not_have_the_focus(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        line(pilot).set_focus(None)
        await pilot.pause()
        burst(pilot, PASS_SERIAL + "\n")
        await settle(pilot)
        assert fake.runs == [RunRequest(PASS_SERIAL)]


@pytest.mark.parametrize("scan", ["lot-a7", "PK4S-000127", "a", "A"])
async def test_a_scan_during_a_run_never_aborts_it_and_is_reported_ignored(
    fake: FakeStationService, scan: str
) -> None:
    fake.pause_in_apply = True
    app = line_app(fake)
    async with app.run_test() as pilot:
        screen = await running(pilot, fake)
        burst(pilot, scan + "\n")
        await pilot.pause()
        await pilot.pause()
        assert not screen.cancel or not screen.cancel.requested
        assert "Abort" not in text_of(pilot, "#run-status")
        note = text_of(pilot, "#scan-note")
        assert f"Pack running: scan {scan} ignored, scan again when it ends" in note
        assert screen.query_one("#scan-note").display
        fake.resume.set()
        await settle(pilot)
        # Never queued: the run's pack is the only one run, and the screen shows its PASS.
        assert fake.runs == [RunRequest(PASS_SERIAL)]
        assert fake.serials_checked == [PASS_SERIAL]
        assert screen.query_one(VerdictBanner).word == "PASS"
        assert screen.scans == [(PASS_SERIAL, "run"), (scan, "ignored")]


async def test_abort_is_esc_confirmed_by_a_second_esc(fake: FakeStationService) -> None:
    fake.pause_in_apply = True
    fake.hold_after_abort = True
    app = line_app(fake)
    async with app.run_test() as pilot:
        screen = await running(pilot, fake)
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
        fake.resume.set()
        await settle(pilot)
        assert screen.query_one(VerdictBanner).word == "ABORTED"
        details = text_of(pilot, "#details")
        assert "Stopped by the operator" in details
        assert "data flash restored from backup; not sealed" in details


async def test_the_footer_offers_no_printable_key_while_a_pack_runs(
    fake: FakeStationService,
) -> None:
    fake.pause_in_apply = True
    app = line_app(fake)
    async with app.run_test() as pilot:
        screen = await running(pilot, fake)
        keys = [b.key for (_, b, enabled, _) in screen.active_bindings.values() if enabled]
        assert "escape" in keys
        assert not [k for k in keys if len(k) == 1]
        fake.resume.set()
        await settle(pilot)


async def test_a_second_scan_in_the_same_burst_is_reported_whole(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        burst(pilot, f"{PASS_SERIAL}\n{CELLS_SERIAL}\n")
        await settle(pilot)
        screen = line(pilot)
        assert fake.runs == [RunRequest(PASS_SERIAL)]
        assert sorted(screen.scans) == [(PASS_SERIAL, "run"), (CELLS_SERIAL, "ignored")]
        assert CELLS_SERIAL in text_of(pilot, "#scan-note")


async def test_a_hundred_scans_at_scanner_speed_each_give_one_run_or_one_refusal() -> None:
    fake = FakeStationService(serial_template="PK4S-" + "#" * 15)
    app = line_app(fake, bell=False)
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
        assert fake.serials_checked == sent
        outcomes = [what for _, what in screen.scans]
        assert outcomes == ["run" if n % 2 == 0 else "refused" for n in range(100)]
        assert [r.serial for r in fake.runs] == sent[::2]


async def test_a_runaway_scanner_burst_is_refused_whole_and_the_field_stays_small(
    fake: FakeStationService,
) -> None:
    app = line_app(fake, bell=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = line(pilot)
        field = screen.query_one("#scan")
        burst(pilot, PASS_SERIAL * 2000 + "\n")  # 22 000 characters, then Enter
        await settle(pilot)
        assert fake.runs == []
        assert fake.serials_checked == []
        assert "too long for a serial" in text_of(pilot, "#scan-note")
        assert "22000 characters" in text_of(pilot, "#scan-note")
        assert field.value == ""  # type: ignore[attr-defined]
        # The next scan goes straight on.
        burst(pilot, PASS_SERIAL + "\n")
        await settle(pilot)
        assert fake.runs == [RunRequest(PASS_SERIAL)]

"""The line screen on the real station service (emulator, SQLite, label files): scan, run,
verdict, rework, abort, reprint. Each emulated pack is a scenario of ``station.emulator``."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC

import pytest
from textual.widgets import DataTable, Input, ProgressBar

from station.sequence.events import Outcome, StepId
from station.sequence.service import RunRequest
from station.tui import StationApp
from station.tui.screens import AuthoriseScreen, LineScreen, Phase
from station.tui.widgets import HistoryPanel, MeasurementTable, StepChecklist, VerdictBanner
from tests.tui.helpers import (
    badge_and_pin,
    focused_id,
    line,
    scan,
    settle,
    text_of,
    type_and_enter,
    wait_until,
)
from tests.tui.real_station import OPERATOR, PIN, SUPERVISOR, RealStation, locked_app

SIZES = [(80, 24), (120, 40)]
SERIAL = "PK4S-000123"
PASSED_SERIAL = "PK4S-000777"


def count_bells(app: StationApp) -> list[int]:
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    return rings


def trace_text(station: RealStation, serial: str) -> str:
    return "\n".join(f"{k} {v}" for s in station.service.trace(serial) for k, v in s.rows)


@pytest.mark.parametrize("size", SIZES)
async def test_a_passing_pack(station: RealStation, size: tuple[int, int]) -> None:
    app = locked_app(station)
    rings = count_bells(app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = line(pilot)
        assert "Scan pack serial" in text_of(pilot, "#prompt")
        assert SERIAL in text_of(pilot, "#example")

        await scan(pilot, SERIAL)

        assert station.runs == [RunRequest(SERIAL)]
        assert station.attempts() == [(SERIAL, "PASS")]
        assert screen.phase is Phase.RESULT
        banner = screen.query_one(VerdictBanner)
        assert banner.word == "PASS"
        assert banner.has_class("-verdict-pass")
        assert banner.display
        assert SERIAL in str(banner.render())
        checklist = screen.query_one(StepChecklist)
        assert all(checklist.state_of(step) == "PASS" for step in screen.shift.recipe.steps)
        assert screen.query_one(MeasurementTable).row_count > 0
        details = text_of(pilot, "#details")
        assert "sealed" in details
        assert f"printed on file:{station.tmp}/labels" in details
        assert [p.suffix for p in station.labels(SERIAL)] == [".png", ".svg", ".zpl"]
        assert rings == []
        # The verdict stays until the next scan, and the scan field keeps the focus.
        assert focused_id(pilot) == "scan"
        assert "Scan the next pack serial" in text_of(pilot, "#prompt")
        table = screen.query_one("#history-table", DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)[1:3]] == [SERIAL, "PASS"]
        assert "Passed 1" in text_of(pilot, "#history-counters")
        assert "100.0 %" in text_of(pilot, "#history-counters")


FAILURES = [
    (
        "foreign-keys",
        Outcome.FAIL,
        StepId.UNSEAL,
        "SEALED_UNKNOWN_KEYS",
        "sealed with keys this key set does not open",
        "Do not retry. Put the pack aside for a supervisor",
        "nothing was written; sealed again as it arrived",
    ),
    (
        "3-cells",
        Outcome.FAIL,
        StepId.VERIFY,
        "CELL_COUNT",
        "cells seen = 3 [4..4] FAIL",
        "Check the cell connections of the pack",
        "it was NOT sealed",
    ),
    (
        "nack-mid-write",
        Outcome.ERROR,
        StepId.APPLY,
        "BUS_NACK",
        "the gauge did not acknowledge",
        "Check the pack is seated in the fixture",
        "data flash written (2 of 10 writes, write 3 unconfirmed) but not verified",
    ),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("pack", "outcome", "step", "code", "reason", "action", "pack_state"), FAILURES
)
async def test_a_failing_pack_says_why_and_what_to_do(
    station: RealStation,
    size: tuple[int, int],
    pack: str,
    outcome: Outcome,
    step: StepId,
    code: str,
    reason: str,
    action: str,
    pack_state: str,
) -> None:
    station.pack = pack
    app = locked_app(station)
    rings = count_bells(app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        screen = line(pilot)
        banner = screen.query_one(VerdictBanner)
        assert banner.word == outcome.value
        assert banner.has_class(f"-verdict-{outcome.value.lower()}")
        assert not banner.has_class("-verdict-pass")
        details = text_of(pilot, "#details")
        for expected in (code, reason, action, pack_state, "not printed"):
            assert expected in details
        checklist = screen.query_one(StepChecklist)
        assert checklist.state_of(step) == outcome.value
        steps = list(screen.shift.recipe.steps)
        assert all(checklist.state_of(s) == "PASS" for s in steps[: steps.index(step)])
        later = steps[steps.index(step) + 1 :]
        # Every later step is skipped, except the record: a failed attempt is recorded too.
        assert [checklist.state_of(s) for s in later] == [
            "PASS" if s is StepId.RECORD else "SKIPPED" for s in later
        ]
        assert rings == [1]
        assert focused_id(pilot) == "scan"
        counted = "Errors 1" if outcome is Outcome.ERROR else "Failed 1"
        assert counted in text_of(pilot, "#history-counters")
        history = screen.query_one("#history-table", DataTable)
        assert str(history.get_row_at(0)[2]) == outcome.value
        assert station.attempts() == [(SERIAL, outcome.value)]
        assert station.labels(SERIAL) == []


async def test_the_data_flash_write_shows_how_far_it_got_when_the_gauge_stops_answering(
    station: RealStation,
) -> None:
    station.pack = "nack-mid-write"  # writes NACK from the 3rd one on
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        screen = line(pilot)
        bar = screen.query_one("#flash", ProgressBar)
        assert (bar.progress, bar.total) == (2, 10)
        assert "2/10" in text_of(pilot, "#flash-label")


async def test_a_cell_count_failure_shows_the_measurement_against_its_limits(
    station: RealStation,
) -> None:
    station.pack = "3-cells"
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        table = line(pilot).query_one(MeasurementTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["cells seen", "3", "4", "4", "FAIL"] in rows


async def test_live_validation_marks_a_scan_that_cannot_become_a_serial(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        scan_field = line(pilot).query_one("#scan", Input)
        await pilot.press(*"PK4")
        assert not scan_field.has_class("-bad")
        assert text_of(pilot, "#scan-hint") == ""
        await pilot.press("X")
        assert scan_field.has_class("-bad")
        assert "cannot become a serial" in text_of(pilot, "#scan-hint")
        await pilot.press("backspace")
        assert not scan_field.has_class("-bad")


BUSY_SERIAL = "PK4S-000888"


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("PK4S-12", 'is not a serial of this recipe: expected "PK4S-" and six digits'),
        ("HELLO", "is not a serial of this recipe"),
        (BUSY_SERIAL, "is being programmed at station ST-02 socket A since"),
    ],
)
async def test_a_bad_scan_is_refused_and_the_field_cleared(
    station: RealStation, serial: str, expected: str
) -> None:
    station.claimed_at("ST-02", BUSY_SERIAL)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, serial)
        screen = line(pilot)
        message = text_of(pilot, "#scan-message")
        assert "REFUSED" in message
        assert serial in message
        assert expected in message
        assert screen.query_one("#scan-message").has_class("-refused")
        assert screen.query_one("#scan", Input).value == ""
        assert focused_id(pilot) == "scan"
        assert screen.phase is Phase.READY
        assert station.runs == []
        assert station.attempts() == []
        # The next scan goes straight on.
        await scan(pilot, SERIAL)
        assert station.runs == [RunRequest(SERIAL)]


async def test_a_passed_pack_needs_a_supervisor_and_esc_cancels(station: RealStation) -> None:
    passed = station.passed_at("ST-02", PASSED_SERIAL)
    assert passed.outcome is Outcome.PASS
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        dialog = app.screen
        assert isinstance(dialog, AuthoriseScreen)
        info = text_of(pilot, "#auth-info")
        assert "already PASSED" in info
        (record,) = station.service.socket.store.pack_history(PASSED_SERIAL)
        ended = record.ended_at
        assert ended is not None
        assert f"{ended.astimezone(UTC):%Y-%m-%d %H:%M}" in info
        assert "ST-02" in info
        assert focused_id(pilot) == "supervisor"
        await pilot.press("escape")
        await settle(pilot)
        screen = line(pilot)
        assert "Rework cancelled" in text_of(pilot, "#scan-message")
        assert focused_id(pilot) == "scan"
        assert screen.phase is Phase.READY
        assert station.runs == []
        assert station.service.socket.store.pending_rework(PASSED_SERIAL) is None


async def test_an_operator_badge_cannot_authorise_a_rework(station: RealStation) -> None:
    station.passed_at("ST-02", PASSED_SERIAL)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert isinstance(app.screen, AuthoriseScreen)
        message = text_of(pilot, "#auth-message")
        assert "OP-0001 is an operator badge" in message
        assert "supervisor" in message
        assert app.screen.query_one("#reasons").disabled
        assert station.service.socket.store.pending_rework(PASSED_SERIAL) is None


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        (["enter"], "Failed downstream test"),
        (["down", "enter"], "Customer return"),
        (["down", "down", "down", "enter", *"cracked case", "enter"], "Other: cracked case"),
    ],
)
async def test_a_supervisor_authorises_a_rework_then_the_pack_runs(
    station: RealStation, keys: list[str], reason: str
) -> None:
    station.passed_at("ST-02", PASSED_SERIAL)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        await type_and_enter(pilot, SUPERVISOR)
        await settle(pilot)
        assert focused_id(pilot) == "pin"
        pin = app.screen.query_one("#pin", Input)
        assert pin.password  # dots on screen, never the digits
        await type_and_enter(pilot, PIN)
        await settle(pilot)
        assert focused_id(pilot) == "reasons"
        await pilot.press(*keys)
        await settle(pilot)
        (request,) = station.runs
        auth = request.rework
        assert auth is not None
        assert (auth.serial, auth.supervisor, auth.reason) == (PASSED_SERIAL, SUPERVISOR, reason)
        assert line(pilot).query_one(VerdictBanner).word == "PASS"
        assert station.attempts() == [(PASSED_SERIAL, "PASS"), (PASSED_SERIAL, "PASS")]
        assert reason in trace_text(station, PASSED_SERIAL)


async def test_quitting_is_refused_while_a_pack_runs(station: RealStation) -> None:
    station.hold_in_apply()
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, SERIAL)
        await wait_until(pilot, station.paused.is_set, "the run to reach the data-flash write")
        await pilot.press("ctrl+q")
        assert app.is_running
        assert line(pilot).phase is Phase.RUNNING
        station.resume.set()
        await settle(pilot)
        assert line(pilot).query_one(VerdictBanner).word == "PASS"


async def test_retry_runs_the_same_serial_again(station: RealStation) -> None:
    station.pack = "3-cells"
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        await pilot.press("f2")
        await settle(pilot)
        assert [r.serial for r in station.runs] == [SERIAL, SERIAL]
        assert station.serials_checked == [SERIAL, SERIAL]
        assert station.attempts() == [(SERIAL, "FAIL"), (SERIAL, "FAIL")]


def reprints(station: RealStation) -> list[tuple[str, str, str]]:
    """(serial, reason, supervisor) of every label reprint in the audit log, oldest first."""
    entries = station.service.socket.store.audit_entries(action="LABEL_REPRINTED")
    return [(e.subject, e.detail["reason"], e.who) for e in reversed(entries)]


async def test_reprint_needs_a_supervisor_and_a_reason(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")  # the newest passed pack of the shift
        await settle(pilot)
        assert isinstance(app.screen, AuthoriseScreen)
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert "supervisor badge" in text_of(pilot, "#auth-message")
        await badge_and_pin(pilot, SUPERVISOR, PIN)
        await pilot.press("enter")  # "Label damaged"
        await settle(pilot)
        assert reprints(station) == [(SERIAL, "Label damaged", SUPERVISOR)]
        details = text_of(pilot, "#details")
        assert "Reprint" in details
        assert f"label {SERIAL} written to" in details
        assert len(station.labels(SERIAL)) == 6  # the run's label and the reprint's
        assert focused_id(pilot) == "scan"


async def test_a_reprint_on_an_offline_printer_says_so(station: RealStation) -> None:
    app = locked_app(station)
    rings = count_bells(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        # The printer goes away: its folder is now a file nothing can be written into.
        folder = station.tmp / "labels"
        for printed in folder.iterdir():
            printed.unlink()
        folder.rmdir()
        folder.write_text("not a folder", encoding="utf-8")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await badge_and_pin(pilot, SUPERVISOR, PIN)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert reprints(station) == [(SERIAL, "Label unreadable", SUPERVISOR)]
        details = text_of(pilot, "#details")
        assert "Reprint NOT printed" in details
        assert "the label files could not be written" in details
        assert "stays PASS and sealed" in details
        assert rings == [1]


async def test_reprint_offers_only_the_packs_that_passed_this_shift(
    station: RealStation,
) -> None:
    station.pack = "3-cells"
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        await pilot.press("f3")
        await settle(pilot)
        assert "No pack has passed this shift" in text_of(pilot, "#packs")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert reprints(station) == []


async def test_reprint_works_for_any_pack_of_the_shift(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        await scan(pilot, "PK4S-000124")
        station.pack = "3-cells"
        await scan(pilot, "PK4S-000125")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down", "enter")  # the older of the two passed packs
        await settle(pilot)
        await badge_and_pin(pilot, SUPERVISOR, PIN)
        await pilot.press("enter")
        await settle(pilot)
        assert reprints(station) == [(SERIAL, "Label damaged", SUPERVISOR)]
        assert f"Reprint of {SERIAL}" in text_of(pilot, "#scan-message")


async def test_history_sits_beside_on_a_wide_terminal_and_below_on_a_narrow_one(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = line(pilot)
        history, scan_area = screen.query_one(HistoryPanel), screen.query_one("#scan-area")
        assert history.region.y >= scan_area.region.bottom
        await pilot.resize_terminal(120, 40)
        await wait_until(
            pilot, lambda: history.region.x >= scan_area.region.right, "the wide layout"
        )
        assert history.region.y < scan_area.region.bottom


async def test_history_shows_failure_codes_when_it_has_the_full_width(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for serial, pack in (
            ("PK4S-000101", "default"),
            ("PK4S-000102", "default"),
            ("PK4S-000103", "3-cells"),
            ("PK4S-000104", "nack-mid-write"),
            ("PK4S-000104", "default"),
        ):
            station.pack = pack
            await scan(pilot, serial)
        table = line(pilot).query_one("#history-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        error = station.service.socket.store.pack_history("PK4S-000104")[0]
        assert error.cycle_time_s is not None
        assert rows[1] == [
            f"{error.started_at.astimezone(UTC):%H:%M}",
            "PK4S-000104",
            "ERROR",
            f"{error.cycle_time_s:.1f} s",
            "BUS_NACK",
        ]
        assert "Passed 3  Failed 1  Errors 1" in text_of(pilot, "#history-counters")
        assert "50.0 %" in text_of(pilot, "#history-counters")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert len(table.get_row_at(1)) == 4  # beside the scan field: no room for the code


async def test_sigterm_aborts_the_run_at_its_safe_point_then_closes_the_terminal(
    station: RealStation,
) -> None:
    """``systemctl stop``/``restart`` sends SIGTERM: the run is aborted like an operator would
    (never killed mid-write), its verdict shown, then the terminal closes."""
    station.hold_in_apply(after_abort=True)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, SERIAL)
        await wait_until(pilot, station.paused.is_set, "the run to reach the data-flash write")
        handlers = getattr(asyncio.get_running_loop(), "_signal_handlers", {})
        if signal.SIGTERM not in handlers:
            pytest.fail("the terminal does not handle SIGTERM: the service manager would kill it")
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_until(pilot, lambda: line(pilot).cancel.requested, "the stop to be seen")
        screen = line(pilot)
        assert screen.phase is Phase.RUNNING  # still finishing: the terminal waits for it
        assert "Station stopping" in "\n".join(screen.notice_lines)
        station.resume.set()  # the engine reaches its safe point
        await wait_until(pilot, lambda: app._exit, "the terminal to close")
        assert screen.query_one(VerdictBanner).word == "ABORTED"
    assert station.attempts() == [(SERIAL, "ABORTED")]


async def test_a_wrong_pin_is_refused_by_the_service_and_asked_again(
    station: RealStation,
) -> None:
    station.passed_at("ST-02", PASSED_SERIAL)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        await badge_and_pin(pilot, SUPERVISOR, "9999")
        await pilot.press("enter")  # a reason: the service then checks badge and PIN
        await settle(pilot)
        assert isinstance(app.screen, AuthoriseScreen)
        assert "wrong PIN for badge SUP-0001" in text_of(pilot, "#auth-message")
        assert focused_id(pilot) == "pin"
        assert app.screen.query_one("#pin", Input).value == ""  # never kept
        assert station.service.socket.store.pending_rework(PASSED_SERIAL) is None
        await type_and_enter(pilot, PIN)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        (request,) = station.runs
        assert request.rework is not None
        assert line(pilot).query_one(VerdictBanner).word == "PASS"

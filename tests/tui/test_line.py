"""The line screen against the scripted service: scan, run, verdict, rework, abort, reprint."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from textual.widgets import DataTable, Input, ProgressBar

from station.sequence.events import Outcome, StepId
from station.sequence.service import RunRequest
from station.tui import StationApp
from station.tui.screens import AuthoriseScreen, LineScreen, Phase
from station.tui.widgets import HistoryPanel, MeasurementTable, StepChecklist, VerdictBanner
from tests.tui.fake_service import (
    ALL_STEPS,
    BUSY_SERIAL,
    CELLS_SERIAL,
    FAKE_PIN,
    NACK_SERIAL,
    PASS_SERIAL,
    PASSED_SERIAL,
    SEALED_SERIAL,
    FakeStationService,
    seed_history,
)
from tests.tui.helpers import (
    OPERATOR,
    SUPERVISOR,
    badge_and_pin,
    focused_id,
    line,
    line_app,
    scan,
    settle,
    text_of,
    type_and_enter,
    wait_until,
)

SIZES = [(80, 24), (120, 40)]


def count_bells(app: StationApp) -> list[int]:
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    return rings


@pytest.mark.parametrize("size", SIZES)
async def test_a_passing_pack(fake: FakeStationService, size: tuple[int, int]) -> None:
    app = line_app(fake)
    rings = count_bells(app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = line(pilot)
        assert "Scan pack serial" in text_of(pilot, "#prompt")
        assert "PK4S-000123" in text_of(pilot, "#example")

        await scan(pilot, PASS_SERIAL)

        assert fake.runs == [RunRequest(PASS_SERIAL)]
        assert screen.phase is Phase.RESULT
        banner = screen.query_one(VerdictBanner)
        assert banner.word == "PASS"
        assert banner.has_class("-verdict-pass")
        assert banner.display
        assert "PK4S-000123" in str(banner.render())
        checklist = screen.query_one(StepChecklist)
        assert all(checklist.state_of(step) == "PASS" for step in ALL_STEPS)
        assert screen.query_one(MeasurementTable).row_count == 6
        details = text_of(pilot, "#details")
        assert "sealed" in details
        assert "printed on zpl-tcp:10.0.0.9:9100" in details
        assert rings == []
        # The verdict stays until the next scan, and the scan field keeps the focus.
        assert focused_id(pilot) == "scan"
        assert "Scan the next pack serial" in text_of(pilot, "#prompt")
        table = screen.query_one("#history-table", DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)[1:3]] == [PASS_SERIAL, "PASS"]
        assert "Passed 1" in text_of(pilot, "#history-counters")
        assert "100.0 %" in text_of(pilot, "#history-counters")


FAILURES = [
    (
        SEALED_SERIAL,
        Outcome.FAIL,
        StepId.UNSEAL,
        "SEALED_UNKNOWN_KEYS",
        "sealed with keys this station does not know",
        "Do not retry. Put the pack aside for a supervisor",
        "sealed, not changed",
    ),
    (
        CELLS_SERIAL,
        Outcome.FAIL,
        StepId.VERIFY,
        "CELL_COUNT",
        "sees 3 cells",
        "Check the cell connections of the pack",
        "not sealed",
    ),
    (
        NACK_SERIAL,
        Outcome.ERROR,
        StepId.APPLY,
        "BUS_NACK",
        "stopped answering (NACK)",
        "Check the pack is seated in the fixture",
        "data flash restored from backup",
    ),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("serial", "outcome", "step", "code", "reason", "action", "pack_state"), FAILURES
)
async def test_a_failing_pack_says_why_and_what_to_do(
    fake: FakeStationService,
    size: tuple[int, int],
    serial: str,
    outcome: Outcome,
    step: StepId,
    code: str,
    reason: str,
    action: str,
    pack_state: str,
) -> None:
    app = line_app(fake)
    rings = count_bells(app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await scan(pilot, serial)
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
        steps = list(ALL_STEPS)
        assert all(checklist.state_of(s) == "PASS" for s in steps[: steps.index(step)])
        assert all(checklist.state_of(s) == "SKIPPED" for s in steps[steps.index(step) + 1 :])
        assert rings == [1]
        assert focused_id(pilot) == "scan"
        counted = "Errors 1" if outcome is Outcome.ERROR else "Failed 1"
        assert counted in text_of(pilot, "#history-counters")
        history = screen.query_one("#history-table", DataTable)
        assert str(history.get_row_at(0)[2]) == outcome.value


async def test_the_data_flash_write_shows_progress_and_the_bus_fault_notice(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan(pilot, NACK_SERIAL)
        screen = line(pilot)
        bar = screen.query_one("#flash", ProgressBar)
        assert (bar.progress, bar.total) == (92, 230)
        assert "block 92/230" in text_of(pilot, "#flash-label")
        assert any("NACK at block 92" in note for note in screen.notice_lines)


async def test_a_cell_count_failure_shows_the_measurement_against_its_limits(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await scan(pilot, CELLS_SERIAL)
        table = line(pilot).query_one(MeasurementTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["Cell count", "3", "4", "4", "FAIL"] in rows


async def test_live_validation_marks_a_scan_that_cannot_become_a_serial(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
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


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("PK4S-12", "is not a PK4S serial"),
        ("HELLO", "is not a PK4S serial"),
        (BUSY_SERIAL, "station ST-02 since 10:42"),
    ],
)
async def test_a_bad_scan_is_refused_and_the_field_cleared(
    fake: FakeStationService, serial: str, expected: str
) -> None:
    app = line_app(fake)
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
        assert fake.runs == []
        # The next scan goes straight on.
        await scan(pilot, PASS_SERIAL)
        assert fake.runs == [RunRequest(PASS_SERIAL)]


async def test_a_passed_pack_needs_a_supervisor_and_esc_cancels(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        dialog = app.screen
        assert isinstance(dialog, AuthoriseScreen)
        info = text_of(pilot, "#auth-info")
        assert "already PASSED" in info
        assert "2026-06-30 09:42" in info
        assert "ST-02" in info
        assert focused_id(pilot) == "supervisor"
        await pilot.press("escape")
        await settle(pilot)
        screen = line(pilot)
        assert "Rework cancelled" in text_of(pilot, "#scan-message")
        assert focused_id(pilot) == "scan"
        assert screen.phase is Phase.READY
        assert fake.runs == []
        assert fake.reworks == []


async def test_an_operator_badge_cannot_authorise_a_rework(fake: FakeStationService) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert isinstance(app.screen, AuthoriseScreen)
        message = text_of(pilot, "#auth-message")
        assert "OP-0001 is a operator badge" in message or "operator badge" in message
        assert "supervisor" in message
        assert app.screen.query_one("#reasons").disabled
        assert fake.reworks == []


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        (["enter"], "Failed downstream test"),
        (["down", "enter"], "Customer return"),
        (["down", "down", "down", "enter", *"cracked case", "enter"], "Other: cracked case"),
    ],
)
async def test_a_supervisor_authorises_a_rework_then_the_pack_runs(
    fake: FakeStationService, keys: list[str], reason: str
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        await type_and_enter(pilot, SUPERVISOR)
        await settle(pilot)
        assert focused_id(pilot) == "pin"
        pin = app.screen.query_one("#pin", Input)
        assert pin.password  # dots on screen, never the digits
        await type_and_enter(pilot, FAKE_PIN)
        await settle(pilot)
        assert focused_id(pilot) == "reasons"
        await pilot.press(*keys)
        await settle(pilot)
        assert len(fake.reworks) == 1
        auth = fake.reworks[0]
        assert (auth.serial, auth.supervisor, auth.reason) == (PASSED_SERIAL, SUPERVISOR, reason)
        assert fake.runs == [RunRequest(PASSED_SERIAL, rework=auth)]
        assert line(pilot).query_one(VerdictBanner).word == "PASS"


async def test_quitting_is_refused_while_a_pack_runs(fake: FakeStationService) -> None:
    fake.pause_in_apply = True
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, PASS_SERIAL)
        await wait_until(pilot, fake.paused.is_set, "the run to reach the data-flash write")
        await pilot.press("ctrl+q")
        assert app.is_running
        assert line(pilot).phase is Phase.RUNNING
        fake.resume.set()
        await settle(pilot)


async def test_retry_runs_the_same_serial_again(fake: FakeStationService) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, CELLS_SERIAL)
        await pilot.press("f2")
        await settle(pilot)
        assert [r.serial for r in fake.runs] == [CELLS_SERIAL, CELLS_SERIAL]
        assert fake.serials_checked == [CELLS_SERIAL, CELLS_SERIAL]


async def test_reprint_needs_a_supervisor_and_a_reason(fake: FakeStationService) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASS_SERIAL)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")  # the newest passed pack of the shift
        await settle(pilot)
        assert isinstance(app.screen, AuthoriseScreen)
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert "supervisor badge" in text_of(pilot, "#auth-message")
        await badge_and_pin(pilot, SUPERVISOR, FAKE_PIN)
        await pilot.press("enter")  # "Label damaged"
        await settle(pilot)
        assert fake.reprints == [(PASS_SERIAL, "Label damaged (authorised by SUP-0001)")]
        details = text_of(pilot, "#details")
        assert "Reprint" in details
        assert "sent to printer" in details
        assert focused_id(pilot) == "scan"


async def test_a_reprint_on_an_offline_printer_says_so(fake: FakeStationService) -> None:
    app = line_app(fake)
    rings = count_bells(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASS_SERIAL)
        fake.printer_online = False
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await badge_and_pin(pilot, SUPERVISOR, FAKE_PIN)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert fake.reprints == [(PASS_SERIAL, "Label unreadable (authorised by SUP-0001)")]
        details = text_of(pilot, "#details")
        assert "NOT printed" in details
        assert "printer offline" in details
        assert rings == [1]


async def test_reprint_offers_only_the_packs_that_passed_this_shift(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, CELLS_SERIAL)
        await pilot.press("f3")
        await settle(pilot)
        assert "No pack has passed this shift" in text_of(pilot, "#packs")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LineScreen)
        assert fake.reprints == []


async def test_reprint_works_for_any_pack_of_the_shift(fake: FakeStationService) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASS_SERIAL)
        await scan(pilot, "PK4S-000124")
        await scan(pilot, CELLS_SERIAL)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down", "enter")  # the older of the two passed packs
        await settle(pilot)
        await badge_and_pin(pilot, SUPERVISOR, FAKE_PIN)
        await pilot.press("enter")
        await settle(pilot)
        assert fake.reprints == [(PASS_SERIAL, "Label damaged (authorised by SUP-0001)")]
        assert "Reprint of PK4S-000123" in text_of(pilot, "#scan-message")


async def test_history_sits_beside_on_a_wide_terminal_and_below_on_a_narrow_one(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
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
    fake: FakeStationService,
) -> None:
    seed_history(fake)
    app = line_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = line(pilot).query_one("#history-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[1] == ["06:08", "PK4S-000104", "ERROR", "22.8 s", "BUS_NACK"]
        assert "Passed 3  Failed 1  Errors 1" in text_of(pilot, "#history-counters")
        assert "50.0 %" in text_of(pilot, "#history-counters")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert len(table.get_row_at(1)) == 4  # beside the scan field: no room for the code


async def test_sigterm_aborts_the_run_at_its_safe_point_then_closes_the_terminal(
    fake: FakeStationService,
) -> None:
    """``systemctl stop``/``restart`` sends SIGTERM: the run is aborted like an operator would
    (never killed mid-write), its verdict shown, then the terminal closes."""
    fake.pause_in_apply = True
    fake.hold_after_abort = True
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_and_enter(pilot, PASS_SERIAL)
        await wait_until(pilot, fake.paused.is_set, "the run to reach the data-flash write")
        handlers = getattr(asyncio.get_running_loop(), "_signal_handlers", {})
        if signal.SIGTERM not in handlers:
            pytest.fail("the terminal does not handle SIGTERM: the service manager would kill it")
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_until(pilot, lambda: line(pilot).cancel.requested, "the stop to be seen")
        screen = line(pilot)
        assert screen.phase is Phase.RUNNING  # still finishing: the terminal waits for it
        assert "Station stopping" in "\n".join(screen.notice_lines)
        fake.resume.set()  # the engine reaches its safe point
        await wait_until(pilot, lambda: app._exit, "the terminal to close")
        assert screen.query_one(VerdictBanner).word == "ABORTED"


async def test_a_wrong_pin_is_refused_by_the_service_and_asked_again(
    fake: FakeStationService,
) -> None:
    app = line_app(fake)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, PASSED_SERIAL)
        await badge_and_pin(pilot, SUPERVISOR, "9999")
        await pilot.press("enter")  # a reason: the service then checks badge and PIN
        await settle(pilot)
        assert isinstance(app.screen, AuthoriseScreen)
        assert "wrong PIN" in text_of(pilot, "#auth-message")
        assert focused_id(pilot) == "pin"
        assert app.screen.query_one("#pin", Input).value == ""  # never kept
        assert fake.reworks == []
        assert [c.pin for c in fake.credentials_given] == ["9999"]
        await type_and_enter(pilot, FAKE_PIN)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert len(fake.reworks) == 1

"""A station defect on the operator terminal: the operator reads "station fault, call a
technician", never a traceback; the technician finds the traceback in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import station.sequence.steps.finish as finishing_steps
from station.logs import Face, LogSettings, configure
from station.logs.files import parse_entries
from station.tui.screens import LineScreen
from station.tui.widgets import VerdictBanner
from tests.tui.helpers import scan, settle, text_of, type_and_enter
from tests.tui.real_station import RealStation, locked_app

SERIAL = "PK4S-000123"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info is not None]


async def test_a_defect_in_a_step_shows_a_station_fault_and_logs_the_traceback(
    station: RealStation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_checks(*args: object) -> object:
        raise TypeError("unsupported operand type(s) for -: 'NoneType' and 'float'")

    monkeypatch.setattr(finishing_steps, "evaluate_checks", broken_checks)
    setup = configure(LogSettings("ST-01", "A", tmp_path / "logs"), Face.TERMINAL, environ={})
    app = locked_app(station)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_and_enter(pilot, SERIAL)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        assert screen.query_one(VerdictBanner).word == "ERROR"
        details = text_of(pilot, "#details")
        assert "STATION_FAULT" in details
        assert "call a technician" in details
        shown = app.export_screenshot()
    setup.close()
    assert "Traceback" not in shown
    assert "broken_checks" not in shown
    (record,) = tracebacks(caplog)
    assert record.getMessage() == "station fault during verify: TypeError"
    log = (tmp_path / "logs" / "station.log").read_text(encoding="utf-8")
    (fault,) = [e for e in parse_entries(log.splitlines()) if e.level == "ERROR"]
    assert "in broken_checks" in fault.message
    assert (fault.fields["attempt"], fault.fields["step"]) == ("1", "verify")


async def test_a_crashed_run_worker_is_logged_and_shown_as_a_station_fault(
    station: RealStation, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A defect in the service itself (the real one turns every pack and station problem into a
    # result), put there on purpose.
    def crash(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the service itself broke")

    monkeypatch.setattr(station.service, "run", crash)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        await settle(pilot)
        assert app.screen.query_one(VerdictBanner).word == "ERROR"
        details = text_of(pilot, "#details")
        assert "STATION_FAULT" in details
        assert "call a technician" in details
        assert "Traceback" not in app.export_screenshot()
    (record,) = tracebacks(caplog)
    assert "RuntimeError: the service itself broke" in logging.Formatter().format(record)


async def test_a_failing_service_call_says_call_a_technician_and_logs_it(
    station: RealStation, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The database's disk is full: what the real check would meet, put there on purpose.
    def locked(*args: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(station.service, "check_serial", locked)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, SERIAL)
        await settle(pilot)
        message = text_of(pilot, "#scan-message")
        assert "Station fault (OSError)" in message
        assert "Call a technician" in message
        assert "Traceback" not in app.export_screenshot()
    (record,) = tracebacks(caplog)
    assert record.name == "station.tui"


async def test_a_defect_in_the_terminal_itself_leaves_words_not_a_traceback(
    station: RealStation,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app = locked_app(station)

    def defect() -> None:
        raise ZeroDivisionError("division by zero in a widget")

    async def operate() -> None:
        async with app.run_test() as pilot:
            await settle(pilot)
            app.call_later(defect)
            await pilot.pause()
            await pilot.pause()

    with pytest.raises(ZeroDivisionError):  # run_test() raises it again, for tests only
        await operate()
    assert app.return_code == 1
    out, err = capfd.readouterr()
    left_on_screen = out + err  # what Textual prints as it leaves the screen
    assert "Station fault: the operator terminal stopped on an unexpected ZeroDivisionError" in (
        left_on_screen
    )
    assert "call a technician" in left_on_screen
    assert "Traceback" not in left_on_screen
    assert "division by zero in a widget" not in left_on_screen  # no message, locals or source
    (record,) = tracebacks(caplog)
    assert record.levelno == logging.CRITICAL
    assert record.name == "station.tui"

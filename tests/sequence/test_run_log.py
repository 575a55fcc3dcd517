"""Each attempt's story in the station log, as a technician reads it the next morning: every
line of a run carries its attempt id; a failure says its code, reason and the pack's state; a
station defect is logged with its traceback and shown to the operator as a station fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import station.sequence.engine as engine
import station.sequence.steps.finish as finishing_steps
from station.config import StationConfig
from station.logs import Face, LogSettings, configure
from station.logs.files import Entry, parse_entries
from station.sequence import LineStation, open_service
from station.sequence.events import CancelToken, Event, Outcome, RunResult, StepId
from station.sequence.service import RunRequest

SERIAL = "PK4S-000123"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    setup = configure(LogSettings("ST-T1", "A", tmp_path / "logs"), Face.CLI, environ={})
    yield tmp_path / "logs" / "station.log"
    setup.close()


def service_on(tmp_path: Path, bus: str = "sim") -> LineStation:
    config = StationConfig(
        station_id="ST-T1",
        bus=bus,
        database=f"sqlite:///{tmp_path}/station.sqlite3",
        printer=f"file:{tmp_path}/labels",
        labels_dir=str(tmp_path / "labels"),
    )
    return open_service(config, demo=True)


def run(service: LineStation, serial: str = SERIAL) -> RunResult:
    shift = service.start_shift(
        service.badge("alice"), service.released_recipes()[-1].hash, "LOT-1"
    )
    events: list[Event] = []
    return service.run(shift, RunRequest(serial), events.append, CancelToken())


def entries(path: Path) -> list[Entry]:
    return list(parse_entries(path.read_text(encoding="utf-8").splitlines()))


def test_every_line_of_a_run_carries_its_attempt_id(tmp_path: Path, log_file: Path) -> None:
    service = service_on(tmp_path)
    result = run(service)
    service.socket.store.close()
    assert result.passed
    story = [e for e in entries(log_file) if e.fields.get("serial") == SERIAL]
    opened = next(i for i, e in enumerate(story) if e.message.startswith("attempt 1 started"))
    run_lines = story[opened:]
    assert run_lines
    assert all(e.fields.get("attempt") == "1" for e in run_lines)
    assert all(e.fields["station"] == "ST-T1" and e.fields["socket"] == "A" for e in run_lines)
    messages = [e.message for e in run_lines if e.logger == "station.run"]
    assert messages[0].startswith(f"attempt 1 started: pack {SERIAL}, recipe pk4s3p-3500 1.0.0 (")
    assert "operator alice, lot LOT-1" in messages[0]
    steps = [m for m in messages if m.startswith("step ")]
    assert [m.split()[1] for m in steps] == [s.step.value for s in result.steps]
    assert all(" PASS in " in m and " s: " in m for m in steps)
    assert messages[-1].startswith("attempt 1 ended PASS in ")
    # each step line names its step as a field too
    assert {e.fields["step"] for e in run_lines if e.message.startswith("step ")} >= {
        "identify",
        "apply",
        "verify",
        "seal",
    }


def test_a_failure_is_logged_with_its_code_reason_and_pack_state(
    tmp_path: Path, log_file: Path
) -> None:
    service = service_on(tmp_path, "sim:3-cells")
    result = run(service)
    service.socket.store.close()
    assert result.failure is not None
    assert result.failure.code == "CELL_COUNT"
    failed = [e for e in entries(log_file) if e.fields.get("failure_code") == "CELL_COUNT"]
    step_line, end_line = failed
    assert step_line.level == "INFO"
    assert step_line.fields["step"] == "verify"
    assert step_line.message.startswith("step verify FAIL in ")
    assert "[CELL_COUNT]" in step_line.message
    assert f"pack: {result.failure.pack_state}" in step_line.message
    assert end_line.message.startswith("attempt 1 ended FAIL in ")
    assert "at Verify" in end_line.message
    assert f"next: {result.failure.action}" in end_line.message
    assert end_line.fields["attempt"] == "1"


def test_a_refused_scan_is_logged_under_its_serial(tmp_path: Path, log_file: Path) -> None:
    service = service_on(tmp_path)
    assert run(service).passed
    again = run(service)
    service.socket.store.close()
    assert again.failure is not None
    (refused,) = [e for e in entries(log_file) if e.message.startswith(f"scan of {SERIAL}")]
    assert refused.fields["failure_code"] == "SERIAL_ALREADY_PASSED"
    assert "attempt" not in refused.fields  # no attempt was opened


def test_a_defect_in_a_step_is_logged_with_its_traceback_and_shown_as_a_station_fault(
    tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_checks(*args: object) -> object:
        return {}["pack checks"]  # a KeyError: a station defect, not a pack problem

    monkeypatch.setattr(finishing_steps, "evaluate_checks", broken_checks)
    service = service_on(tmp_path)
    result = run(service)
    service.socket.store.close()
    # the operator is told it is the station, and what to do; no traceback in what is shown
    assert result.outcome is Outcome.ERROR
    failure = result.failure
    assert failure is not None
    assert (failure.code, failure.step) == ("STATION_FAULT", StepId.VERIFY)
    assert "call a technician" in failure.action
    assert "station fault" in failure.reason
    for shown in (failure.reason, failure.action, failure.pack_state):
        assert "Traceback" not in shown
        assert "broken_checks" not in shown
    # the technician finds the traceback under the attempt and the step
    (fault,) = [e for e in entries(log_file) if e.level == "ERROR"]
    assert fault.message.startswith("station fault during verify: KeyError")
    assert "Traceback (most recent call last):" in fault.message
    assert "in broken_checks" in fault.message
    assert (fault.fields["attempt"], fault.fields["step"]) == ("1", "verify")
    assert fault.fields["serial"] == SERIAL
    end = [e for e in entries(log_file) if e.message.startswith("attempt 1 ended ERROR")]
    assert end[0].fields["failure_code"] == "STATION_FAULT"
    assert end[0].level == "WARNING"


def test_a_defect_outside_the_steps_is_logged_once_and_still_answered(
    tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: object) -> RunResult:
        raise RuntimeError("the run loop itself broke")

    monkeypatch.setattr(engine.PackRun, "execute", crash)
    service = service_on(tmp_path)
    result = run(service)
    service.socket.store.close()
    assert result.failure is not None
    assert (result.outcome, result.attempt_id) == (Outcome.ERROR, None)
    assert result.failure.code == "STATION_FAULT"
    assert "call a technician" in result.failure.action
    assert result.failure.pack_state == "unknown: check the pack before running it again"
    faults = [e for e in entries(log_file) if "Traceback" in e.message]
    assert len(faults) == 1
    assert "RuntimeError: the run loop itself broke" in faults[0].message
    assert faults[0].fields["serial"] == SERIAL

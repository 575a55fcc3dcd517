"""The log file: a line per record that a grep or ``station logs`` reads back whole, and a folder
that never grows past its bound, over 10 000 runs or a disk that refuses to be written."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.logs import bind
from station.logs.fields import FIELD_NAMES, FieldsFilter
from station.logs.files import (
    MAX_RECORD_BYTES,
    FileFormatter,
    LogFileHandler,
    log_files,
    parse_entries,
)
from station.logs.setup import BACKUP_FILES, MAX_FILE_BYTES
from station.sequence.events import (
    AttemptOpened,
    Event,
    MeasurementTaken,
    RunFinished,
    RunStarted,
    StepProgress,
)
from station.sequence.runlog import RunLog
from tests.sequence.conftest import make_bench


@pytest.fixture
def run_logger() -> Iterator[logging.Logger]:
    """The loggers a run writes to, routed to a handler each test installs."""
    log = logging.getLogger("station")
    saved = (log.handlers[:], log.propagate, log.level)
    log.handlers, log.propagate = [], False
    log.setLevel(logging.INFO)
    yield log
    for handler in log.handlers:
        handler.close()
    log.handlers, log.propagate, log.level = saved[0], saved[1], saved[2]


def file_handler(path: Path, max_bytes: int, backups: int) -> LogFileHandler:
    handler = LogFileHandler(path, max_bytes=max_bytes, backups=backups, level=logging.INFO)
    handler.addFilter(FieldsFilter({"station": "ST-01", "socket": "A"}))
    return handler


texts = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\n\t"))
values = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), min_size=1)


@given(message=texts, serial=values, step=values)
def test_a_record_reads_back_as_written(message: str, serial: str, step: str) -> None:
    record = logging.LogRecord("station.run", logging.INFO, __file__, 1, "%s", (message,), None)
    with bind(serial=serial, step=step, attempt=7):
        FieldsFilter({"station": "ST-01", "socket": "A"}).filter(record)
    line = FileFormatter().format(record)
    assert "\n2" not in line  # a continuation never looks like a new record
    (entry,) = parse_entries(line.splitlines(keepends=True))
    assert entry.message == message.replace("\r", "")
    assert entry.fields == {
        "station": "ST-01",
        "socket": "A",
        "attempt": "7",
        "serial": serial,
        "step": step,
    }
    assert entry.level == "INFO"
    assert entry.logger == "station.run"


def test_a_traceback_stays_with_its_record(tmp_path: Path, run_logger: logging.Logger) -> None:
    path = tmp_path / "station.log"
    run_logger.addHandler(file_handler(path, 1 << 20, 1))
    with bind(attempt=12, serial="PK4S-000123"):
        try:
            raise KeyError("fixture")
        except KeyError:
            run_logger.getChild("sequence").exception("station fault during apply")
        run_logger.info("after it")
    first, second = parse_entries(path.read_text(encoding="utf-8").splitlines())
    assert first.message.startswith("station fault during apply\nTraceback (most recent call")
    assert first.message.endswith("KeyError: 'fixture'")
    assert (first.fields["attempt"], first.level) == ("12", "ERROR")
    assert second.message == "after it"
    # a grep for the attempt finds every record of it
    grep = [line for line in path.read_text().splitlines() if "attempt=12 " in line]
    assert len(grep) == 2


def one_run_of_events(tmp_path: Path) -> list[Event]:
    """The events of a real run on the emulator that make log lines, to be replayed as other
    packs' runs (progress and passing measurements log nothing at INFO: left out for speed)."""
    bench = make_bench(tmp_path)
    events: list[Event] = []
    result = bench.run(events=events)
    bench.store.close()
    assert result.passed
    return [e for e in events if not isinstance(e, StepProgress | MeasurementTaken)]


def as_attempt(event: Event, attempt: int) -> Event:
    serial = f"PK4S-{attempt:06d}"
    if isinstance(event, RunStarted):
        return replace(event, serial=serial)
    if isinstance(event, AttemptOpened):
        return AttemptOpened(attempt, serial)
    if isinstance(event, RunFinished):
        return RunFinished(replace(event.result, attempt_id=attempt, serial=serial))
    return event


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def test_the_log_folder_stays_under_its_bound_over_10_000_runs(
    tmp_path: Path, run_logger: logging.Logger
) -> None:
    events = one_run_of_events(tmp_path / "bench")
    folder = tmp_path / "logs"
    folder.mkdir()
    handler = file_handler(folder / "station.log", MAX_FILE_BYTES, BACKUP_FILES)
    run_logger.addHandler(handler)
    bound = MAX_FILE_BYTES * (BACKUP_FILES + 1)
    for attempt in range(1, 10_001):
        story = RunLog("ST-01", "A", "alice", "LOT-1")
        with story.scope(f"PK4S-{attempt:06d}"):
            for event in events:
                story(as_attempt(event, attempt))
        if attempt % 500 == 0:
            assert folder_size(folder) <= bound, f"after {attempt} runs"
            assert len(list(folder.iterdir())) <= BACKUP_FILES + 1
    assert folder_size(folder) > bound - 2 * MAX_FILE_BYTES  # it did fill up and rotate
    # the newest runs are whole; the oldest are gone
    newest = [
        e
        for p in log_files(folder / "station.log")
        for e in parse_entries(p.read_text(encoding="utf-8").splitlines())
        if e.fields.get("attempt") == "10000"
    ]
    assert newest[0].message.startswith("attempt 10000 started: pack PK4S-010000")
    assert newest[-1].message.startswith("attempt 10000 ended PASS")
    assert "attempt=1 " not in (folder / "station.log.4").read_text(encoding="utf-8")


def test_real_runs_keep_the_folder_under_a_small_bound(
    tmp_path: Path, run_logger: logging.Logger
) -> None:
    max_bytes = MAX_RECORD_BYTES + 4096
    folder = tmp_path / "logs"
    folder.mkdir()
    run_logger.addHandler(file_handler(folder / "station.log", max_bytes, 1))
    bench = make_bench(tmp_path)
    for n in range(1, 31):
        serial = f"PK4S-{n:06d}"
        story = RunLog("ST-01", "A", "alice", "LOT-1")
        with story.scope(serial):
            assert bench.run(serial, on_event=story).passed
        assert folder_size(folder) <= 2 * max_bytes
    bench.store.close()
    assert (folder / "station.log.1").exists()
    last = (folder / "station.log").read_text(encoding="utf-8")
    assert "attempt 30 ended PASS" in last


def test_a_record_bigger_than_the_limit_is_cut(tmp_path: Path, run_logger: logging.Logger) -> None:
    path = tmp_path / "station.log"
    run_logger.addHandler(file_handler(path, MAX_RECORD_BYTES + 1024, 1))
    for _ in range(3):
        run_logger.info("%s", "é" * MAX_RECORD_BYTES)  # 64 KiB in UTF-8
    run_logger.info("next")
    for p in log_files(path):
        assert p.stat().st_size <= MAX_RECORD_BYTES + 1024
    (big,) = parse_entries((tmp_path / "station.log.1").read_text(encoding="utf-8").splitlines())
    assert big.message.endswith("[... cut: the record was longer than 32 KiB]")
    big, entry = parse_entries(path.read_text(encoding="utf-8").splitlines())
    assert entry.message == "next"


def test_a_file_that_cannot_be_written_loses_records_quietly(
    tmp_path: Path, run_logger: logging.Logger, capfd: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    handler = file_handler(blocker / "station.log", 1 << 20, 1)
    run_logger.addHandler(handler)
    run_logger.warning("lost")
    assert handler.dropped == 1
    assert capfd.readouterr() == ("", "")


def test_field_names_are_the_journal_ones_in_lower_case() -> None:
    from station.logs.journal import journal_fields

    record = logging.LogRecord("station.sequence", logging.INFO, __file__, 1, "x", None, None)
    with bind(**{name: f"v-{name}" for name in FIELD_NAMES}):
        FieldsFilter({}).filter(record)
    fields = journal_fields(record, "x")
    assert {name: fields[name.upper()] for name in FIELD_NAMES} == {
        name: f"v-{name}" for name in FIELD_NAMES
    }

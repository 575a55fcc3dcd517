"""The record tells the truth: what is written (and shown) about a pack, a label, a database is
what happened, never what was hoped.

* "printed" means the printer confirmed it (Zebra host status after the label);
* a PASS label is printed again only for a pack whose latest attempt is that PASS;
* a preview is never a print;
* a station reclaims its own claim left by a database outage, and the pack state it reports is
  what the gauge last said;
* database passwords never show; ``config check`` exits 1 on a problem;
* read-only tools work on a read-only database and create nothing;
* stopping a print stops the print command and everything it started.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from station.config import StationConfig
from station.keys import KeyStore
from station.sequence.events import Outcome, StepId
from station.sequence.line import LineStation
from station.sequence.socket_context import SocketContext
from station.store import AttemptOutcome, LabelState, Store, StoreUnavailableError
from station.store.records import StepRecord
from tests.campaign.harness import _mode_claimed
from tests.labels.fake_printers import FakeZebra
from tests.pins import PIN, give_pin
from tests.sequence.conftest import make_bench
from tests.station_cli import clean_environment, label_print_args, program, station

SERIAL = "PK4S-000123"
SUPERVISOR = "SUP-0042"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("STATION_SUPERVISOR_BADGES", SUPERVISOR)


# == a label is printed when the printer says so ===================================================


@pytest.mark.parametrize(
    ("behaviour", "why"),
    [
        ("paper-out", "out of paper"),
        ("head-open", "print head open"),
        ("paused", "paused"),
        ("garbage", "not a Zebra host status"),
        # Closed or reset at once: the label may not even have gone out.
        ("close", "not a Zebra host status|dropped the connection"),
        ("reset", "not a Zebra host status|dropped the connection"),
    ],
)
def test_a_label_is_recorded_printed_only_when_the_printer_confirms(
    tmp_path: Path, behaviour: str, why: str
) -> None:
    zebra = FakeZebra(behaviour)  # type: ignore[arg-type]
    bench = make_bench(tmp_path, printer=f"zpl-tcp:127.0.0.1:{zebra.port}")
    try:
        result = bench.run()
    finally:
        zebra.finish()
    assert result.outcome is Outcome.PASS  # the pack is fine: only its label is missing
    assert result.label is not None
    assert not result.label.printed
    assert re.search(why, result.label.detail), result.label.detail
    (attempt,) = bench.store.pack_history(SERIAL)
    assert attempt.label_state is LabelState.FAILED
    trace = bench.store.trace(SERIAL)
    assert trace is not None
    (label,) = trace.attempts[0].labels
    assert re.search(why, label.error or "")


def test_a_printer_that_confirms_is_recorded_printed(tmp_path: Path) -> None:
    zebra = FakeZebra("receive")
    bench = make_bench(tmp_path, printer=f"zpl-tcp:127.0.0.1:{zebra.port}")
    try:
        result = bench.run()
    finally:
        received = zebra.finish()
    assert result.label is not None
    assert result.label.printed, result.label.detail
    assert received.endswith(b"~HS")
    (attempt,) = bench.store.pack_history(SERIAL)
    assert attempt.label_state is LabelState.PRINTED


# == reprints and previews =========================================================================


def test_no_pass_label_for_a_pack_whose_latest_attempt_is_not_its_pass(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    assert program(tmp_path).exit_code == 0
    give_pin(db, SUPERVISOR)
    # A rework that goes wrong: the pack stops answering mid-write.
    broken = program(
        tmp_path,
        "--rework-by",
        SUPERVISOR,
        "--reason",
        "return",
        bus="sim:nack-mid-write",
        typed=f"{PIN}\n",
    )
    assert broken.exit_code == 1, broken.output
    labels = sorted((tmp_path / "labels").iterdir())
    reprint = station(
        *label_print_args(db, SUPERVISOR, f"file:{tmp_path}/labels"), typed=f"{PIN}\n"
    )
    assert reprint.exit_code == 1, reprint.output
    assert "latest attempt" in reprint.output
    assert "ERROR" in reprint.output
    assert sorted((tmp_path / "labels").iterdir()) == labels  # nothing printed
    with Store.open(db) as store:
        assert store.audit_entries(action="LABEL_REPRINTED") == []


def test_a_preview_goes_to_the_preview_folder_or_stdout_and_is_never_a_print(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    assert program(tmp_path).exit_code == 0
    printed = sorted(p.name for p in (tmp_path / "labels").iterdir())
    env_previews = tmp_path / "previews"
    done = CliRunner().invoke(
        cli,
        ["label", "preview", "--serial", SERIAL, "--db", db],
        env={"STATION_LABELS": str(env_previews), "STATION_PRINTER": f"file:{tmp_path}/labels"},
    )
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in env_previews.iterdir()) == [
        f"{SERIAL}-preview.png",
        f"{SERIAL}-preview.svg",
        f"{SERIAL}-preview.zpl",
    ]
    again = CliRunner().invoke(
        cli,
        ["label", "preview", "--serial", SERIAL, "--db", db],
        env={"STATION_LABELS": str(env_previews)},
    )
    assert again.exit_code == 0
    assert len(list(env_previews.iterdir())) == 3  # replaced, never numbered
    assert sorted(p.name for p in (tmp_path / "labels").iterdir()) == printed
    stdout = station("label", "preview", "--serial", SERIAL, "--out", "-", "--db", db)
    assert stdout.exit_code == 0
    assert stdout.output.startswith("^XA")
    into_printer = CliRunner().invoke(
        cli,
        ["label", "preview", "--serial", SERIAL, "--db", db, "--out", str(tmp_path / "labels")],
        env={"STATION_PRINTER": f"file:{tmp_path}/labels"},
    )
    assert into_printer.exit_code == 2
    assert "would look like a print" in into_printer.output
    assert sorted(p.name for p in (tmp_path / "labels").iterdir()) == printed
    with Store.open(db) as store:
        trace = store.trace(SERIAL)
    assert trace is not None
    assert len(trace.attempts[0].labels) == 1  # the print of the run only


# == a database outage =============================================================================


def _outage(*args: object, **kwargs: object) -> None:
    raise StoreUnavailableError("postgresql://db/trace", "server closed the connection", check="x")


def test_after_an_outage_the_station_takes_its_own_claim_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = make_bench(tmp_path)
    store = bench.store
    real_finish, real_release = store.finish_attempt, store.release
    monkeypatch.setattr(store, "finish_attempt", _outage)
    monkeypatch.setattr(store, "release", _outage)
    lost = bench.run()
    assert lost.outcome is Outcome.ERROR
    assert lost.failure is not None
    assert lost.failure.code == "DB_UNAVAILABLE"
    assert store.current_claim(SERIAL) is not None  # left behind by the outage
    monkeypatch.setattr(store, "finish_attempt", real_finish)
    monkeypatch.setattr(store, "release", real_release)
    # The database is back; the same pack on the same socket, at once (not ten minutes later).
    again = bench.run(rework_by=None)
    assert again.failure is None or again.failure.code != "SERIAL_BUSY", again.failure
    assert again.outcome is Outcome.PASS, again.failure
    history = store.pack_history(SERIAL)
    assert [a.outcome for a in history] == [AttemptOutcome.INTERRUPTED, AttemptOutcome.PASS]
    assert "own earlier claim" in (history[0].reason or "")
    assert store.current_claim(SERIAL) is None


def test_the_pack_state_after_an_outage_is_what_the_gauge_last_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = make_bench(tmp_path)
    store = bench.store
    real_step = store.record_step

    def outage_at_backup(attempt_id: int, step: StepRecord) -> None:
        if step.kind == StepId.BACKUP.value:
            _outage()
        real_step(attempt_id, step)

    monkeypatch.setattr(store, "record_step", outage_at_backup)
    monkeypatch.setattr(store, "finish_attempt", _outage)
    result = bench.run()
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert bench.device.security_mode == "SEALED"  # re-sealed: nothing had been written
    state = result.failure.pack_state
    assert "sealed again" in state, state
    assert "not sealed" not in state.lower(), state
    assert _mode_claimed(state) is True, state


# == passwords =====================================================================================

URL = "postgresql+psycopg://:s3cret@127.0.0.1:1/trace?password=s3cret2&sslmode=disable"


def test_database_passwords_never_show(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text(f'[database]\nurl = "{URL}"\n', encoding="utf-8")
    check = station("config", "check", "--config", str(config))
    assert "s3cret" not in check.output
    assert "PROBLEM database" in check.output
    assert check.exit_code == 1
    run = program(tmp_path, "--db", URL)
    assert "s3cret" not in run.output
    assert "DB_UNAVAILABLE" in run.output
    with Store.open(f"sqlite:///{tmp_path}/db.sqlite3") as store:
        socket = SocketContext(
            StationConfig(database=URL), store, KeyStore.builtin(), bus_factory=None
        )
        info = LineStation(socket, None).info()  # type: ignore[arg-type]
    assert "s3cret" not in info.database
    assert info.database.startswith("postgresql+psycopg://:***@")
    with pytest.raises(StoreUnavailableError) as caught:
        Store.open(URL)
    assert "s3cret" not in str(caught.value)


# == read-only tools ==============================================================================


@pytest.fixture
def read_only_database(tmp_path: Path) -> Iterator[Path]:
    """A station database in a folder nobody may write (not even its owner's tools)."""
    assert program(tmp_path).exit_code == 0
    shared = Path(tempfile.mkdtemp(prefix="ro-db-", dir="/tmp"))
    os.chmod(shared, 0o755)
    folder = shared / "db"
    folder.mkdir()
    with (
        sqlite3.connect(tmp_path / "db.sqlite3") as source,
        sqlite3.connect(folder / "db.sqlite3") as copy,
    ):
        source.backup(copy)  # a consistent copy, write-ahead log included
    (folder / "db.sqlite3").chmod(0o444)
    folder.chmod(0o555)
    yield folder / "db.sqlite3"
    folder.chmod(0o755)
    shutil.rmtree(shared)


def _as_someone_else(args: list[str]) -> subprocess.CompletedProcess[str]:
    """``station ARGS`` as a user that may not write the database (root writes anything)."""
    command = [sys.executable, "-m", "station", *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd="/tmp", timeout=300, check=False
    )


def test_read_only_tools_work_on_a_read_only_database(read_only_database: Path) -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root's rights")
    db = f"sqlite:///{read_only_database}"
    trace = _as_someone_else(["trace", SERIAL, "--db", db])
    assert trace.returncode == 0, trace.stdout + trace.stderr
    assert f"Pack {SERIAL}" in trace.stdout
    report = _as_someone_else(["report", "--include-emulated", "--db", db])
    assert report.returncode == 0, report.stderr
    assert "attempts           1" in report.stdout
    export = _as_someone_else(["export", "--format", "csv", "--include-emulated", "--db", db])
    assert export.returncode == 0, export.stderr
    assert SERIAL in export.stdout
    current = _as_someone_else(["db", "current", "--db", db])
    assert current.returncode == 0, current.stderr
    assert "(current)" in current.stdout
    assert sorted(p.name for p in read_only_database.parent.iterdir()) == ["db.sqlite3"]


def test_db_current_says_what_a_foreign_database_holds(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
        conn.execute("CREATE TABLE customers (id INTEGER)")
    done = station("db", "current", "--db", f"sqlite:///{path}")
    assert done.exit_code == 1
    assert "no alembic_version table" in done.output
    assert "customers, invoices" in done.output
    missing = tmp_path / "nowhere" / "db.sqlite3"
    for args in (["db", "current"], ["trace", SERIAL], ["report"]):
        station(*args, "--db", f"sqlite:///{missing}")
    assert not missing.parent.exists()  # no folder, no empty database


# == stopping a print =============================================================================


def _stub_lp(folder: Path) -> Path:
    """An ``lp`` that starts a child, ignores Ctrl-C, and never finishes on its own."""
    folder.mkdir()
    lp = folder / "lp"
    lp.write_text(
        f"#!/bin/sh\ntrap '' INT TERM\nsleep 300 &\necho \"$$ $!\" > {folder}/pids\nwait\n",
        encoding="utf-8",
    )
    lp.chmod(0o755)
    return lp


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its exit status.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stopping_a_print_stops_lp_and_what_it_started(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    assert program(tmp_path).exit_code == 0
    give_pin(db, SUPERVISOR)
    bin_dir = tmp_path / "bin"
    _stub_lp(bin_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", STATION_SUPERVISOR_BADGES=SUPERVISOR
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "station", *label_print_args(db, SUPERVISOR, "cups:zebra")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdin is not None
    proc.stdin.write(f"{PIN}\n")
    proc.stdin.close()
    pids_file = bin_dir / "pids"
    for _ in range(3000):  # lp is started once the supervisor's PIN was checked
        if pids_file.exists() and len(pids_file.read_text().split()) == 2:
            break
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.01)
    lp, child = (int(p) for p in pids_file.read_text().split())
    try:
        proc.send_signal(signal.SIGINT)  # a supervisor's double Ctrl-C
        time.sleep(0.1)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        for _ in range(500):
            if not (_alive(lp) or _alive(child)):
                break
            time.sleep(0.01)
        assert not _alive(lp), "lp is still running"
        assert not _alive(child), "what lp started is still running"
    finally:
        for pid in (lp, child):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

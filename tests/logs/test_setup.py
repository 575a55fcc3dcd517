"""One set-up at start-up: the journal under systemd, else the file; stderr only for a command
that asks; never a byte on the operator terminal's screen."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.logs import Face, LogSettings, LogSetup, configure
from station.logs.journal import JournalHandler


@pytest.fixture
def setups() -> Iterator[list[LogSetup]]:
    made: list[LogSetup] = []
    yield made
    for setup in made:
        setup.close()


def settings(folder: Path, **changes: object) -> LogSettings:
    values: dict[str, object] = {"station_id": "ST-01", "socket": "A", "log_dir": folder}
    values.update(changes)
    return LogSettings(**values)  # type: ignore[arg-type]


def emit_everything() -> None:
    """Records and warnings from the station and from libraries, at every level."""
    logging.getLogger("station.gauge").debug("debug from the driver")
    logging.getLogger("station.sequence").info("info from the engine")
    logging.getLogger("sqlalchemy.pool").warning("warning from a library")
    try:
        raise OSError(28, "No space left on device")
    except OSError:
        logging.getLogger("station.store").exception("error with a traceback")
    warnings.warn("a deprecation in some library", UserWarning, stacklevel=1)


def test_the_terminal_writes_nothing_on_its_screen_even_when_asked(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], setups: list[LogSetup]
) -> None:
    setup = configure(settings(tmp_path, console_level=logging.DEBUG), Face.TERMINAL, environ={})
    setups.append(setup)
    emit_everything()
    assert capfd.readouterr() == ("", "")
    text = (tmp_path / "station.log").read_text(encoding="utf-8")
    for words in ("info from the engine", "warning from a library", "No space left on device"):
        assert words in text
    assert "debug from the driver" in text  # asked for: kept in the log, not shown
    assert "a deprecation in some library" in text  # warnings are routed into the log


def test_in_a_fresh_process_the_terminal_set_up_leaves_stderr_alone(tmp_path: Path) -> None:
    """Without pytest's own handlers: Python's last resort would print WARNINGs to stderr."""
    for folder in (tmp_path / "logs", tmp_path / "a-file" / "logs"):
        (tmp_path / "a-file").write_text("no folder can be made under a file")
        script = textwrap.dedent(
            f"""
            import logging, warnings
            from pathlib import Path
            from station.logs import Face, LogSettings, configure
            setup = configure(LogSettings("ST-01", "A", Path({str(folder)!r})), Face.TERMINAL,
                              environ={{}})
            logging.getLogger("textual").warning("warning")
            logging.getLogger("station").critical("critical")
            warnings.warn("warned")
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not (tmp_path / "a-file" / "logs").exists()  # the second: lost, quietly
    assert "critical" in (tmp_path / "logs" / "station.log").read_text()


def test_a_command_prints_records_on_stderr_only_when_asked(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], setups: list[LogSetup]
) -> None:
    setups.append(configure(settings(tmp_path), Face.CLI, environ={}))
    logging.getLogger("station.gauge").warning("not asked")
    assert capfd.readouterr() == ("", "")
    setups.append(
        configure(
            settings(tmp_path, console_level=logging.INFO), Face.CLI, environ={}, stderr=sys.stderr
        )
    )
    logging.getLogger("station.gauge").debug("too fine")
    logging.getLogger("station.gauge").info("asked for")
    out, err = capfd.readouterr()
    assert out == ""
    assert "INFO    station.gauge [station=ST-01 socket=A] asked for" in err
    assert "too fine" not in err
    assert err.count("\n") == 1  # the earlier set-up was replaced, not doubled


@pytest.fixture
def journal_socket() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="jd") as folder:
        path = os.path.join(folder, "socket")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(path)
        yield path
        server.close()


def test_under_systemd_records_go_to_the_journal_only(
    tmp_path: Path, journal_socket: str, setups: list[LogSetup]
) -> None:
    setup = configure(
        settings(tmp_path),
        Face.TERMINAL,
        environ={"INVOCATION_ID": "0123abcd"},
        journal_socket=journal_socket,
    )
    setups.append(setup)
    assert setup.destination == "journal"
    assert any(isinstance(h, JournalHandler) for h in setup.handlers)
    logging.getLogger("station").info("to the journal")
    assert not (tmp_path / "station.log").exists()
    assert "journal" in setup.describe()


def test_without_journald_the_file_is_used_and_the_reason_kept(
    tmp_path: Path, setups: list[LogSetup]
) -> None:
    setup = configure(
        settings(tmp_path),
        Face.TERMINAL,
        environ={"INVOCATION_ID": "0123abcd"},
        journal_socket=str(tmp_path / "no-journald"),
    )
    setups.append(setup)
    assert setup.destination == "file"
    assert "not there" in setup.problem
    setups.append(
        configure(settings(tmp_path, log_to="file"), Face.TERMINAL, environ={"INVOCATION_ID": "1"})
    )
    assert setups[-1].destination == "file"
    assert setups[-1].describe() == f"{tmp_path / 'station.log'} (station logs)"


def test_close_takes_the_handlers_out(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    setup = configure(settings(tmp_path), Face.CLI, environ={})
    assert len(root.handlers) == len(before) + 2  # the file, and the guard against last resort
    setup.close()
    assert root.handlers == before

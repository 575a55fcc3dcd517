"""``station dashboard``: refuses what it must, then serves the pages until stopped."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from tests.web.line import Line
from tests.web.served import dashboard_process, get

TOKEN = "cli-dashboard-token-0123456789"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["dashboard", *args], env=env)
    return result.exit_code, result.output


def test_listening_beyond_this_computer_without_a_token_is_refused(line: Line) -> None:
    code, output = run("--db", line.url, "--listen", "0.0.0.0:0")
    assert code == 2
    assert "without a token" in output
    assert "dashboard_token" in output


def test_a_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    where = tmp_path / "nowhere" / "station.sqlite3"
    code, output = run("--db", f"sqlite:///{where}", "--listen", "127.0.0.1:0")
    assert code == 2
    assert "no database file" in output
    assert not where.parent.exists()


def test_bad_listen_and_url_are_usage_errors(line: Line) -> None:
    assert run("--db", line.url, "--listen", "8080")[0] == 2
    code, output = run("--db", "sqlite://", "--listen", "127.0.0.1:0")
    assert code == 2
    assert "names no database file" in output


@pytest.mark.parametrize("token", [None, TOKEN], ids=["local", "token"])
def test_serves_until_stopped(line: Line, token: str | None) -> None:
    env = {**os.environ, "STATION_DASHBOARD_TOKEN": token or ""}
    env.pop("STATION_CONFIG", None)
    command = [sys.executable, "-m", "station", "dashboard", "--db", line.url]
    with dashboard_process([*command, "--listen", "127.0.0.1:0"], env) as served:
        assert served.url.startswith("http://127.0.0.1:")
        assert ("token required" in served.ready) == bool(token)
        status, body = get(served.url, token)
        assert status == 200
        assert "Line · shift" in body
        if token:
            assert get(served.url)[0] == 401
    # uvicorn finishes the requests in flight, then ends by the signal it was sent (systemd
    # counts that as a clean stop)
    assert served.returncode in (0, -signal.SIGTERM), served.log
    assert "Finished server process" in served.log

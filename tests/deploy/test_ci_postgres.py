""".ci/postgres.sh: a throw-away PostgreSQL for CI, announced by one `export` line on stdout."""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres.sh"
EXPORT = re.compile(
    r"^export STATION_TEST_PG_URL=(postgresql\+psycopg://postgres@127\.0\.0\.1:(\d+)/station_test)\n$"
)


def have_postgres() -> bool:
    return shutil.which("initdb") is not None or bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "STATION_TEST_PG_URL"}
    env.update(extra)
    return env


def test_does_nothing_when_the_url_is_already_set() -> None:
    env = clean_env(STATION_TEST_PG_URL="postgresql+psycopg://someone@elsewhere/db")
    result = run(env)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "already set" in result.stderr


def test_refuses_unknown_arguments() -> None:
    result = run(clean_env(), "--start")
    assert result.returncode == 2
    assert result.stdout == ""


@pytest.fixture
def pg_env() -> Iterator[dict[str, str]]:
    if not have_postgres():
        pytest.skip("PostgreSQL server binaries are not installed")
    # Directly under /tmp: as root the server runs as the postgres user, who must reach it.
    state = tempfile.mkdtemp(prefix="station-pg-test-", dir="/tmp")
    env = clean_env(
        STATION_PG_DIR=state, STATION_PG_PORT=str(free_port()), STATION_PG_NO_INSTALL="1"
    )
    try:
        yield env
    finally:
        stopped = run(env, "--stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not Path(state).exists()


def test_starts_a_server_and_prints_the_export_line(pg_env: dict[str, str]) -> None:
    first = run(pg_env)
    assert first.returncode == 0, first.stderr
    match = EXPORT.match(first.stdout)
    assert match, first.stdout
    url, port = match.group(1), int(match.group(2))

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT current_database(), host(inet_server_addr()), current_user")
            ).one()
            listen = conn.execute(sa.text("SHOW listen_addresses")).scalar_one()
    finally:
        engine.dispose()
    assert tuple(row) == ("station_test", "127.0.0.1", "postgres")
    assert listen == "127.0.0.1"  # loopback only

    # Already running: the same line again, without a second server (how fast is the
    # machine's business, not this test's).
    second = run(pg_env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "listening" not in second.stderr

    # Sourced, it exports into the caller's shell and leaves its options alone.
    sourced = subprocess.run(
        ["bash", "-c", f'. "{SCRIPT}"; echo "$STATION_TEST_PG_URL"; echo "opts=$-"'],
        env=pg_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    url_line, opts_line = sourced.stdout.splitlines()
    assert url_line == url
    assert "e" not in opts_line.removeprefix("opts=")
    assert f":{port}/" in url_line

"""``station dashboard`` as a process, the way a service runs it: started, asked, stopped."""

from __future__ import annotations

import base64
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Served:
    url: str
    #: the line the dashboard writes once it listens
    ready: str
    #: what it wrote until it stopped, and how it ended (filled in once it has stopped)
    log: str = ""
    returncode: int | None = None


@contextmanager
def dashboard_process(
    command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
) -> Iterator[Served]:
    """Run ``command`` (a ``station dashboard`` listening on port 0) until the block ends,
    then stop it with SIGTERM as systemd does."""
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
        cwd=cwd,
    )
    served = None
    try:
        assert process.stderr is not None
        seen = []
        for message in process.stderr:  # ends if the process dies before it is ready
            seen.append(message)
            if message.startswith("dashboard of"):
                break
        else:
            pytest.fail("the dashboard stopped before serving: " + "".join(seen))
        served = Served(message.split(" at ")[1].split()[0], message)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        remaining = process.communicate(timeout=120)[1]
        if served is not None:
            served.log, served.returncode = remaining, process.returncode


def get(url: str, token: str | None = None, user: str = "supervisor") -> tuple[int, str]:
    """Status and body of a GET, with basic authentication when a token is given."""
    request = urllib.request.Request(url)
    if token:
        raw = base64.b64encode(f"{user}:{token}".encode()).decode()
        request.add_header("Authorization", f"Basic {raw}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()

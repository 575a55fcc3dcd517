"""Drive ``station run`` through a real pseudo-terminal, as a keyboard-wedge scanner would.

The station runs as a child process on the slave side of a pty; what it writes is fed to a VT
emulator (pyte), so a test reads the screen an operator would see, and writes bytes as a scanner
types them (a whole serial and its Enter in one write, ~30 ms on a real scanner). Waiting is for
what the screen shows, with a generous bound that only catches a hung station, never a slow one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyte

#: how long to wait for the screen before calling the station hung (a bound, not a deadline)
HUNG_AFTER_S = 120.0


class Terminal:
    def __init__(
        self, argv: Sequence[str], *, size: tuple[int, int] = (120, 40), cwd: Path | None = None
    ) -> None:
        cols, rows = size
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bells = 0
        bell = self.screen.bell

        def ring(*args: object) -> None:
            self.bells += 1
            bell(*args)

        self.screen.bell = ring  # type: ignore[method-assign]
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ)
        env.update(
            {
                "TERM": "xterm-256color",
                "COLORTERM": "truecolor",
                "TEXTUAL_ANIMATIONS": "none",
                "LINES": str(rows),
                "COLUMNS": str(cols),
            }
        )
        env.pop("TEXTUAL", None)
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.raw = bytearray()

    # -- reading ----------------------------------------------------------------------------
    def pump(self, timeout: float = 0.05) -> bool:
        """Read what the station wrote (if anything within ``timeout``); False once it exited."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return self.proc.poll() is None
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.raw += data
        self.stream.feed(data)
        return True

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, condition: Callable[[str], bool] | str, what: str = "") -> str:
        """Read until ``condition(screen text)`` holds (a string: appears on screen)."""
        check = (lambda s: condition in s) if isinstance(condition, str) else condition
        label = what or (condition if isinstance(condition, str) else "the screen")
        limit = time.monotonic() + HUNG_AFTER_S
        while True:
            shown = self.text()
            if check(shown):
                return shown
            if not self.pump(0.05) and self.proc.poll() is not None:
                raise AssertionError(f"the station exited before showing {label!r}:\n{shown}")
            if time.monotonic() > limit:
                raise AssertionError(f"the station hung: {label!r} never showed:\n{shown}")

    def settle(self, quiet_s: float = 0.3) -> str:
        """Read until the station has written nothing for ``quiet_s`` (the screen is drawn)."""
        limit = time.monotonic() + HUNG_AFTER_S
        last = time.monotonic()
        while time.monotonic() < limit:
            before = len(self.raw)
            self.pump(0.05)
            if len(self.raw) != before:
                last = time.monotonic()
            elif time.monotonic() - last >= quiet_s:
                break
        return self.text()

    # -- writing ----------------------------------------------------------------------------
    def type(self, text: str) -> None:
        """Type ``text`` the way a scanner does: one write, no pause between characters."""
        os.write(self.master, text.encode())

    def scan(self, text: str) -> None:
        self.type(text + "\r")

    def key(self, name: str) -> None:
        os.write(self.master, KEYS[name])

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            # Keep reading while it exits: a station blocked writing its last frame to a full
            # pty would otherwise never see its own SIGTERM through.
            limit = time.monotonic() + 30
            while self.pump(0.05) or self.proc.poll() is None:
                if time.monotonic() > limit:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
                    break
        os.close(self.master)


KEYS: dict[str, bytes] = {
    "enter": b"\r",
    "escape": b"\x1b",
    "ctrl+q": b"\x11",
    "ctrl+p": b"\x10",
    "f2": b"\x1bOQ",
    "f9": b"\x1b[20~",
    "f10": b"\x1b[21~",
    "tab": b"\t",
    "down": b"\x1b[B",
    "up": b"\x1b[A",
}


def station_argv(*args: str) -> list[str]:
    """``station …`` run by this interpreter (the test's virtualenv)."""
    return [sys.executable, "-m", "station", *args]

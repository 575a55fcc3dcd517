"""The CUPS printer: ZPL through ``lp -o raw``, run so that nothing it starts outlives a stop."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading

from station.labels.errors import (
    PrinterCommandMissingError,
    PrinterRejectedError,
    PrinterTimeoutError,
)
from station.labels.printer_spec import PrinterSpec, PrintResult
from station.labels.render import LabelArtwork

DEFAULT_LP_TIMEOUT_S = 10.0


class CupsPrinter:
    """ZPL through CUPS: ``lp -d QUEUE -o raw -t JOB`` with the ZPL on stdin (no shell)."""

    def __init__(
        self, queue: str, *, timeout_s: float = DEFAULT_LP_TIMEOUT_S, lp_command: str = "lp"
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("the lp timeout must be greater than 0 seconds")
        self.queue = queue
        self.timeout_s = timeout_s
        self.lp_command = lp_command
        self._spec = PrinterSpec("cups", queue)

    @property
    def spec(self) -> PrinterSpec:
        return self._spec

    def command(self, job_name: str) -> list[str]:
        title = "".join(char if char.isprintable() else " " for char in job_name)[:80]
        return [self.lp_command, "-d", self.queue, "-o", "raw", "-t", title or "pack label"]

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        payload = artwork.zpl.encode("utf-8")
        common = {"printer": str(self.spec), "serial": artwork.serial}
        try:
            done = self._run(self.command(job_name), payload)
        except FileNotFoundError as exc:
            raise PrinterCommandMissingError(
                f"the CUPS command `{self.lp_command}` was not found on this station", **common
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise PrinterTimeoutError(
                f"`{self.lp_command}` did not finish within {self.timeout_s:g} s",
                detail=summarise(exc.stderr),
                **common,
            ) from exc
        except OSError as exc:
            raise PrinterRejectedError(
                f"`{self.lp_command}` could not be run", detail=str(exc), **common
            ) from exc
        if done.returncode != 0:
            raise PrinterRejectedError(
                f"`{self.lp_command}` refused the job for queue {self.queue} "
                f"(exit status {done.returncode})",
                detail=summarise(done.stderr),
                **common,
            )
        stdout = done.stdout.decode("utf-8", "replace")
        match = re.search(r"request id is (\S+)", stdout)
        return PrintResult(
            serial=artwork.serial,
            printer=str(self.spec),
            kind="cups",
            status="queued in CUPS",
            destination=self.queue,
            job_name=job_name,
            bytes_sent=len(payload),
            request_id=match[1] if match else "",
        )

    def _run(self, argv: list[str], payload: bytes) -> subprocess.CompletedProcess[bytes]:
        """``argv`` with ``payload`` on its stdin, in a process group of its own (fixed argv, no
        shell). Whatever ends the wait (a time-out, Ctrl-C, a stop) ends the whole group: the
        command and everything it started, never left running behind the station."""
        # Ctrl-C and stops are held while the command starts, so none can land between its start
        # and the code that stops it; one that came meanwhile is raised once it is watched.
        held = _hold_signals()
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except BaseException:
            _release_signals(held)
            raise
        try:
            _release_signals(held)
            out, err = process.communicate(payload, timeout=self.timeout_s)
        except BaseException:
            _stop_group(process)
            raise
        finally:
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        return subprocess.CompletedProcess(argv, process.returncode, out, err)


#: what stops a command from the outside: the operator's Ctrl-C, the service manager's stop
_STOPS = {signal.SIGINT, signal.SIGTERM}


def _hold_signals() -> set[int | signal.Signals] | None:
    """Hold Ctrl-C and stops (they stay pending); only the main thread receives them."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)


def _release_signals(held: set[int | signal.Signals] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the command and everything it started (a second Ctrl-C waits until it is done)."""
    held = _hold_signals()
    try:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    finally:
        _release_signals(held)


def summarise(stderr: bytes | str | None, limit: int = 200) -> str:
    """One line of a command's stderr, shortened for an operator message."""
    if not stderr:
        return "no message on stderr"
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

"""Printers, chosen by one spec string (station config ``printer =`` or ``--printer``).

- ``file:DIR``: writes ``<serial>-<attempt>.png/.svg/.zpl`` into DIR (the demo default);
- ``zpl-tcp:HOST[:PORT]``: raw ZPL to a Zebra printer's port 9100, then its host status
  (``~HS``): the label counts as printed only when the printer answers with no error flag;
- ``cups:QUEUE``: ZPL through ``lp -o raw`` to a CUPS queue.

A print result claims no more than it knows: a file was written, the printer confirmed its status
after taking the label, or CUPS queued a job. Every failure is a :class:`PrinterError` that tells
the operator the pack stays PASS and sealed and how to print the label again.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from station.labels.errors import (
    PrinterCommandMissingError,
    PrinterNotConfirmedError,
    PrinterOfflineError,
    PrinterRefusedError,
    PrinterRejectedError,
    PrinterSpecError,
    PrinterTimeoutError,
    PrinterWriteError,
)
from station.labels.render import LabelArtwork
from station.labels.zebra_status import (
    HOST_STATUS_QUERY,
    StatusUnreadable,
    complete,
    parse_host_status,
)

PrinterKind = Literal["file", "zpl-tcp", "cups"]
PrintStatus = Literal["written to files", "confirmed by the printer", "queued in CUPS"]

DEFAULT_PRINTER_SPEC = "file:labels"
ZPL_RAW_PORT = 9100
DEFAULT_CONNECT_TIMEOUT_S = 3.0
DEFAULT_SEND_TIMEOUT_S = 3.0
#: how long a printer may take to answer its host status after the label
DEFAULT_STATUS_TIMEOUT_S = 5.0
DEFAULT_LP_TIMEOUT_S = 10.0

SPEC_FORMS = (
    "file:DIR (write PNG, SVG and ZPL files into DIR; the default is file:labels), "
    "zpl-tcp:HOST[:PORT] (raw ZPL to a Zebra printer, port 9100 by default), "
    "cups:QUEUE (ZPL through CUPS `lp -o raw`)"
)


@dataclass(frozen=True)
class PrinterSpec:
    """A parsed printer spec; ``str(spec)`` gives its canonical text (recorded with each print)."""

    kind: PrinterKind
    target: str  # directory, host name or address, or CUPS queue
    port: int = ZPL_RAW_PORT

    def __str__(self) -> str:
        if self.kind == "zpl-tcp":
            host = f"[{self.target}]" if ":" in self.target else self.target
            return f"zpl-tcp:{host}:{self.port}"
        return f"{self.kind}:{self.target}"


_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_QUEUE = re.compile(r"^[!-~]{1,127}$")


def parse_printer_spec(text: str) -> PrinterSpec:
    """Parse one of the three spec forms; raises :class:`PrinterSpecError` listing them."""
    kind, sep, rest = text.strip().partition(":") if isinstance(text, str) else ("", "", "")
    rest = rest.strip()

    def bad(why: str) -> PrinterSpecError:
        return PrinterSpecError(f"printer spec {text!r}: {why}; use one of: {SPEC_FORMS}")

    if not sep or kind not in ("file", "zpl-tcp", "cups"):
        raise bad("unknown printer kind")
    if not rest:
        raise bad(f"{kind}: needs a {'directory' if kind == 'file' else 'target'} after the ':'")
    if kind == "file":
        return PrinterSpec("file", rest)
    if kind == "cups":
        if not _QUEUE.match(rest) or "/" in rest or "#" in rest:
            raise bad(f"{rest!r} is not a CUPS queue name (no spaces, '/' or '#')")
        return PrinterSpec("cups", rest)
    host, port = _split_host_port(rest, bad)
    return PrinterSpec("zpl-tcp", host, port)


def _split_host_port(rest: str, bad: Callable[[str], PrinterSpecError]) -> tuple[str, int]:
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or not host or (tail and not tail.startswith(":")):
            raise bad(f"{rest!r} is not [IPv6-address] or [IPv6-address]:PORT")
        port_text = tail[1:]
    elif rest.count(":") > 1:
        raise bad("write an IPv6 address in brackets, e.g. zpl-tcp:[fd00::5]:9100")
    else:
        host, _, port_text = rest.partition(":")
        if not _HOST.match(host):
            raise bad(f"{host!r} is not a host name or IPv4 address")
    if rest.endswith(":"):
        raise bad("the port after ':' is missing")
    if not port_text:
        return host, ZPL_RAW_PORT
    # ASCII digits only: str.isdigit() also accepts superscripts, which int() refuses.
    if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 1 <= int(port_text) <= 65535:
        raise bad(f"port {port_text!r} must be a number from 1 to 65535")
    return host, int(port_text)


@dataclass(frozen=True)
class PrintResult:
    """What was sent where. ``status`` never says "printed": nothing here can see the paper."""

    serial: str
    printer: str  # canonical printer spec
    kind: PrinterKind
    status: PrintStatus
    destination: str  # directory, HOST:PORT, or CUPS queue
    job_name: str
    bytes_sent: int  # bytes of ZPL sent, or of all files written
    paths: tuple[Path, ...] = ()  # files written (file printer)
    attempt: int | None = None  # file printer: the attempt number in the file names
    request_id: str = ""  # CUPS job id, e.g. "zebra-42"

    @property
    def summary(self) -> str:
        if self.kind == "file":
            names = ", ".join(path.name for path in self.paths)
            return f"label {self.serial} written to {self.destination}: {names}"
        if self.kind == "cups":
            job = f" as job {self.request_id}" if self.request_id else ""
            return f"label {self.serial} queued in CUPS queue {self.destination}{job}"
        return (
            f"label {self.serial} printed on {self.destination} ({self.bytes_sent} bytes of "
            "ZPL; the printer's status confirmed it)"
        )


class Printer(Protocol):
    """Something that takes a rendered label and delivers it."""

    @property
    def spec(self) -> PrinterSpec: ...

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        """Deliver the label; raises :class:`PrinterError` if it could not."""
        ...


_UNSAFE_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.-]|^\.")


def file_stem(serial: str) -> str:
    """A serial made safe as a file name, reversibly: ``/`` → ``%2F``, ``%`` → ``%25``."""
    return _UNSAFE_NAME_CHAR.sub(lambda match: f"%{ord(match[0]):02X}", serial)


class FilePrinter:
    """Writes the artwork set into a directory, each file atomically (temporary file + rename)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._spec = PrinterSpec("file", str(directory))

    @property
    def spec(self) -> PrinterSpec:
        return self._spec

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        serial = artwork.serial
        payloads = {
            ".png": artwork.png,
            ".svg": artwork.svg.encode("utf-8"),
            ".zpl": artwork.zpl.encode("utf-8"),
        }
        temps: dict[str, Path] = {}
        published: list[Path] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for suffix, payload in payloads.items():
                temps[suffix] = self._write_temp(payload)
            stem = file_stem(serial)
            attempt = self._claim(stem, temps[".zpl"])
            paths = [self.directory / f"{stem}-{attempt:03d}{suffix}" for suffix in payloads]
            published.append(paths[-1])
            for suffix, path in zip(payloads, paths, strict=True):
                if suffix != ".zpl":
                    os.replace(temps[suffix], path)
                    del temps[suffix]
                    published.append(path)
        except OSError as exc:
            # a failed print leaves no partial set behind
            for path in published:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise PrinterWriteError(
                f"the label files could not be written to {self.directory}",
                printer=str(self.spec),
                serial=serial,
                detail=exc.strerror or str(exc),
            ) from exc
        finally:
            for temp in temps.values():
                with contextlib.suppress(OSError):
                    temp.unlink()
        return PrintResult(
            serial=serial,
            printer=str(self.spec),
            kind="file",
            status="written to files",
            destination=str(self.directory),
            job_name=job_name,
            bytes_sent=sum(len(payload) for payload in payloads.values()),
            paths=tuple(paths),
            attempt=attempt,
        )

    def _write_temp(self, payload: bytes) -> Path:
        fd, name = tempfile.mkstemp(dir=self.directory, prefix=".label-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name)

    def _claim(self, stem: str, temp_zpl: Path) -> int:
        """Publish the ZPL under the next free attempt number; the hard link makes it exclusive."""
        pattern = re.compile(rf"^{re.escape(stem)}-(\d+)\.(?:png|svg|zpl)$")
        used = [int(m[1]) for name in os.listdir(self.directory) if (m := pattern.match(name))]
        attempt = max(used, default=0) + 1
        while True:
            final = self.directory / f"{stem}-{attempt:03d}.zpl"
            try:
                os.link(temp_zpl, final)
            except FileExistsError:
                attempt += 1
                continue
            except OSError:
                # file systems without hard links (FAT, some network mounts): rename instead
                if final.exists():
                    attempt += 1
                    continue
                os.replace(temp_zpl, final)
            return attempt


class ZplTcpPrinter:
    """Raw ZPL to a printer's TCP port (9100): connect, send the label and a host-status query
    (``~HS``), half-close, and read the status; printed only when the printer confirms."""

    def __init__(
        self,
        host: str,
        port: int = ZPL_RAW_PORT,
        *,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
        status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_S,
    ) -> None:
        if min(connect_timeout_s, send_timeout_s, status_timeout_s) <= 0:
            raise ValueError("printer timeouts must be greater than 0 seconds")
        self.host = host
        self.port = port
        self.connect_timeout_s = connect_timeout_s
        self.send_timeout_s = send_timeout_s
        self.status_timeout_s = status_timeout_s
        self._spec = PrinterSpec("zpl-tcp", host, port)

    @property
    def spec(self) -> PrinterSpec:
        return self._spec

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        payload = artwork.zpl.encode("utf-8")
        where = str(self.spec).removeprefix("zpl-tcp:")
        common = {"printer": str(self.spec), "serial": artwork.serial}
        try:
            conn = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except ConnectionRefusedError as exc:
            raise PrinterRefusedError(
                f"{where} refused the connection (nothing is listening on port {self.port})",
                **common,
            ) from exc
        except TimeoutError as exc:
            raise PrinterTimeoutError(
                f"{where} did not accept a connection within {self.connect_timeout_s:g} s",
                **common,
            ) from exc
        except socket.gaierror as exc:
            raise PrinterOfflineError(
                f"the printer host name {self.host!r} could not be resolved", **common
            ) from exc
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            raise PrinterOfflineError(
                f"{where} dropped the connection while it was being opened", **common
            ) from exc
        except OSError as exc:
            raise PrinterOfflineError(
                f"{where} cannot be reached", detail=exc.strerror or str(exc), **common
            ) from exc
        with conn:
            conn.settimeout(self.send_timeout_s)
            try:
                conn.sendall(payload + HOST_STATUS_QUERY)
                conn.shutdown(socket.SHUT_WR)
            except TimeoutError as exc:
                raise PrinterTimeoutError(
                    f"{where} stopped taking data: the label ({len(payload)} bytes) was not "
                    f"accepted within {self.send_timeout_s:g} s",
                    **common,
                ) from exc
            except OSError as exc:
                # reset, broken pipe, aborted: the printer went away mid-label
                raise PrinterOfflineError(
                    f"{where} dropped the connection while receiving the label",
                    detail=exc.strerror or type(exc).__name__,
                    **common,
                ) from exc
            answer = self._read_status(conn, where, common)
        try:
            status = parse_host_status(answer)
        except StatusUnreadable as exc:
            raise PrinterNotConfirmedError(
                f"{where} took the label but its status answer is not a Zebra host status",
                detail=str(exc),
                **common,
            ) from exc
        problems = status.problems()
        if problems:
            raise PrinterNotConfirmedError(
                f"{where} took the label but reports it cannot print: {', '.join(problems)}",
                **common,
            )
        return PrintResult(
            serial=artwork.serial,
            printer=str(self.spec),
            kind="zpl-tcp",
            status="confirmed by the printer",
            destination=where,
            job_name=job_name,
            bytes_sent=len(payload),
        )

    def _read_status(self, conn: socket.socket, where: str, common: dict[str, str]) -> bytes:
        """The printer's answer to ``~HS`` (what it sent before it closed, went quiet, or gave
        the two status strings the station reads)."""
        answer = bytearray()
        conn.settimeout(self.status_timeout_s)
        try:
            while not complete(bytes(answer)) and len(answer) < 4096:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                answer.extend(chunk)
        except TimeoutError:
            if not answer:
                raise PrinterNotConfirmedError(
                    f"{where} took the label but did not answer its status query within "
                    f"{self.status_timeout_s:g} s (a printer out of paper or ribbon, or with its "
                    "head open, does not answer)",
                    **common,
                ) from None
        except OSError as exc:
            raise PrinterOfflineError(
                f"{where} dropped the connection before confirming the label",
                detail=exc.strerror or type(exc).__name__,
                **common,
            ) from exc
        return bytes(answer)


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


def open_printer(
    spec: str,
    *,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
    lp_timeout_s: float = DEFAULT_LP_TIMEOUT_S,
    status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_S,
) -> Printer:
    """The printer for a spec string; raises :class:`PrinterSpecError` for a bad spec."""
    parsed = parse_printer_spec(spec)
    if parsed.kind == "file":
        return FilePrinter(parsed.target)
    if parsed.kind == "cups":
        return CupsPrinter(parsed.target, timeout_s=lp_timeout_s)
    return ZplTcpPrinter(
        parsed.target,
        parsed.port,
        connect_timeout_s=connect_timeout_s,
        send_timeout_s=send_timeout_s,
        status_timeout_s=status_timeout_s,
    )

"""Stand-ins for a Zebra printer's raw port (127.0.0.1:0, in a thread) and for CUPS ``lp``."""

from __future__ import annotations

import socket
import struct
import sys
import threading
from pathlib import Path
from typing import Literal

Behaviour = Literal[
    "receive",  # takes the label and answers ~HS with a healthy status
    "never-read",  # accepts the connection and never reads
    "reset",  # resets the connection at once
    "close",  # accepts and closes at once
    "silent",  # takes everything, never answers ~HS (media out, head open: no answer at all)
    "garbage",  # answers ~HS with noise
    "paper-out",  # answers ~HS: paper out
    "head-open",  # answers ~HS: head up
    "paused",  # answers ~HS: paused
]


def host_status(
    *, paper_out: int = 0, paused: int = 0, head_up: int = 0, ribbon_out: int = 0
) -> bytes:
    """A ``~HS`` answer as the ZPL II guide lays it out: three STX...ETX CR LF strings."""
    first = f"030,{paper_out},{paused},1218,000,0,0,0,000,0,0,0"
    second = f"001,0,{head_up},{ribbon_out},0,2,6,0,00000000,1,000"
    return b"".join(b"\x02" + s.encode() + b"\x03\r\n" for s in (first, second, "1234,0"))


ANSWERS: dict[str, bytes] = {
    "receive": host_status(),
    "garbage": b"HTTP/1.1 400 Bad Request\r\n\r\n",
    "paper-out": host_status(paper_out=1),
    "head-open": host_status(head_up=1),
    "paused": host_status(paused=1),
}


class FakeZebra:
    """Accepts one connection on 127.0.0.1 and receives, ignores, resets or answers it."""

    def __init__(self, behaviour: Behaviour = "receive") -> None:
        self.behaviour = behaviour
        self.received = bytearray()
        self.connections = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if behaviour == "never-read":
            # a small receive window so an unread connection fills up quickly
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(5.0)
        self.port = int(self._listener.getsockname()[1])
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self.connections += 1
        with conn:
            if self.behaviour == "reset":
                # SO_LINGER 0: close with a TCP reset, like a printer power-cycled mid-job
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if self.behaviour == "never-read":
                self._release.wait(10.0)
                return
            if self.behaviour == "close":
                return
            conn.settimeout(5.0)
            while chunk := conn.recv(65536):
                self.received.extend(chunk)
                if self.received.endswith(b"~HS"):
                    break
            answer = ANSWERS.get(self.behaviour)
            if answer is not None:
                conn.sendall(answer)
            elif self.behaviour == "silent":
                self._release.wait(10.0)

    def finish(self) -> bytes:
        """Wait for the connection to end and return what the printer received (the label,
        then the status query)."""
        self._release.set()
        self._thread.join(10.0)
        self._listener.close()
        return bytes(self.received)


class FullBacklogPort:
    """A listening port that never accepts and whose backlog is full: connects hang."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._fillers: list[socket.socket] = []
        for _ in range(8):
            try:
                self._fillers.append(
                    socket.create_connection(self._listener.getsockname(), timeout=0.2)
                )
            except TimeoutError:
                break  # the queue is full: further connection attempts go unanswered

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def close(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._listener.close()


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_stub_lp(directory: Path, *, exit_code: int = 0, hang: bool = False) -> Path:
    """An ``lp`` that records its argv and stdin next to itself, then answers like CUPS."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "lp"
    script.write_text(
        f"""#!{sys.executable}
import json, pathlib, sys, time
here = pathlib.Path(__file__).parent
(here / "argv.json").write_text(json.dumps(sys.argv[1:]))
(here / "stdin.bin").write_bytes(sys.stdin.buffer.read())
if {hang!r}:
    time.sleep(30)
if {exit_code}:
    sys.stderr.write("lp: The printer or class does not exist.\\n")
    sys.exit({exit_code})
print("request id is zebra-42 (1 file(s))")
""",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script

"""FlashStream files for SMBus gauges (``.bq.fs`` / ``.df.fs``): strict parser and executor.

Lines (fields separated by blanks, bytes in hex, the address is the 8-bit form ``16`` = 0x0B):

* ``SWC: 16 cc``            SMBus send command
* ``SWW: 16 cc lo hi``      write word (little-endian)
* ``SWB: 16 cc d0 d1 ...``  block write; the file has no count byte, the transport adds it
* ``SCW: 16 cc lo hi``      read word and compare
* ``SCL: 16 cc nn d0 ...``  block read, compare the length ``nn`` and the data
* ``X: ms``                 wait at least ``ms`` milliseconds (decimal)
* ``; ...``                 comment

The whole file is validated before anything touches a pack; execution stops at the first line
that fails and reports it. Lines that carry keys (any word to ManufacturerAccess 0x00, a
SecurityKeys block, a compare that reads keys back) are shown as ``SWW 0x00 <key>`` at most
(:func:`shown`), in problems, failures and progress alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from station.bus.errors import BusError
from station.clock import Clock
from station.recipe.errors import FileFormatError, FlashStreamFailed, Problem, undecodable_line

#: The only device a BQ40Z50 FlashStream may address: 8-bit 0x16 = 7-bit 0x0B.
SBS_ADDRESS_8BIT = 0x16
MAX_DATA_BYTES = 96
#: Data flash: an ``SWB 16 44`` block whose first two bytes lie here is a data-flash access.
DF_FIRST, DF_LIMIT = 0x4000, 0x6000
MAX_DELAY_MS = 600_000
MAX_PROBLEMS = 50

Op = Literal["SWC", "SWW", "SWB", "SCW", "SCL", "X"]
_DIALECT_I2C = {"W", "C", "M"}


class SMBusPrimitives(Protocol):
    """The transport operations a FlashStream needs (``station.bus.SMBusTransport`` has them)."""

    address: int

    def send_byte(
        self, command: int, *, label: str | None = None, retries: int | None = None
    ) -> None: ...

    def write_word(
        self, command: int, value: int, *, label: str | None = None, retries: int | None = None
    ) -> None: ...

    def read_word(
        self, command: int, *, label: str | None = None, retries: int | None = None
    ) -> int: ...

    def block_write(
        self, command: int, data: bytes, *, label: str | None = None, retries: int | None = None
    ) -> None: ...

    def block_read(
        self,
        command: int,
        *,
        max_len: int = 34,
        min_len: int = 0,
        label: str | None = None,
        retries: int | None = None,
    ) -> bytes: ...


@dataclass(frozen=True)
class FSLine:
    """One executable line. ``text`` is the line as written and may carry keys: show
    :func:`shown` instead."""

    number: int
    text: str = field(repr=False)
    op: Op = "X"
    command: int = 0
    data: bytes = b""  # SWB data; SCL expected data
    word: int = 0  # SWW / SCW
    length: int = 0  # SCL expected length
    delay_ms: int = 0  # X
    #: a compare that reads keys back (after a SecurityKeys read request)
    reads_keys: bool = False


#: The MAC codes whose data is a key: SecurityKeys and AuthenticationKey.
_KEY_MACS = (0x0035, 0x0037)


def shown(line: FSLine) -> str:
    """The line as it may be shown: key words and key blocks replaced by ``<key>``. Every word
    to ManufacturerAccess 0x00 counts as a key word (a key's second word can be anything)."""
    if line.op == "X":
        return f"X: {line.delay_ms}"
    if line.op == "SWW" and line.command == 0x00:
        return "SWW 0x00 <key>"
    if line.op == "SWB" and line.command == 0x44 and len(line.data) > 2:
        code = line.data[0] | line.data[1] << 8
        if code in _KEY_MACS:
            return f"SWB 0x44 0x{code:04X} <key>"
    if line.reads_keys:
        return f"{line.op} 0x{line.command:02X} <key>"
    return line.text


def _shown_raw(op: str, fields: list[str], text: str) -> str:
    """What a line that could not be parsed may show of itself."""
    cmd = fields[1].lower() if len(fields) > 1 else ""
    if op in ("SWW", "SCW") and cmd in ("00", "0", "000"):
        return f"{op} 0x00 <key>"
    if (
        op in ("SWB", "SCL")
        and cmd == "44"
        and [f.lower() for f in fields[2:4]]
        in (
            ["35", "00"],
            ["37", "00"],
        )
    ):
        return f"{op} 0x44 <key>"
    if op in ("SWW", "SWB", "SCW", "SCL") and len(fields) > 3:
        return f"{op}: {' '.join(fields[:2])} ..."
    return text[:40]


@dataclass(frozen=True)
class FlashStream:
    name: str
    lines: tuple[FSLine, ...]

    @property
    def total_delay_ms(self) -> int:
        return sum(line.delay_ms for line in self.lines)

    def count(self, op: Op) -> int:
        return sum(1 for line in self.lines if line.op == op)


def _byte(field: str) -> int:
    """One byte written as exactly two hex digits; ValueError says why not."""
    if not field or any(c not in "0123456789abcdefABCDEF" for c in field):
        raise ValueError(f"{field!r} is not hexadecimal")
    value = int(field, 16)
    if len(field) > 2:
        over = f" = 0x{value:X} > 0xFF" if value > 0xFF else ""
        raise ValueError(f"{field!r}{over}: a byte is exactly two hex digits")
    if len(field) % 2:
        raise ValueError(f"{field!r} has an odd number of hex digits (bytes are two digits)")
    return value


def parse_flashstream(content: str | bytes, name: str = "<flashstream>") -> FlashStream:
    """Parse and validate a whole FlashStream; :class:`FileFormatError` lists every bad line."""
    if isinstance(content, bytes):
        try:
            text = content.decode("ascii")
        except UnicodeDecodeError as exc:
            why = "not ASCII text: a FlashStream holds only ASCII"
            line = undecodable_line(content, exc)
            raise FileFormatError([Problem(name, line, why, code=_CODE)]) from None
    else:
        text = content
    if not text.strip():
        raise FileFormatError([Problem(name, 1, "the file is empty", code=_CODE)])
    parser = _Parser(name)
    raw_lines = text.split("\n")
    if raw_lines[-1] != "":
        parser.bad(
            len(raw_lines),
            "the last line has no newline: the file may be cut short (an "
            "incomplete copy); re-export it",
            raw_lines[-1][:40],
        )
    else:
        raw_lines.pop()
    out = [ln for number, raw in enumerate(raw_lines, 1) if (ln := parser.line(number, raw))]
    if parser.problems:
        raise FileFormatError(parser.problems)
    if not out:
        raise FileFormatError([Problem(name, 1, "no commands, only comments", code=_CODE)])
    return FlashStream(name, tuple(out))


_CODE = "FLASHSTREAM_FORMAT"


class _Parser:
    """Reads a FlashStream line by line, keeping its problems and the MAC code the last request
    line asked for (a compare that follows reads that code's answer)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.requested = -1

    def bad(self, line: int, why: str, value: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.name, line, why, value=value, code=_CODE))

    def line(self, number: int, raw_line: str) -> FSLine | None:
        """The command on a line (None: a comment, a blank line, or a problem)."""
        line = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        if "\r" in line:
            self.bad(number, "a stray carriage return inside the line")
            return None
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            return None
        if ":" not in stripped:
            self.bad(
                number,
                "no command (a line is CMD: fields, or ; comment)",
                stripped.split()[0][:12] + " ...",
            )
            return None
        head, _, rest = stripped.partition(":")
        op = head.strip().upper()
        fields = rest.split()
        safe = _shown_raw(op, fields, stripped)
        if op in _DIALECT_I2C:
            self.bad(
                number,
                f"'{op}:' belongs to the I2C/HDQ FlashStream dialect (bq27xxx); a "
                "BQ40Z50 file uses SWC/SWW/SWB/SCW/SCL/X",
                safe,
            )
            return None
        if op not in ("SWC", "SWW", "SWB", "SCW", "SCL", "X"):
            self.bad(number, f"unknown command '{head.strip()}:'", safe)
            return None
        if op == "X":
            return self.wait(number, stripped, fields, safe)
        return self.command(number, stripped, op, fields, safe)

    def wait(self, number: int, text: str, fields: list[str], safe: str) -> FSLine | None:
        if len(fields) != 1 or not fields[0].isdigit() or not fields[0].isascii():
            self.bad(number, "X: takes one decimal number of milliseconds", safe)
            return None
        delay = int(fields[0])
        if delay > MAX_DELAY_MS:
            self.bad(number, f"a wait of {delay} ms is longer than {MAX_DELAY_MS} ms", safe)
            return None
        return FSLine(number, text, "X", delay_ms=delay)

    def command(
        self, number: int, text: str, op: str, fields: list[str], safe: str
    ) -> FSLine | None:
        """An SMBus command line: address, command code, data bytes."""
        try:
            values = [_byte(f) for f in fields]
        except ValueError as exc:
            # The field's own text may be part of a key: then say only what is wrong.
            why = str(exc)
            if "<key>" in safe:
                why = re.sub(r"^'[^']*'( = 0x[0-9A-F]+ > 0xFF)?", "a field", why)
            self.bad(number, why, safe)
            return None
        if len(values) < 2:
            self.bad(number, f"{op}: needs at least an address and a command", safe)
            return None
        if values[0] != SBS_ADDRESS_8BIT:
            self.bad(
                number,
                f"address {fields[0]} is not the gauge: a BQ40Z50 FlashStream addresses "
                "16 (8-bit form of 0x0B)",
                safe,
            )
            return None
        command, data = values[1], bytes(values[2:])
        if len(data) > MAX_DATA_BYTES:
            why = f"{len(data)} data bytes on one line; at most {MAX_DATA_BYTES}"
            self.bad(number, why, safe)
            return None
        word_to_mac = op == "SWW" and command == 0x00 and len(data) == 2
        block_to_mba = op == "SWB" and command == 0x44 and len(data) >= 2
        if word_to_mac or block_to_mba:
            self.requested = data[0] | data[1] << 8
        return self.shaped(number, text, op, command, data, safe)

    def shaped(
        self, number: int, text: str, op: str, command: int, data: bytes, safe: str
    ) -> FSLine | None:
        """The command if its data has the shape ``op`` needs."""
        if op == "SWC":
            if data:
                self.bad(number, "SWC: is the command alone, without data", safe)
                return None
            return FSLine(number, text, "SWC", command=command)
        if op in ("SWW", "SCW"):
            if len(data) != 2:
                self.bad(number, f"{op}: takes exactly two data bytes (low, high)", safe)
                return None
            word_op: Op = "SWW" if op == "SWW" else "SCW"
            reads_keys = word_op == "SCW" and self.requested in _KEY_MACS
            word = data[0] | data[1] << 8
            return FSLine(number, text, word_op, command=command, word=word, reads_keys=reads_keys)
        if op == "SWB":
            if not data:
                self.bad(number, "SWB: needs at least one data byte", safe)
                return None
            return FSLine(number, text, "SWB", command=command, data=data)
        if not data:  # SCL
            self.bad(number, "SCL: needs the expected length", safe)
            return None
        length, expected = data[0], data[1:]
        if length != len(expected):
            why = f"SCL: length {length} but {len(expected)} expected bytes follow"
            self.bad(number, why, safe)
            return None
        reads_keys = self.requested in _KEY_MACS
        return FSLine(
            number,
            text,
            "SCL",
            command=command,
            data=expected,
            length=length,
            reads_keys=reads_keys,
        )


@dataclass(frozen=True)
class FlashStreamProgress:
    done: int  # executable lines completed
    total: int
    line: FSLine


@dataclass(frozen=True)
class FlashStreamResult:
    lines_run: int
    elapsed_s: float


def run_flashstream(
    stream: FlashStream,
    transport: SMBusPrimitives,
    clock: Clock,
    *,
    progress: Callable[[FlashStreamProgress], None] | None = None,
    should_abort: Callable[[], bool] | None = None,
    checkpoint: Callable[[], None] | None = None,
    write_df: Callable[[int, bytes], None] | None = None,
) -> FlashStreamResult:
    """Run every line in order; :class:`FlashStreamFailed` at the first line that fails.

    ``X:`` waits go through ``clock``. ``checkpoint`` runs before every line (it may raise to stop
    the stream, e.g. an operator abort, and what it raises goes through untouched);
    ``should_abort`` is the older form (stop with :class:`FlashStreamFailed`). ``write_df``, when
    given, carries the data-flash writes (``SWB 16 44 lo hi d..``) instead of the transport, so
    they are guarded and paced like every other data-flash write.
    """
    if transport.address != SBS_ADDRESS_8BIT >> 1:
        raise FlashStreamFailed(
            0,
            "",
            f"the transport talks to 0x{transport.address:02X}, the FlashStream to 0x0B",
            compare=False,
        )
    started = clock.monotonic()
    total = len(stream.lines)
    for done, line in enumerate(stream.lines):
        if checkpoint is not None:
            checkpoint()
        if should_abort is not None and should_abort():
            raise FlashStreamFailed(
                line.number, shown(line), "stopped by the operator", compare=False
            )
        label = f"FlashStream line {line.number}"
        try:
            address = df_write_address(line)
            if write_df is not None and address is not None:
                write_df(address, line.data[2:])
            else:
                _run_line(line, transport, clock, label)
        except BusError as exc:
            raise FlashStreamFailed(
                line.number, shown(line), f"[{exc.failure_code}] {exc.what}", compare=False
            ) from None
        if progress is not None:
            progress(FlashStreamProgress(done + 1, total, line))
    return FlashStreamResult(total, clock.monotonic() - started)


def df_write_address(line: FSLine) -> int | None:
    """The data-flash address a line writes (``SWB 16 44 lo hi d..``), else None."""
    if line.op != "SWB" or line.command != 0x44 or len(line.data) < 3:
        return None
    address = line.data[0] | line.data[1] << 8
    return address if DF_FIRST <= address < DF_LIMIT else None


def _run_line(line: FSLine, t: SMBusPrimitives, clock: Clock, label: str) -> None:
    if line.op == "X":
        clock.sleep(line.delay_ms / 1000)
    elif line.op == "SWC":
        t.send_byte(line.command, label=label)
    elif line.op == "SWW":
        t.write_word(line.command, line.word, label=label)
    elif line.op == "SWB":
        t.block_write(line.command, line.data, label=label)
    elif line.op == "SCW":
        got = t.read_word(line.command, label=label)
        if got != line.word:
            raise FlashStreamFailed(
                line.number,
                shown(line),
                "the word read is not the one the file expects"
                if line.reads_keys
                else f"read 0x{got:04X}, the file expects 0x{line.word:04X}",
                compare=True,
            )
    else:
        got_block = t.block_read(line.command, max_len=min(255, max(line.length, 34)), label=label)
        if len(got_block) != line.length:
            raise FlashStreamFailed(
                line.number,
                shown(line),
                f"block of {len(got_block)} bytes, the file expects {line.length}",
                compare=True,
            )
        if got_block != line.data:
            first = next(
                i for i, (a, b) in enumerate(zip(got_block, line.data, strict=True)) if a != b
            )
            raise FlashStreamFailed(
                line.number,
                shown(line),
                f"byte {first} differs from what the file expects"
                if line.reads_keys
                else f"byte {first} reads "
                f"0x{got_block[first]:02X}, the file expects "
                f"0x{line.data[first]:02X}",
                compare=True,
            )

"""SMBus primitives over ``i2c_rdwr``, with PEC computed here and bounded retries.

Every transaction is one ``i2c_rdwr`` call built from ``smbus2.i2c_msg`` objects: that is the only
way to carry the gauge's 34-byte data-flash blocks (the kernel's SMBus block calls stop at 32), and
it gives one code path for real adapters, the emulator and third-party buses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from smbus2 import i2c_msg

from station.bus.errors import (
    BadResponseError,
    BusError,
    BusGoneError,
    PecError,
    ShortReadError,
    error_for_errno,
)
from station.bus.lock import AdapterLock
from station.bus.trace import Transaction, TransactionHook
from station.clock import Clock
from station.pec import crc8, read_address, write_address

T = TypeVar("T")

#: The SBS smart-battery address (7-bit).
GAUGE_ADDRESS = 0x0B
#: Largest block the BQ40Z50 sends or accepts: 2 address/echo bytes + 32 data bytes.
MAX_BLOCK = 34


class I2CBus(Protocol):
    """Anything that offers smbus2.SMBus's ``i2c_rdwr`` (a real bus, the emulator, an adapter)."""

    def i2c_rdwr(self, *i2c_msgs: i2c_msg) -> None: ...


@dataclass
class TransportStats:
    """Counters a benchmark or an engineer can read after a run."""

    transactions: int = 0
    retries: int = 0
    failures: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential back-off, all waits through the injected clock."""

    retries: int = 3
    backoff_s: float = 0.002
    backoff_factor: float = 2.0
    max_backoff_s: float = 0.050


class _Retryable(Exception):
    def __init__(self, error: BusError) -> None:
        self.error = error


class SMBusTransport:
    """SMBus primitives for one device address.

    Every transaction (each attempt of it) holds ``lock``, the lock of the adapter; callers that
    need several transactions back to back on the bus (two key words) hold it around all of
    them. ``pack_lock`` is the lock of the one pack this transport reaches: the driver holds it
    around calls that must not be interleaved with another call to the same pack. Give every
    transport the locks of :class:`station.bus.adapters.AdapterRegistry`.
    """

    def __init__(
        self,
        bus: I2CBus,
        clock: Clock,
        *,
        address: int = GAUGE_ADDRESS,
        pec: bool = False,
        retry: RetryPolicy | None = None,
        lock: AdapterLock | None = None,
        pack_lock: AdapterLock | None = None,
        trace: TransactionHook | None = None,
    ) -> None:
        self.bus = bus
        self.lock = lock if lock is not None else AdapterLock()
        self.pack_lock = pack_lock if pack_lock is not None else AdapterLock()
        #: this connection's place in the adapter's queue (:class:`AdapterLock`): made once
        #: per pack, so the pack that came first goes first
        self.rank = self.lock.ticket()
        self.clock = clock
        self.address = address
        self.pec = pec
        self.retry = retry or RetryPolicy()
        self.stats = TransportStats()
        #: Called with every try of every transaction (a bus trace), when set.
        self.trace = trace
        self._wire: tuple[float, float, bytes, bytes] | None = None  # the last try, for trace

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the adapter, in this connection's turn, for several transactions in a row (two
        key words; the blocks of one data-flash read, so that they need one channel select)."""
        with self.lock.ranked(self.rank):
            yield

    # -- primitives ---------------------------------------------------------------------------

    def send_byte(
        self, command: int, *, label: str | None = None, retries: int | None = None
    ) -> None:
        """SMBus Send Byte: the command code alone."""
        payload = [command & 0xFF]
        self._run(lambda: self._write(payload), "send byte", command, label, retries)

    def write_word(
        self, command: int, value: int, *, label: str | None = None, retries: int | None = None
    ) -> None:
        """SMBus Write Word, little-endian."""
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"word value {value} does not fit 16 bits")
        payload = [command & 0xFF, value & 0xFF, value >> 8]
        self._run(lambda: self._write(payload), "write word", command, label, retries)

    def read_word(
        self, command: int, *, label: str | None = None, retries: int | None = None
    ) -> int:
        """SMBus Read Word, little-endian, unsigned."""

        def attempt() -> int:
            data = self._read(command, 2)
            return data[0] | (data[1] << 8)

        return self._run(attempt, "read word", command, label, retries)

    def block_write(
        self, command: int, data: bytes, *, label: str | None = None, retries: int | None = None
    ) -> None:
        """SMBus Block Write: the count byte is added here (the caller passes data only)."""
        if not 1 <= len(data) <= 255:
            raise ValueError(f"a block write carries 1-255 bytes, not {len(data)}")
        payload = [command & 0xFF, len(data), *data]
        self._run(lambda: self._write(payload), "block write", command, label, retries)

    def block_read(
        self,
        command: int,
        *,
        max_len: int = MAX_BLOCK,
        min_len: int = 0,
        label: str | None = None,
        retries: int | None = None,
    ) -> bytes:
        """SMBus Block Read: the count byte is parsed here and only the data is returned.

        ``max_len`` is the longest block this command can carry; a count byte above it is a lie
        (a corrupted or confused device) and is refused by name rather than trusted.
        """
        if not 1 <= max_len <= 255:
            raise ValueError("max_len must be 1-255")

        def attempt() -> bytes:
            raw = self._read(command, 1 + max_len, block=True)
            count = raw[0]
            if count > max_len:
                raise _Retryable(
                    BadResponseError(
                        f"count byte {count} is more than the {max_len} bytes this command carries",
                        command=self._name("block read", command, label),
                    )
                )
            if count < min_len:
                raise _Retryable(
                    ShortReadError(
                        f"{count} bytes returned, at least {min_len} expected",
                        command=self._name("block read", command, label),
                    )
                )
            return bytes(raw[1 : 1 + count])

        return self._run(attempt, "block read", command, label, retries)

    def probe_pec(self, command: int, *, label: str | None = None) -> bool:
        """Read a word with one byte more and say whether that byte is the word's PEC: whether
        the device appends PEC to what it sends (a BQ40Z50 does only with SBS Configuration
        [HPE] set, reference §2). Retried like any read; the word itself is not returned."""

        def attempt() -> bool:
            wr = i2c_msg.write(self.address, [command & 0xFF])
            rd = i2c_msg.read(self.address, 3)
            self._xfer([wr, rd])
            raw = list(bytes(rd))
            if len(raw) < 3:
                raise _Retryable(ShortReadError(f"{len(raw)} bytes arrived, 3 asked", command=""))
            covered = [write_address(self.address), command & 0xFF, read_address(self.address)]
            return raw[2] == crc8([*covered, raw[0], raw[1]])

        return self._run(attempt, "PEC check", command, label, None)

    # -- one transaction ----------------------------------------------------------------------

    def _write(self, payload: list[int]) -> None:
        out = list(payload)
        if self.pec:
            out.append(crc8([write_address(self.address), *payload]))
        self._xfer([i2c_msg.write(self.address, out)])

    def _read(self, command: int, length: int, *, block: bool = False) -> list[int]:
        extra = 1 if self.pec else 0
        wr = i2c_msg.write(self.address, [command & 0xFF])
        rd = i2c_msg.read(self.address, length + extra)
        self._xfer([wr, rd])
        raw = list(bytes(rd))
        if len(raw) < length + extra:
            raise _Retryable(
                ShortReadError(f"{len(raw)} bytes arrived, {length + extra} expected", command="")
            )
        if self.pec:
            used = 1 + min(raw[0], length - 1) if block else length
            covered = [write_address(self.address), command & 0xFF, read_address(self.address)]
            expected = crc8(covered + raw[:used])
            got = raw[used] if used < len(raw) else -1
            if got != expected:
                raise _Retryable(
                    PecError(f"PEC 0x{got:02X}, expected 0x{expected:02X}", command="")
                )
        return raw[:length]

    def _xfer(self, msgs: list[i2c_msg]) -> None:
        self.stats.transactions += 1
        if self.trace is None:
            try:
                self.bus.i2c_rdwr(*msgs)
            except OSError as exc:
                raise _os_error(exc) from None
            return
        started = self.clock.monotonic()
        wrote = bytes(msgs[0])
        try:
            self.bus.i2c_rdwr(*msgs)
        except OSError as exc:
            self._wire = (started, self.clock.monotonic() - started, wrote, b"")
            raise _os_error(exc) from None
        read = bytes(msgs[1]) if len(msgs) > 1 else b""
        self._wire = (started, self.clock.monotonic() - started, wrote, read)

    # -- retries ------------------------------------------------------------------------------

    def _name(self, kind: str, command: int, label: str | None) -> str:
        base = f"{kind} 0x{command & 0xFF:02X}"
        return f"{label} ({base})" if label else base

    def _run(
        self,
        attempt: Callable[[], T],
        kind: str,
        command: int,
        label: str | None,
        retries: int | None,
    ) -> T:
        allowed = self.retry.retries if retries is None else retries
        delay = self.retry.backoff_s
        tries = 0
        while True:
            tries += 1
            try:
                # The adapter is held per attempt, not across the back-off: another socket on
                # the adapter may use the bus while this one waits to try again.
                with self.exclusive():
                    value = attempt()
            except _Retryable as wrapped:
                err = wrapped.error
                # An adapter that has gone away will not come back within a back-off.
                given_up = isinstance(err, BusGoneError) or tries > allowed
                if self.trace is not None:
                    result = f"{err.failure_code}: {err.what}"
                    self._traced(kind, command, label, tries, result, retrying=not given_up)
                if given_up:
                    self.stats.failures += 1
                    raise type(err)(
                        err.what,
                        command=self._name(kind, command, label),
                        attempts=tries,
                        os_errno=err.os_errno,
                    ) from None
                self.stats.retries += 1
                self.clock.sleep(delay)
                delay = min(delay * self.retry.backoff_factor, self.retry.max_backoff_s)
                continue
            if self.trace is not None:
                self._traced(kind, command, label, tries, "ok", retrying=False)
            return value

    def _traced(
        self, kind: str, command: int, label: str | None, tries: int, result: str, *, retrying: bool
    ) -> None:
        assert self.trace is not None
        wire, self._wire = self._wire, None
        if wire is None:
            return
        started, took, wrote, read = wire
        self.trace(
            Transaction(
                at_s=started,
                took_s=took,
                address=self.address,
                operation=kind,
                command=command,
                label=label,
                wrote=wrote,
                read=read,
                result=result,
                attempt=tries,
                retrying=retrying,
            )
        )


def _os_error(exc: OSError) -> _Retryable:
    cls = error_for_errno(exc.errno)
    return _Retryable(cls(exc.strerror or "I/O error", command="", os_errno=exc.errno))

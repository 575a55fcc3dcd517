"""The gauge driver's base: the link (PEC, reads confirmed by a second read), MAC access through
ManufacturerBlockAccess (0x44), the security mode, and the checks every other part of the driver
leans on.

One driver talks to one gauge through one :class:`~station.bus.SMBusTransport`. Every wait goes
through the injected clock and every timing comes from :class:`GaugeTimings`. Public calls hold
the pack's lock (:attr:`SMBusTransport.pack_lock`, shared by every driver of the same pack) for
their whole duration, so a status poll from another thread can never slip into a data-flash
auto-increment read or between a MAC and its answer; each transaction holds the adapter's lock
(:attr:`SMBusTransport.lock`), and transactions that belong together (a key pair, a MAC and its
answer, a value and its confirming read, the blocks of one data-flash read) hold it together,
so no other socket's transaction on a shared adapter lands between them and they need one mux
channel select. A flash write's or a reset's wait holds only the pack: the other sockets on the
adapter use the bus meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from station.bus.errors import BadResponseError, BusError, NackError, PecError
from station.bus.transport import SMBusTransport
from station.clock import Clock
from station.config import PEC_SETTINGS
from station.gauge import mac as macs
from station.gauge.dataflash import DataFlashRegion
from station.gauge.errors import (
    EchoMismatchError,
    GaugeResponseError,
    ImplausibleValueError,
    PecNotSentError,
    SecurityModeError,
    ShortBlockError,
    SignatureTimeoutError,
    UnconfirmedReadError,
)
from station.gauge.mac import MacCommand, MacKind
from station.gauge.modes import SecurityMode
from station.gauge.polling import PROBE, SILENT, poll_until
from station.gauge.status import OperationStatus, operation_status
from station.gauge.timings import GaugeTimings

log = logging.getLogger("station.gauge")
_T = TypeVar("_T")

#: ManufacturerBlockAccess(): MAC codes and data-flash addresses go here by block write.
MBA = 0x44
#: Voltage(): a second word for the PEC check (readable in every mode).
VOLTAGE = 0x09

#: Called with (address, length) before every data-flash write; raises to veto it.
WriteGuard = Callable[[int, int], None]

#: Commands after which the security mode must be read again before it is relied on.
_MODE_CHANGING = frozenset({macs.SEAL, macs.DEVICE_RESET, macs.SHUTDOWN})


class GaugeAccess:
    """A BQ40Z50 on an SMBus transport: link, MAC access and security mode."""

    def __init__(
        self,
        transport: SMBusTransport,
        *,
        clock: Clock | None = None,
        timings: GaugeTimings | None = None,
        region: DataFlashRegion | None = None,
        write_guard: WriteGuard | None = None,
    ) -> None:
        self.transport = transport
        self.clock = clock if clock is not None else transport.clock
        self.timings = timings or GaugeTimings()
        self.region = region or DataFlashRegion()
        self.write_guard = write_guard
        # The pack's lock, shared with every other user of this pack: a public call holds it
        # from its first transaction to its last (a data-flash read, a MAC and its answer).
        self._lock = transport.pack_lock
        #: the last security mode this driver read or established; None when unknown
        self._mode: SecurityMode | None = None
        #: inside :meth:`confirming`: every read is confirmed by a second one (without PEC)
        self._confirming = 0
        #: reads whose second read disagreed with the first, and were read again (without PEC)
        self.read_disagreements = 0
        self._reported: SecurityMode | None = None

    def establish_pec(self, setting: str = "auto") -> bool:
        """Find out whether the gauge appends PEC to its answers (a word read with one byte more,
        checked), and from then on check PEC on every read and write when it does, whatever the
        setting: a gauge that sends PEC is never read without it. ``on`` refuses a gauge that
        sends none (:class:`PecNotSentError`). Returns whether PEC is now used.

        Two probes of different words must agree; when one bit flips in one of them, a third
        decides.
        """
        if setting not in PEC_SETTINGS:
            raise ValueError(f"PEC setting {setting!r}; one of {', '.join(PEC_SETTINGS)}")
        with self._lock:
            self.transport.pec = False
            probe = self.transport.probe_pec
            votes = [probe(PROBE, label="PEC check"), probe(VOLTAGE, label="PEC check")]
            if votes[0] != votes[1]:
                votes.append(probe(PROBE, label="PEC check"))
            sends = votes.count(True) >= 2
            if setting == "on" and not sends:
                raise PecNotSentError()
            self.transport.pec = sends
            log.info("PEC %s (setting %s)", "on: the gauge appends it" if sends else "off", setting)
            return sends

    @property
    def pec(self) -> bool:
        """Whether every read and write is checked by PEC."""
        return self.transport.pec

    @contextmanager
    def confirming(self) -> Iterator[None]:
        """Within this, without PEC, every SBS, status and MAC read is confirmed by a second read
        that agrees (the security mode always is): for reads a decision rests on."""
        with self._lock:
            self._confirming += 1
            try:
                yield
            finally:
                self._confirming -= 1

    def _confirmed(self, read: Callable[[], _T], what: str, *, always: bool = False) -> _T:
        """``read()``, trusted alone with PEC; else read again until two reads in a row agree
        (bounded by ``timings.confirm_reads``; :class:`UnconfirmedReadError` past it)."""
        if self.transport.pec or not (always or self._confirming):
            return read()
        with self.transport.exclusive():  # the reads back to back: one channel select
            return self._read_until_agreed(read, what)

    def _read_until_agreed(self, read: Callable[[], _T], what: str) -> _T:
        last = read()
        for reads in range(2, self.timings.confirm_reads + 1):
            value = read()
            if value == last:
                return value
            self.read_disagreements += 1
            log.info("%s: read %d disagrees with the one before; reading again", what, reads)
            last = value
        raise UnconfirmedReadError(command=what, reads=self.timings.confirm_reads)

    @property
    def last_reported_mode(self) -> SecurityMode | None:
        """The security mode the gauge itself last reported (OperationStatus), kept even when
        later commands may have changed it; None before the first read."""
        return self._reported

    def mac_read(self, which: int | str) -> bytes:
        """Send a MAC code by block write to 0x44 and return the response data (echo removed).

        The echo must name the command; a wrong echo or a block shorter than the command carries
        is retried once, then raised (:class:`EchoMismatchError`, :class:`ShortBlockError`).
        Signature MACs are polled until their result is ready.
        """
        command = mac(which)
        if command.kind is MacKind.COMMAND:
            raise ValueError(f"{command.label} returns nothing; use mac_command()")
        with self._lock:
            self._require_mode(command.label, command.access.modes_for("r"))
            if command.needs_wait:
                return self._mac_read_when_ready(command)
            return self._confirmed(
                lambda: self._checked_twice(lambda: self._mac_exchange(command)), command.label
            )

    def mac_result(self, which: int | str) -> bytes:
        """Read the result of the MAC sent last again, without sending it: for results the gauge
        refreshes on its own (the calibration raw output). Never confirmed by a second read."""
        command = mac(which)
        with self._lock:
            raw = self.transport.block_read(
                MBA, max_len=2 + command.response[1], label=command.label
            )
            return check_mac_response(command, raw)

    def mac_command(self, which: int | str) -> None:
        """Send a command-only MAC (seal, reset, toggles): the write alone.

        Refused with :class:`SecurityModeError` before sending when the current mode does not
        allow it. Toggles, reset and shutdown are sent exactly once (never retried): the gauge
        may have acted on a send that looked failed.
        """
        command = mac(which)
        if command.kind is not MacKind.COMMAND:
            raise ValueError(f"{command.label} is not a command-only MAC")
        with self._lock:
            self._require_mode(command.label, command.access.modes_for("w"))
            retries = None if command.retry_safe else 0
            try:
                self.transport.block_write(
                    MBA, code_bytes(command.code), label=command.label, retries=retries
                )
            finally:
                if command.code in _MODE_CHANGING:
                    self._mode = None
            log.info("sent %s", command.label)

    def _mac_exchange(self, command: MacCommand) -> bytes:
        with self.transport.exclusive():  # the command and its answer: one channel select
            self.transport.block_write(MBA, code_bytes(command.code), label=command.label)
            raw = self.transport.block_read(
                MBA, max_len=2 + command.response[1], label=command.label
            )
        return check_mac_response(command, raw)

    def _mac_read_when_ready(self, command: MacCommand) -> bytes:
        t = self.timings
        self.transport.block_write(MBA, code_bytes(command.code), label=command.label)
        started = self.clock.monotonic()
        self.clock.sleep(t.signature_min_wait_s)

        def answer() -> bytes | None:
            try:
                raw = self.transport.block_read(
                    MBA, max_len=2 + command.response[1], label=command.label, retries=0
                )
                return check_mac_response(command, raw)
            except (*SILENT, EchoMismatchError, ShortBlockError, PecError, BadResponseError):
                # Not ready yet (the gauge NACKs or still answers the previous command), or an
                # answer garbled on the way: ask again.
                return None

        return poll_until(
            self.clock,
            answer,
            timeout_s=t.signature_timeout_s,
            every_s=t.signature_poll_s,
            backoff_to_s=t.signature_max_poll_s,
            started=started,
            give_up=lambda waited: SignatureTimeoutError(command=command.label, waited_s=waited),
        )

    def operation_status(self) -> OperationStatus:
        """OperationStatus through MAC 0x0054 (works SEALED). Without PEC it is always confirmed
        by a second read: the security mode decides whether keys are sent and whether a pack
        is called sealed."""
        with self._lock:
            return self._confirmed(
                lambda: self._checked_twice(self._read_operation_status),
                "OperationStatus (MAC 0x0054)",
                always=True,
            )

    def _read_operation_status(self, retries: int | None = None) -> OperationStatus:
        command = macs.mac_command(macs.OPERATION_STATUS)
        if retries is None:
            data = self._mac_exchange(command)
        else:
            self.transport.block_write(
                MBA, code_bytes(command.code), label=command.label, retries=retries
            )
            data = check_mac_response(
                command,
                self.transport.block_read(MBA, max_len=6, label=command.label, retries=retries),
            )
        status = operation_status(int.from_bytes(data[:4], "little"))
        if status.security_mode is None:
            raise ImplausibleValueError(
                command=command.label, value=status.hex, why="SEC bits 9:8 read the reserved 00"
            )
        self._mode = self._reported = status.security_mode
        return status

    def security_mode(self) -> SecurityMode:
        """The security mode from OperationStatus bits 9:8, read through MAC (works SEALED)."""
        mode = self.operation_status().security_mode
        assert mode is not None
        return mode

    def forget_mode(self) -> None:
        """Forget the remembered security mode (call after swapping the pack under a socket)."""
        with self._lock:
            self._mode = None

    @property
    def known_mode(self) -> SecurityMode | None:
        """The security mode this driver last read or established, without touching the bus."""
        return self._mode

    def _require_mode(
        self, operation: str, allowed: tuple[SecurityMode, ...], *, fresh: bool = False
    ) -> None:
        """Refuse before sending when the mode is known to forbid ``operation``."""
        if len(allowed) == len(SecurityMode):
            return
        mode = self._mode if (self._mode is not None and not fresh) else self.security_mode()
        if mode not in allowed:
            raise SecurityModeError(operation=operation, required=allowed, actual=mode)

    def _explain_refusal(
        self, operation: str, allowed: tuple[SecurityMode, ...], cause: Exception
    ) -> None:
        """After a refusal, raise :class:`SecurityModeError` if the mode explains it."""
        self._mode = None
        try:
            mode = self.security_mode()
        except (BusError, GaugeResponseError):
            return  # the original error says more than this one would
        if mode not in allowed:
            raise SecurityModeError(operation=operation, required=allowed, actual=mode) from cause

    @contextmanager
    def _nack_means_mode(self, operation: str, allowed: tuple[SecurityMode, ...]) -> Iterator[None]:
        try:
            yield
        except NackError as exc:
            if len(allowed) < len(SecurityMode):
                self._explain_refusal(operation, allowed, exc)
            raise

    def _checked_twice(self, attempt: Callable[[], _T]) -> _T:
        """Run an exchange; when the answer does not fit (wrong echo, short block, impossible
        value), ask once more before raising."""
        try:
            return attempt()
        except (EchoMismatchError, ShortBlockError, ImplausibleValueError) as exc:
            log.warning("%s; asking once more", exc)
            return attempt()


def mac(which: int | str) -> MacCommand:
    return macs.mac_command(which)


def code_bytes(code: int) -> bytes:
    return bytes([code & 0xFF, (code >> 8) & 0xFF])


def check_mac_response(command: MacCommand, raw: bytes) -> bytes:
    """Check the 2-byte echo and the length of a 0x44 response; return the data."""
    echo = raw[0] | (raw[1] << 8) if len(raw) >= 2 else None
    if echo != command.code:
        raise EchoMismatchError(command=command.label, expected=command.code, got=echo)
    data = raw[2:]
    low, _high = command.response
    if len(data) < low:
        raise ShortBlockError(command=command.label, expected=low, got=len(data))
    return bytes(data)

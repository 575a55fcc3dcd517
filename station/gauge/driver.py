"""The BQ40Z50 driver: SBS reads, MAC commands, security modes and data-flash access.

One :class:`Gauge` talks to one gauge through one :class:`~station.bus.SMBusTransport`. Every wait
goes through the injected clock and every timing comes from :class:`GaugeTimings`. Public calls
hold the pack's lock (:attr:`SMBusTransport.pack_lock`, shared by every driver of the same pack)
for their whole duration, so a status poll from another thread can never slip into a data-flash
auto-increment read or between a MAC and its answer; each transaction holds the adapter's lock
(:attr:`SMBusTransport.lock`), and a key sequence holds it from the first word to the second, so
no other socket's transaction on a shared adapter lands between two key words. A flash write's or
a reset's wait holds only the pack: the other sockets on the adapter use the bus meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from station.bus.errors import (
    BadResponseError,
    BusError,
    BusGoneError,
    BusTimeoutError,
    NackError,
    PecError,
)
from station.bus.transport import SMBusTransport
from station.clock import Clock
from station.config import PEC_SETTINGS
from station.gauge import mac as macs
from station.gauge.dataflash import DataFlashRegion, df_address_bytes, parse_df_block
from station.gauge.errors import (
    BadKeysError,
    EchoMismatchError,
    FlashWriteTimeoutError,
    FullAccessRefusedError,
    GaugeNotRespondingError,
    GaugeResponseError,
    ImplausibleValueError,
    MissingKeysError,
    PecNotSentError,
    SealFailedError,
    SecurityModeError,
    ShortBlockError,
    ShutdownFailedError,
    SignatureTimeoutError,
    UnconfirmedReadError,
    UnsealRefusedError,
)
from station.gauge.identity import DfSignature, GaugeIdentity, parse_firmware_version
from station.gauge.mac import MacCommand, MacKind
from station.gauge.modes import DF_MODES, SecurityMode
from station.gauge.polling import poll_until
from station.gauge.sbs import (
    CELL_VOLTAGE_CODES,
    SbsCommand,
    SbsProtocol,
    SbsValue,
    decode_block,
    decode_word,
    sbs_command,
)
from station.gauge.security import key_problems, send_key_pair
from station.gauge.status import (
    BatteryStatus,
    OperationStatus,
    StatusWord,
    battery_status,
    decode_status,
    operation_status,
)
from station.gauge.timings import GaugeTimings
from station.keys import KeySet

log = logging.getLogger("station.gauge")
_T = TypeVar("_T")

#: ManufacturerBlockAccess(): MAC codes and data-flash addresses go here by block write.
MBA = 0x44
#: BatteryStatus(): the cheap word read used to see whether the gauge answers.
PROBE = 0x16
#: Voltage(): a second word for the PEC check (readable in every mode).
VOLTAGE = 0x09

#: Called with (address, length) before every data-flash write; raises to veto it.
WriteGuard = Callable[[int, int], None]
#: Called with (bytes done, bytes total) as a data-flash read progresses.
Progress = Callable[[int, int], None]

#: Commands after which the security mode must be read again before it is relied on.
_MODE_CHANGING = frozenset({macs.SEAL, macs.DEVICE_RESET, macs.SHUTDOWN})

#: Errors that mean "the gauge did not answer this time" (busy, resetting, flash write under way).
_SILENT = (NackError, BusTimeoutError)


class Gauge:
    """A BQ40Z50 fuel gauge on an SMBus transport."""

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

    # == link ===================================================================================

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

    # == SBS ====================================================================================

    def read_sbs(self, which: int | str) -> SbsValue:
        """Read one SBS command (0x08 Temperature, 0x09 Voltage, ...) as a typed value.

        Block status commands 0x50-0x57 need UNSEALED; use :meth:`status` to read them in any mode.
        """
        command = sbs_command(which)
        with self._lock:
            return self._confirmed(
                lambda: self._checked_twice(lambda: self._read_sbs_once(command)),
                f"{command.name} (SBS 0x{command.code:02X})",
            )

    def _read_sbs_once(self, command: SbsCommand) -> SbsValue:
        label = f"{command.name} (SBS 0x{command.code:02X})"
        with self._nack_means_mode(label, command.access.modes_for("r")):
            if command.protocol is SbsProtocol.WORD:
                return decode_word(command, self.transport.read_word(command.code, label=label))
            data = self.transport.block_read(command.code, max_len=command.length[1], label=label)
            return decode_block(command, data)

    def voltage(self) -> SbsValue:
        """Pack voltage, mV."""
        return self.read_sbs(0x09)

    def current(self) -> SbsValue:
        """Current, mA, positive while charging."""
        return self.read_sbs(0x0A)

    def temperature(self) -> SbsValue:
        """Temperature in °C (the gauge counts 0.1 K; ``raw`` keeps that)."""
        return self.read_sbs(0x08)

    def cell_voltages(self, cells: int = 4) -> list[SbsValue]:
        """CellVoltage1..N in mV (CellVoltage1 is 0x3F, CellVoltage4 0x3C)."""
        if not 1 <= cells <= len(CELL_VOLTAGE_CODES):
            raise ValueError(f"the BQ40Z50 measures 1-4 cells, not {cells}")
        return [self.read_sbs(code) for code in CELL_VOLTAGE_CODES[:cells]]

    def battery_status(self) -> BatteryStatus:
        raw = self.read_sbs(0x16).raw
        assert isinstance(raw, int)
        return battery_status(raw)

    # == MAC ====================================================================================

    def mac_read(self, which: int | str) -> bytes:
        """Send a MAC code by block write to 0x44 and return the response data (echo removed).

        The echo must name the command; a wrong echo or a block shorter than the command carries
        is retried once, then raised (:class:`EchoMismatchError`, :class:`ShortBlockError`).
        Signature MACs are polled until their result is ready.
        """
        command = _mac(which)
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
        command = _mac(which)
        with self._lock:
            raw = self.transport.block_read(
                MBA, max_len=2 + command.response[1], label=command.label
            )
            return _check_mac_response(command, raw)

    def mac_command(self, which: int | str) -> None:
        """Send a command-only MAC (seal, reset, toggles): the write alone.

        Refused with :class:`SecurityModeError` before sending when the current mode does not
        allow it. Toggles, reset and shutdown are sent exactly once (never retried): the gauge
        may have acted on a send that looked failed.
        """
        command = _mac(which)
        if command.kind is not MacKind.COMMAND:
            raise ValueError(f"{command.label} is not a command-only MAC")
        with self._lock:
            self._require_mode(command.label, command.access.modes_for("w"))
            retries = None if command.retry_safe else 0
            try:
                self.transport.block_write(
                    MBA, _code_bytes(command.code), label=command.label, retries=retries
                )
            finally:
                if command.code in _MODE_CHANGING:
                    self._mode = None
            log.info("sent %s", command.label)

    def _mac_exchange(self, command: MacCommand) -> bytes:
        self.transport.block_write(MBA, _code_bytes(command.code), label=command.label)
        raw = self.transport.block_read(MBA, max_len=2 + command.response[1], label=command.label)
        return _check_mac_response(command, raw)

    def _mac_read_when_ready(self, command: MacCommand) -> bytes:
        t = self.timings
        self.transport.block_write(MBA, _code_bytes(command.code), label=command.label)
        started = self.clock.monotonic()
        self.clock.sleep(t.signature_min_wait_s)

        def answer() -> bytes | None:
            try:
                raw = self.transport.block_read(
                    MBA, max_len=2 + command.response[1], label=command.label, retries=0
                )
                return _check_mac_response(command, raw)
            except (*_SILENT, EchoMismatchError, ShortBlockError, PecError, BadResponseError):
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

    # == status and identity ====================================================================

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
                MBA, _code_bytes(command.code), label=command.label, retries=retries
            )
            data = _check_mac_response(
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

    def status(self, which: int | str) -> StatusWord:
        """A status word through MAC 0x0050-0x0057 (works SEALED), decoded by name."""
        command = _mac(which)
        if command.code not in macs.STATUS_MACS:
            raise ValueError(f"{command.label} is not a status word")
        if command.code == macs.OPERATION_STATUS:
            return self.operation_status()
        data = self.mac_read(command.code)
        return decode_status(command.name, int.from_bytes(data, "little"))

    def safety_status(self) -> StatusWord:
        return self.status(0x0051)

    def pf_status(self) -> StatusWord:
        return self.status(0x0053)

    def manufacturing_status(self) -> StatusWord:
        return self.status(0x0057)

    def answers(self) -> bool:
        """Whether a gauge answers at its address: one BatteryStatus read (allowed in every
        mode). False when nothing acknowledges (no pack in the fixture, or a pack asleep); a bus
        that cannot carry the question at all raises (:class:`BusGoneError`,
        :class:`BusTimeoutError`)."""
        with self._lock:
            try:
                self.transport.read_word(PROBE, label="BatteryStatus (presence check)", retries=1)
            except NackError:
                return False
            except (PecError, BadResponseError):
                return True  # something at the address answered, if not cleanly
            return True

    def identify(self) -> GaugeIdentity:
        """DeviceType, FirmwareVersion, HardwareVersion and ChemID (all allowed SEALED)."""
        with self._lock:
            device_type = int.from_bytes(self.mac_read(macs.DEVICE_TYPE), "little")
            firmware = parse_firmware_version(self.mac_read(macs.FIRMWARE_VERSION))
            hardware = int.from_bytes(self.mac_read(macs.HARDWARE_VERSION), "little")
            chem_id = int.from_bytes(self.mac_read(macs.CHEM_ID), "little")
        return GaugeIdentity(device_type, firmware, hardware, chem_id)

    def signature(self, which: int | str) -> DfSignature:
        """A signature MAC (0x0004, 0x0005, 0x0008, 0x0009), polled until ready."""
        command = _mac(which)
        if not command.needs_wait:
            raise ValueError(f"{command.label} is not a signature")
        return DfSignature(int.from_bytes(self.mac_read(command.code), "little"))

    def static_df_signature(self) -> DfSignature:
        """MAC 0x0005: ready >= 250 ms after the command; the MSB flags a mismatch."""
        return self.signature(macs.STATIC_DF_SIGNATURE)

    # == security ===============================================================================

    def unseal(self, keys: KeySet) -> SecurityMode:
        """SEALED → UNSEALED with the key set's unseal words; returns the mode reached.

        Does nothing when the gauge is already UNSEALED or FULL ACCESS. Wrong keys raise
        :class:`UnsealRefusedError` and are never retried.
        """
        with self._lock:
            mode = self.security_mode()
            if mode is not SecurityMode.SEALED:
                return mode
            send_key_pair(self.transport, self.clock, keys.unseal, self.timings, purpose="unseal")
            mode = self._settled_mode()
            if mode is SecurityMode.SEALED:
                raise UnsealRefusedError(key_set_id=keys.id)
            log.info("unsealed with key set %r", keys.id)
            return mode

    def full_access(self, keys: KeySet) -> SecurityMode:
        """Enter FULL ACCESS (unsealing first when SEALED); returns FULL ACCESS."""
        if keys.full_access is None:
            raise MissingKeysError(key_set_id=keys.id, which="full-access")
        with self._lock:
            mode = self.security_mode()
            if mode is SecurityMode.FULL_ACCESS:
                return mode
            if mode is SecurityMode.SEALED:
                self.unseal(keys)
            send_key_pair(
                self.transport, self.clock, keys.full_access, self.timings, purpose="full access"
            )
            mode = self._settled_mode()
            if mode is not SecurityMode.FULL_ACCESS:
                raise FullAccessRefusedError(key_set_id=keys.id, mode=mode)
            log.info("full access with key set %r", keys.id)
            return mode

    def _settled_mode(self) -> SecurityMode:
        self._mode = None
        self.clock.sleep(self.timings.key_settle_s)
        return self.security_mode()

    def seal(self) -> None:
        """MAC 0x0030, then poll until the mode reads SEALED (:class:`SealFailedError`)."""
        t = self.timings
        with self._lock:
            if self.security_mode() is SecurityMode.SEALED:
                return
            self.mac_command(macs.SEAL)
            started = self.clock.monotonic()
            self.clock.sleep(t.seal_poll_s)
            last: SecurityMode | None = None

            def sealed() -> bool | None:
                nonlocal last
                try:
                    last = self._read_operation_status(retries=0).security_mode
                except (*_SILENT, PecError, BadResponseError, GaugeResponseError):
                    last = None  # busy reloading ManufacturingStatus: ask again
                return True if last is SecurityMode.SEALED else None

            poll_until(
                self.clock,
                sealed,
                timeout_s=t.seal_timeout_s,
                every_s=t.seal_poll_s,
                started=started,
                give_up=lambda waited: SealFailedError(mode=last, waited_s=waited),
            )
            log.info("sealed")

    def reset(self) -> SecurityMode:
        """MAC 0x0041, wait, poll until the gauge answers again, then return the security mode.

        Whether a reset re-seals an unsealed BQ40Z50 is UNCONFIRMED: always look at the result.
        A send that was not acknowledged is sent once more, when the gauge answers again: the
        gauge may have acted on it, but a second reset leaves it as one does.
        """
        t = self.timings
        with self._lock:
            try:
                self.mac_command(macs.DEVICE_RESET)
            except NackError as exc:
                log.warning("device reset not acknowledged (%s); sending it once more", exc.what)
                self._wait_answering("device reset", t.reset_timeout_s, t.reset_poll_s, since=0.0)
                self.mac_command(macs.DEVICE_RESET)
            self.clock.sleep(t.reset_min_wait_s)
            self._wait_answering(
                "device reset", t.reset_timeout_s, t.reset_poll_s, since=t.reset_min_wait_s
            )
            return self.security_mode()

    def shutdown(self) -> None:
        """MAC 0x0010 (ship mode). Confirm with :meth:`wait_silent`."""
        self.mac_command(macs.SHUTDOWN)

    def wait_silent(self, timeout_s: float | None = None) -> None:
        """Return once the gauge has stayed silent for ``timings.shutdown_silent_s``
        (:class:`ShutdownFailedError` if it still answers after ``timeout_s``)."""
        t = self.timings
        limit = t.shutdown_timeout_s if timeout_s is None else timeout_s
        with self._lock:
            started = self.clock.monotonic()
            silent_since: float | None = None
            while True:
                now = self.clock.monotonic()
                try:
                    self.transport.read_word(PROBE, label="shutdown check", retries=0)
                    silent_since = None
                except _SILENT:
                    silent_since = now if silent_since is None else silent_since
                    if now - silent_since >= t.shutdown_silent_s:
                        self._mode = None
                        return
                except (PecError, BadResponseError):
                    silent_since = None  # something answered
                if now - started >= limit:
                    raise ShutdownFailedError(waited_s=now - started)
                self.clock.sleep(t.shutdown_poll_s)

    def set_security_keys(self, new: KeySet) -> None:
        """Write new unseal and full-access keys (MAC 0x0035, FULL ACCESS only).

        Verify a key change by sealing and unsealing with the new set, not by reading it back
        (reference §6.4).
        """
        problems = key_problems(new)
        if new.full_access is None:
            raise MissingKeysError(key_set_id=new.id, which="full-access")
        if problems:
            raise BadKeysError(key_set_id=new.id, why="; ".join(problems))
        command = macs.mac_command(macs.SECURITY_KEYS)
        with self._lock:
            self._require_mode(command.label, (SecurityMode.FULL_ACCESS,), fresh=True)
            failure: BusError | None = None
            try:
                self.transport.block_write(
                    MBA,
                    _code_bytes(command.code)
                    + b"".join(
                        w.reveal().to_bytes(2, "little")
                        for w in (
                            new.unseal.first,
                            new.unseal.second,
                            new.full_access.first,
                            new.full_access.second,
                        )
                    ),
                    # Default retries: writing the same keys twice is the same as once.
                    label=command.label,
                )
            except BusError as exc:
                # A fresh exception: the original's frames hold the payload.
                failure = type(exc)(
                    exc.what, command=exc.command, attempts=exc.attempts, os_errno=exc.os_errno
                )
            if failure is not None:
                raise failure
            self._wait_flash(command.label, 0, 8)
            log.info("security keys changed to key set %r", new.id)

    # == data flash =============================================================================

    def read_df(self, start: int, length: int, progress: Progress | None = None) -> bytes:
        """Read ``length`` bytes of data flash from ``start`` (any range in 0x4000-0x5FFF).

        One address write, then auto-increment block reads of 2-byte address echo + 32 bytes; every
        echo is checked. A failed block is re-addressed and read again.
        """
        self.region.check_read(start, length)
        with self._lock:
            self._require_mode(f"data-flash read 0x{start:04X}", DF_MODES)
            out = bytearray()
            address = start
            addressed = False
            failures = 0
            while len(out) < length:
                label = f"data-flash read 0x{address:04X}"
                try:
                    if not addressed:
                        self.transport.block_write(
                            MBA, df_address_bytes(address), label=label, retries=0
                        )
                        addressed = True
                    raw = self.transport.block_read(MBA, max_len=34, label=label, retries=0)
                    data = parse_df_block(self.region, address, raw)
                except (BusGoneError, ValueError):
                    raise
                except (BusError, GaugeResponseError) as exc:
                    failures += 1
                    addressed = False
                    if failures >= self.timings.df_read_attempts:
                        self._explain_refusal(label, DF_MODES, exc)
                        raise
                    log.info("%s failed (%s); re-addressing", label, exc)
                    self.clock.sleep(self.timings.df_retry_backoff_s)
                    continue
                failures = 0
                out += data[: length - len(out)]
                address += len(data)
                if progress is not None:
                    progress(len(out), length)
            return bytes(out)

    def confirm_rows(self, rows: Mapping[int, bytes]) -> dict[int, bytes]:
        """Without PEC, read data-flash rows again and return them as two reads in a row agree
        (``rows``: address → what one read gave). With PEC, ``rows`` as they are.

        The second read goes by runs of adjacent rows (one address write per run); a row whose
        reads disagree is read alone until two in a row agree."""
        if self.transport.pec or not rows:
            return dict(rows)
        out: dict[int, bytes] = {}
        with self._lock:
            runs: list[list[int]] = []
            for address in sorted(rows):
                if runs and runs[-1][-1] + len(rows[runs[-1][-1]]) == address:
                    runs[-1].append(address)
                else:
                    runs.append([address])
            for run in runs:
                length = sum(len(rows[a]) for a in run)
                data = self.read_df(run[0], length)
                for a in run:
                    again = data[a - run[0] : a - run[0] + len(rows[a])]
                    out[a] = again if again == rows[a] else self._settle_row(a, again)
        return out

    def _settle_row(self, address: int, last: bytes) -> bytes:
        """A row whose last two reads disagreed: read it until two reads in a row agree."""
        self.read_disagreements += 1
        what = f"data-flash read 0x{address:04X}"
        log.info("%s: two reads disagree; reading again", what)
        for _ in range(3, self.timings.confirm_reads + 1):
            value = self.read_df(address, len(last))
            if value == last:
                return value
            self.read_disagreements += 1
            last = value
        raise UnconfirmedReadError(command=what, reads=self.timings.confirm_reads)

    def write_df(self, address: int, data: bytes) -> None:
        """Write 1-32 bytes at ``address`` (0x4000-0x5F7F), then wait while the gauge is busy.

        The range is checked and the write guard consulted before anything touches the bus.
        """
        self.region.check_write(address, len(data))
        if self.write_guard is not None:
            self.write_guard(address, len(data))
        label = f"data-flash write 0x{address:04X}"
        t = self.timings
        with self._lock:
            self._require_mode(label, DF_MODES)
            payload = df_address_bytes(address) + bytes(data)
            attempt = 0
            backoff = t.df_write_backoff_s
            while True:
                attempt += 1
                try:
                    self.transport.block_write(MBA, payload, label=label, retries=0)
                    break
                except _SILENT as exc:
                    # Sealed behind our back? Then say so rather than retry.
                    self._explain_refusal(label, DF_MODES, exc)
                    if attempt >= t.df_write_attempts:
                        raise
                    log.info(
                        "%s not acknowledged (%s); sending it again in %.0f ms",
                        label,
                        exc,
                        backoff * 1000,
                    )
                    self.clock.sleep(backoff)
                    backoff = min(backoff * 2, t.df_write_max_backoff_s)
                    # A gauge that stays silent ends here (GaugeNotRespondingError), not in
                    # another resend.
                    self._wait_answering(label, t.flash_write_timeout_s, t.flash_poll_s, 0.0)
            self._wait_flash(label, address, len(data))

    def _wait_flash(self, label: str, address: int, length: int) -> None:
        """Return once the gauge has shown it finished the flash write just sent: a NACK on the
        poll, then an answer. A poll answered without any NACK first proves nothing (the gauge
        may clock-stretch, or answer while it programs): then nothing follows the write before
        the minimum flash-write time has passed (reference §7.1: writing too fast misaligns
        data flash)."""
        t = self.timings
        started = self.clock.monotonic()
        self.clock.sleep(t.flash_poll_s)
        nacked = False

        def done() -> bool | None:
            nonlocal nacked
            try:
                self.transport.read_word(PROBE, label=f"{label} busy check", retries=0)
            except _SILENT:
                nacked = True
                return None
            except (PecError, BadResponseError):
                pass  # it answered; the next transaction shows whether it is sound
            return True

        poll_until(
            self.clock,
            done,
            timeout_s=t.flash_write_timeout_s,
            every_s=t.flash_poll_s,
            started=started,
            give_up=lambda waited: FlashWriteTimeoutError(
                address=address, length=length, waited_s=waited
            ),
        )
        if not nacked:
            left = t.df_write_min_s - (self.clock.monotonic() - started)
            if left > 0:
                self.clock.sleep(left)

    # == helpers ================================================================================

    def forget_mode(self) -> None:
        """Forget the remembered security mode (call after swapping the pack under a socket)."""
        with self._lock:
            self._mode = None

    @property
    def known_mode(self) -> SecurityMode | None:
        """The security mode this driver last read or established, without touching the bus."""
        return self._mode

    def _wait_answering(
        self, operation: str, timeout_s: float, poll_s: float, since: float
    ) -> None:

        def answers() -> bool | None:
            try:
                self.transport.read_word(PROBE, label=f"{operation} answer check", retries=0)
            except _SILENT:
                return None
            except (PecError, BadResponseError):
                pass  # something answered
            return True

        poll_until(
            self.clock,
            answers,
            timeout_s=timeout_s,
            every_s=poll_s,
            started=self.clock.monotonic() - since,
            give_up=lambda waited: GaugeNotRespondingError(operation=operation, waited_s=waited),
        )

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


def _mac(which: int | str) -> MacCommand:
    return macs.mac_command(which)


def _code_bytes(code: int) -> bytes:
    return bytes([code & 0xFF, (code >> 8) & 0xFF])


def _check_mac_response(command: MacCommand, raw: bytes) -> bytes:
    """Check the 2-byte echo and the length of a 0x44 response; return the data."""
    echo = raw[0] | (raw[1] << 8) if len(raw) >= 2 else None
    if echo != command.code:
        raise EchoMismatchError(command=command.label, expected=command.code, got=echo)
    data = raw[2:]
    low, _high = command.response
    if len(data) < low:
        raise ShortBlockError(command=command.label, expected=low, got=len(data))
    return bytes(data)

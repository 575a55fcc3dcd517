"""Security-mode transitions: unseal and full access with a key set, seal, reset, ship mode,
and a change of the keys themselves."""

from __future__ import annotations

import logging

from station.bus.errors import BadResponseError, BusError, NackError, PecError
from station.gauge import mac as macs
from station.gauge.access import MBA, GaugeAccess, code_bytes
from station.gauge.errors import (
    BadKeysError,
    FullAccessRefusedError,
    GaugeResponseError,
    MissingKeysError,
    SealFailedError,
    UnsealRefusedError,
)
from station.gauge.modes import SecurityMode
from station.gauge.polling import SILENT, poll_until, wait_answering, wait_flash_done, wait_silent
from station.gauge.security import key_problems, send_key_pair
from station.keys import KeySet

log = logging.getLogger("station.gauge")


class SecurityTransitions(GaugeAccess):
    """Moving the gauge between SEALED, UNSEALED and FULL ACCESS, and resetting it."""

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
            self.clock.sleep(max(t.seal_busy_s, t.seal_poll_s))
            last: SecurityMode | None = None

            def sealed() -> bool | None:
                nonlocal last
                try:
                    last = self._read_operation_status(retries=0).security_mode
                except (*SILENT, PecError, BadResponseError, GaugeResponseError):
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
                self._wait_reset(since=0.0)
                self.mac_command(macs.DEVICE_RESET)
            self.clock.sleep(t.reset_min_wait_s)
            self._wait_reset(since=t.reset_min_wait_s)
            return self.security_mode()

    def _wait_reset(self, since: float) -> None:
        t = self.timings
        wait_answering(
            self.transport,
            self.clock,
            "device reset",
            timeout_s=t.reset_timeout_s,
            every_s=t.reset_poll_s,
            since=since,
        )

    def shutdown(self) -> None:
        """MAC 0x0010 (ship mode). Confirm with :meth:`wait_silent`."""
        self.mac_command(macs.SHUTDOWN)

    def wait_silent(self, timeout_s: float | None = None) -> None:
        """Return once the gauge has stayed silent for ``timings.shutdown_silent_s``
        (:class:`ShutdownFailedError` if it still answers after ``timeout_s``)."""
        limit = self.timings.shutdown_timeout_s if timeout_s is None else timeout_s
        with self._lock:
            wait_silent(self.transport, self.clock, self.timings, limit)
            self._mode = None

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
                    code_bytes(command.code)
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
            wait_flash_done(
                self.transport, self.clock, self.timings, command.label, address=0, length=8
            )
            log.info("security keys changed to key set %r", new.id)

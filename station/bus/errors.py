"""Typed bus errors. Each names the command, says what it means for the pack and what to do next.

``failure_code`` is the short code the database and the operator screen both use.
"""

from __future__ import annotations

import errno as _errno
from typing import ClassVar

#: errno values that mean "the device did not acknowledge" (retryable).
NACK_ERRNOS = frozenset({_errno.EREMOTEIO, _errno.ENXIO, _errno.EIO, _errno.EAGAIN})
#: errno values that mean the adapter itself is gone (USB adapter pulled, driver unbound).
GONE_ERRNOS = frozenset({_errno.ENODEV, _errno.ESHUTDOWN, _errno.EBADF, _errno.ENOENT})
TIMEOUT_ERRNOS = frozenset({_errno.ETIMEDOUT})


class BusError(Exception):
    """A bus transaction failed after its retries."""

    failure_code: ClassVar[str] = "BUS_ERROR"
    meaning: ClassVar[str] = "the station could not talk to the pack"
    next_step: ClassVar[str] = "check the pack is seated in the fixture and the cable is connected"

    def __init__(
        self, what: str, *, command: str, attempts: int = 1, os_errno: int | None = None
    ) -> None:
        self.what = what
        self.command = command
        self.attempts = attempts
        self.os_errno = os_errno
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{command}: {what}{tries}; {self.meaning}; {self.next_step}")


class NackError(BusError):
    failure_code = "BUS_NACK"
    meaning = "the gauge did not acknowledge (busy, not allowed in its security mode, or absent)"


class PecError(BusError):
    failure_code = "BUS_PEC"
    meaning = "the data was corrupted on the wire (packet error code mismatch)"
    next_step = "check the SMBus wiring, pull-ups and cable length, then retry the pack"


class BadResponseError(BusError):
    failure_code = "BUS_BAD_RESPONSE"
    meaning = "the gauge sent a response that does not fit the command"
    next_step = (
        "retry the pack; if it repeats, the gauge or its firmware is not what the recipe expects"
    )


class ShortReadError(BadResponseError):
    failure_code = "BUS_SHORT_READ"


class BusTimeoutError(BusError):
    failure_code = "BUS_TIMEOUT"
    meaning = "the bus timed out (clock held low or adapter stalled)"


class BusGoneError(BusError):
    failure_code = "BUS_GONE"
    meaning = "the I2C adapter disappeared (unplugged or its driver was unbound)"
    next_step = "reconnect the USB-SMBus adapter or cable, then retry the pack"


class BusOpenError(Exception):
    """A bus spec could not be opened; the message says why and how to fix it."""

    failure_code = "BUS_OPEN"


def error_for_errno(os_errno: int | None) -> type[BusError]:
    if os_errno in GONE_ERRNOS:
        return BusGoneError
    if os_errno in TIMEOUT_ERRNOS:
        return BusTimeoutError
    return NackError

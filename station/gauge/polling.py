"""Asking the gauge again until it is ready: the one poll loop of the driver, and the waits built
on it (a flash write, a reset, ship mode).

Every wait goes through the injected clock, so the emulator runs it in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from station.bus.errors import BadResponseError, BusTimeoutError, NackError, PecError
from station.bus.transport import SMBusTransport
from station.clock import Clock
from station.gauge.errors import (
    FlashWriteTimeoutError,
    GaugeNotRespondingError,
    ShutdownFailedError,
)
from station.gauge.timings import GaugeTimings

T = TypeVar("T")

#: BatteryStatus(): the cheap word read used to see whether the gauge answers.
PROBE = 0x16

#: Errors that mean "the gauge did not answer this time" (busy, resetting, flash write under way).
SILENT = (NackError, BusTimeoutError)


def poll_until(
    clock: Clock,
    ready: Callable[[], T | None],
    *,
    timeout_s: float,
    every_s: float,
    give_up: Callable[[float], Exception],
    started: float | None = None,
    backoff_to_s: float | None = None,
) -> T:
    """Call ``ready`` until it returns something (not None) and return that; between calls wait
    ``every_s`` (doubling up to ``backoff_to_s`` when given). Once ``timeout_s`` has passed since
    ``started`` (default: now) without an answer, raise ``give_up(waited_s)``."""
    origin = clock.monotonic() if started is None else started
    delay = every_s
    while True:
        found = ready()
        if found is not None:
            return found
        waited = clock.monotonic() - origin
        if waited >= timeout_s:
            raise give_up(waited)
        clock.sleep(delay)
        if backoff_to_s is not None:
            delay = min(delay * 2, backoff_to_s)


def sleep_until(clock: Clock, when: float) -> None:
    left = when - clock.monotonic()
    if left > 0:
        clock.sleep(left)


def answered(transport: SMBusTransport, label: str) -> bool | None:
    """One BatteryStatus read, never retried: True when something answered (even garbled: the
    next transaction shows whether it is sound), None when nothing did."""
    try:
        transport.read_word(PROBE, label=label, retries=0)
    except SILENT:
        return None
    except (PecError, BadResponseError):
        pass
    return True


def wait_answering(
    transport: SMBusTransport,
    clock: Clock,
    operation: str,
    *,
    timeout_s: float,
    every_s: float,
    since: float = 0.0,
) -> None:
    """Poll until the gauge answers again (``since``: how long ago the wait began);
    :class:`GaugeNotRespondingError` past ``timeout_s``."""
    poll_until(
        clock,
        lambda: answered(transport, f"{operation} answer check"),
        timeout_s=timeout_s,
        every_s=every_s,
        started=clock.monotonic() - since,
        give_up=lambda waited: GaugeNotRespondingError(operation=operation, waited_s=waited),
    )


def wait_flash_done(
    transport: SMBusTransport,
    clock: Clock,
    timings: GaugeTimings,
    label: str,
    *,
    address: int,
    length: int,
) -> None:
    """Return once the gauge has shown it finished the flash write just sent: a NACK on the
    poll, then an answer. A poll answered without any NACK first proves nothing (the gauge may
    clock-stretch, or answer while it programs): then nothing follows the write before the
    minimum flash-write time has passed (reference §7.1: writing too fast misaligns data flash).

    The first poll comes ``flash_poll_s`` after the write; once it has seen the gauge busy, the
    next comes when the write is expected done (the profile's figure), then every
    ``flash_poll_s``: polls in between would only take the bus from other sockets.
    """
    t = timings
    started = clock.monotonic()
    clock.sleep(t.flash_poll_s)
    check = f"{label} busy check"
    if answered(transport, check) is not None:
        sleep_until(clock, started + t.df_write_min_s)
        return
    sleep_until(clock, started + t.flash_busy_for(length))
    poll_until(
        clock,
        lambda: answered(transport, check),
        timeout_s=t.flash_write_timeout_s,
        every_s=t.flash_poll_s,
        started=started,
        give_up=lambda waited: FlashWriteTimeoutError(
            address=address, length=length, waited_s=waited
        ),
    )


def wait_silent(
    transport: SMBusTransport, clock: Clock, timings: GaugeTimings, timeout_s: float
) -> None:
    """Return once the gauge has stayed silent for ``timings.shutdown_silent_s``
    (:class:`ShutdownFailedError` if it still answers after ``timeout_s``)."""
    silent_since: float | None = None

    def silent_long_enough() -> bool | None:
        nonlocal silent_since
        now = clock.monotonic()
        if answered(transport, "shutdown check") is not None:
            silent_since = None
            return None
        silent_since = now if silent_since is None else silent_since
        return True if now - silent_since >= timings.shutdown_silent_s else None

    poll_until(
        clock,
        silent_long_enough,
        timeout_s=timeout_s,
        every_s=timings.shutdown_poll_s,
        give_up=lambda waited: ShutdownFailedError(waited_s=waited),
    )

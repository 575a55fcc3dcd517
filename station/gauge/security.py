"""Key entry: the two Write Words to ManufacturerAccess 0x00 that change the security mode.

Reference §6.1: first word, then second word within 4 s, each as its own Write Word to 0x00 (never
through 0x44). Field reports: keep the bus quiet before the first word and send nothing between
the two. The key values are revealed only inside the transport call that puts them on the wire, and
no exception leaving this module carries a frame or message that holds them.
"""

from __future__ import annotations

import logging

from station.bus.errors import BusError, BusGoneError
from station.bus.transport import SMBusTransport
from station.clock import Clock
from station.gauge.errors import KeyWindowMissedError
from station.gauge.mac import RESERVED_MAC_CODES
from station.gauge.timings import GaugeTimings
from station.keys import KeyPair, KeySet

log = logging.getLogger("station.gauge")

#: ManufacturerAccess(): key words go here by SMBus Write Word.
MANUFACTURER_ACCESS = 0x00


def send_key_pair(
    transport: SMBusTransport,
    clock: Clock,
    pair: KeyPair,
    timings: GaugeTimings,
    *,
    purpose: str,
) -> None:
    """Quiet period, then both words back to back, each sent exactly once.

    A bus failure mid-sequence restarts the whole sequence (after a new quiet period) up to
    ``timings.key_entry_attempts`` times: a NACK says nothing about the keys. Whether the keys
    were right is for the caller to judge by reading the mode back.
    """
    failure: BusError | KeyWindowMissedError | None = None
    for attempt in range(1, timings.key_entry_attempts + 1):
        failure = None
        clock.sleep(timings.key_quiet_s)
        try:
            transport.write_word(
                MANUFACTURER_ACCESS, pair.first.reveal(), label=f"{purpose} key word 1", retries=0
            )
            first_at = clock.monotonic()
            transport.write_word(
                MANUFACTURER_ACCESS, pair.second.reveal(), label=f"{purpose} key word 2", retries=0
            )
            if clock.monotonic() - first_at > timings.key_window_s:
                failure = KeyWindowMissedError(purpose=purpose, gap_s=clock.monotonic() - first_at)
        except BusError as exc:
            # A fresh exception: the original's traceback holds transport frames whose locals
            # carry the revealed words.
            failure = type(exc)(
                exc.what, command=exc.command, attempts=exc.attempts, os_errno=exc.os_errno
            )
        if failure is None:
            return
        log.warning("%s: key sequence attempt %d failed: %s", purpose, attempt, failure)
        if isinstance(failure, BusGoneError):
            break
    assert failure is not None
    raise failure


#: Words a key must not use: erased flash (0xFFFF) and blank (0x0000) are what a garbled or
#: half-written key store reads as, and 0xFFFF is TI's default full-access word.
BLANK_WORDS = (0x0000, 0xFFFF)


def key_problems(keys: KeySet) -> list[str]:
    """Why a key set must not be written to a gauge (reference production flow, SLUUAQ3A: the
    first words must differ from each other and from every MAC command code, not only those this
    driver implements; no word may be blank). The messages never show a key."""
    problems: list[str] = []
    fa = keys.full_access
    if fa is None:
        return ["it has no full-access keys (the gauge stores both pairs together)"]
    if keys.unseal.first == fa.first:
        problems.append("the first unseal word equals the first full-access word")
    for which, pair in (("unseal", keys.unseal), ("full-access", fa)):
        if pair.first.reveal() in RESERVED_MAC_CODES:
            problems.append(
                f"the first {which} word is a MAC command code or a data-flash address "
                "(the gauge would act on it instead of taking it as a key)"
            )
        for n, word in ((1, pair.first), (2, pair.second)):
            if word.reveal() in BLANK_WORDS:
                problems.append(f"{which} word {n} is 0x0000 or 0xFFFF (blank or erased flash)")
    if keys.unseal == fa:
        problems.append("the unseal and full-access keys are the same")
    return problems

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
from station.gauge.mac import MAC_COMMANDS
from station.gauge.timings import GaugeTimings
from station.keys import KeyPair, KeySet, SecretWord

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

    The two words hold the adapter's lock together: on an adapter shared by several sockets
    (an I2C mux), no other transaction, not even another socket's channel select, comes between
    them. The quiet period holds only the pack (the caller's lock): behind a mux the other
    sockets' transactions never reach this pack's channel, so they may use the bus meanwhile.

    A bus failure mid-sequence restarts the whole sequence (after a new quiet period) up to
    ``timings.key_entry_attempts`` times: a NACK says nothing about the keys. Whether the keys
    were right is for the caller to judge by reading the mode back.
    """
    failure: BusError | KeyWindowMissedError | None = None
    for attempt in range(1, timings.key_entry_attempts + 1):
        failure = None
        clock.sleep(timings.key_quiet_s)
        try:
            with transport.lock:
                transport.write_word(
                    MANUFACTURER_ACCESS,
                    pair.first.reveal(),
                    label=f"{purpose} key word 1",
                    retries=0,
                )
                first_at = clock.monotonic()
                transport.write_word(
                    MANUFACTURER_ACCESS,
                    pair.second.reveal(),
                    label=f"{purpose} key word 2",
                    retries=0,
                )
            gap = clock.monotonic() - first_at
            if gap > timings.key_window_s:
                failure = KeyWindowMissedError(purpose=purpose, gap_s=gap)
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


def key_problems(keys: KeySet) -> list[str]:
    """Why a key set must not be written to a gauge (reference production flow: the first words
    must differ from each other and from any MAC command). Compares words without revealing them;
    the messages never show a key."""
    problems: list[str] = []
    fa = keys.full_access
    if fa is None:
        return ["it has no full-access keys (the gauge stores both pairs together)"]
    if keys.unseal.first == fa.first:
        problems.append("the first unseal word equals the first full-access word")
    for which, pair in (("unseal", keys.unseal), ("full-access", fa)):
        if any(pair.first == SecretWord(code) for code in MAC_COMMANDS):
            problems.append(f"the first {which} word is also a MAC command code")
    if keys.unseal == fa:
        problems.append("the unseal and full-access keys are the same")
    return problems

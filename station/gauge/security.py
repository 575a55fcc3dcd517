"""Key entry: the two Write Words to ManufacturerAccess 0x00 that change the security mode.

Reference §6.1: first word, then second word within 4 s, each as its own Write Word to 0x00 (never
through 0x44). Field reports: keep the bus quiet before the first word and send nothing between
the two. The key values are revealed only inside the transport call that puts them on the wire, and
no exception leaving this module carries a frame or message that holds them.

This module is also the one place that knows which bytes on the wire carry keys: the bus trace
shows them as ``<key>`` through :class:`KeyRedactor`, and the engineer CLI refuses the MAC
commands in :data:`KEY_MACS`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from station.bus.errors import BusError, BusGoneError
from station.bus.trace import DEFAULT_MAX_BYTES, BusTrace, Transaction
from station.bus.transport import SMBusTransport
from station.clock import Clock
from station.gauge.errors import KeyWindowMissedError
from station.gauge.mac import RESERVED_MAC_CODES, SECURITY_KEYS
from station.gauge.timings import GaugeTimings
from station.keys import KeyPair, KeySet

log = logging.getLogger("station.gauge")

#: ManufacturerAccess(): key words go here by SMBus Write Word.
MANUFACTURER_ACCESS = 0x00
#: ManufacturerBlockAccess(): MAC codes and their data by block write, results by block read.
MANUFACTURER_BLOCK_ACCESS = 0x44
#: ManufacturerData(): the last MAC's result without its echo (ref §4).
MANUFACTURER_DATA = 0x23
#: MAC commands whose data are keys, written or read back: SecurityKeys (ref §6.4).
KEY_MACS: frozenset[int] = frozenset({SECURITY_KEYS})


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
            with transport.exclusive():
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


def key_bytes_from(command: int, payload: bytes) -> int | None:
    """Where key material starts in what is written to ``command`` (``payload``: the bytes after
    the command code as on the wire, a block's count byte first), or None if it carries none.

    Key words go to ManufacturerAccess by Write Word (ref §6.1); a MAC code sent there the same
    way cannot be told from a key word, so every word written to it counts as one. SecurityKeys
    goes through ManufacturerBlockAccess: its code, then the keys.
    """
    if command == MANUFACTURER_ACCESS:
        return 0 if payload else None
    code = int.from_bytes(payload[1:3], "little") if len(payload) >= 3 else None
    if command == MANUFACTURER_BLOCK_ACCESS and code in KEY_MACS:
        return 3
    return None


class KeyRedactor:
    """The bus trace's :class:`~station.bus.trace.Redactor`: which bytes of each transaction
    carry keys. One per bus connection: it remembers whether the last MAC asked for keys, so
    their answer is hidden too, from 0x44 (echo and all) or from 0x23."""

    def __init__(self) -> None:
        self._keys_asked = False

    def __call__(self, tx: Transaction) -> tuple[int | None, int | None]:
        if not tx.wrote:
            return None, None
        command, payload = tx.wrote[0], tx.wrote[1:]
        if "read" not in tx.operation:
            if command in (MANUFACTURER_ACCESS, MANUFACTURER_BLOCK_ACCESS) and payload:
                secret = key_bytes_from(command, payload)
                # A word to 0x00 may be a MAC whose answer is not known: hide that answer too.
                self._keys_asked = secret is not None
                return (None if secret is None else 1 + secret), None
            return None, None
        if command == MANUFACTURER_BLOCK_ACCESS:
            if len(tx.read) >= 3 and int.from_bytes(tx.read[1:3], "little") in KEY_MACS:
                return None, 3  # count and echo shown, the keys not
            return None, (1 if self._keys_asked else None)
        if command == MANUFACTURER_DATA and self._keys_asked:
            return None, 1
        return None, None


def keyless_bus_trace(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> BusTrace:
    """A bus trace file in which every byte that carries a key is written ``<key>``."""
    return BusTrace(path, redactor=KeyRedactor, max_bytes=max_bytes)

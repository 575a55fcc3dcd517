"""A scripted BQ40Z50 stand-in for driver tests.

Small on purpose: it answers the transactions the driver makes, keeps a transaction log, models
the busy windows the reference describes (flash write, seal, reset, signatures) in virtual time,
and lets a test inject the lies and failures the driver must survive. It is not the emulator.
"""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smbus2 import i2c_msg
from smbus2.smbus2 import I2C_M_RD

from station.clock import VirtualClock

if TYPE_CHECKING:
    from station.gauge import Gauge
from station.pec import crc8, read_address, write_address

SEALED, UNSEALED, FULL_ACCESS = 3, 2, 1
FIRMWARE = bytes.fromhex("4500 0109 0016 00 0385 0000")


@dataclass
class Transaction:
    at: float
    kind: str  # "write" | "read"
    command: int
    data: bytes
    answered: bool


class FakeGauge:
    def __init__(self, clock: VirtualClock, *, address: int = 0x0B, pec: bool = False) -> None:
        self.clock = clock
        self.address = address
        self.pec = pec
        self.mode = SEALED
        self.unseal_keys = (0x0414, 0x3672)
        self.fa_keys = (0xFFFF, 0xFFFF)
        self.words: dict[int, int] = {
            0x08: 2981,  # 25.0 °C in 0.1 K
            0x09: 11_100,
            0x0A: 0,
            0x16: 0x00C0,
            0x3F: 3700,
            0x3E: 3700,
            0x3D: 3700,
            0x3C: 0,
        }
        self.mfg_status = 0x0018
        self.op_extra = 0x0000_0007  # PRES DSG CHG
        self.blocks: dict[int, bytes] = {}  # SBS block reads (0x50-0x57 when unsealed)
        self.macs: dict[int, bytes] = {
            0x0001: bytes([0x00, 0x45]),
            0x0002: FIRMWARE,
            0x0003: bytes([0xA1, 0x00]),
            0x0006: bytes([0x21, 0x01]),
            0x0051: bytes(4),
            0x0053: bytes(4),
            0x0050: bytes(4),
            0x0052: bytes(4),
            0x0005: bytes([0x34, 0x12]),
        }
        self.df = bytearray(0x2000)
        for i in range(len(self.df)):
            self.df[i] = (i * 7 + 3) & 0xFF
        for i in range(0x1F80, 0x2000):
            self.df[i] = 0
        # timing model
        self.flash_busy_s = 0.010
        self.seal_busy_s = 0.020
        self.reset_silent_s = 0.300
        self.signature_ready_s = 0.250
        self.reset_reseals = False
        self.sealed_df = "nack"  # or "zeros": how a sealed gauge answers data-flash reads
        # state
        self.busy_until = 0.0
        self.silent = False
        self.pending: tuple[str, int] | None = None  # ("mac", code) | ("df", address)
        self.ready_at = 0.0
        self.last_key: tuple[int, int, float] | None = None  # (word, transaction index, time)
        self.index = 0
        self.log: list[Transaction] = []
        self.toggles: dict[int, int] = {}
        self.df_writes: list[tuple[int, bytes]] = []
        self.keys_written: bytes | None = None
        # injected faults (each counts down on use)
        self.nack_next = 0
        self.wrong_echo_next = 0
        self.short_next = 0
        self.word_override: dict[int, list[int]] = {}  # command → values served first
        self.gone = False
        self.hook: Callable[[FakeGauge, str, int, bytes], None] | None = None

    # -- i2c_rdwr --------------------------------------------------------------------------------

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        self.index += 1
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        first = bytes(msgs[0])
        kind = "read" if len(msgs) == 2 else "write"
        command = first[0] if first else -1
        payload = first[1:]
        if self.pec and kind == "write":
            payload = payload[:-1]
        if self.hook is not None:
            self.hook(self, kind, command, payload)
        refused = self.silent or self.clock.monotonic() < self.busy_until or (self.nack_next > 0)
        if self.nack_next > 0:
            self.nack_next -= 1
        self.log.append(Transaction(self.clock.monotonic(), kind, command, payload, not refused))
        if refused:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        if kind == "write":
            self._write(command, payload)
            return
        assert msgs[1].flags & I2C_M_RD
        body = self._read(command)
        if body is None:
            self.log[-1].answered = False
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        pec = crc8([write_address(self.address), command, read_address(self.address), *body])
        out = (bytes(body) + bytes([pec])).ljust(msgs[1].len, b"\xff")[: msgs[1].len]
        ctypes.memmove(msgs[1].buf, out, msgs[1].len)

    # -- writes ----------------------------------------------------------------------------------

    def _write(self, command: int, payload: bytes) -> None:
        previous_key = self.last_key
        self.last_key = None
        if command == 0x00 and len(payload) == 2:
            word = payload[0] | payload[1] << 8
            if (
                previous_key is not None
                and previous_key[1] == self.index - 1
                and self.clock.monotonic() - previous_key[2] <= 4.0
            ):
                pair = (previous_key[0], word)
                if self.mode == SEALED and pair == self.unseal_keys:
                    self.mode = UNSEALED
                    return
                if self.mode == UNSEALED and pair == self.fa_keys:
                    self.mode = FULL_ACCESS
                    return
            self.last_key = (word, self.index, self.clock.monotonic())
            return
        if command != 0x44:
            return
        count, body = payload[0], payload[1:]
        assert count == len(body), "block write count byte must match the data"
        code = body[0] | body[1] << 8
        data = body[2:]
        if 0x4000 <= code < 0x6000:
            self._df_write(code, data)
            return
        if data:
            if code == 0x0035 and self.mode == FULL_ACCESS:
                self.keys_written = bytes(data)
                self.busy_until = self.clock.monotonic() + self.flash_busy_s
            return
        self._mac(code)

    def _df_write(self, address: int, data: bytes) -> None:
        if not data:
            self.pending = ("df", address)
            return
        if self.mode == SEALED:
            return  # acknowledged and ignored
        self.df_writes.append((address, bytes(data)))
        for i, b in enumerate(data):
            if address + i < 0x5F80:
                self.df[address - 0x4000 + i] = b
        self.busy_until = self.clock.monotonic() + self.flash_busy_s + 0.0002 * len(data)

    def _mac(self, code: int) -> None:
        now = self.clock.monotonic()
        if code == 0x0030:
            if self.mode != SEALED:
                self.mode = SEALED
                self.busy_until = now + self.seal_busy_s
            return
        if code == 0x0041:
            self.busy_until = now + self.reset_silent_s
            if self.reset_reseals:
                self.mode = SEALED
            self.pending = None
            return
        if code == 0x0010:
            self.silent = True
            return
        if 0x001D <= code <= 0x002F:
            if self.mode == SEALED:
                return  # ignored when sealed
            self.toggles[code] = self.toggles.get(code, 0) + 1
            if code == 0x0022:
                self.mfg_status ^= 0x0010
            if code == 0x0021:
                self.mfg_status ^= 0x0008
            return
        self.pending = ("mac", code)
        self.ready_at = now + (self.signature_ready_s if code in (4, 5, 8, 9) else 0.0)

    # -- reads -----------------------------------------------------------------------------------

    def _read(self, command: int) -> bytes | None:
        if command == 0x44:
            return self._block_44()
        if command in self.words:
            served = self.word_override.get(command)
            value = served.pop(0) if served else self.words[command]
            return bytes([value & 0xFF, value >> 8])
        if 0x50 <= command <= 0x57:
            if self.mode == SEALED:
                return None
            data = self._status(0x0000 | command)
            return bytes([len(data)]) + data
        return None

    def _status(self, code: int) -> bytes:
        if code in (0x54, 0x0054):
            value = self.op_extra | (self.mode << 8)
            return value.to_bytes(4, "little")
        if code in (0x57, 0x0057):
            return self.mfg_status.to_bytes(2, "little")
        return self.macs.get(code | 0x0000, bytes(4))

    def _block_44(self) -> bytes | None:
        if self.pending is None:
            return None
        what, value = self.pending
        if what == "df":
            if self.mode == SEALED:
                if self.sealed_df == "nack":
                    return None
                return bytes([34]) + bytes(34)
            address = value
            data = bytes(self.df[address - 0x4000 : address - 0x4000 + 32]).ljust(32, b"\0")
            self.pending = ("df", address + 32)
            body = bytes([address & 0xFF, address >> 8]) + data
        else:
            if self.clock.monotonic() < self.ready_at:
                return None
            if value in (0x0054, 0x0057):
                data = self._status(value)
            elif value in self.macs:
                data = self.macs[value]
            else:
                return None
            body = bytes([value & 0xFF, value >> 8]) + data
        if self.wrong_echo_next:
            self.wrong_echo_next -= 1
            body = bytes([body[0] ^ 0x01, body[1]]) + body[2:]
        if self.short_next:
            self.short_next -= 1
            body = body[: max(2, len(body) - 3)]
        return bytes([len(body)]) + body

    # -- helpers for tests -----------------------------------------------------------------------

    def writes_to(self, command: int) -> list[bytes]:
        return [t.data for t in self.log if t.kind == "write" and t.command == command]

    def between(self, first: int, second: int) -> list[Transaction]:
        """Transactions logged strictly between log entries ``first`` and ``second``."""
        return self.log[first + 1 : second]


def make_gauge(
    *, pec: bool = False, mode: int = SEALED, **driver_kw: object
) -> tuple[FakeGauge, Gauge, VirtualClock]:
    """A fake gauge, a transport over it and a driver, all on one virtual clock."""
    from station.bus import SMBusTransport
    from station.gauge import Gauge

    clock = VirtualClock()
    fake = FakeGauge(clock, pec=pec)
    fake.mode = mode
    transport = SMBusTransport(fake, clock, pec=pec)
    return fake, Gauge(transport, **driver_kw), clock  # type: ignore[arg-type]

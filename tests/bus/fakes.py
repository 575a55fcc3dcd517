"""A scripted SMBus device for transport tests: records writes, answers reads from a table."""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Callable

from smbus2 import i2c_msg
from smbus2.smbus2 import I2C_M_RD

from station.pec import crc8, read_address, write_address


class ScriptedDevice:
    def __init__(self, address: int = 0x0B) -> None:
        self.address = address
        self.registers: dict[
            int, bytes
        ] = {}  # command → response bytes (count included for blocks)
        self.writes: list[bytes] = []
        self.fail_next: list[int] = []  # errno values to raise on the next transactions
        self.corrupt_next = 0  # corrupt the first byte of the next N reads
        self.on_write: Callable[[bytes], None] | None = None
        self.transactions = 0

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        self.transactions += 1
        if self.fail_next:
            raise OSError(self.fail_next.pop(0), "injected")
        for m in msgs:
            assert m.addr == self.address
        if len(msgs) == 1 and not msgs[0].flags & I2C_M_RD:
            data = bytes(msgs[0])
            self.writes.append(data)
            if self.on_write:
                self.on_write(data)
            return
        wr, rd = msgs
        assert rd.flags & I2C_M_RD
        cmd = bytes(wr)[0]
        if cmd not in self.registers:
            raise OSError(errno.EREMOTEIO, "NACK")
        body = self.registers[cmd]
        pec = crc8([write_address(self.address), cmd, read_address(self.address), *body])
        out = bytearray(body + bytes([pec]))
        if self.corrupt_next:
            self.corrupt_next -= 1
            out[len(body) - 1] ^= 0x40  # flip a bit in the last data byte; the PEC no longer fits
        out = out.ljust(rd.len, b"\xff")[: rd.len]
        ctypes.memmove(rd.buf, bytes(out), rd.len)

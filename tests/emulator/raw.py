"""A raw SMBus host for emulator tests: builds i2c_msg transactions byte by byte.

Deliberately independent of station.gauge and station.bus.transport: what goes on the wire is
spelled out here, from the reference.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

import pytest
from smbus2 import i2c_msg

from station.clock import VirtualClock
from station.emulator import EmulatedGauge
from station.pec import crc8

ADDR = 0x0B
W, R = ADDR << 1, (ADDR << 1) | 1


def pec_of(*parts: int) -> int:
    return crc8(parts)


class RawHost:
    def __init__(self, device: EmulatedGauge, clock: VirtualClock) -> None:
        self.dev = device
        self.clock = clock

    # -- transactions -------------------------------------------------------------------------

    def write(self, payload: bytes | list[int], *, pec: bool = False, addr: int = ADDR) -> None:
        data = list(payload)
        if pec:
            data.append(crc8([addr << 1, *data]))
        self.dev.i2c_rdwr(i2c_msg.write(addr, data))

    def read(self, cmd: int, length: int, *, addr: int = ADDR) -> bytes:
        wr = i2c_msg.write(addr, [cmd])
        rd = i2c_msg.read(addr, length)
        self.dev.i2c_rdwr(wr, rd)
        return bytes(rd)

    # -- SMBus protocols ----------------------------------------------------------------------

    def write_word(self, cmd: int, value: int, *, pec: bool = False) -> None:
        self.write([cmd, value & 0xFF, value >> 8], pec=pec)

    def read_word(self, cmd: int) -> int:
        raw = self.read(cmd, 3)
        assert raw[2] == pec_of(W, cmd, R, raw[0], raw[1]), "word read PEC"
        return raw[0] | raw[1] << 8

    def read_signed(self, cmd: int) -> int:
        value = self.read_word(cmd)
        return value - 0x10000 if value & 0x8000 else value

    def block_write(self, cmd: int, data: bytes | list[int], *, pec: bool = False) -> None:
        body = list(data)
        self.write([cmd, len(body), *body], pec=pec)

    def read_block(self, cmd: int, max_len: int = 34) -> bytes:
        """A block read with its PEC checked; returns the data without the count byte."""
        raw = self.read(cmd, 1 + max_len + 1)
        count = raw[0]
        assert count <= max_len, f"count {count} > {max_len}"
        assert raw[1 + count] == pec_of(W, cmd, R, *raw[: 1 + count]), "block read PEC"
        return raw[1 : 1 + count]

    # -- MAC and data flash -------------------------------------------------------------------

    def mac(self, code: int) -> None:
        """MAC through ManufacturerAccess 0x00 (Write Word)."""
        self.write_word(0x00, code)

    def mac_block(self, code: int, data: bytes = b"") -> None:
        """MAC through ManufacturerBlockAccess 0x44 (Block Write)."""
        self.block_write(0x44, [code & 0xFF, code >> 8, *data])

    def mac_read(self, code: int) -> bytes:
        """Send ``code`` through 0x44, read the result from 0x44, check the echo, strip it."""
        self.mac_block(code)
        body = self.read_block(0x44)
        assert body[:2] == code.to_bytes(2, "little"), "echo"
        return body[2:]

    def df_write(self, address: int, data: bytes) -> None:
        self.block_write(0x44, [address & 0xFF, address >> 8, *data])

    def df_read(self, address: int) -> bytes:
        self.block_write(0x44, [address & 0xFF, address >> 8])
        return self.df_read_next(address)

    def df_read_next(self, address: int) -> bytes:
        body = self.read_block(0x44)
        assert body[:2] == address.to_bytes(2, "little"), "address echo"
        return body[2:]

    def unseal(self, first: int, second: int) -> None:
        self.write_word(0x00, first)
        self.write_word(0x00, second)

    def operation_status(self) -> int:
        return int.from_bytes(self.mac_read(0x0054), "little")

    def sec(self) -> int:
        return (self.operation_status() >> 8) & 0b11

    def wait_idle(self) -> None:
        """Sleep past any busy period (virtual time)."""
        self.clock.sleep(max(self.dev.busy_until - self.clock.monotonic(), 0) + 1e-6)


def nacks(action: Callable[[], object], code: int = errno.EREMOTEIO) -> None:
    with pytest.raises(OSError, match=r"error|device|descriptor") as info:
        action()
    assert info.value.errno == code

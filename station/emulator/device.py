"""The emulated BQ40Z50 behind smbus2's ``i2c_rdwr``: wire framing, PEC, timing, faults.

One ``i2c_rdwr`` call is one SMBus transaction, taken byte by byte from real ``smbus2.i2c_msg``
objects:
- one write message: Send Byte (1 byte), Write Word (3) or Block Write (2 + count), each optionally
  followed by a PEC byte. The gauge cannot know in advance whether the host appends PEC, so it
  decides by length; a PEC that does not match is NACKed and the write discarded.
- a write message with the command, then a read message: Read Word or Block Read. The gauge sends
  its data, then the PEC over [addr W, cmd, addr R, data..], then 0xFF for any further byte.
A NACK is raised as ``OSError(EREMOTEIO)`` like i2c-dev; a message to another address as
``OSError(ENXIO)``.
"""

from __future__ import annotations

import ctypes
import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from smbus2 import i2c_msg
from smbus2.smbus2 import I2C_M_RD

from station.emulator import dfaccess, mac, persist, sbs
from station.emulator.analog import Constants, FrontEnd
from station.emulator.chip import Chip, Effects
from station.emulator.dataflash import Value
from station.emulator.faults import FaultPlan
from station.emulator.firmware import Firmware, Identity, KeyWords
from station.emulator.pack import PackModel
from station.emulator.persist import PackCounters
from station.emulator.security import SecurityMode
from station.emulator.timing import BusStats, NackStage, TimingModel
from station.pec import crc8, read_address, write_address

#: How long an adapter waits on a clock line held low before it gives up (SMBus tTIMEOUT max).
SMBUS_TIMEOUT_S = 0.035
#: Commands whose write is a Write Word (3 bytes + optional PEC).
_WORD_COMMANDS = frozenset({*sbs.WORD_READS, *sbs.WORD_WRITES})


class AdvancingClock(Protocol):
    """A clock the emulator can move forward (``station.clock.VirtualClock``)."""

    def monotonic(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


@dataclass
class _Outcome:
    nack: NackStage | None = None
    reason: str = ""
    os_errno: int = errno.EREMOTEIO
    fx: Effects = field(default_factory=Effects)
    df_write: bool = False


class _Nack(Exception):
    def __init__(self, stage: NackStage, reason: str, os_errno: int = errno.EREMOTEIO) -> None:
        self.stage = stage
        self.reason = reason
        self.os_errno = os_errno


class EmulatedGauge:
    """A BQ40Z50 on an SMBus, in virtual time. Build one with ``open_emulator``."""

    emulated = True

    def __init__(
        self,
        chip: Chip,
        *,
        clock: AdvancingClock,
        faults: FaultPlan | None = None,
        state_path: Path | None = None,
        scenario: str = "",
    ) -> None:
        self._chip = chip
        self._clock = clock
        self.faults = faults or FaultPlan()
        self.scenario = scenario
        self.state_path = state_path
        self.stats = BusStats()
        self.counters = PackCounters()
        #: Index of the next ``i2c_rdwr`` call (0-based), counting every call.
        self.transaction_count = 0
        self._busy_until = float("-inf")
        #: the busy period is a data-flash write (not a reset, seal or key change)
        self._busy_flash = False
        self._gone = False
        self._closed = False
        if state_path is not None:
            saved = persist.load(state_path)
            if saved is not None and persist.restore(chip, saved, self.counters):
                # Seating a pack in a fixture powers it: a shut-down pack wakes.
                self._wake()
            self.save()

    def __repr__(self) -> str:
        return (
            f"EmulatedGauge(scenario={self.scenario!r}, mode={self.security_mode}, "
            f"transactions={self.transaction_count})"
        )

    # -- inspection and set-up ----------------------------------------------------------------

    @property
    def clock(self) -> AdvancingClock:
        """The virtual clock the bus and the busy periods advance."""
        return self._clock

    @property
    def firmware(self) -> Firmware:
        return self._chip.fw

    @property
    def identity(self) -> Identity:
        """What the identification MACs report (a scenario may change the device type)."""
        return self._chip.identity

    @property
    def timing(self) -> TimingModel:
        return self._chip.timing

    @property
    def pack(self) -> PackModel:
        """The physical pack; change it freely (persisted at the next state change or save())."""
        return self._chip.pack

    @property
    def front_end(self) -> FrontEnd:
        """The pack's measuring errors (what a perfect calibration would find)."""
        return self._chip.front_end

    @property
    def fets(self) -> tuple[bool, bool, bool]:
        """(CHG, DSG, PCHG): whether current can flow into or out of the pack now."""
        return self._chip.fets()

    def calibration_constants(self) -> Constants:
        """The constants data flash holds now."""
        return self._chip.constants()

    @property
    def security_mode(self) -> SecurityMode:
        return self._chip.security.mode

    @security_mode.setter
    def security_mode(self, mode: SecurityMode) -> None:
        self._chip.security.mode = mode
        self.save()

    @property
    def manufacturing_status(self) -> int:
        return self._chip.manufacturing_status

    @property
    def safety_status(self) -> int:
        """SafetyStatus as set (the bits the live measurements add are not included)."""
        return self._chip.safety_status

    @safety_status.setter
    def safety_status(self, value: int) -> None:
        self._chip.safety_status = value
        self.save()

    @property
    def pf_status(self) -> int:
        return self._chip.pf_status

    @pf_status.setter
    def pf_status(self, value: int) -> None:
        self._chip.pf_status = value
        self.save()

    @property
    def cell_count(self) -> int:
        """Cells the gauge counts now (DA Configuration as loaded at its last reset)."""
        return self._chip.config.cell_count

    @property
    def is_shut_down(self) -> bool:
        return self._chip.is_silent(self._clock.monotonic())

    @property
    def busy_until(self) -> float:
        return self._busy_until

    def df_peek(self, address: int, length: int) -> bytes:
        """Data flash as a read through 0x44 would show it (no access rules, no timing)."""
        return self._chip.df.read(address, length)

    def df_poke(self, address: int, data: bytes) -> None:
        """Write data flash behind the bus (set-up only; the read-only tail still does not take)."""
        self._chip.df.write(address, bytes(data))
        self.save()

    def df_get(self, name: str) -> Value:
        """A data-flash parameter by role or "class:subclass:name"."""
        return self._chip.df.get(self._chip.fw.lookup(name))

    def df_set(self, name: str, value: Value) -> None:
        self._chip.df.set(self._chip.fw.lookup(name), value)
        self.save()

    def df_address(self, name: str) -> int:
        return self._chip.fw.lookup(name).address

    def set_keys(self, unseal: tuple[int, int], full_access: tuple[int, int]) -> None:
        """Replace the pack's keys (set-up only)."""
        self._chip.security.keys = KeyWords(
            (unseal[0], unseal[1]), (full_access[0], full_access[1])
        )
        self.save()

    def wake(self) -> None:
        """Wake a pack in ship mode (a charger or a fixture powering it): a power-on reset."""
        self._wake()
        self.save()

    def _wake(self) -> None:
        self._chip.device_reset(done_at=self._clock.monotonic())
        self._busy_until = float("-inf")

    def save(self) -> None:
        """Write the pack's state file now (no-op without one)."""
        if self.state_path is not None:
            persist.save(self.state_path, persist.snapshot(self._chip, self.counters))

    def close(self) -> None:
        self._closed = True

    # -- the bus ------------------------------------------------------------------------------

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        if self._closed:
            raise OSError(errno.EBADF, "Bad file descriptor")
        index = self.transaction_count
        self.transaction_count += 1
        self.counters.transactions += 1
        if self.faults.is_stuck(index):
            # A stuck bus: the adapter gives up after the SMBus clock-low timeout.
            self._clock.advance(SMBUS_TIMEOUT_S)
            raise OSError(errno.ETIMEDOUT, "Connection timed out")
        if not msgs:
            return
        start = self._clock.monotonic()
        ok_bytes = sum(1 + m.len for m in msgs)
        end_ok = start + self.timing.wire_time(ok_bytes, len(msgs))
        try:
            outcome = self._transact(index, start, end_ok, msgs)
        except _Nack as nack:
            outcome = _Outcome(nack.stage, nack.reason, nack.os_errno)
        self._account(outcome, msgs, ok_bytes, start)
        if outcome.fx.changed:
            self.save()
        if outcome.nack is not None:
            message = "Remote I/O error"
            if outcome.os_errno == errno.ENXIO:
                message = "No such device or address"
            raise OSError(outcome.os_errno, message)

    def _account(
        self, out: _Outcome, msgs: tuple[i2c_msg, ...], ok_bytes: int, start: float
    ) -> None:
        stats = self.stats
        stats.transactions += 1
        if out.nack is None:
            n_bytes, n_msgs = ok_bytes, len(msgs)
        else:
            stats.count_nack(out.reason)
            n_msgs = 1
            n_bytes = {
                NackStage.ADDRESS: 1,
                NackStage.COMMAND: 2,
                NackStage.DATA: 1 + msgs[0].len,
            }[out.nack]
        duration = self.timing.wire_time(n_bytes, n_msgs)
        stats.bytes_on_wire += n_bytes
        stats.bus_time_s += duration
        self._clock.advance(duration)
        end = start + duration
        if out.fx.busy_s > 0:
            self._busy_until = end + out.fx.busy_s
            self._busy_flash = out.df_write
        stats.device_busy_s += out.fx.busy_s + out.fx.result_delay_s
        if out.df_write:
            stats.df_writes += 1
            self.counters.df_writes += 1

    def _transact(
        self, index: int, start: float, now: float, msgs: tuple[i2c_msg, ...]
    ) -> _Outcome:
        chip = self._chip
        if any(m.addr != chip.identity.address for m in msgs):
            raise _Nack(NackStage.ADDRESS, "wrong address", errno.ENXIO)
        if self._gone or self.faults.is_gone(index):
            raise _Nack(NackStage.ADDRESS, "gone")
        if self.faults.draw_nack(index):
            raise _Nack(NackStage.ADDRESS, "injected")
        if chip.is_silent(start):
            raise _Nack(NackStage.ADDRESS, "shutdown")
        flash_busy = start < self._busy_until and self._busy_flash
        if start < self._busy_until and not (flash_busy and not self.timing.flash_busy_nacks):
            self.stats.busy_nacks += 1
            raise _Nack(NackStage.ADDRESS, "busy")
        corrupt = self.faults.draw_corrupt(index)
        if len(msgs) == 1 and not msgs[0].flags & I2C_M_RD:
            return self._write(index, bytes(msgs[0]), now, corrupt, misaligned=flash_busy)
        if len(msgs) == 2 and not msgs[0].flags & I2C_M_RD and msgs[1].flags & I2C_M_RD:
            return self._read(index, bytes(msgs[0]), msgs[1], now, corrupt)
        raise _Nack(NackStage.DATA, "not an SMBus transaction")

    def _write(
        self, index: int, received: bytes, now: float, corrupt: bool, *, misaligned: bool = False
    ) -> _Outcome:
        chip = self._chip
        cmd = received[0]
        is_block = cmd in sbs.BLOCK_COMMANDS
        if len(received) == 1 or (len(received) == 2 and (not is_block or received[1] == 0)):
            expected = 1  # Send Byte (a block never has a zero count)
        elif cmd in _WORD_COMMANDS:
            expected = 3
        elif is_block:
            expected = 2 + received[1]
        else:
            expected = 1
        if len(received) not in (expected, expected + 1):
            raise _Nack(NackStage.DATA, "malformed")
        payload = bytearray(received)
        if corrupt:
            payload[expected - 1] ^= 0x10  # the last byte before any PEC
        if len(payload) == expected + 1:
            pec = crc8([write_address(chip.identity.address), *payload[:expected]])
            if pec != payload[expected]:
                raise _Nack(NackStage.DATA, "pec")
        body = bytes(payload[:expected])
        out = _Outcome()
        if expected == 1:
            return out  # no BQ40Z50 command takes a Send Byte: acknowledged, no effect
        if cmd in _WORD_COMMANDS:
            value = body[1] | body[2] << 8
            if not sbs.write_word(chip, cmd, value, now, index, out.fx):
                raise _Nack(NackStage.COMMAND, "read-only")
            return out
        data = body[2:]
        lost = False
        if cmd == 0x44 and dfaccess.is_df_write(chip, data):
            lost = self._df_write_faults()
            out.df_write = True
        # Only ManufacturerBlockAccess takes a block write.
        if cmd != 0x44 or not mac.write_block(
            chip, data, now, out.fx, lost=lost, misaligned=misaligned
        ):
            raise _Nack(NackStage.DATA, "refused")
        return out

    def _df_write_faults(self) -> bool:
        """Count a data-flash write attempt; NACK it by plan; True when it must not take."""
        self.stats.df_write_attempts += 1
        k = self.stats.df_write_attempts
        plan = self.faults
        if plan.df_write_gone_at is not None and k >= plan.df_write_gone_at:
            self._gone = True
            raise _Nack(NackStage.ADDRESS, "gone")
        if (plan.df_write_nack_from is not None and k >= plan.df_write_nack_from) or (
            k in plan.df_write_nack_at
        ):
            raise _Nack(NackStage.DATA, "df write refused")
        return k in plan.df_write_lost

    def _read(self, index: int, command: bytes, rd: i2c_msg, now: float, corrupt: bool) -> _Outcome:
        chip = self._chip
        if len(command) != 1:
            raise _Nack(NackStage.DATA, "not an SMBus read")
        cmd = command[0]
        data = sbs.read(chip, cmd, now)
        if data is None:
            raise _Nack(NackStage.COMMAND, "refused")
        address = chip.identity.address
        reply = bytearray(data)
        if chip.config.host_pec:
            # SBS Configuration [HPE] set: the answer ends with its PEC; else nothing follows.
            reply.append(crc8([write_address(address), cmd, read_address(address), *data]))
        if corrupt and data:
            where = self.faults.corrupt_where.get(index)
            byte, bit = where if where is not None else (len(data) - 1, 4)
            reply[min(byte, len(data) - 1)] ^= 1 << bit  # the PEC, if any, no longer fits
        reply = reply.ljust(rd.len, b"\xff")[: rd.len]
        ctypes.memmove(rd.buf, bytes(reply), rd.len)
        return _Outcome()

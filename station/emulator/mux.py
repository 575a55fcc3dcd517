"""An emulated TCA9548A I2C multiplexer with one emulated pack per channel.

The mux answers at its own address (0x70 by default): a one-byte write sets its control register
(bit N connects channel N), a one-byte read returns it. Any other transaction goes to the packs of
the connected channels; with no channel connected nothing acknowledges (a NACK, as an empty bus).

Each station socket reaches the mux through its own :meth:`EmulatedMux.port`, which says which
channel the socket means. A transaction to a pack that lands on another channel is stray traffic
(a station defect: the wrong pack programmed): the mux counts it, and still delivers it, as the
real part would.
"""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Callable
from dataclasses import dataclass, field

from smbus2 import i2c_msg
from smbus2.smbus2 import I2C_M_RD

from station.emulator.device import AdvancingClock, EmulatedGauge
from station.emulator.scenarios import DEFAULT_SCENARIO, open_emulator
from station.emulator.timing import TimingModel

#: The address a TCA9548A answers at with A0-A2 low.
MUX_ADDRESS = 0x70


@dataclass
class MuxStats:
    """What crossed the shared (upstream) bus: every socket's traffic, one after another."""

    transactions: int = 0
    selects: int = 0
    #: wire time of every transaction on the shared bus (the mux's own and the packs')
    bus_time_s: float = 0.0
    #: transactions to a pack sent while no channel was connected (NACKed)
    unrouted: int = 0
    #: transactions that reached a pack on a channel the sending socket did not mean
    stray: int = 0
    stray_by_channel: dict[int, int] = field(default_factory=dict)


class MuxPort:
    """One socket's view of the emulated mux: every transaction is tagged with its channel."""

    emulated = True

    def __init__(self, mux: EmulatedMux, channel: int | None) -> None:
        self.mux = mux
        self.channel = channel

    @property
    def pack(self) -> EmulatedGauge | None:
        return self.mux.pack(self.channel) if self.channel is not None else None

    @property
    def clock(self) -> AdvancingClock:
        return self.mux.clock

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        self.mux.transfer(msgs, meant=self.channel)


class EmulatedMux:
    """The mux and its packs; build one with :func:`open_emulated_mux`."""

    emulated = True

    def __init__(
        self,
        packs: list[EmulatedGauge | None],
        *,
        clock: AdvancingClock,
        timing: TimingModel | None = None,
        address: int = MUX_ADDRESS,
    ) -> None:
        self._packs = packs
        self.clock = clock
        self.timing = timing or TimingModel()
        self.address = address
        self.control = 0  # a TCA9548A powers up with every channel off
        self.stats = MuxStats()
        #: Called with (channel meant, messages) for every transaction, before it is carried
        #: (tests watch the order of the shared bus's traffic).
        self.listener: Callable[[int | None, tuple[i2c_msg, ...]], None] | None = None
        self._closed = False

    @property
    def channels(self) -> int:
        return len(self._packs)

    def pack(self, channel: int) -> EmulatedGauge | None:
        return self._packs[channel]

    def seat(self, channel: int, pack: EmulatedGauge | None) -> None:
        """Put a pack in the fixture on ``channel`` (None: take it out)."""
        self._packs[channel] = pack

    def port(self, channel: int | None) -> MuxPort:
        """The bus of a socket that means ``channel`` (None: the mux alone, no pack meant)."""
        if channel is not None and not 0 <= channel < self.channels:
            raise ValueError(f"the mux has channels 0-{self.channels - 1}, not {channel}")
        return MuxPort(self, channel)

    def close(self) -> None:
        self._closed = True

    # -- the wire -----------------------------------------------------------------------------

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        """The mux on its bus with no socket's intent known (a tool on the bare adapter)."""
        self.transfer(msgs, meant=None)

    def transfer(self, msgs: tuple[i2c_msg, ...], meant: int | None) -> None:
        if self._closed:
            raise OSError(errno.EBADF, "Bad file descriptor")
        self.stats.transactions += 1
        if self.listener is not None:
            self.listener(meant, msgs)
        if msgs and all(m.addr == self.address for m in msgs):
            self._own(msgs)
            return
        connected = [c for c in range(self.channels) if self.control >> c & 1]
        if not connected:
            self.stats.unrouted += 1
            self._wire(1, 1)  # the address byte, unacknowledged
            raise OSError(errno.ENXIO, "No such device or address")
        for channel in connected:
            if meant is not None and channel != meant:
                self.stats.stray += 1
                self.stats.stray_by_channel[channel] = (
                    self.stats.stray_by_channel.get(channel, 0) + 1
                )
        packs = [p for c in connected if (p := self._packs[c]) is not None]
        if not packs:
            self._wire(1, 1)
            raise OSError(errno.ENXIO, "No such device or address")
        # Several channels connected: every pack sees the transaction (the first one's answer
        # is what the host reads).
        failure: OSError | None = None
        for pack in packs:
            before = pack.stats.bus_time_s
            try:
                pack.i2c_rdwr(*msgs)
            except OSError as exc:
                failure = failure or exc
            finally:
                self.stats.bus_time_s += pack.stats.bus_time_s - before
        if failure is not None:
            raise failure

    def _own(self, msgs: tuple[i2c_msg, ...]) -> None:
        if len(msgs) == 1 and not msgs[0].flags & I2C_M_RD and msgs[0].len == 1:
            self.control = bytes(msgs[0])[0] & ((1 << self.channels) - 1)
            self.stats.selects += 1
            self._wire(2, 1)
            return
        if len(msgs) == 1 and msgs[0].flags & I2C_M_RD and msgs[0].len == 1:
            ctypes.memmove(msgs[0].buf, bytes([self.control]), 1)
            self._wire(2, 1)
            return
        self._wire(1 + msgs[0].len, 1)
        raise OSError(errno.EREMOTEIO, "Remote I/O error")

    def _wire(self, n_bytes: int, n_msgs: int) -> None:
        duration = self.timing.wire_time(n_bytes, n_msgs)
        self.stats.bus_time_s += duration
        self.clock.advance(duration)


def open_emulated_mux(
    channels: int = 8,
    *,
    clock: AdvancingClock,
    speed_hz: int = 100_000,
    pack: str = DEFAULT_SCENARIO,
    seed: int | None = None,
) -> EmulatedMux:
    """A mux with a ``pack`` scenario on each of ``channels`` channels, all on ``clock``."""
    packs: list[EmulatedGauge | None] = [
        open_emulator(pack, clock=clock, speed_hz=speed_hz, seed=seed) for _ in range(channels)
    ]
    return EmulatedMux(packs, clock=clock, timing=TimingModel(speed_hz=speed_hz))

"""An I2C multiplexer (TCA9548A style) between the adapter and the packs: eight packs, all at the
gauge's one address, each on its own channel of one adapter.

The mux's control register selects the channel; whoever holds the adapter's lock selects the
channel of its pack before each transaction, and only when the register does not already hold it
(another socket may have moved it since). Nothing reaches a pack other than the one its socket
means, and a key word is never split from its pair (the key sequence holds the adapter lock).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from smbus2 import i2c_msg

from station.bus.lock import AdapterLock
from station.bus.transport import I2CBus

#: Addresses a TCA9548A answers at (pins A0-A2) and its channels.
MUX_ADDRESSES = range(0x70, 0x78)
MUX_CHANNELS = 8


@dataclass(frozen=True)
class MuxChannel:
    """``@0x70:3`` in a bus spec: channel 3 of the mux at 0x70."""

    address: int
    channel: int

    @property
    def text(self) -> str:
        return f"@0x{self.address:02X}:{self.channel}"


class MuxChannelBus:
    """One channel of a mux, seen as a bus of its own (wraps the adapter's bus)."""

    def __init__(self, adapter: I2CBus, lock: AdapterLock, mux: MuxChannel) -> None:
        self.adapter = adapter
        self.lock = lock
        self.mux = mux
        #: control-register writes this channel made (the others' moves it had to undo)
        self.selects = 0

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        with self.lock:
            self._select()
            self.adapter.i2c_rdwr(*msgs)

    def _select(self) -> None:
        address, channel = self.mux.address, self.mux.channel
        if self.lock.selected.get(address) == channel:
            return
        self.lock.selected.pop(address, None)  # unknown until the write is acknowledged
        try:
            self.adapter.i2c_rdwr(i2c_msg.write(address, [1 << channel]))
        except OSError as exc:
            code = exc.errno or errno.EIO
            raise OSError(
                code,
                f"the I2C multiplexer at 0x{address:02X} did not take channel {channel} "
                f"({exc.strerror or exc}); check the mux's wiring, address pins and power",
            ) from None
        self.selects += 1
        self.lock.selected[address] = channel

    def close(self) -> None:
        close = getattr(self.adapter, "close", None)
        if callable(close):
            close()

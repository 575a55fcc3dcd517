"""What a socket owns across runs (store, keys, configuration, how to reach the pack), and the
connection to one pack for one run.

No global state: several sockets can each hold their own context and run side by side.
"""

from __future__ import annotations

import os
import socket as _socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from station.bus.adapters import AdapterRegistry
from station.bus.errors import BusOpenError
from station.bus.spec import OpenedBus, parse_bus_spec
from station.bus.trace import BusTrace, TransactionHook
from station.bus.transport import SMBusTransport
from station.clock import Clock, RealClock, VirtualClock, utc_now
from station.config import StationConfig
from station.gauge import Gauge, GaugeTimings
from station.keys import KeyStore
from station.logs import bound
from station.recipe.product.recipe_model import Recipe
from station.store import Store


@dataclass
class PackConnection:
    """The bus, transport and driver for one pack, for one run."""

    bus: OpenedBus
    transport: SMBusTransport
    gauge: Gauge

    @property
    def clock(self) -> Clock:
        return self.bus.clock

    @property
    def emulated(self) -> bool:
        return self.bus.emulated

    @property
    def virtual_clock(self) -> Callable[[], float] | None:
        """Virtual time on the emulator (its timing model), None on real hardware."""
        clock = self.bus.clock
        return clock.monotonic if isinstance(clock, VirtualClock) else None

    def close(self) -> None:
        self.bus.close()


def gauge_timings(recipe: Recipe | None) -> GaugeTimings:
    """The driver's waits, with the profile's (unconfirmed, per firmware) gauge figures."""
    if recipe is None:
        return GaugeTimings()
    t = recipe.profile.timing
    return GaugeTimings().with_overrides(
        reset_min_wait_s=t.reset_wait_ms / 1000,
        signature_min_wait_s=t.signature_wait_ms / 1000,
        df_write_min_s=t.df_write_min_ms / 1000,
        df_write_backoff_s=t.df_write_backoff_ms / 1000,
        df_write_attempts=t.df_write_attempts,
        flash_busy_s=t.df_write_busy_ms / 1000,
        flash_busy_per_byte_s=t.df_write_per_byte_ms / 1000,
        seal_busy_s=t.seal_busy_ms / 1000,
    )


@dataclass
class SocketContext:
    """One station socket: configuration, store, keys, and a factory for the pack's bus.

    Every connection to the pack (a run, the engineer screen's poll, an unseal-and-read) shares
    the lock of the socket's adapter from ``adapters``: sockets on one physical adapter share
    one registry.
    """

    config: StationConfig
    store: Store
    keys: KeyStore
    bus_factory: Callable[[], OpenedBus] | None = None
    adapters: AdapterRegistry = field(default_factory=AdapterRegistry)
    now: Callable[[], datetime] = utc_now
    host: str = field(default_factory=_socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    #: Every bus transaction is written here when set (``--bus-trace`` / ``bus_trace =``).
    bus_trace: BusTrace | None = None
    #: asks the operator what a manual reference instrument shows (None: nobody to ask)
    instrument_ask: Callable[[str], str] | None = None
    #: the station's own time: step durations, cycle times, the claim's heartbeat
    clock: Clock = field(default_factory=RealClock)

    @property
    def station_id(self) -> str:
        return self.config.station_id

    @property
    def socket(self) -> str:
        return self.config.socket

    @property
    def speed_hz(self) -> int:
        return self.config.bus_speed_hz

    @property
    def emulated(self) -> bool:
        """Whether the configured bus is the emulator: its runs are recorded as emulated."""
        try:
            return parse_bus_spec(self.config.bus).kind == "sim"
        except BusOpenError:
            return False

    def open_bus(self) -> OpenedBus:
        """The socket's bus, holding the locks its adapter and its pack share with every other
        user (a mux channel is selected under the adapter's)."""
        if self.bus_factory is not None:
            bus = self.bus_factory()
            bus.lock = self.adapters.lock_for(self.config.bus)
        else:
            bus = self.adapters.open(self.config.bus, speed_hz=self.config.bus_speed_hz)
        bus.pack_lock = self.adapters.pack_lock_for(self.config.bus)
        return bus

    def connect(self, recipe: Recipe | None = None) -> PackConnection:
        """Open the bus to the pack in the socket (a fresh connection per pack or per look).

        ``recipe`` gives the driver its firmware's timings; without one, the defaults.
        """
        bus = self.open_bus()
        try:
            transport = self.transport_for(bus)
            gauge = Gauge(transport, clock=bus.clock, timings=gauge_timings(recipe))
        except Exception:
            bus.close()
            raise
        return PackConnection(bus, transport, gauge)

    def transport_for(self, bus: OpenedBus) -> SMBusTransport:
        """The SMBus transport on ``bus``, holding the adapter's and the pack's locks; traced
        when the station keeps a bus trace."""
        return SMBusTransport(
            bus.bus,
            bus.clock,
            trace=self.trace_session(bus),
            lock=bus.lock,
            pack_lock=bus.pack_lock,
        )

    def trace_session(self, bus: OpenedBus) -> TransactionHook | None:
        """A bus-trace session headed with the run it belongs to (None: no trace kept)."""
        if self.bus_trace is None:
            return None
        header = (
            f"station {self.station_id} socket {self.socket}, bus {bus.description}, "
            f"PEC setting {self.config.pec}"
        )
        run = bound()
        if "attempt" in run:
            header += f", attempt {run['attempt']}"
        if "serial" in run:
            header += f", pack {run['serial']}"
        return self.bus_trace.session(header)

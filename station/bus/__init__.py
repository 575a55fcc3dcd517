"""Bus layer: SMBus transactions over ``i2c_rdwr``, PEC, retries, and the bus spec."""

from station.bus.errors import (
    BadResponseError,
    BusError,
    BusGoneError,
    BusOpenError,
    BusTimeoutError,
    NackError,
    PecError,
    ShortReadError,
)
from station.bus.spec import BusSpec, OpenedBus, open_bus, parse_bus_spec
from station.bus.transport import GAUGE_ADDRESS, MAX_BLOCK, I2CBus, RetryPolicy, SMBusTransport

__all__ = [
    "GAUGE_ADDRESS",
    "MAX_BLOCK",
    "BadResponseError",
    "BusError",
    "BusGoneError",
    "BusOpenError",
    "BusSpec",
    "BusTimeoutError",
    "I2CBus",
    "NackError",
    "OpenedBus",
    "PecError",
    "RetryPolicy",
    "SMBusTransport",
    "ShortReadError",
    "open_bus",
    "parse_bus_spec",
]

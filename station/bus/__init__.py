"""Bus layer: SMBus transactions over ``i2c_rdwr``, PEC and retries.

The bus spec (``station.bus.spec.open_bus``) is deliberately not re-exported here: it is the one
place that builds the emulator, and layers above the bus must be able to import the transport
without pulling the emulator in (an import-linter contract checks it).
"""

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
from station.bus.lock import AdapterLock
from station.bus.transport import GAUGE_ADDRESS, MAX_BLOCK, I2CBus, RetryPolicy, SMBusTransport

__all__ = [
    "GAUGE_ADDRESS",
    "MAX_BLOCK",
    "AdapterLock",
    "BadResponseError",
    "BusError",
    "BusGoneError",
    "BusOpenError",
    "BusTimeoutError",
    "I2CBus",
    "NackError",
    "PecError",
    "RetryPolicy",
    "SMBusTransport",
    "ShortReadError",
]

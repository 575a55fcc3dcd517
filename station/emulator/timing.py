"""The emulator's timing model and the statistics benchmarks read.

All figures are model values agreed for the emulated gauge, not measurements: the host driver never
assumes them, it polls. Bus time follows the SMBus framing: 9 bit times per byte (8 data + ACK),
START + STOP about 2 bit times, each repeated START about 1 bit time, address bytes included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class NackStage(Enum):
    """Where in a transaction the device stopped acknowledging (decides what the NACK costs)."""

    ADDRESS = "address"  # busy, silent, gone, or an injected NACK: only the address byte is clocked
    COMMAND = "command"  # the command code is refused (not readable/writable in this mode)
    DATA = "data"  # the whole write was clocked, then refused (bad PEC, refused MAC, malformed)


@dataclass(frozen=True)
class TimingModel:
    """Bus and device timing of the emulated gauge (seconds, hertz)."""

    speed_hz: int = 100_000
    bits_per_byte: int = 9
    start_stop_bits: int = 2
    repeated_start_bits: int = 1
    #: A data-flash block write keeps the gauge busy for base + per_byte x data bytes.
    df_write_base_s: float = 0.008
    df_write_per_byte_s: float = 0.0002
    #: While a data-flash write is under way the gauge NACKs (True), or acknowledges everything
    #: as if idle (False: a gauge that neither NACKs nor clock-stretches, ref §7.1); a data-flash
    #: write that arrives then lands misaligned, one byte further on.
    flash_busy_nacks: bool = True
    #: MAC 0x0041 DeviceReset: silent for this long (UNCONFIRMED figure, ref §9).
    reset_s: float = 0.300
    #: After the reset silence, OperationStatus INIT stays set this long (model only).
    init_s: float = 0.050
    #: Signature MACs: the 0x44/0x23 response read NACKs this long after the command (ref §4.2).
    signature_s: float = 0.250
    #: MAC 0x0030 Seal: busy while ManufacturingStatus is reloaded.
    seal_s: float = 0.020
    #: The second key word must come within this long of the first (ref §6.1).
    key_window_s: float = 4.0
    #: MAC 0x0010 ShutdownMode: the gauge goes silent this long after the command (model only;
    #: the DF Power:Ship timers are not modelled).
    shutdown_delay_s: float = 0.5

    def __post_init__(self) -> None:
        if self.speed_hz <= 0:
            raise ValueError(f"bus speed must be positive, not {self.speed_hz} Hz")

    @property
    def bit_s(self) -> float:
        return 1.0 / self.speed_hz

    def wire_time(self, n_bytes: int, n_messages: int = 1) -> float:
        """Bus time of one transaction of ``n_bytes`` (address bytes included)."""
        restarts = max(n_messages - 1, 0)
        bits = (
            n_bytes * self.bits_per_byte
            + self.start_stop_bits
            + restarts * self.repeated_start_bits
        )
        return bits * self.bit_s

    def df_write_busy_s(self, n_data: int) -> float:
        """How long one data-flash write of ``n_data`` bytes keeps the gauge busy."""
        return self.df_write_base_s + self.df_write_per_byte_s * n_data


@dataclass
class BusStats:
    """What the emulated device saw; benchmarks read it after a run."""

    transactions: int = 0
    bytes_on_wire: int = 0
    bus_time_s: float = 0.0
    nacks: int = 0
    nacks_by_reason: dict[str, int] = field(default_factory=dict)
    #: Transactions NACKed because the gauge was busy (flash write, reset, seal).
    busy_nacks: int = 0
    #: Busy periods the host had to wait out (flash write, reset, seal, signature), seconds.
    device_busy_s: float = 0.0
    #: Data-flash block writes the host attempted / the device acknowledged.
    df_write_attempts: int = 0
    df_writes: int = 0

    def count_nack(self, reason: str) -> None:
        self.nacks += 1
        self.nacks_by_reason[reason] = self.nacks_by_reason.get(reason, 0) + 1

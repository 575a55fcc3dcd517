"""The reference instruments of a socket for one run: from the instrument file the station
configuration names, or simulated on the emulated pack when there is none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from station.config import StationConfig
from station.instruments.bench import (
    Bench,
    load_instrument_file,
    open_bench,
    simulated_settings,
)
from station.instruments.manual import Ask
from station.instruments.model import Instrument, InstrumentError, InstrumentSettings

#: The emulated pack behind the bus, or None on hardware.
Device = object | None


def socket_bench(
    config: StationConfig,
    device: Device,
    today: dt.date,
    *,
    ask: Ask | None = None,
    socket: str | None = None,
) -> Bench:
    """The socket's instruments, opened (:class:`InstrumentError` when they cannot be)."""
    if config.instruments:
        settings = load_instrument_file(Path(config.instruments)).for_socket(
            socket or config.socket
        )
    elif device is not None:
        settings = simulated_settings(today)
    else:
        raise InstrumentError(
            "no instrument file is configured for this station",
            next_step="set `instruments` in the station configuration (or STATION_INSTRUMENTS) "
            "to the file naming this socket's reference instruments",
        )
    return open_bench(settings, today=today, simulated=_simulated(device), ask=ask)


def _simulated(device: Device) -> Callable[[InstrumentSettings], Instrument]:
    def open_simulated(s: InstrumentSettings) -> Instrument:
        from station.emulator import EmulatedGauge
        from station.instruments.simulated import SimulatedInstrument

        if not isinstance(device, EmulatedGauge):
            raise InstrumentError(
                f"instrument {s.name!r} is simulated and the bus is real hardware",
                next_step="configure real instruments for this socket",
            )
        return SimulatedInstrument(s, device)

    return open_simulated

"""The reference instruments of a socket for one run: from the instrument file the station
configuration names, or simulated on the emulated pack when there is none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from station.config import StationConfig
from station.instruments.bench import (
    Bench,
    InstrumentFile,
    load_instrument_file,
    open_bench,
    simulated_settings,
)
from station.instruments.manual import Ask
from station.instruments.model import (
    Instrument,
    InstrumentError,
    InstrumentSettings,
    Measurand,
)

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
    name = socket or config.socket
    own = socket_instrument(config, name)
    if config.instruments:
        settings = _settings_for(load_instrument_file(Path(config.instruments)), name, own)
    elif own:
        raise InstrumentError(
            f"socket {name} names instrument {own!r} and no instrument file is configured",
            next_step="set `instruments` in the station configuration to the file that "
            f"defines {own!r}, or remove `instrument` from socket {name}",
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


def socket_instrument(config: StationConfig, socket: str) -> str:
    """The instrument the socket's ``[[sockets]]`` table names ("" for none)."""
    for sock in config.sockets:
        if sock.id == socket:
            return sock.instrument
    return ""


def _settings_for(
    file: InstrumentFile, socket: str, own: str
) -> dict[Measurand, InstrumentSettings]:
    """What the file's ``[sockets.ID]`` assigns, with the socket's own instrument (its
    ``[[sockets]] instrument``) giving every quantity it measures: socket B calibrates with
    B's meter even where its table, or the lack of one, says otherwise."""
    if not own:
        return file.for_socket(socket)
    mine = file.instruments.get(own)
    if mine is None:
        known = ", ".join(file.instruments) or "none"
        raise InstrumentError(
            f"socket {socket} names instrument {own!r}, which the instrument file does not "
            f"define (it defines: {known})",
            next_step=f"add an [[instrument]] named {own!r} to the instrument file, or correct "
            f"`instrument` of socket {socket} in the station configuration",
        )
    settings = file.for_socket(socket) if socket in file.sockets else {}
    settings.update(dict.fromkeys(mine.quantities, mine))
    return settings


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

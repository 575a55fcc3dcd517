"""The instruments of one socket, from the instrument file (TOML)::

    [[instrument]]
    name = "dmm-1"
    backend = "scpi"                  # scpi | manual | simulated
    resource = "TCPIP::10.0.0.5::INSTR"
    quantities = ["voltage"]
    model = "34465A"                  # *IDN? must say so (optional)
    serial = "MY59001234"
    due = 2027-03-01                  # calibration due date: refused after it
    commands = { voltage = "MEAS:VOLT:DC? 20,0.001" }   # SCPI overrides (optional)
    windows = { voltage = [10000, 17500] }              # manual: plausible values

    [sockets.A]                       # which instrument gives what at socket A
    voltage = "dmm-1"
    current = "load-1"
    temperature = "thermo-1"

Without a file, a socket on the emulator gets simulated instruments.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from station.instruments.manual import Ask, ManualInstrument
from station.instruments.model import (
    BACKENDS,
    QUANTITIES,
    Instrument,
    InstrumentError,
    InstrumentSettings,
    Measurand,
    Reading,
    check_due,
    read,
)
from station.refusal import Refused


class InstrumentFileError(InstrumentError, Refused):
    """The station refuses an instrument file it cannot use as written."""

    failure_code = "INSTRUMENT_FILE"

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"instrument file {path}: {why}", next_step="correct the file")


@dataclass(frozen=True)
class InstrumentFile:
    instruments: Mapping[str, InstrumentSettings]
    sockets: Mapping[str, Mapping[Measurand, str]]

    def for_socket(self, socket: str) -> dict[Measurand, InstrumentSettings]:
        if socket not in self.sockets:
            raise InstrumentError(
                f"the instrument file assigns no instruments to socket {socket!r}",
                next_step=f"add a [sockets.{socket}] table naming its instruments",
            )
        return {q: self.instruments[name] for q, name in self.sockets[socket].items()}


def _settings(path: str, i: int, raw: Mapping[str, Any]) -> InstrumentSettings:
    where = f"[[instrument]] #{i + 1}"
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InstrumentFileError(path, f"{where} has no name")
    backend = raw.get("backend")
    if backend not in BACKENDS:
        raise InstrumentFileError(path, f"{name}: backend is one of {', '.join(BACKENDS)}")
    quantities = raw.get("quantities", [])
    if not quantities or any(q not in QUANTITIES for q in quantities):
        raise InstrumentFileError(path, f"{name}: quantities lists some of {', '.join(QUANTITIES)}")
    due = raw.get("due")
    if not isinstance(due, dt.date) or isinstance(due, dt.datetime):
        raise InstrumentFileError(
            path, f"{name}: due is its calibration due date, e.g. due = 2027-03-01"
        )
    if backend == "scpi" and not raw.get("resource"):
        raise InstrumentFileError(path, f"{name}: an SCPI instrument needs its VISA resource")
    windows: dict[str, tuple[float, float]] = {}
    for q, w in dict(raw.get("windows", {})).items():
        if q not in QUANTITIES or not isinstance(w, list) or len(w) != 2:
            raise InstrumentFileError(path, f"{name}: windows = {{ {q} = [low, high] }}")
        windows[q] = (float(w[0]), float(w[1]))
    if backend == "manual" and not all(q in windows for q in quantities):
        raise InstrumentFileError(
            path, f"{name}: a manual instrument needs a plausibility window per quantity"
        )
    return InstrumentSettings(
        name=name,
        backend=backend,
        quantities=tuple(cast(Measurand, q) for q in quantities),
        due=due,
        resource=str(raw.get("resource", "")),
        model=str(raw.get("model", "")),
        serial=str(raw.get("serial", "")),
        maker=str(raw.get("maker", "")),
        windows=windows,
        commands={str(k): str(v) for k, v in dict(raw.get("commands", {})).items()},
    )


def load_instrument_file(path: Path) -> InstrumentFile:
    where = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstrumentFileError(where, f"cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InstrumentFileError(where, f"is not valid TOML ({exc})") from None
    instruments: dict[str, InstrumentSettings] = {}
    for i, entry in enumerate(raw.get("instrument", [])):
        s = _settings(where, i, entry)
        if s.name in instruments:
            raise InstrumentFileError(where, f"two instruments are named {s.name!r}")
        instruments[s.name] = s
    sockets: dict[str, dict[Measurand, str]] = {}
    for socket, table in dict(raw.get("sockets", {})).items():
        roles: dict[Measurand, str] = {}
        for q, name in dict(table).items():
            if q not in QUANTITIES:
                raise InstrumentFileError(where, f"[sockets.{socket}] {q}: not a quantity")
            if name not in instruments:
                raise InstrumentFileError(where, f"[sockets.{socket}] {q}: no instrument {name!r}")
            if q not in instruments[name].quantities:
                raise InstrumentFileError(where, f"{name} does not give {q}")
            roles[cast(Measurand, q)] = name
        sockets[str(socket)] = roles
    return InstrumentFile(instruments, sockets)


#: Opens an instrument of the ``simulated`` backend (bound to an emulated pack by the caller).
OpenSimulated = Callable[[InstrumentSettings], Instrument]


class Bench:
    """The instruments of one socket, opened; ``today`` decides what is past due."""

    def __init__(self, instruments: Mapping[Measurand, Instrument], today: dt.date) -> None:
        self.instruments = dict(instruments)
        self.today = today

    def instrument(self, quantity: Measurand) -> Instrument:
        if quantity not in self.instruments:
            raise InstrumentError(
                f"no {quantity} instrument is assigned to this socket",
                next_step="assign one in the instrument file, or take that item out of the "
                "recipe's [calibration]",
            )
        return self.instruments[quantity]

    def read(self, quantity: Measurand) -> Reading:
        return read(self.instrument(quantity), quantity, self.today)

    def set_current(self, ma: float) -> None:
        self.instrument("current").set_current(ma)

    def check_due(self) -> None:
        """Refuse now, before anything is measured, if any instrument is past due."""
        for instrument in self.instruments.values():
            check_due(instrument.settings, self.today)

    def close(self) -> None:
        seen: set[int] = set()
        for instrument in self.instruments.values():
            if id(instrument) not in seen:
                seen.add(id(instrument))
                instrument.close()


def open_bench(
    settings: Mapping[Measurand, InstrumentSettings],
    *,
    today: dt.date,
    simulated: OpenSimulated | None = None,
    ask: Ask | None = None,
    visa_library: str = "@py",
) -> Bench:
    """Open each instrument once (one instrument may give several quantities)."""
    opened: dict[str, Instrument] = {}
    out: dict[Measurand, Instrument] = {}
    for quantity, s in settings.items():
        if s.name not in opened:
            opened[s.name] = _open(s, simulated=simulated, ask=ask, visa_library=visa_library)
        out[quantity] = opened[s.name]
    return Bench(out, today)


def _open(
    s: InstrumentSettings,
    *,
    simulated: OpenSimulated | None,
    ask: Ask | None,
    visa_library: str,
) -> Instrument:
    if s.backend == "scpi":
        from station.instruments.scpi import ScpiInstrument

        return ScpiInstrument(s, visa_library=visa_library)
    if s.backend == "manual":
        if ask is None:
            raise InstrumentError(
                f"instrument {s.name!r} is read by the operator, and nobody can be asked here",
                next_step="run from the operator terminal or a terminal that can prompt",
            )
        return ManualInstrument(s, ask)
    if simulated is None:
        raise InstrumentError(
            f"instrument {s.name!r} is simulated, and only an emulated pack has true values",
            next_step="use --bus sim, or configure a real instrument",
        )
    return simulated(s)


def simulated_settings(today: dt.date) -> dict[Measurand, InstrumentSettings]:
    """The demo's instruments when there is no instrument file: one simulated per quantity,
    due a year from today."""
    due = today.replace(year=today.year + 1)
    return {
        q: InstrumentSettings(name=f"sim-{q}", backend="simulated", quantities=(q,), due=due)
        for q in QUANTITIES
    }

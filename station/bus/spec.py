"""One spec string chooses a bus everywhere (``--bus`` on the CLI, ``bus =`` in the config).

* ``/dev/i2c-N``: a Linux i2c-dev adapter through smbus2 (SBC pins, CP2112, MCP2221, ...).
* ``sim`` or ``sim:SCENARIO[?state=PATH&seed=N&realtime=F]``: the built-in BQ40Z50 emulator.
* ``package.module:callable``: a callable returning an object with smbus2's ``i2c_rdwr``
  (third-party adapters).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from station.bus.errors import BusOpenError
from station.bus.lock import AdapterLock
from station.bus.transport import I2CBus
from station.clock import Clock, RealClock, VirtualClock

DEFAULT_SPEED_HZ = 100_000
_PLUGIN = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


@dataclass(frozen=True)
class BusSpec:
    """A parsed bus spec."""

    kind: str  # "i2c-dev" | "sim" | "plugin"
    target: str  # device path, scenario name, or "module:callable"
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""


@dataclass
class OpenedBus:
    """An open bus with the clock its waits must use."""

    spec: BusSpec
    bus: I2CBus
    clock: Clock
    emulated: bool
    #: The emulator object when ``emulated`` (tests and engineer tools inspect it), else None.
    device: Any = None
    _close: Callable[[], None] | None = None
    #: The adapter's lock: its own unless a registry gave it the one its adapter shares.
    lock: AdapterLock = field(default_factory=AdapterLock)

    @property
    def description(self) -> str:
        return self.spec.text

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def parse_bus_spec(text: str) -> BusSpec:
    """Parse a bus spec, refusing anything ambiguous with a message that shows the three forms."""
    spec = text.strip()
    if not spec:
        raise BusOpenError(_usage("the bus spec is empty"))
    if spec.startswith("/"):
        return BusSpec("i2c-dev", spec, {}, spec)
    if spec == "sim" or spec.startswith(("sim:", "sim?")):
        rest = spec[3:]
        query = ""
        if "?" in rest:
            rest, query = rest.split("?", 1)
        scenario = rest[1:] if rest.startswith(":") else rest
        options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=False))
        unknown = set(options) - {"state", "seed", "realtime", "hpe"}
        if unknown:
            raise BusOpenError(
                f"bus spec {spec!r}: unknown emulator option(s) {sorted(unknown)}; "
                "allowed: state=PATH, seed=N, realtime=FACTOR, hpe=0|1"
            )
        if options.get("hpe", "0") not in ("0", "1"):
            raise BusOpenError(
                f"bus spec {spec!r}: hpe is 1 (the pack appends PEC to its answers: SBS "
                "Configuration HPE set) or 0"
            )
        parsed = BusSpec("sim", scenario or "default", options, spec)
        _sim_numbers(parsed)
        return parsed
    if _PLUGIN.match(spec):
        return BusSpec("plugin", spec, {}, spec)
    raise BusOpenError(_usage(f"{spec!r} is not a bus spec"))


def _usage(problem: str) -> str:
    return (
        f"{problem}. Use /dev/i2c-N for a Linux I2C adapter, sim or sim:SCENARIO for the "
        "emulator, or package.module:callable for a third-party adapter"
    )


def open_bus(text: str, *, speed_hz: int = DEFAULT_SPEED_HZ) -> OpenedBus:
    """Open the bus a spec names."""
    spec = parse_bus_spec(text)
    if spec.kind == "i2c-dev":
        return _open_i2c_dev(spec)
    if spec.kind == "sim":
        return _open_sim(spec, speed_hz)
    return _open_plugin(spec)


def _open_i2c_dev(spec: BusSpec) -> OpenedBus:
    from smbus2 import SMBus
    from smbus2.smbus2 import I2cFunc

    path = spec.target
    try:
        smbus = SMBus(path)
    except FileNotFoundError:
        raise BusOpenError(
            f"no I2C adapter at {path}: load i2c-dev (modprobe i2c-dev), check the adapter is "
            "plugged in, and list adapters with i2cdetect -l"
        ) from None
    except PermissionError:
        raise BusOpenError(
            f"permission denied on {path}: the station user must be in the i2c group "
            "(deploy/ installs a udev rule for this); log out and in after adding it"
        ) from None
    except OSError as exc:
        raise BusOpenError(f"cannot open {path}: {exc.strerror}") from None
    if not smbus.funcs & I2cFunc.I2C:
        smbus.close()
        raise BusOpenError(
            f"the adapter at {path} cannot do raw I2C transfers (i2c_rdwr), which the BQ40Z50's "
            "34-byte data-flash blocks need; use an adapter with I2C_FUNC_I2C (CP2112, MCP2221, "
            "SBC I2C pins)"
        )
    return OpenedBus(spec, smbus, RealClock(), emulated=False, _close=smbus.close)


#: The emulator slowed down at most this much (a run models about 1.3 s of bus time).
MAX_REALTIME = 100.0


def _sim_numbers(spec: BusSpec) -> tuple[float, int | None]:
    """The emulator's realtime factor and seed, checked (a huge or infinite factor would make
    every wait sleep for ever)."""
    try:
        realtime = float(spec.options.get("realtime", "0"))
        seed = int(spec.options["seed"]) if "seed" in spec.options else None
    except ValueError:
        realtime, seed = float("nan"), None
    if not 0.0 <= realtime <= MAX_REALTIME:  # also refuses nan
        raise BusOpenError(
            f"bus spec {spec.text!r}: seed is a whole number, realtime a factor from 0 to "
            f"{MAX_REALTIME:g}"
        )
    return realtime, seed


def _open_sim(spec: BusSpec, speed_hz: int) -> OpenedBus:
    from station.emulator import EmulatorStateError, open_emulator

    realtime, seed = _sim_numbers(spec)
    state = Path(spec.options["state"]) if spec.options.get("state") else None
    clock = VirtualClock(realtime_factor=realtime)
    try:
        hpe = spec.options.get("hpe")
        device = open_emulator(
            spec.target,
            clock=clock,
            speed_hz=speed_hz,
            state_path=state,
            seed=seed,
            host_pec=None if hpe is None else hpe == "1",
        )
    except KeyError as exc:
        raise BusOpenError(f"bus spec {spec.text!r}: {exc.args[0]}") from None
    except EmulatorStateError as exc:
        raise BusOpenError(f"bus spec {spec.text!r}: {exc}") from None
    except OSError as exc:
        raise BusOpenError(
            f"bus spec {spec.text!r}: the emulator state file cannot be written "
            f"({exc.strerror or exc}); give a path in a folder the station may write to"
        ) from None
    return OpenedBus(spec, device, clock, emulated=True, device=device, _close=device.close)


def _open_plugin(spec: BusSpec) -> OpenedBus:
    module_name, attr_path = spec.target.split(":", 1)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise BusOpenError(f"bus plugin module {module_name!r} cannot be imported: {exc}") from None
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise BusOpenError(
                f"bus plugin {spec.text!r}: {module_name} has no {attr_path}"
            ) from None
    if not callable(target):
        raise BusOpenError(f"bus plugin {spec.text!r} is not callable")
    bus = target()
    if not callable(getattr(bus, "i2c_rdwr", None)):
        raise BusOpenError(
            f"bus plugin {spec.text!r} returned {type(bus).__name__}, which has no i2c_rdwr method"
        )
    clock = getattr(bus, "clock", None)
    if clock is None or not callable(getattr(clock, "sleep", None)):
        clock = RealClock()
    close = getattr(bus, "close", None)
    # A third-party simulator may declare itself; anything else is treated as real hardware.
    emulated = getattr(bus, "emulated", False) is True
    return OpenedBus(
        spec,
        bus,
        clock,
        emulated=emulated,
        device=bus if emulated else None,
        _close=close if callable(close) else None,
    )

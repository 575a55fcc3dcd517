"""``station gauge ...``: engineer commands for one BQ40Z50 on a bus.

Each command opens the bus, does one job and closes it. Commands that need a security mode enter it
with a key set from the key store (never from the command line) and put the gauge back in the mode
they found it in.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from station.bus import SMBusTransport
from station.bus.spec import open_bus
from station.cli.common import (
    NEW_FILE,
    UsageProblem,
    bus_option,
    config_option,
    echo,
    handle_errors,
    keys_option,
    load_key_store,
    load_station_config,
    path_option,
)
from station.config import StationConfig
from station.gauge import (
    DataFlashRangeError,
    DataFlashRegion,
    Gauge,
    GaugeError,
    MacCommand,
    MacKind,
    SecurityMode,
    parse_mac,
)
from station.gauge import mac as macs
from station.gauge.identity import parse_firmware_version
from station.gauge.security import KEY_MACS, keyless_bus_trace
from station.gauge.status import decode_status
from station.keys import TI_DEFAULT_ID, KeySet

P = ParamSpec("P")
R = TypeVar("R")

#: Status words shown by ``info``, read through MAC so they work SEALED.
INFO_STATUS = ("OperationStatus", "SafetyStatus", "PFStatus", "ManufacturingStatus")
#: MAC commands the engineer CLI will not send: they would put keys on the screen.
NOT_FROM_CLI = KEY_MACS


class HexInt(click.ParamType[int, Any]):
    """An integer written in hex (0x4000) or decimal."""

    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip(), 0)
        except ValueError:
            self.fail(f"{value!r} is not a number (hex like 0x4000 or decimal)", param, ctx)


def connection(f: Callable[P, R]) -> Callable[P, R]:
    """--bus, --pec auto/on/off, --config and --keys."""
    return bus_option(config_option(keys_option(f)))


def key_set_option(default: str | None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    help_text = "Key set from the key store used to enter the mode the command needs" + (
        f" (default: {default})." if default else "."
    )
    return click.option("--key-set", "key_set_id", default=default, metavar="ID", help=help_text)


@dataclass(frozen=True)
class GaugeAccess:
    """What every command on one gauge is given: --bus, --pec, --config, --keys, --key-set."""

    bus: str | None
    pec: str | None
    config_path: Path | None
    keys_path: Path | None
    key_set_id: str | None = None

    def connect(self) -> AbstractContextManager[Session]:
        return connect(self.bus, self.pec, self.config_path, self.keys_path, self.key_set_id)

    def config(self, **flags: Any) -> StationConfig:
        """The effective configuration with this command's --bus and --pec (and ``flags``)."""
        return load_station_config(self.config_path, bus=self.bus, pec=self.pec, **flags)


def gauge_access(
    default_key_set: str | None = None, *, key_set: bool = True
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """The options of a command on one gauge (--key-set only with ``key_set``), handed to the
    command as one ``access: GaugeAccess``."""

    def decorate(f: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(f)
        def command(
            *args: Any,
            bus: str | None,
            pec: str | None,
            config_path: Path | None,
            keys_path: Path | None,
            key_set_id: str | None = None,
            **kwargs: Any,
        ) -> R:
            access = GaugeAccess(bus, pec, config_path, keys_path, key_set_id)
            return f(*args, access=access, **kwargs)

        with_connection = connection(command)
        return key_set_option(default_key_set)(with_connection) if key_set else with_connection

    return decorate


@dataclass
class Session:
    config: StationConfig
    gauge: Gauge
    keys: KeySet | None
    #: the emulated pack behind the bus (None on hardware)
    device: Any = None


@contextmanager
def connect(
    bus: str | None,
    pec: str | None,
    config_path: Path | None,
    keys_path: Path | None,
    key_set_id: str | None = None,
) -> Iterator[Session]:
    """Configuration and keys first (a mistake there exits 2 before the pack is touched), then the
    bus, the transport and the driver; the bus is closed on the way out."""
    config = load_station_config(config_path, bus=bus, pec=pec)
    keys = load_key_store(config, keys_path).get(key_set_id) if key_set_id else None
    try:
        opened = open_bus(config.bus, speed_hz=config.bus_speed_hz)
    except ImportError as exc:
        raise UsageProblem(f"bus {config.bus!r} cannot be opened: {exc}") from None
    trace = keyless_bus_trace(Path(config.bus_trace)) if config.bus_trace else None
    try:
        transport = SMBusTransport(
            opened.bus,
            opened.clock,
            trace=trace.session(_trace_header(config, opened.description)) if trace else None,
        )
        gauge = Gauge(transport, clock=opened.clock)
        gauge.establish_pec(config.pec)
        yield Session(config, gauge, keys, opened.device if opened.emulated else None)
    finally:
        opened.close()
        if trace is not None:
            trace.close()


def _trace_header(config: StationConfig, bus: str) -> str:
    command = click.get_current_context(silent=True)
    name = command.command_path if command is not None else "station gauge"
    return f"{name} at station {config.station_id}, bus {bus}, PEC setting {config.pec}"


@contextmanager
def in_mode(session: Session, needed: SecurityMode) -> Iterator[SecurityMode]:
    """Enter ``needed`` (or better) for the body, then go back to the mode found."""
    gauge = session.gauge
    found = gauge.security_mode()
    if _rank(found) < _rank(needed):
        keys = _keys(session)
        if needed is SecurityMode.FULL_ACCESS:
            gauge.full_access(keys)
        else:
            gauge.unseal(keys)
        echo(f"entered {gauge.security_mode().label} with key set {keys.id!r}", err=True)
    ok = False
    try:
        yield found
        ok = True
    finally:
        try:
            _restore(session, found)
        except GaugeError as exc:
            if ok:
                raise
            echo(f"WARNING: could not put the gauge back to {found.label}: {exc}", err=True)


def _restore(session: Session, found: SecurityMode) -> None:
    gauge = session.gauge
    now = gauge.security_mode()
    if now is found:
        return
    if _rank(now) > _rank(found):
        gauge.seal()
        if found is SecurityMode.UNSEALED:
            gauge.unseal(_keys(session))
    echo(f"gauge put back to {gauge.security_mode().label}", err=True)


def _rank(mode: SecurityMode) -> int:
    return {SecurityMode.SEALED: 0, SecurityMode.UNSEALED: 1, SecurityMode.FULL_ACCESS: 2}[mode]


def _keys(session: Session) -> KeySet:
    if session.keys is None:
        raise UsageProblem("this command needs a key set: pass --key-set ID")
    return session.keys


def register(group: click.Group) -> None:
    from station.cli.calibrate import calibrate

    gauge.add_command(calibrate)
    group.add_command(gauge)


@click.group("gauge")
def gauge() -> None:
    """Engineer commands for one BQ40Z50: identity, status, MAC, security, data flash."""


# -- info ----------------------------------------------------------------------------------------


def _line(label: str, value: object) -> None:
    echo(f"{label:<22}{value}")


@gauge.command("info")
@gauge_access(key_set=False)
@handle_errors
def info(
    access: GaugeAccess,
) -> None:
    """Identity, security mode, live measurements and decoded status words."""
    with access.connect() as session:
        g = session.gauge
        ident = g.identify()
        _line(
            "Bus",
            session.config.bus
            + (" (PEC on: the gauge appends it)" if session.gauge.pec else " (PEC off)"),
        )
        _line("Device type", f"{ident.device_type_hex} ({ident.part})")
        _line("Firmware version", str(ident.firmware))
        _line("Hardware version", f"0x{ident.hardware_version:04X}")
        _line("ChemID", f"0x{ident.chem_id:04X}")
        _line("Security mode", g.security_mode().label)
        _line("Voltage", g.voltage())
        for number, cell in enumerate(g.cell_voltages(), start=1):
            _line(f"Cell {number} voltage", cell)
        _line("Current", g.current())
        _line("Temperature", g.temperature())
        for name in INFO_STATUS:
            _line(name, g.status(name).describe())


# -- mac -----------------------------------------------------------------------------------------


def _known_macs() -> str:
    return ", ".join(c.name for c in macs.MAC_COMMANDS.values() if c.code not in NOT_FROM_CLI)


@gauge.command("mac")
@click.argument("command")
@click.option("--yes", is_flag=True, help="Do not ask before commands that change the pack.")
@gauge_access(TI_DEFAULT_ID)
@handle_errors
def mac(
    command: str,
    yes: bool,
    access: GaugeAccess,
) -> None:
    """Send one ManufacturerAccess command by NAME or CODE (e.g. DeviceType, 0x0021).

    Commands that change the pack (FET control, gauging, shutdown, seal, reset, toggles) ask for
    confirmation unless --yes. A command the current security mode refuses is run in the mode it
    needs (entered with --key-set), and the gauge is put back afterwards.
    """
    try:
        spec = parse_mac(command)
    except KeyError as exc:
        raise UsageProblem(f"{exc.args[0]}; known: {_known_macs()}") from None
    if spec.code in NOT_FROM_CLI or spec.kind is MacKind.WRITE:
        raise UsageProblem(
            f"{spec.label} is not available from the command line: keys never leave the key store"
        )
    if spec.changes_pack and not yes:
        what = f" ({spec.description})" if spec.description else ""
        click.confirm(f"{spec.label} changes the pack{what}. Send it?", abort=True)
    with access.connect() as session:
        _run_mac(session, spec)


def _run_mac(session: Session, spec: MacCommand) -> None:
    g = session.gauge
    if spec.code == macs.SEAL:
        g.seal()
        _line("Security mode", g.security_mode().label)
        return
    if spec.code == macs.DEVICE_RESET:
        _line("Security mode after reset", g.reset().label)
        return
    if spec.code == macs.SHUTDOWN:
        g.shutdown()
        g.wait_silent()
        echo("the gauge is silent (ship mode); charger voltage wakes it")
        return
    op = "r" if spec.kind is MacKind.READ else "w"
    needed = _lowest(spec.access.modes_for(op))
    with in_mode(session, needed):
        if spec.kind is MacKind.READ:
            _show_mac_read(g, spec)
        else:
            g.mac_command(spec.code)
            echo(f"sent {spec.label}")
            _line("ManufacturingStatus", g.status("ManufacturingStatus").describe())
            _line("OperationStatus", g.status("OperationStatus").describe())


def _lowest(modes: tuple[SecurityMode, ...]) -> SecurityMode:
    if not modes:
        raise UsageProblem("no security mode allows this command")
    return min(modes, key=_rank)


def _show_mac_read(g: Gauge, spec: MacCommand) -> None:
    if spec.needs_wait:
        _line(spec.name, g.signature(spec.code))
        return
    data = g.mac_read(spec.code)
    _line("Raw", data.hex(" ") or "(empty)")
    number = int.from_bytes(data, "little")
    if spec.code in macs.STATUS_MACS:
        _line(spec.name, decode_status(spec.name, number).describe())
    elif spec.code == macs.FIRMWARE_VERSION:
        _line(spec.name, parse_firmware_version(data))
    elif len(data) <= 4:
        _line(spec.name, f"0x{number:0{2 * len(data)}X}")


# -- data flash ----------------------------------------------------------------------------------


@gauge.command("read-df")
@path_option("--out", "out", NEW_FILE, "File to write the raw bytes to.", required=True)
@click.option("--start", type=HexInt(), default=None, help="First address (default 0x4000).")
@click.option("--length", type=HexInt(), default=None, help="Bytes to read (default: to 0x5FFF).")
@gauge_access(TI_DEFAULT_ID)
@handle_errors
def read_df(
    out: Path,
    start: int | None,
    length: int | None,
    access: GaugeAccess,
) -> None:
    """Read data flash (raw bytes) into a file; unseals if needed and re-seals afterwards."""
    region = DataFlashRegion()
    first = region.start if start is None else start
    count = region.end - first if length is None else length
    try:
        region.check_read(first, count)
    except DataFlashRangeError as exc:
        raise UsageProblem(str(exc)) from None
    with (
        access.connect() as session,
        in_mode(session, SecurityMode.UNSEALED),
    ):
        data = session.gauge.read_df(first, count)
    out.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    echo(
        f"read {len(data)} bytes of data flash 0x{first:04X}-0x{first + count - 1:04X} into "
        f"{out} (sha256 {digest})"
    )


# -- security ------------------------------------------------------------------------------------


@gauge.command("unseal")
@gauge_access(TI_DEFAULT_ID)
@handle_errors
def unseal(
    access: GaugeAccess,
) -> None:
    """Unseal the gauge with a key set from the key store (stays unsealed)."""
    with access.connect() as session:
        _line("Security mode", session.gauge.unseal(_keys(session)).label)


@gauge.command("full-access")
@gauge_access(TI_DEFAULT_ID)
@handle_errors
def full_access(
    access: GaugeAccess,
) -> None:
    """Enter FULL ACCESS (unsealing first if needed) with a key set from the key store."""
    with access.connect() as session:
        _line("Security mode", session.gauge.full_access(_keys(session)).label)


@gauge.command("seal")
@gauge_access(key_set=False)
@handle_errors
def seal(
    access: GaugeAccess,
) -> None:
    """Seal the gauge (MAC 0x0030) and confirm it reads SEALED."""
    with access.connect() as session:
        session.gauge.seal()
        _line("Security mode", session.gauge.security_mode().label)


@gauge.command("reset")
@gauge_access(None)
@handle_errors
def reset(
    access: GaugeAccess,
) -> None:
    """Reset the gauge (MAC 0x0041) and show its security mode afterwards.

    With --key-set, a gauge that the reset left in a lower mode is put back in the mode it had.
    """
    with access.connect() as session:
        g = session.gauge
        before = g.security_mode()
        after = g.reset()
        _line("Security mode after reset", after.label)
        if session.keys is not None and _rank(after) < _rank(before):
            if before is SecurityMode.FULL_ACCESS:
                g.full_access(session.keys)
            else:
                g.unseal(session.keys)
            _line("Security mode restored", g.security_mode().label)


# -- emulator ------------------------------------------------------------------------------------


@gauge.command("scenarios")
@handle_errors
def scenarios() -> None:
    """List the emulator scenarios (use one with --bus sim:NAME)."""
    try:
        emulator = importlib.import_module("station.emulator")
    except ImportError as exc:
        raise UsageProblem(f"the emulator is not available: {exc}") from None
    found = getattr(emulator, "SCENARIOS", None)
    if found is None:
        raise UsageProblem("this emulator does not list its scenarios")
    items: Mapping[str, Any] = found if isinstance(found, Mapping) else {str(s): s for s in found}
    for name in sorted(items):
        echo(f"{name:<20}{_describe(items[name])}")


def _describe(scenario: object) -> str:
    if isinstance(scenario, str):
        return scenario
    for attr in ("description", "summary", "help"):
        text = getattr(scenario, attr, None)
        if isinstance(text, str):
            return text
    doc = getattr(scenario, "__doc__", None)
    return doc.strip().splitlines()[0] if isinstance(doc, str) and doc.strip() else ""

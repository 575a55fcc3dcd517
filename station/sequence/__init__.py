"""The programming sequence: one pack on one socket, and the station service the faces use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from station.bus.adapters import AdapterRegistry
from station.bus.spec import OpenedBus, parse_bus_spec
from station.config import ConfigError, StationConfig
from station.gauge.security import keyless_bus_trace
from station.keys import KeyStore
from station.recipe.profile.library import ProfileLibrary
from station.sequence.guards import EmulationRefused, refuse_emulation_on_production
from station.sequence.line import LineStation
from station.sequence.recipes import RecipeLibrary, shipped_recipes_dir
from station.sequence.releases import release
from station.sequence.shifts import ShiftRefused
from station.sequence.socket_context import SocketContext
from station.sequence.sockets import check_sockets
from station.store import Store

__all__ = ["LineStation", "ShiftRefused", "open_service"]


def open_service(
    config: StationConfig,
    *,
    keys_path: Path | None = None,
    demo: bool = False,
    bus_factory: Callable[[], OpenedBus] | None = None,
    runs_packs: bool = True,
    adapters: AdapterRegistry | None = None,
) -> LineStation:
    """Everything a station socket needs, checked before the first pack: key store (private),
    database (reachable, migrated; attempts of a dead process marked INTERRUPTED; declared a
    production database when the configuration says so), recipes. With ``[[sockets]]``, the
    socket ``config.socket`` names (else the first); the others get their own station from
    :func:`station.sequence.sockets.socket_stations`.

    ``demo`` (emulator only, never on a production database) releases the shipped example
    recipes so the line can start at once, and gives the demo badges their PIN. With
    ``runs_packs`` an emulated bus on a production database is refused here, before anything.
    ``adapters`` is the station's adapter registry (tests and benchmarks pass one on virtual
    time); by default a new one.
    """
    if config.sockets:
        # A face that runs one socket runs the one ``socket`` names, else the first.
        check_sockets(config)
        ids = config.socket_ids()
        config = config.for_socket(config.socket if config.socket in ids else ids[0])
    if demo and parse_bus_spec(config.bus).kind != "sim":
        raise ConfigError(
            f"--demo runs on the emulator only (bus = {config.bus!r}); real packs run released "
            "recipes: drop --demo"
        )
    key_file = keys_path or (Path(config.keys) if config.keys else None)
    keys = KeyStore.load(key_file) if key_file is not None else KeyStore.builtin()
    store = Store.open(config.database)
    try:
        return _open(config, store, keys, demo, bus_factory, runs_packs, adapters)
    except BaseException:
        store.close()
        raise


def _open(
    config: StationConfig,
    store: Store,
    keys: KeyStore,
    demo: bool,
    bus_factory: Callable[[], OpenedBus] | None,
    runs_packs: bool,
    adapters: AdapterRegistry | None,
) -> LineStation:
    if config.production:
        store.mark_production(by="station configuration", station=config.station_id)
    trace = keyless_bus_trace(Path(config.bus_trace)) if config.bus_trace else None
    socket = SocketContext(
        config,
        store,
        keys,
        bus_factory=bus_factory,
        bus_trace=trace,
        adapters=adapters or AdapterRegistry(),
    )
    if runs_packs or demo:
        try:
            refuse_emulation_on_production(socket)
        except EmulationRefused as exc:
            raise ConfigError(
                f"{exc}; use the real bus, or a training database for the emulator"
                + (" (--demo)" if demo else "")
            ) from None
    store.mark_interrupted_stale(socket.host, station=config.station_id)
    folder = Path(config.recipes)
    if demo and not folder.is_dir():
        folder = shipped_recipes_dir() or folder
    profiles = ProfileLibrary([Path(config.profiles)] if config.profiles else [])
    library = RecipeLibrary(folder, profiles)
    if demo:
        for recipe in library.scan():
            needed = {recipe.security.key_set, recipe.security.production_key_set} - {None, ""}
            if not needed <= set(keys.ids()):
                continue  # the demo key store cannot open or key this product: leave it out
            release(
                store,
                recipe,
                by="emulator-demo",
                note="example recipe released by the emulator demo",
                station=config.station_id,
            )
    station = LineStation(socket, library, demo=demo)
    if demo:
        station.rules.give_demo_pins()
    return station

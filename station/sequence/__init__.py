"""The programming sequence: one pack on one socket, and the station service the faces use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from station.bus.adapters import AdapterRegistry
from station.bus.spec import OpenedBus, parse_bus_spec
from station.config import ConfigError, StationConfig
from station.keys import KeyStore
from station.recipe.profile_file import ProfileLibrary
from station.sequence.context import SocketContext
from station.sequence.line import LineStation, ShiftRefused
from station.sequence.recipes import RecipeLibrary, shipped_recipes_dir
from station.sequence.sockets import check_sockets
from station.store import Store

__all__ = ["LineStation", "ShiftRefused", "open_service"]


def open_service(
    config: StationConfig,
    *,
    keys_path: Path | None = None,
    demo: bool = False,
    bus_factory: Callable[[], OpenedBus] | None = None,
    adapters: AdapterRegistry | None = None,
) -> LineStation:
    """Everything a station socket needs, checked before the first pack: key store (private),
    database (reachable, migrated; attempts of a dead process marked INTERRUPTED), recipes.
    With ``[[sockets]]``, the socket ``config.socket`` names (else the first); the others get
    their own station from :func:`station.sequence.sockets.socket_stations`.

    ``demo`` (emulator only) releases the shipped example recipes so the line can start at once.
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
    socket = SocketContext(
        config, store, keys, bus_factory=bus_factory, adapters=adapters or AdapterRegistry()
    )
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
            if not store.is_released(recipe.content_hash):
                store.release_recipe(
                    recipe.name,
                    recipe.version,
                    recipe.content_hash,
                    recipe.canonical_text,
                    "emulator-demo",
                    "example recipe released by the emulator demo",
                    station=config.station_id,
                )
    return LineStation(socket, library, demo=demo)

"""A station socket on the emulator with a SQLite database in tmp_path.

The emulator instance outlives each run (its bus is opened per pack but never closed), so tests
can look into the pack's data flash and security mode afterwards, like a technician with a
second tool would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.bus.spec import BusSpec, OpenedBus
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.keys import KeyStore
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.engine import PackRun
from station.sequence.events import CancelToken, Event, RunResult
from station.sequence.socket_context import SocketContext
from station.store import Store
from tests.databases import backends, fresh_database

REPO = Path(__file__).resolve().parents[2]
RECIPE_4S = REPO / "recipes" / "pk4s3p-3500.toml"


@dataclass
class Bench:
    """One socket with one emulated pack in it."""

    tmp: Path
    store: Store
    socket: SocketContext
    device: EmulatedGauge
    clock: VirtualClock
    recipe: Recipe
    #: the emulated packs append PEC to their answers (SBS Configuration HPE set)
    host_pec: bool = False

    def run(
        self,
        serial: str = "PK4S-000123",
        *,
        recipe: Recipe | None = None,
        events: list[Event] | None = None,
        cancel: CancelToken | None = None,
        on_event: Callable[[Event], None] | None = None,
        rework_by: str | None = None,
    ) -> RunResult:
        rework = None
        if rework_by is not None:
            self.store.authorise_rework(serial, rework_by, "test rework")
            rework = self.store.pending_rework(serial)
        sink = events if events is not None else []

        def record(e: Event) -> None:
            sink.append(e)
            if on_event is not None:
                on_event(e)

        return PackRun(
            self.socket,
            recipe or self.recipe,
            serial,
            "alice",
            lot="LOT-1",
            rework=rework,
            on_event=record,
            cancel=cancel or CancelToken(),
        ).execute()

    def as_real_hardware(self) -> None:
        """From now on the socket's bus says it is not the emulator (the same emulated pack
        behind it): what the station refuses on real packs, it refuses here."""
        real = self.socket.bus_factory
        assert real is not None

        def factory() -> OpenedBus:
            opened = real()
            opened.emulated = False
            return opened

        self.socket.bus_factory = factory

    def new_pack(self, scenario: str = "default") -> None:
        """Put another (fresh) emulated pack into the socket."""
        self.clock = VirtualClock()
        self.device = open_emulator(scenario, clock=self.clock, host_pec=self.host_pec or None)


def make_bench(
    tmp_path: Path,
    scenario: str = "default",
    *,
    keys: KeyStore | None = None,
    printer: str | None = None,
    pec: bool = False,
    database: str | None = None,
    pec_setting: str = "auto",
) -> Bench:
    """``pec``: the pack appends PEC (SBS Configuration HPE set); the station's setting is
    ``pec_setting`` (auto: it finds out at identify)."""
    clock = VirtualClock()
    device = open_emulator(scenario, clock=clock, host_pec=pec or None)
    config = StationConfig(
        station_id="ST-T1",
        bus=f"sim:{scenario}",
        pec=pec_setting,
        database=database or f"sqlite:///{tmp_path}/station.sqlite3",
        printer=printer or f"file:{tmp_path}/labels",
    )
    store = Store.open(config.database)
    bench = Bench(tmp_path, store, None, device, clock, load_recipe(RECIPE_4S), pec)  # type: ignore[arg-type]

    def factory() -> OpenedBus:
        return OpenedBus(
            BusSpec("sim", scenario, {}, config.bus),
            bench.device,
            bench.clock,
            emulated=True,
            device=bench.device,
        )

    bench.socket = SocketContext(config, store, keys or KeyStore.builtin(), bus_factory=factory)
    return bench


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite, and PostgreSQL too when ``STATION_TEST_PG_URL`` is set."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def bench(tmp_path: Path, db_url: str) -> Iterator[Bench]:
    b = make_bench(tmp_path, database=db_url)
    yield b
    b.store.close()

"""Write the README's pictures of the operator terminal: ``docs/screenshots/{pass,fail}.svg``.

They come from the real station on the emulator (sequence engine, gauge driver, emulator, SQLite
store, label files), not from the test fake: what they show is what the station shows.
Run on demand from the repository root: ``.venv/bin/python -m tests.tui.make_screenshots``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from station.config import StationConfig
from station.sequence import open_service
from station.tui import LineOptions, make_app
from tests.tui.helpers import settle, type_and_enter

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZE = (120, 40)


async def shoot(bus: str, serials: list[str], name: str) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        config = StationConfig(
            bus=bus,
            database=f"sqlite:///{tmp}/station.sqlite3",
            printer=f"file:{tmp}/labels",
            labels_dir=f"{tmp}/labels",
        )
        service = open_service(config, keys_path=None, demo=True)
        options = LineOptions(
            recipe="pk4s3p-3500",
            operator="OP-0001",
            lot="WO-2607-A",
            gauge_refresh_s=0,
            ready_poll_s=0,
        )
        app = make_app(service, options)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for serial in serials:
                await type_and_enter(pilot, serial)
                await settle(pilot)
            OUT.mkdir(parents=True, exist_ok=True)
            return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


async def main() -> None:
    print(await shoot("sim", ["PK4S-000121", "PK4S-000122", "PK4S-000123"], "pass"))
    print(await shoot("sim:3-cells", ["PK4S-000202"], "fail"))


if __name__ == "__main__":
    asyncio.run(main())

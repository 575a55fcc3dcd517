"""Write the README's pictures of the operator terminal: ``docs/screenshots/{pass,fail}.svg``.

Run on demand from the repository root: ``.venv/bin/python -m tests.tui.make_screenshots``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.tui.fake_service import CELLS_SERIAL, PASS_SERIAL, FakeStationService, seed_history
from tests.tui.helpers import line_app, settle, type_and_enter

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZE = (120, 40)


async def shoot(serial: str, name: str) -> Path:
    fake = FakeStationService()
    seed_history(fake)
    app = line_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_and_enter(pilot, serial)
        await settle(pilot)
        OUT.mkdir(parents=True, exist_ok=True)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


async def main() -> None:
    for serial, name in ((PASS_SERIAL, "pass"), (CELLS_SERIAL, "fail")):
        print(await shoot(serial, name))


if __name__ == "__main__":
    asyncio.run(main())

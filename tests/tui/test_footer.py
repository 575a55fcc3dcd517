"""The key hints keep no dead keys: the line screen's footer is rebuilt at every phase of every
pack, and a shift must not pile up the keys of earlier rebuilds."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from tests.tui.helpers import scan, settle
from tests.tui.real_station import RealStation, locked_app


async def test_a_footer_rebuilt_for_every_pack_keeps_no_dead_keys(
    station: RealStation,
) -> None:
    app = locked_app(station, bell=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        for n in range(10):
            await scan(pilot, f"PK4S-{n + 1:06d}")
        assert len(station.attempts()) == 10
        gc.collect()
        alive = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        shown = [key for key in alive if key.is_attached]
        dead = len(alive) - len(shown)
        # At most the keys of the one rebuild still being let go, not ten packs' worth.
        assert shown
        assert dead <= len(shown), f"{dead} keys of earlier footers still alive"

"""A shift in one test: 500 packs through the line screen with mixed outcomes and scans during
runs, over an hour of the station's (virtual) clock. No scan is lost, and memory stays flat.

Run it alone to see the figures: ``pytest tests/tui/test_soak.py -s``.
"""

from __future__ import annotations

import gc
import tracemalloc

from station.tui.screens import LineScreen
from tests.tui.fake_service import (
    CELLS_SERIAL,
    NACK_SERIAL,
    SEALED_SERIAL,
    STEP_SECONDS,
    FakeStationService,
)
from tests.tui.helpers import line_app, settle
from tests.tui.test_scanner import burst

PACKS = 500
SHIFT_S = 3600.0


async def test_a_shift_of_500_packs_loses_no_scan_and_keeps_memory_flat() -> None:
    fake = FakeStationService()
    app = line_app(fake, bell=False, history_limit=20)
    per_pack = SHIFT_S / PACKS - sum(STEP_SECONDS.values())
    sent: list[str] = []
    during_runs: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        start = fake.clock.monotonic()
        baseline = 0
        for n in range(PACKS):
            if n == 100:
                gc.collect()
                tracemalloc.start()
                baseline = tracemalloc.get_traced_memory()[0]
            kind = n % 10
            if kind == 7:
                serial = CELLS_SERIAL if n % 20 == 7 else SEALED_SERIAL  # FAIL
            elif kind == 8:
                serial = NACK_SERIAL  # ERROR
            elif kind == 9:
                serial = f"lot-a{n}"  # refused
            else:
                serial = f"PK4S-{n:06d}"  # PASS
            sent.append(serial)
            if kind == 3:
                # A second scan right behind the first, as a scanner fires it: it arrives while
                # the first is checked or run, and must be answered "ignored", whole.
                stray = f"lot-a{n}-stray"
                during_runs.append(stray)
                burst(pilot, f"{serial}\n{stray}\n")
            else:
                burst(pilot, serial + "\n")
            await settle(pilot)
            fake.clock.advance(per_pack)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
        tracemalloc.stop()
        elapsed = fake.clock.monotonic() - start

    answered = [s for s, what in screen.scans if what in ("run", "refused")]
    ignored = [s for s, what in screen.scans if what == "ignored"]
    assert sorted(answered) == sorted(
        sent
    )  # every scan got exactly one run or one refusal, in order
    assert ignored == during_runs  # every scan during a run was answered "ignored"
    assert len(fake.runs) == sum(1 for s in sent if not s.startswith("lot-"))
    assert elapsed >= SHIFT_S
    print(
        f"\nsoak: {PACKS} packs, {len(sent) + len(during_runs)} scans "
        f"({len(during_runs)} during runs), {elapsed / 60:.0f} min of station time, "
        f"memory growth over packs 100-{PACKS}: {grown / 1024:.0f} KiB"
    )
    # The station keeps no per-pack state on screen beyond the shift history it reads back.
    assert grown < 2 * 1024 * 1024

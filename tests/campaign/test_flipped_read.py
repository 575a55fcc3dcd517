"""One flipped bit in one read, over every read of a clean run, without PEC (see ``flipsweep``):
no PASS with data flash unlike the clean run's, and at most 2 % of good packs put aside.

The default run flips each read at one place; STATION_FULL_SWEEP=1 at four places each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.campaign.flipsweep import PACKS, clean_run, sweep
from tests.campaign.harness import full_sweep

MAX_LOST = 0.02


@pytest.mark.parametrize("pack", PACKS)
def test_one_flipped_read_never_passes_wrong_data_and_rarely_loses_a_pack(
    tmp_path: Path, pack: str
) -> None:
    clean = clean_run(pack)
    out = sweep(tmp_path, pack, positions=4 if full_sweep() else 1)
    print(
        f"\n{pack} pack, PEC off: {len(clean.reads)} reads, {out.runs} runs with one read "
        f"flipped: {len(out.wrong_pass)} wrong PASS, {len(out.lost)} lost "
        f"({100 * out.lost_share:.1f} %)"
    )
    assert out.runs >= len(clean.reads)
    assert out.wrong_pass == []
    assert out.lost_share <= MAX_LOST, out.lost

"""Write pacing and retries through the whole run: a gauge that gives no NACK while it programs,
and one that refuses a write a few times, still end in a proven PASS."""

from __future__ import annotations

from pathlib import Path

from station.sequence.events import Outcome
from tests.campaign.harness import observe, recipe_bytes_wrong
from tests.sequence.conftest import make_bench


def test_a_gauge_that_never_nacks_while_programming_gets_paced_writes(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "busy-acks")
    seen = observe(bench)
    assert seen.result.outcome is Outcome.PASS, seen.result.failure
    assert seen.target is not None
    assert recipe_bytes_wrong(bench.device, seen.target) == []


def test_a_write_refused_three_times_is_sent_again_until_it_takes(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.device.faults.df_write_nack_at = {2, 3, 4}  # the second write, refused three times
    result = bench.run()
    assert result.outcome is Outcome.PASS, result.failure
    assert bench.device.stats.df_write_attempts == bench.device.stats.df_writes + 3

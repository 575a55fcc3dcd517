"""Attempts that started at the same instant list in one order wherever the newest are listed:
the one recorded last first (the operator's recent packs, the failures behind a Pareto bar)."""

from __future__ import annotations

from station.store import AttemptOutcome, ReportFilter, Store
from station.store.reader import StoreReader
from tests.store.helpers import WallClock, run_attempt

NEWEST_FIRST = ["PK-23", "PK-22", "PK-21"]


def _three_failures_at_one_instant(store: Store, clock: WallClock) -> None:
    instant = clock()
    for serial in reversed(NEWEST_FIRST):
        clock.t = instant
        run_attempt(store, clock, serial, AttemptOutcome.FAIL, failure_code="CELL_COUNT")


def test_recent_packs_that_started_together_list_the_last_recorded_first(
    store: Store, clock: WallClock
) -> None:
    since = clock()
    _three_failures_at_one_instant(store, clock)
    recent = store.shift_summary("ST-01", since).recent
    assert [p.serial for p in recent] == NEWEST_FIRST


def test_failures_behind_a_bar_list_in_the_same_order_as_recent_packs(
    store: Store, store_url: str, clock: WallClock
) -> None:
    since = clock()
    _three_failures_at_one_instant(store, clock)
    recent = [p.serial for p in store.shift_summary("ST-01", since).recent]
    with StoreReader.open(store_url, now=clock) as reader:
        behind = reader.failed_attempts(ReportFilter(), code="CELL_COUNT")
    assert [a.serial for a in behind] == recent == NEWEST_FIRST

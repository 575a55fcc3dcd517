"""Individuals charts: the figures (mean, moving-range sigma, limits, Cpk), the run rules, and
the points read back from recorded measurements."""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.store import (
    AttemptOutcome,
    MeasurementRecord,
    ReportFilter,
    StepOutcome,
    Store,
)
from station.store.reader import StoreReader
from station.store.spc import chart, control_limits, run_rules
from station.store.views import RunRule
from tests.store.helpers import WallClock, start_record, step


def test_figures_of_a_known_series() -> None:
    values = [10.0, 12.0, 11.0, 13.0, 12.0]
    limits = control_limits(values, lsl=5.0, usl=20.0)
    # moving ranges 2, 1, 2, 1: MR-bar 1.5, sigma 1.5 / 1.128
    sigma = 1.5 / 1.128
    assert limits.mean == pytest.approx(11.6)
    assert limits.sigma == pytest.approx(sigma)
    assert limits.ucl == pytest.approx(11.6 + 3 * sigma)
    assert limits.lcl == pytest.approx(11.6 - 3 * sigma)
    assert limits.overall_sigma == pytest.approx(statistics.stdev(values))
    # the nearer limit decides: (11.6 - 5) / 3 sigma < (20 - 11.6) / 3 sigma
    assert limits.cpk == pytest.approx((11.6 - 5.0) / (3 * sigma))
    assert control_limits(values, usl=20.0).cpk == pytest.approx((20.0 - 11.6) / (3 * sigma))
    assert control_limits(values).cpk is None


def test_no_variation_gives_no_cpk_and_flags_nothing() -> None:
    limits = control_limits([4.0] * 12, lsl=0.0, usl=50.0)
    assert limits.sigma == 0
    assert limits.cpk is None
    assert run_rules([4.0] * 12, limits) == [()] * 12


def test_one_point_has_no_sigma() -> None:
    limits = control_limits([3.0], lsl=1.0)
    assert (limits.n, limits.mean, limits.sigma, limits.ucl, limits.cpk) == (
        1,
        3.0,
        None,
        None,
        None,
    )
    with pytest.raises(ValueError, match="at least one"):
        control_limits([])


def test_a_point_beyond_three_sigma_is_flagged() -> None:
    values = [10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.1, 9.9, 10.0, 14.0, 10.0, 10.1]
    rules = run_rules(values, control_limits(values))
    assert [i for i, r in enumerate(rules) if RunRule.BEYOND_3_SIGMA in r] == [9]


def test_eight_in_a_row_on_one_side_is_flagged_not_seven() -> None:
    below, above = [9.0, 9.5, 9.2, 9.4], [10.6, 10.4, 10.8, 10.5]
    seven = below + above[:3] + [10.7, 10.6, 10.9, 10.5] + below
    eight = below + above + [10.7, 10.6, 10.9, 10.5] + below
    # seven above: the run rule stays quiet (the mean sits between the two groups)
    seven_rules = run_rules(seven, control_limits(seven))
    assert not any(RunRule.EIGHT_ON_ONE_SIDE in r for r in seven_rules)
    eight_rules = run_rules(eight, control_limits(eight))
    flagged = [i for i, r in enumerate(eight_rules) if RunRule.EIGHT_ON_ONE_SIDE in r]
    assert flagged == list(range(4, 12))


def test_a_point_on_the_centre_line_breaks_a_run() -> None:
    # mean exactly 0: the 0 sits on the centre line and splits eight points above into 4 + 4
    values = [1.0] * 4 + [0.0] + [1.0] * 4 + [-1.0] * 8
    limits = control_limits(values)
    assert limits.mean == 0.0
    flagged = [i for i, r in enumerate(run_rules(values, limits)) if RunRule.EIGHT_ON_ONE_SIDE in r]
    assert flagged == list(range(9, 17))


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(deadline=None, max_examples=200)
@given(values=st.lists(finite, min_size=2, max_size=60), shift=finite)
def test_limits_move_with_the_data_and_are_symmetric(values: list[float], shift: float) -> None:
    a = control_limits(values)
    b = control_limits([v + shift for v in values])
    assert a.sigma is not None
    assert b.sigma is not None
    assert b.mean == pytest.approx(a.mean + shift, abs=1e-6)
    assert b.sigma == pytest.approx(a.sigma, rel=1e-6, abs=1e-6)
    assert a.ucl is not None
    assert a.lcl is not None
    assert a.ucl - a.mean == pytest.approx(a.mean - a.lcl, abs=1e-6)


@settings(deadline=None, max_examples=200)
@given(values=st.lists(finite, min_size=2, max_size=60))
def test_every_flag_is_justified(values: list[float]) -> None:
    limits = control_limits(values)
    rules = run_rules(values, limits)
    assert len(rules) == len(values)
    for i, broken in enumerate(rules):
        if RunRule.BEYOND_3_SIGMA in broken:
            assert limits.ucl is not None
            assert limits.lcl is not None
            assert values[i] > limits.ucl or values[i] < limits.lcl
        if RunRule.EIGHT_ON_ONE_SIDE in broken:
            side = math.copysign(1, values[i] - limits.mean)
            # some window of 8 holding i lies strictly on one side
            assert any(
                all(
                    values[j] != limits.mean and math.copysign(1, values[j] - limits.mean) == side
                    for j in range(k, k + 8)
                )
                for k in range(max(0, i - 7), min(i, len(values) - 8) + 1)
            )


def test_chart_marks_points_outside_their_specification() -> None:
    rows = [(n, f"PK-{n}", None, v, 0.0, 50.0) for n, v in enumerate([10.0, 60.0, -1.0, 25.0])]
    c = chart("cell imbalance", "mV", ReportFilter(), rows)  # type: ignore[arg-type]
    assert [p.out_of_spec for p in c.points] == [False, True, True, False]
    assert c.limits is not None
    assert (c.limits.lsl, c.limits.usl) == (0.0, 50.0)
    assert not c.mixed_limits


def _record(store: Store, clock: WallClock, serial: str, temps: list[float], high: float) -> None:
    attempt = store.start_attempt(start_record(serial, started_at=clock()))
    measured = tuple(
        MeasurementRecord("temperature", t, unit="°C", low=10.0, high=high) for t in temps
    )
    other = (MeasurementRecord("cell imbalance", 3.0, unit="mV", low=0.0, high=50.0),)
    store.record_step(attempt, step(clock, 1, "verify", measurements=measured + other))
    store.record_step(attempt, step(clock, 2, "seal", outcome=StepOutcome.FAIL, failure_code="X"))
    store.finish_attempt(attempt, AttemptOutcome.FAIL, failure_code="X")
    clock.advance(seconds=56)  # the two steps took 4 s: one attempt a minute


def test_points_come_back_oldest_first_newest_kept(
    store: Store, store_url: str, clock: WallClock
) -> None:
    for n in range(30):
        _record(store, clock, f"PK-{n:03d}", [20.0 + n], high=45.0)
    _record(store, clock, "PK-TWO", [30.0, 31.0], high=40.0)  # two in one attempt
    store.start_attempt(start_record("PK-NONE", started_at=clock()))  # none recorded yet
    with StoreReader.open(store_url, now=clock) as reader:
        c = reader.spc(ReportFilter(), "temperature", points=12)
        assert [p.value for p in c.points] == [
            40.0,
            41.0,
            42.0,
            43.0,
            44.0,
            45.0,
            46.0,
            47.0,
            48.0,
            49.0,
            30.0,
            31.0,
        ]
        assert [p.serial for p in c.points][-2:] == ["PK-TWO", "PK-TWO"]
        assert c.unit == "°C"
        assert c.mixed_limits  # the last attempt had another upper limit
        assert c.limits is not None
        assert c.limits.usl == 40.0  # the newest point's specification
        assert [p.out_of_spec for p in c.points] == [False] * 6 + [True] * 4 + [False] * 2
        kinds = reader.measurement_kinds(ReportFilter())
        assert [(k.name, k.unit, k.has_limits) for k in kinds] == [
            ("cell imbalance", "mV", True),
            ("temperature", "°C", True),
        ]
        assert reader.spc(ReportFilter(), "no such thing").points == ()
        # attempts started before minute 6: the temperatures 20 to 25
        window = ReportFilter(until=clock() - timedelta(minutes=25))
        assert [p.value for p in reader.spc(window, "temperature", points=3).points] == [
            23.0,
            24.0,
            25.0,
        ]


def test_points_are_collected_over_several_pages_of_attempts(
    store: Store, store_url: str, clock: WallClock
) -> None:
    # 60 attempts all started at the same instant (ties broken by id), one in five with the
    # measurement: the newest 8 values need more than one page of attempts.
    started = clock()
    for n in range(60):
        attempt = store.start_attempt(start_record(f"PK-{n:03d}", started_at=started))
        measured = (
            (MeasurementRecord("temperature", float(n), unit="°C", low=0.0, high=99.0),)
            if n % 5 == 0
            else ()
        )
        store.record_step(attempt, step(clock, 1, "verify", measurements=measured))
    with StoreReader.open(store_url, now=clock) as reader:
        c = reader.spc(ReportFilter(), "temperature", points=8)
    assert [p.value for p in c.points] == [float(n) for n in range(20, 60, 5)]
    assert all(p.started_at == started for p in c.points)

"""Activity baselines: synthetic histories whose right answer is known."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_server.domain.baseline import (
    ANOMALOUS,
    BaselineCell,
    BaselineConfig,
    anomaly,
    anomaly_score,
    hour_of_week,
    observe,
    upper_tail,
    weight_at,
)

UTC = UTC
MONDAY_0800 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
TUESDAY_0300 = datetime(2025, 1, 7, 3, 0, tzinfo=UTC)


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def history(start: datetime, counts: Sequence[float], label: str = "person") -> BaselineCell:
    """One observation a week at the same hour slot, oldest first."""
    cell = BaselineCell("front", hour_of_week(start), label)
    for week, count in enumerate(counts):
        cell = observe(cell, count, start + timedelta(weeks=week))
    return cell


def test_hour_of_week_runs_from_monday_midnight() -> None:
    assert hour_of_week(datetime(2025, 1, 6, 0, 0)) == 0
    assert hour_of_week(MONDAY_0800) == 8
    assert hour_of_week(TUESDAY_0300) == 27
    assert hour_of_week(datetime(2025, 1, 12, 23, 59)) == 167


def test_weekday_morning_crowd_of_five_is_normal_and_thirty_is_not() -> None:
    rng = random.Random(7)
    cell = history(MONDAY_0800, [poisson(rng, 5.0) for _ in range(12)])
    now = MONDAY_0800 + timedelta(weeks=12)
    usual = anomaly(cell, 5, now)
    assert usual.status == "ok"
    assert usual.expected == pytest.approx(5.0, abs=1.5)
    assert usual.anomaly < 0.2
    crowd = anomaly(cell, 30, now)
    assert crowd.anomaly == pytest.approx(1.0)
    assert "30 people at 08:00 on a Monday" in crowd.description


def test_two_people_at_three_in_the_morning_is_anomalous_where_nobody_ever_is() -> None:
    cell = history(TUESDAY_0300, [0] * 8)
    info = anomaly(cell, 2, TUESDAY_0300 + timedelta(weeks=8))
    assert info.status == "ok"
    assert info.anomaly >= ANOMALOUS
    assert info.description.startswith("2 people at 03:00 on a Tuesday; usually none")
    assert anomaly(cell, 0, TUESDAY_0300 + timedelta(weeks=8)).anomaly == 0.0


def test_more_is_never_less_anomalous() -> None:
    cell = history(TUESDAY_0300, [0, 1, 0, 0, 2, 0, 0, 1])
    now = TUESDAY_0300 + timedelta(weeks=8)
    scores = [anomaly(cell, n, now).anomaly for n in range(12)]
    assert scores == sorted(scores)


def test_cold_start_says_no_baseline_instead_of_guessing() -> None:
    cell = history(TUESDAY_0300, [0, 0])
    info = anomaly(cell, 3, TUESDAY_0300 + timedelta(weeks=2))
    assert info.status == "no_baseline"
    assert info.anomaly == 0.0
    assert "no baseline yet" in info.description
    empty = BaselineCell("front", 27, "person")
    assert anomaly(empty, 1, TUESDAY_0300).status == "no_baseline"


def test_minimum_samples_is_configurable() -> None:
    cell = history(TUESDAY_0300, [0, 0])
    eager = BaselineConfig(min_samples=1.0)
    assert anomaly(cell, 3, TUESDAY_0300 + timedelta(weeks=2), eager).status == "ok"


def test_decay_halves_weight_every_half_life() -> None:
    cell = observe(BaselineCell("front", 27, "person"), 1, TUESDAY_0300)
    assert weight_at(cell, TUESDAY_0300 + timedelta(days=30)) == pytest.approx(0.5)
    quick = BaselineConfig(half_life_days=7)
    assert weight_at(cell, TUESDAY_0300 + timedelta(days=14), quick) == pytest.approx(0.25)


def test_a_pattern_from_ninety_days_ago_weighs_little() -> None:
    # Ten people every week long ago, then thirteen quiet weeks (about 90 days).
    start = TUESDAY_0300
    cell = history(start, [10] * 8 + [0] * 13)
    now = start + timedelta(weeks=21)
    # Old weeks carry about 1/8 of their weight: the mean is pulled well below 10 ...
    assert cell.mean < 2.5
    # ... and ten people now is unusual again.
    assert anomaly(cell, 10, now).anomaly >= ANOMALOUS
    # Without decay (a very long half-life) the old pattern would still dominate.
    static = BaselineConfig(half_life_days=100_000)
    cell_static = BaselineCell("front", hour_of_week(start), "person")
    for week, count in enumerate([10] * 8 + [0] * 13):
        cell_static = observe(cell_static, count, start + timedelta(weeks=week), static)
    assert cell_static.mean == pytest.approx(80 / 21, rel=1e-2)


def test_a_late_observation_joins_with_its_own_decayed_weight() -> None:
    cell = observe(BaselineCell("front", 27, "person"), 4, TUESDAY_0300 + timedelta(days=60))
    late = observe(cell, 0, TUESDAY_0300)  # sixty days older: weight 1/4
    assert late.updated_at == cell.updated_at
    assert late.weight == pytest.approx(1.25)
    assert late.mean == pytest.approx(4 / 1.25)


def test_overdispersed_history_widens_what_counts_as_usual() -> None:
    steady = history(MONDAY_0800, [5] * 10)
    bursty = history(MONDAY_0800, [0, 10, 1, 9, 0, 10, 2, 8, 0, 10])
    now = MONDAY_0800 + timedelta(weeks=10)
    assert upper_tail(12, bursty, now) > upper_tail(12, steady, now)
    assert anomaly(bursty, 12, now).anomaly < anomaly(steady, 12, now).anomaly


def test_negative_or_nan_counts_are_refused() -> None:
    cell = BaselineCell("front", 27, "person")
    with pytest.raises(ValueError, match="non-negative"):
        observe(cell, -1, TUESDAY_0300)
    with pytest.raises(ValueError, match="non-negative"):
        observe(cell, float("nan"), TUESDAY_0300)
    with pytest.raises(ValueError, match=r"0\.\.167"):
        BaselineCell("front", 168, "person")


def test_anomaly_score_scale() -> None:
    assert anomaly_score(1.0) == 0.0
    assert anomaly_score(0.1) == pytest.approx(1 / 3)
    assert anomaly_score(0.01) == pytest.approx(2 / 3)
    assert anomaly_score(0.001) == pytest.approx(1.0)
    assert anomaly_score(1e-30) == 1.0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=4, max_size=20),
    st.integers(min_value=0, max_value=200),
)
def test_anomaly_is_bounded_and_the_tail_is_a_probability(counts: list[int], observed: int) -> None:
    cell = history(MONDAY_0800, [float(c) for c in counts])
    now = MONDAY_0800 + timedelta(weeks=len(counts))
    tail = upper_tail(observed, cell, now)
    assert 0.0 < tail <= 1.0
    info = anomaly(cell, observed, now)
    assert 0.0 <= info.anomaly <= 1.0
    assert info.anomaly <= anomaly(cell, observed + 1, now).anomaly + 1e-12
    assert cell.variance >= 0.0

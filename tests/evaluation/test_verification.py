"""Sampled verification: reproducible samples, sample sizes, intervals and their coverage."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.evaluation.verification import (
    error_rate,
    proportion_estimate,
    proportional_allocation,
    ratio_estimate,
    sample_size_for_proportion,
    stratified_sample,
    under_reporting_rate,
    wilson_interval,
)

FRAME = [(f"V{v:02d}", f"H{v:02d}{h:03d}") for v in range(1, 6) for h in range(1, 41)]


def test_same_seed_same_frame_in_any_order_gives_the_same_sample():
    shuffled = FRAME[:]
    random.Random(7).shuffle(shuffled)
    a = stratified_sample(FRAME, 8, seed=2005)
    b = stratified_sample(shuffled, 8, seed=2005)
    assert a == b
    assert all(len(ids) == 8 for ids in a.values())
    assert all(ids == sorted(ids) and all(i.startswith("H" + s[1:]) for i in ids) for s, ids in a.items())


def test_another_seed_gives_another_sample():
    assert stratified_sample(FRAME, 8, seed=1) != stratified_sample(FRAME, 8, seed=2)


def test_small_stratum_is_taken_whole_and_sizes_per_stratum():
    sample = stratified_sample(FRAME + [("V99", "X1")], {"V01": 3, "V99": 5}, seed=1)
    assert sample["V99"] == ["X1"] and len(sample["V01"]) == 3 and sample["V02"] == []


def test_proportional_allocation_largest_remainder():
    # quotas 10×(50, 30, 20)/100 = 5, 3, 2 exactly
    assert proportional_allocation(10, {"a": 50, "b": 30, "c": 20}) == {"a": 5, "b": 3, "c": 2}
    # quotas 7×(1/3 each) = 2.33 → 2, 2, 2, one left to the first code
    assert proportional_allocation(7, {"a": 10, "b": 10, "c": 10}) == {"a": 3, "b": 2, "c": 2}
    # the minimum of 1 reaches a tiny stratum
    assert proportional_allocation(10, {"a": 990, "b": 10})["b"] == 1


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"margin": 0.05}, 385),
        ({"margin": 0.05, "population": 1000}, 278),
        ({"margin": 0.03}, 1068),
        ({"margin": 0.05, "proportion": 0.1}, 139),
        ({"margin": 0.05, "design_effect": 2}, 769),
        ({"margin": 0.05, "population": 50}, 45),
    ],
)
def test_sample_size_for_a_proportion(kwargs, expected):
    assert sample_size_for_proportion(**kwargs) == expected


def test_wilson_interval_hand_values():
    lo, hi = wilson_interval(0, 10)
    z2 = 1.959963984540054**2
    assert lo == 0 and hi == pytest.approx(z2 / (10 + z2))  # 0.2775
    lo, hi = wilson_interval(5, 10)
    half = 1.959963984540054 / (1 + z2 / 10) * math.sqrt(0.025 + z2 / 400)
    assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half))  # centre stays 0.5: (0.2366, 0.7634)
    assert lo == pytest.approx(0.2366, abs=1e-4)


def test_under_reporting_rate_point_estimate_and_interval():
    est = under_reporting_rate([0, 1, 0, 0, 1, 0], [1, 2, 1, 1, 1, 2])
    assert est.rate == pytest.approx(2 / 8)
    assert 0 <= est.lower < est.rate < est.upper <= 1


def test_ratio_estimator_variance_by_hand():
    y, x = [1, 0, 2, 1], [2, 1, 2, 3]
    r = 4 / 8
    d = np.array(y) - r * np.array(x)  # 0, -0.5, 1, -0.5
    se = math.sqrt(4 * d.var(ddof=1)) / 8  # N = n = 4, no fpc: N² s² / n / X̂²
    est = ratio_estimate(y, x)
    assert est.rate == r
    assert est.upper == pytest.approx(r + 1.959963984540054 * se)


def test_stratified_ratio_weights_strata_by_population():
    # stratum A: 2 of 100 households, B: 2 of 10; B's households weigh 10× less
    est = ratio_estimate([1, 1, 0, 0], [1, 1, 1, 1], strata=["A", "A", "B", "B"],
                         stratum_population={"A": 100, "B": 10})
    assert est.rate == pytest.approx(100 / 110)


def test_error_rate_counts_gross_differences():
    est = error_rate(reported=[2, 0, 1], surveyed=[1, 1, 1])
    assert est.rate == pytest.approx(2 / 3)  # |2−1| + |0−1| + 0 over 3, not the net 0


def test_no_true_events_gives_no_rate():
    assert under_reporting_rate([0, 0], [0, 0]).rate is None


def test_invalid_counts_are_refused():
    with pytest.raises(ValueError, match="missed"):
        under_reporting_rate([2], [1])


def _coverage_of_ratio(rate: float, households: int, replications: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(replications):
        true_events = rng.integers(1, 4, size=households)  # 1–3 births per sampled household
        missed = rng.binomial(true_events, rate)
        est = under_reporting_rate(missed, true_events)
        hits += est.lower <= rate <= est.upper
    return hits / replications


def test_ratio_interval_covers_the_true_rate_about_95_percent_of_the_time():
    coverage = _coverage_of_ratio(0.08, households=300, replications=400, seed=20050930)
    assert 0.91 <= coverage <= 0.99


def test_wilson_interval_covers_the_true_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(2005)
    draws = rng.binomial(200, 0.05, size=400)
    coverage = np.mean([lo <= 0.05 <= hi for lo, hi in (wilson_interval(int(k), 200) for k in draws)])
    assert 0.91 <= coverage <= 0.99


@given(st.integers(0, 50), st.integers(1, 50))
@settings(max_examples=100, deadline=None)
def test_wilson_interval_contains_the_observed_proportion(k, extra):
    n = k + extra
    lo, hi = wilson_interval(k, n)
    assert 0 <= lo <= k / n <= hi <= 1
    assert proportion_estimate(k, n).rate == k / n


def test_a_sample_that_saw_no_omission_still_has_an_interval():
    """400 births seen in 200 households, none missed: 0 % with Wilson's upper bound z²/(n + z²)
    (about 0.95 % at n = 400), not the degenerate 0 % ± 0 of the linearised variance."""
    missed = [0] * 200
    found = [2] * 200
    est = under_reporting_rate(missed, found)
    z = 1.959963984540054
    assert est.rate == 0 and est.lower == 0
    assert est.upper == pytest.approx(z * z / (400 + z * z))
    assert "Wilson" in est.method
    # all missed: the upper bound is 1 and the lower bound Wilson's
    est = under_reporting_rate(found, found)
    assert est.rate == 1 and est.upper == 1 and est.lower == pytest.approx(400 / (400 + z * z))

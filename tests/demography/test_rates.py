"""Rates: fertility, crude rates, sex ratio at birth, age structure — hand-computed values and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.demography import rates

FIVE_YEAR_ASFR = np.array([0.02, 0.10, 0.12, 0.08, 0.04, 0.01, 0.002])  # 15–19 … 45–49


def test_tfr_of_a_five_year_schedule_is_five_times_the_sum():
    # 5 × (0.02 + 0.10 + 0.12 + 0.08 + 0.04 + 0.01 + 0.002) = 5 × 0.372
    assert rates.total_fertility_rate(FIVE_YEAR_ASFR, width=5) == pytest.approx(1.86)


def test_single_year_and_five_year_tfr_agree_when_rates_are_flat_within_groups():
    women = np.zeros(101)
    women[15:50] = 200.0
    births = np.zeros(101)
    births[15:50] = np.repeat(FIVE_YEAR_ASFR, 5) * 200.0
    asfr1 = rates.age_specific_fertility_rates(births, women)
    assert rates.total_fertility_rate(asfr1[15:50]) == pytest.approx(1.86)
    asfr5 = rates.five_year_fertility_rates(births, women)
    np.testing.assert_allclose(asfr5, FIVE_YEAR_ASFR)


def test_mean_age_at_childbearing_uses_group_mid_points():
    # Σ (x + 2.5)·f / Σ f = (17.5·.02 + 22.5·.1 + 27.5·.12 + 32.5·.08 + 37.5·.04 + 42.5·.01 + 47.5·.002) / .372
    expected = 10.52 / 0.372
    mac = rates.mean_age_at_childbearing(FIVE_YEAR_ASFR, ages=np.arange(15, 50, 5), width=5)
    assert mac == pytest.approx(expected)
    assert expected == pytest.approx(28.27957, abs=1e-5)


def test_general_fertility_and_crude_rates():
    assert rates.general_fertility_rate(120, 2400) == pytest.approx(50.0)
    assert rates.mean_population(9800, 10200) == 10000
    assert rates.crude_birth_rate(92, 10000) == pytest.approx(9.2)  # Xifeng 2005: 9.2‰
    assert rates.crude_death_rate(70, 10000) == pytest.approx(7.0)
    assert rates.natural_increase_rate(92, 70, 10000) == pytest.approx(2.2)


def test_rates_without_exposure_are_nan_not_errors():
    asfr = rates.age_specific_fertility_rates([1.0, 0.0], [10.0, 0.0])
    assert asfr[0] == 0.1 and math.isnan(asfr[1])
    assert rates.total_fertility_rate(asfr) == pytest.approx(0.1)


def test_parity_progression_ratios_from_completed_cohort():
    # 50 childless, 300 with one, 500 with two, 150 with three or more
    ppr = rates.parity_progression_ratios([50, 300, 500, 150])
    np.testing.assert_allclose(ppr, [950 / 1000, 650 / 950, 150 / 650])


def test_sex_ratio_at_birth_point_value():
    assert rates.sex_ratio_at_birth(530, 500).ratio == pytest.approx(106.0)


def test_sex_ratio_wilson_interval_hand_computed():
    # M = F = 50, z = 1.959964: half width = z·sqrt(25 + z²/4)/(100 + z²) = 0.0961683;
    # upper share 0.5961683 → 100·p/(1−p) = 147.628
    r = rates.sex_ratio_at_birth(50, 50)
    assert r.upper == pytest.approx(147.628, abs=1e-3)
    assert r.lower == pytest.approx(67.7378, abs=1e-3)
    assert r.lower * r.upper == pytest.approx(10_000.0)  # symmetric in the male share around 1/2


@given(st.integers(1, 5000), st.integers(1, 5000))
def test_sex_ratio_interval_contains_the_estimate(m, f):
    r = rates.sex_ratio_at_birth(m, f)
    assert r.lower < r.ratio < r.upper


def test_sex_ratio_interval_narrows_with_more_births():
    small = rates.sex_ratio_at_birth(53, 50)
    large = rates.sex_ratio_at_birth(5300, 5000)
    assert large.upper - large.lower < (small.upper - small.lower) / 5


def test_dependency_ratios_and_ageing_index_of_one_person_per_age():
    pop = np.ones(101)  # 15 children, 50 of working age, 36 aged 65+
    dep = rates.dependency_ratios(pop)
    assert dep.child == pytest.approx(30.0)
    assert dep.old_age == pytest.approx(72.0)
    assert dep.total == pytest.approx(102.0)
    assert rates.ageing_index(pop) == pytest.approx(240.0)


def test_median_age_interpolates_within_the_single_year():
    uniform = np.zeros(101)
    uniform[:100] = 10.0  # 1 000 persons, 500 below age 50
    assert rates.median_age(uniform) == pytest.approx(50.0)
    one_age = np.zeros(101)
    one_age[30] = 7.0  # everybody aged 30: spread over [30, 31)
    assert rates.median_age(one_age) == pytest.approx(30.5)
    skew = np.zeros(101)
    skew[[20, 21]] = [30.0, 10.0]  # N/2 = 20 falls 2/3 through age 20
    assert rates.median_age(skew) == pytest.approx(20 + 20 / 30)
    assert math.isnan(rates.median_age(np.zeros(101)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_age_structure_measures_are_vectorised_over_areas_and_sex(seed):
    rng = np.random.default_rng(seed)
    pops = rng.integers(0, 500, size=(4, 2, 101)).astype(float)
    pops[:, :, 0] += 1  # no empty area
    medians = rates.median_age(pops)
    dep = rates.dependency_ratios(pops)
    for i in range(4):
        both = pops[i].sum(axis=0)
        assert medians[i] == pytest.approx(rates.median_age(both))
        assert dep.total[i] == pytest.approx(rates.dependency_ratios(both).total, nan_ok=True)
        below = both[: int(medians[i])].sum()
        assert below <= both.sum() / 2 + 1e-9

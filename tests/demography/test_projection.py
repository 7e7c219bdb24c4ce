"""Projection: conservation, the Leslie matrix and stable growth, scenarios, momentum, vectorisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.demography import lifetable as lt
from renkou.demography import projection as pj
from renkou.demography import scenarios as sc

AGES = np.arange(101)


def gompertz_rates() -> np.ndarray:
    """Plausible death rates ``(2, 101)``: infant mortality plus a Gompertz curve, men higher."""
    mx = np.stack([0.0002 * np.exp(0.085 * AGES) + 0.0004, 0.0001 * np.exp(0.088 * AGES) + 0.0003])
    mx[:, 0] = [0.008, 0.007]
    return np.minimum(mx, 0.8)


def survival() -> np.ndarray:
    return lt.survival_ratios(lt.life_table_from_rates(gompertz_rates(), sex=("male", "female")))


def asfr(tfr: float = 1.8) -> np.ndarray:
    x = np.arange(15, 50)
    pattern = np.exp(-0.5 * ((x - 28) / 5.5) ** 2)
    return pattern / pattern.sum() * tfr


def population(seed: int = 0, n_areas: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (2, 101) if n_areas is None else (n_areas, 2, 101)
    return rng.uniform(50, 1500, size=shape) * np.linspace(1.5, 0.1, 101)


def test_projection_conserves_people_by_area_and_sex():
    mig = np.zeros((3, 2, 101))
    mig[0, :, 20:30] = 15.0
    mig[1, :, 20:30] = -4000.0  # more emigrants than people: clipped, and reported as applied
    mig[2, 1, 0] = -3.0  # emigrant infants
    proj = pj.project(population(1, 3), survival=survival(), fertility=asfr(), n_years=15, net_migration=mig)
    np.testing.assert_allclose(proj.balance_error(), 0.0, atol=1e-7)
    assert np.all(proj.population >= 0)
    assert proj.net_migration[0, 0, 0] == pytest.approx(150.0)  # ten ages × 15 men, nothing clipped
    assert proj.net_migration[0, 1].sum() > -4000 * 20  # clipped at what was there
    totals = proj.population.sum(axis=(-2, -1))
    flows = (proj.births - proj.deaths + proj.net_migration).sum(axis=-1)
    np.testing.assert_allclose(totals[1:], totals[:-1] + flows, rtol=1e-12)


def test_one_step_matches_the_formulas_by_hand():
    p = population(2)
    s = survival()
    f = pj.fertility_by_single_age(asfr())
    proj = pj.project(p, survival=s, fertility=f, n_years=1, srb=106.0)
    end = proj.population[1, 0]
    np.testing.assert_allclose(end[:, 1:100], p[:, :99] * s[:, 1:100])
    np.testing.assert_allclose(end[:, 100], (p[:, 99] + p[:, 100]) * s[:, 100])
    women_years = (p[1] + end[1]) / 2
    births = (f * women_years).sum()
    np.testing.assert_allclose(proj.births[0, 0], births * np.array([106, 100]) / 206)
    np.testing.assert_allclose(end[:, 0], proj.births[0, 0] * s[:, 0])
    deaths = p.sum(axis=-1) + proj.births[0, 0] - end.sum(axis=-1)
    np.testing.assert_allclose(proj.deaths[0, 0], deaths)
    assert np.all(proj.deaths > 0)


def test_female_step_is_the_leslie_matrix():
    p = population(3)
    s = survival()
    a = pj.leslie_matrix(asfr(), s[1], srb=105.0)
    proj = pj.project(p, survival=s, fertility=asfr(), n_years=1, srb=105.0)
    np.testing.assert_allclose(proj.population[1, 0, 1], a @ p[1], rtol=1e-12)


@pytest.mark.parametrize("tfr", [1.3, 2.1, 3.0])
def test_constant_rates_converge_to_the_stable_population_of_the_leslie_matrix(tfr):
    s = survival()
    a = pj.leslie_matrix(asfr(tfr), s[1])
    values, vectors = np.linalg.eig(a)
    k = np.argmax(values.real)
    lam = values[k].real
    stable = np.abs(vectors[:, k].real)
    stable /= stable.sum()
    proj = pj.project(population(4), survival=s, fertility=asfr(tfr), n_years=600)
    growth = proj.growth_rates()[:, 0]
    assert growth[-1] == pytest.approx(np.log(lam), abs=1e-8)  # r = ln λ
    females = proj.population[-1, 0, 1]
    np.testing.assert_allclose(females / females.sum(), stable, rtol=1e-5, atol=1e-12)
    assert (tfr > 2.1) == (lam > 1.0)


def test_replacement_fertility_has_net_reproduction_one():
    s = survival()
    rep = sc.replacement_tfr(asfr(), s[1], srb=105.0)
    assert 2.05 < rep < 2.2  # low mortality: about 2.1
    assert pj.net_reproduction_rate(asfr(rep), s[1]) == pytest.approx(1.0)
    assert np.max(np.abs(np.linalg.eigvals(pj.leslie_matrix(asfr(rep), s[1])))) == pytest.approx(1.0)


def test_momentum_matches_the_reproductive_value_formula():
    # With λ = 1 the female population tends to v·(uᵀP0)/(uᵀv), u and v the left and right
    # eigenvectors of the eigenvalue 1 (Keyfitz 1971; Caswell 2001 §4.5).
    s = survival()
    p0 = population(5)
    m = sc.population_momentum(p0, fertility=asfr(), survival=s, horizon=500)
    a = pj.leslie_matrix(asfr(m.replacement_tfr[0]), s[1])
    values, right = np.linalg.eig(a)
    values_t, left = np.linalg.eig(a.T)
    v = right[:, np.argmin(np.abs(values - 1))].real
    u = left[:, np.argmin(np.abs(values_t - 1))].real
    ultimate_females = v.sum() * (u @ p0[1]) / (u @ v)
    assert m.projection.population[-1, 0, 1].sum() == pytest.approx(ultimate_females, rel=1e-6)
    assert m.ratio[0] > 1.0  # a young population keeps growing


def stationary(s: np.ndarray, share: float) -> np.ndarray:
    """The model's stationary population per birth: ages 0…99 ``share·S0·Π S``, 100+ accumulating."""
    p = share * np.concatenate([[s[0]], s[0] * np.cumprod(s[1:100])])
    return np.append(p, p[99] * s[100] / (1 - s[100]))


def test_stationary_population_has_momentum_one():
    s = survival()
    p0 = np.stack([stationary(s[0], 105 / 205), stationary(s[1], 100 / 205)]) * 1000
    m = sc.population_momentum(p0, fertility=asfr(), survival=s, horizon=300)
    assert m.ratio[0] == pytest.approx(1.0, abs=1e-9)


def test_vectorised_projection_equals_a_loop_over_areas():
    pops = population(6, 5)
    s = np.stack([survival()] * 5)
    s[2] *= 0.995
    f = np.stack([asfr(t) for t in (1.1, 1.5, 1.8, 2.4, 3.0)])
    mig = np.random.default_rng(6).normal(0, 5, size=(5, 2, 101))
    tfr = np.stack([np.linspace(1.5, 1.8, 8)] * 5, axis=1)
    batch = pj.project(pops, survival=s, fertility=f, n_years=8, tfr=tfr, srb=[103, 105, 107, 110, 118],
                       net_migration=mig)
    for i, srb in enumerate([103, 105, 107, 110, 118]):
        one = pj.project(pops[i], survival=s[i], fertility=f[i], n_years=8, tfr=tfr[:, i], srb=srb,
                         net_migration=mig[i])
        np.testing.assert_allclose(batch.population[:, i], one.population[:, 0], rtol=1e-13)
        np.testing.assert_allclose(batch.births[:, i], one.births[:, 0], rtol=1e-13)


def test_tfr_path_sets_the_tfr_of_each_year():
    path = sc.linear_tfr_path(1.2, 1.8, n_years=10, years_to_target=4)
    np.testing.assert_allclose(path[:5], [1.35, 1.5, 1.65, 1.8, 1.8])
    f = pj.scale_to_tfr(asfr(1.0), path)
    np.testing.assert_allclose(f.sum(axis=-1), path)
    variants = sc.tfr_variants(path)
    np.testing.assert_allclose(variants["high"] - variants["low"], 1.0)
    assert sc.tfr_variants([0.3], 0.5)["low"][0] == 0.0


def test_scenarios_by_name():
    assert sc.tfr_scenario("constant", 1.3, 3).tolist() == [1.3, 1.3, 1.3]
    high = sc.tfr_scenario("high", 1.3, 2, target_tfr=1.7, years_to_target=2)
    np.testing.assert_allclose(high, [2.0, 2.2])
    np.testing.assert_allclose(sc.tfr_scenario("replacement", 1.3, 2, replacement=2.1), [2.1, 2.1])
    with pytest.raises(ValueError, match="unknown scenario"):
        sc.tfr_scenario("optimistic", 1.3, 2)


def test_mortality_improvement_reaches_the_life_expectancy_target():
    mx = gompertz_rates()
    base = lt.life_table_from_rates(mx, sex=("male", "female")).e0
    target = base + np.array([4.0, 3.0])
    k = sc.scale_for_life_expectancy(mx, target, sex=("male", "female"))
    reached = lt.life_table_from_rates(mx * k[:, None], sex=("male", "female")).e0
    np.testing.assert_allclose(reached, target, atol=1e-5)
    path = sc.survival_path(mx, 6, e0_target=target, years_to_target=4)
    assert path.shape == (6, 2, 101)
    np.testing.assert_allclose(path[3], path[5])  # target kept after year 4
    assert np.all(path[3, :, 1:90] >= path[0, :, 1:90])  # survival improves
    constant = sc.survival_path(mx, 3)
    np.testing.assert_allclose(constant[2], survival())


def test_more_people_with_higher_fertility_and_none_lost_without_births():
    p = population(8)
    low = pj.project(p, survival=survival(), fertility=asfr(1.2), n_years=20).totals()[-1, 0]
    high = pj.project(p, survival=survival(), fertility=asfr(2.2), n_years=20).totals()[-1, 0]
    assert high > low
    none = pj.project(p, survival=np.ones((2, 101)), fertility=np.zeros(101), n_years=5)
    np.testing.assert_allclose(none.totals()[:, 0], p.sum())


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 4.0), st.floats(95.0, 125.0), st.floats(0.0, 300.0))
def test_balance_holds_for_any_rates_and_migration(seed, tfr, srb, spread):
    rng = np.random.default_rng(seed)
    pops = rng.uniform(0, 200, size=(3, 2, 101))
    s = rng.uniform(0.5, 1.0, size=(3, 2, 101))
    mig = rng.normal(0, spread, size=(3, 2, 101))
    proj = pj.project(pops, survival=s, fertility=asfr(tfr), n_years=6, srb=srb, net_migration=mig)
    scale = max(1.0, float(proj.population.sum()))
    assert np.max(np.abs(proj.balance_error())) <= 1e-9 * scale
    assert np.all(proj.population >= 0) and np.all(proj.deaths >= -1e-9 * scale)

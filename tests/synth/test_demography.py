"""The simulated rates reproduce the input parameters within sampling error (4 standard errors)."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from renkou.synth.params import CountyParams
from renkou.synth.population import (
    AreaIndex,
    build_base_population,
    death_probabilities,
    fertility_schedule,
    mortality_table,
    new_household_store,
    new_person_store,
    stable_age_distribution,
)


def _year(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[Y]").astype(np.int64) + 1970


def _women_at_start(P, year: int) -> np.ndarray:
    """Persons present on 1 January of ``year`` (entered before, left on or after)."""
    y0 = np.datetime64(f"{year}-01-01")
    return (P["entry_date"] < y0) & (np.isnat(P["exit_date"]) | (P["exit_date"] >= y0))


def test_death_probabilities_reproduce_life_expectancy():
    q = death_probabilities(70.0)
    lx = np.r_[1.0, np.cumprod(1 - q)]
    assert abs(((lx[:-1] + lx[1:]) / 2).sum() - 70.0) < 1e-6
    assert 0.01 < q[0] < 0.06 and q[5] < q[0] and q[80] > q[40]


def test_fertility_schedule_sums_to_tfr_and_peaks_near_mean_age():
    f = fertility_schedule(CountyParams("130982").fertility, 1.7)
    assert abs(f.sum() - 1.7) < 1e-12 and f[:15].sum() == 0
    assert abs((np.arange(50) * f).sum() / f.sum() - 26.5) < 0.6


def test_base_population_age_pyramid_matches_the_distribution():
    p = CountyParams("130982")
    dist = stable_age_distribution(p)
    areas = AreaIndex(["130982100200"], np.array([False]), np.array([1.0]))
    P, H = new_person_store(), new_household_store()
    n = 40_000
    build_base_population(p, areas, n, dist, 11_323, np.random.default_rng(5), P, H)
    age = (11_323 - 1 - P["birth"]) // 365.25
    obs = np.stack([np.bincount(age[P["sex"] == s].astype(int), minlength=101)[:101] for s in (1, 2)], axis=1)
    exp = dist * n
    # 5-year groups to keep expected counts large; chi-square goodness of fit
    og = obs[:100].reshape(20, 5, 2).sum(axis=1).ravel()
    eg = exp[:100].reshape(20, 5, 2).sum(axis=1).ravel()
    keep = eg > 5
    stat = (((og - eg) ** 2) / eg)[keep].sum()
    assert chi2.sf(stat, keep.sum() - 1) > 1e-3
    # couples, children with mothers: plausible household structure
    assert 2.4 < n / len(np.unique(P["hh"])) < 4.5
    kids = P["mother"] >= 0
    gap = (P["birth"][kids] - P["birth"][P["mother"][kids]]) / 365.25
    assert gap.min() >= 14 and gap.max() <= 51


def test_simulated_tfr_matches_parameter(closed_county):
    p, r = closed_county
    P, E = r.persons, r.events
    pos = {k: i for i, k in enumerate(P["person_key"])}
    births = E[("kind")] == "birth"
    mother = np.array([pos[k] for k in E["mother_key"][births]])
    byear = _year(E["event_date"][births])
    m_age = byear - _year(P["birth_date"][mother])
    tfr, var = 0.0, 0.0
    years = range(p.start_year, p.end_year + 1)
    for y in years:
        women = _women_at_start(P, y) & (P["sex"] == "2")
        w_age = y - _year(P["birth_date"][women])
        W = np.bincount(w_age, minlength=60)[15:50]
        B = np.bincount(m_age[byear == y], minlength=60)[15:50]
        tfr += (B / W).sum() / len(years)
        var += (B * 1.03 / W**2).sum() / len(years) ** 2
    assert abs(tfr - p.fertility.tfr) < 4 * np.sqrt(var), (tfr, np.sqrt(var))
    assert np.sqrt(var) < 0.07  # the test has power


def test_sex_ratio_at_birth_matches_parameter(closed_county):
    p, r = closed_county
    sex = r.persons["sex"][np.isin(r.persons["person_key"], r.events["person_key"][r.events["kind"] == "birth"])]
    m, f = (sex == "1").sum(), (sex == "2").sum()
    n, share = m + f, p.fertility.srb / (100 + p.fertility.srb)
    se = 100 * np.sqrt(share * (1 - share) / n) / (1 - share) ** 2
    assert abs(100 * m / f - p.fertility.srb) < 4 * se, (100 * m / f, se)


def test_crude_death_rate_matches_life_table(closed_county):
    p, r = closed_county
    P, E = r.persons, r.events
    q = mortality_table(p.mortality)
    for y in range(p.start_year, p.end_year + 1):
        alive = _women_at_start(P, y)  # everyone present on 1 January
        age = np.clip(y - _year(P["birth_date"][alive]), 0, 110)
        sexi = P["sex"][alive].astype(int) - 1
        qi = q[age, sexi]
        deaths_key = set(E["person_key"][(E["kind"] == "death") & (_year(E["event_date"]) == y)].tolist())
        d = sum(1 for k in P["person_key"][alive] if k in deaths_key)
        assert abs(d - qi.sum()) < 4 * np.sqrt((qi * (1 - qi)).sum()), (y, d, qi.sum())
        cdr = 1000 * d / alive.sum()
        assert 3 < cdr < 13


def test_marriages_and_ages_are_plausible(closed_county):
    p, r = closed_county
    P, E = r.persons, r.events
    pos = {k: i for i, k in enumerate(P["person_key"])}
    wed = E["kind"] == "marriage"
    assert wed.sum() > 100
    h = np.array([pos[k] for k in E["person_key"][wed]])
    w = np.array([pos[k] for k in E["spouse_key"][wed]])
    ages_w = _year(E["event_date"][wed]) - _year(P["birth_date"][w])
    assert ages_w.min() >= p.nuptiality.female_min_age
    assert abs(np.mean(ages_w) - p.nuptiality.female_mean_age) < 2.5
    assert (P["sex"][h] == "1").all() and (P["sex"][w] == "2").all()

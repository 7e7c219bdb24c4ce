"""Figures computed from the register of a synthetic county agree with the generator's parameters.

Xifeng (息烽县) preset with 20 000 persons, 2001–2005, loaded into the database; the register
layer counts, the pure library computes.  "Agree" means within sampling error: the parameter
lies inside three standard errors (TFR, e0) or inside the 99 % interval (SRB), and the age
structure at the start passes a chi-square test against the stable population the generator
drew it from.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.stats import chi2

from renkou.demography import abridged_life_table, rates
from renkou.demography.register_feed import inputs_for_area
from renkou.synth.population import stable_age_distribution

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pooled(synthetic_county):
    params, _ = synthetic_county
    return params, inputs_for_area("520122", "2001-2005")


def tfr_with_se(births: np.ndarray, women_years: np.ndarray) -> tuple[float, float]:
    """TFR = Σ B_x / W_x and its standard error under Poisson births: √(Σ B_x / W_x²)."""
    ok = women_years > 0
    b, w = births[ok], women_years[ok]
    return float((b / w).sum()), float(np.sqrt((b / w**2).sum()))


def e0_with_se(deaths: np.ndarray, exposures: np.ndarray, sex: str) -> tuple[float, float]:
    """e0 of the abridged table (85+) and Chiang's standard error (Chiang 1984, ch. 9):
    Var(e0) = Σ l_x² [(1 − a_x/n)·n + e_(x+n)]² Var(q_x) / l0², Var(q_x) = q_x²(1 − q_x)/D_x,
    plus (l_ω/l0)² / (m_ω² D_ω) for the open interval."""
    table = abridged_life_table(deaths, exposures, open_age=85, sex=sex)
    d = np.add.reduceat(deaths, table.ages.astype(int))
    n, q, a, lx, ex = table.widths, table.qx, table.ax, table.lx, table.ex
    var = 0.0
    for i in range(len(n) - 1):
        if d[i] > 0:
            var += lx[i] ** 2 * ((n[i] - a[i]) + ex[i + 1]) ** 2 * q[i] ** 2 * (1 - q[i]) / d[i]
    var += lx[-1] ** 2 / (table.mx[-1] ** 2 * d[-1])
    return float(table.e0), float(np.sqrt(var) / lx[0])


def test_the_period_balances_on_the_register(pooled):
    _, inp = pooled
    assert inp.years == 5.0
    assert inp.population_end.sum() == 20_000  # the preset's registered total on 31 December 2005
    assert not inp.unclassified, inp.unclassified
    # person-years: the trapezoid of six year-end counts lies between 5 × the smallest and 5 × the largest
    assert 5 * min(inp.population_start.sum(), inp.population_end.sum()) <= inp.exposures.sum()
    assert inp.exposures.sum() <= 5 * max(inp.population_start.sum(), inp.population_end.sum()) + 1e-9


def _completed_age(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years between datetime64 arrays (NumPy, independent of the SQL in register_feed)."""
    b, d = birth.astype("datetime64[D]"), on.astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(int) - b.astype("datetime64[Y]").astype(int)
    md = lambda x: (x.astype("datetime64[M]").astype(int) % 12) * 100 + (x - x.astype("datetime64[M]")).astype(int)  # noqa: E731
    return np.minimum(years - (md(b) > md(d)), 100)


def test_register_counts_equal_the_generated_records(synthetic_county, pooled):
    """The SQL aggregates give the arrays a NumPy count of the generated files gives (up to the
    few duplicate registrations whose keys collide in the generator's output)."""
    _, result = synthetic_county
    _, inp = pooled
    P, E = result.persons, result.events
    slack = len(result.ground_truth["imperfections"]["duplicates"])
    sex = P["sex"].astype(int) - 1
    for day, counted in (("2000-12-31", inp.population_start), ("2005-12-31", inp.population_end)):
        d = np.datetime64(day)
        alive = (P["birth_date"] <= d) & (P["entry_date"] <= d) & (np.isnat(P["exit_date"]) | (P["exit_date"] > d))
        expected = np.zeros((2, 101))
        np.add.at(expected, (sex[alive], _completed_age(P["birth_date"][alive], np.full(alive.sum(), d))), 1)
        assert np.abs(counted - expected).sum() <= slack
    index = {k: i for i, k in enumerate(P["person_key"])}
    for kind, counted, parent in (("birth", inp.births_by_mother_age, "mother_key"),
                                  ("death", inp.deaths_by_age_sex, "person_key")):
        # official counts: the registered events (the declared ones of late 2005 are provisional)
        sel = (E["kind"] == kind) & (E["event_date"] >= np.datetime64("2001-01-01")) \
            & (E["registration_state"] == "registered")
        subject = np.array([index[k] for k in E["person_key"][sel]])
        whose = np.array([index[k] for k in E[parent][sel]])
        expected = np.zeros((2, 101))
        np.add.at(expected, (sex[subject], _completed_age(P["birth_date"][whose], E["event_date"][sel])), 1)
        assert np.abs(counted - expected).sum() <= slack, kind
        assert counted.sum() > 900


def test_tfr_from_the_register_agrees_with_the_preset(pooled):
    params, inp = pooled
    tfr, se = tfr_with_se(inp.births_by_mother_age.sum(axis=0), inp.women_exposure)
    assert se < 0.1  # about 900 births: the test can tell 1.45 from 1.75
    assert abs(tfr - params.fertility.tfr) < 3 * se, (tfr, se)


def test_sex_ratio_at_birth_interval_holds_the_preset(pooled):
    params, inp = pooled
    boys, girls = inp.births_by_mother_age.sum(axis=1)
    srb = rates.sex_ratio_at_birth(boys, girls, confidence=0.99)
    assert srb.lower < params.fertility.srb < srb.upper, (float(srb.ratio), float(srb.lower), float(srb.upper))
    assert srb.upper - srb.lower < 50  # about 950 births: an interval that says something


@pytest.mark.parametrize(("s", "sex", "e0_attr"), [(0, "male", "e0_male"), (1, "female", "e0_female")])
def test_life_expectancy_from_the_register_agrees_with_the_preset(pooled, s, sex, e0_attr):
    params, inp = pooled
    e0, se = e0_with_se(inp.deaths_by_age_sex[s], inp.exposures[s], sex)
    assert 0.3 < se < 2.0
    assert abs(e0 - getattr(params.mortality, e0_attr)) < 3 * se, (e0, se)


def test_age_structure_at_the_start_is_the_stable_population_drawn(pooled):
    params, inp = pooled
    observed = inp.population_start
    expected = stable_age_distribution(params).T * observed.sum()  # (2, 101)
    groups = np.r_[np.arange(0, 85, 5), 85]  # 5-year groups, 85+, by sex: 36 cells
    o = np.add.reduceat(observed, groups, axis=1).ravel()
    e = np.add.reduceat(expected, groups, axis=1).ravel()
    statistic = float(((o - e) ** 2 / e).sum())
    assert chi2.sf(statistic, df=o.size - 1) > 0.001, statistic
    # and the summary measures of the structure are close
    for measure in (rates.median_age, rates.ageing_index):
        assert abs(float(measure(observed)) - float(measure(expected))) / float(measure(expected)) < 0.05


def test_crude_birth_rate_of_the_last_year_is_the_preset_target(synthetic_county):
    params, _ = synthetic_county
    inp = inputs_for_area("520122000000", "2005")
    mean = (inp.population_start.sum() + inp.population_end.sum()) / 2
    assert inp.exposures.sum() == pytest.approx(mean)
    # the generator makes every birth of the year hit the target; the register counts the registered
    # ones officially and the few declared in the last weeks of December apart, as provisional
    from renkou.indicators import register

    provisional = register.births("520122", dt.date(2005, 1, 1), dt.date(2005, 12, 31), "resident",
                                  status="provisional")
    assert 0 < provisional < 0.1 * inp.births
    cbr = float(rates.crude_birth_rate(inp.births + provisional, mean))
    assert cbr == pytest.approx(params.cbr_target_permille, abs=0.1)
    assert float(rates.crude_birth_rate(inp.births, mean)) < cbr


def test_command_line_on_the_county_gives_the_same_life_table_and_projects_from_the_register(pooled, capsys):
    import json

    from renkou.demography.cli import main

    params, inp = pooled
    assert main(["lifetable", "--area", "520122", "--period", "2001-2005", "--abridged", "--sex", "female",
                 "--format", "json"]) == 0
    [table] = json.loads(capsys.readouterr().out)
    assert table["ex"][0] == pytest.approx(e0_with_se(inp.deaths_by_age_sex[1], inp.exposures[1], "female")[0])
    assert main(["project", "--area", "520122", "--period", "2001-2005", "--years", "10", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["years"][0] == 2006 and doc["total"][0][0] == 20_000
    # constant fertility of ≈1.34 and no migration: the county shrinks slowly
    assert 18_000 < doc["total"][0][-1] < 20_000


def test_county_page_shows_register_figures_with_life_table_scenarios_and_momentum(pooled, make_user, client):
    import re

    from django.urls import reverse

    from renkou.core.models import Area

    params, inp = pooled
    client.force_login(make_user("xian", "county_officer", capture=[Area.objects.get(code="520122000000")]))
    html = client.get(reverse("demography:area", args=["520122"]), {"year": "2005"}).content.decode()
    value = lambda name: re.search(rf'id="{name}">([^<]*)<', html).group(1).strip()  # noqa: E731
    assert value("total") == "20,000"
    e0_male, e0_female = (float(v) for v in value("e0").split("/"))
    assert e0_male == pytest.approx(e0_with_se(inp.deaths_by_age_sex[0], inp.exposures[0], "male")[0], abs=0.05)
    assert e0_female > e0_male
    assert 0.9 < float(value("momentum")) < 1.1  # an old-ish population below replacement: momentum ≈ 1
    for scenario in ("低方案", "中方案", "高方案", "不变方案", "更替水平"):
        assert scenario in html
    assert html.count("<svg") == 6  # pyramid, +10, +20, fertility, mortality, scenarios

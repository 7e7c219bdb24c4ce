"""Seed counties reproduce the handbook's headline totals exactly at the reference date."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from renkou.synth.generator import generate
from renkou.synth.params import preset


def _registered(P):
    return (P["status"] == "present") & (P["registration"] == "registered")


def test_gaize_has_18689_people_and_17078_herders(gaize):
    _, r = gaize
    reg = _registered(r.persons)
    assert reg.sum() == 18_689
    assert (r.persons["herder"][reg] == 1).sum() == 17_078
    tib = (r.persons["ethnicity"][reg] == "04").mean()
    assert 0.9 < tib < 0.99


def test_chengguan_has_46730_people_in_17115_households():
    r = generate(preset("chengguan"), 5)
    assert _registered(r.persons).sum() == 46_730
    H = r.households
    assert ((H["kind"] == "family") & (H["size"] > 0)).sum() == 17_115
    assert str(r.reference_date) == "2004-12-31"


def _completed_years(born: np.ndarray, on: str) -> np.ndarray:
    b = born.astype("datetime64[D]")
    day = np.datetime64(on)
    years = day.astype("datetime64[Y]").astype(int) - b.astype("datetime64[Y]").astype(int)
    md = lambda d: (d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(int) * 32 + (  # noqa: E731
        d - d.astype("datetime64[M]")).astype(int)
    return years - (md(b) > md(day))


def test_chengguan_has_10839_married_women_of_childbearing_age_at_the_end_of_2004():
    for seed in (5, 2005):
        r = generate(preset("chengguan"), seed)
        P = r.persons
        age = _completed_years(P["birth_date"], "2004-12-31")
        married = np.isin(P["marital_status"].astype(str), ["20", "21", "22", "23"])
        women = _registered(P) & (P["sex"].astype(int) == 2) & (age >= 15) & (age <= 49)
        assert (women & married).sum() == 10_839
        # the other headline totals still hold
        assert _registered(P).sum() == 46_730
        assert ((r.households["kind"] == "family") & (r.households["size"] > 0)).sum() == 17_115
        # every wife counted has her husband in the register
        spouse = P["spouse_key"][women & married]
        assert (spouse != "").all() and set(spouse.tolist()) <= set(P["person_key"].tolist())


def test_crude_birth_rate_target_is_met_exactly_on_a_scaled_xifeng():
    p = replace(preset("xifeng"), persons=30_000, start_year=2003)
    r = generate(p, 2)
    P, E = r.persons, r.events
    assert _registered(P).sum() == 30_000
    born = (E["kind"] == "birth") & (E["event_date"] >= np.datetime64("2005-01-01"))
    reg_keys = set(P["person_key"][P["registration"] == "registered"].tolist())
    births = sum(1 for k in E["person_key"][born] if k in reg_keys)
    start = r.ground_truth["registered_at_year_start"]["2005"]
    assert round(1000 * births / ((start + 30_000) / 2), 1) == 9.2


def test_renqiu_migrants_target(small_renqiu):
    p, r = small_renqiu
    P = r.persons
    assert _registered(P).sum() == 20_000
    mig = (P["status"] == "present") & (P["registration"] == "migrant")
    assert mig.sum() == 1_100
    assert (P["home_county_code"][mig] != "130982").all()

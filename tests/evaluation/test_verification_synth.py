"""Sampled door-to-door verification on a synthetic county finds the births its register left out."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.evaluation import services
from renkou.evaluation.demo import true_births_by_household, visit_from_truth
from renkou.evaluation.models import SampledHousehold
from renkou.registry.loader import load_synthetic

VERIFY_SCHEME = """
code: verify-2005
name_zh: 核查
name_en: verification
year: 2005
period: "2005"
level: township
total_points: 10
units: {parent: "520122", level: township}
themes:
  - code: C
    name_zh: 数据质量
    name_en: data quality
    items:
      - {code: C2, name_zh: 漏报出生, name_en: missed births, points: 10,
         source: {verification: missed_births}, rule: {type: deduction_per_event, per_event: 0.5}}
      - {code: C4, name_zh: 漏报率, name_en: under-reporting, points: 0, source: {verification: under_reporting_rate},
         rule: {type: veto, op: ">", threshold: 0.5}}
"""


@pytest.fixture(scope="module")
def county():
    from renkou.synth.generator import generate
    from renkou.synth.params import ImperfectionParams, preset

    return generate(preset("xifeng").with_changes(persons=1500, imperfections=ImperfectionParams(missing_births=10)),
                    11)


@pytest.fixture
def loaded(db, county, make_user):
    from renkou.demo import _ensure_upper_areas, _save_area_tree

    _ensure_upper_areas("520122")
    _save_area_tree(county.areas)
    load_synthetic(county)
    from renkou.core.models import Area

    user = make_user("kaohe", "evaluator", view=[Area.objects.get(code="520122000000")])  # assesses Xifeng
    scheme = services.import_scheme(user=user, text=VERIFY_SCHEME)
    return county, user, scheme


def _true_rates(county, sample):
    """Registered births of each unit's households in 2005 plus the missing ones (ground truth)."""
    from renkou.registry.models import Household

    missing = true_births_by_household(county, dt.date(2005, 1, 1), dt.date(2005, 12, 31))
    per_unit = {}
    for unit in services.scheme_units(sample.scheme):
        ids = list(Household.objects.filter(area__pk__startswith=unit.prefix).values_list("id", flat=True))
        keys = set(Household.objects.filter(id__in=ids).values_list("source_key", flat=True))
        registered = sum(b for b, _d in services._registered_counts(ids, services.Period.parse("2005")).values())
        missed = sum(n for k, n in missing.items() if k in keys)
        per_unit[unit.code] = (missed, registered + missed)
    return per_unit


@pytest.mark.django_db
def test_visiting_every_household_finds_every_unregistered_birth(loaded):
    county, user, scheme = loaded
    truth = county.ground_truth["imperfections"]["missing_births"]
    assert len(truth) == 10
    sample = services.draw_sample(user=user, scheme=scheme, households_per_unit=100_000, seed=1)
    found = visit_from_truth(user=user, sample=sample, result=county)
    assert found == 10
    hit = set(SampledHousehold.objects.filter(sample=sample, missed_births__gt=0)
              .values_list("household__source_key", flat=True))
    assert hit == {m["person"]["household_key"] for m in truth}
    true = _true_rates(county, sample)
    for code, est in services.unit_estimates(sample).items():
        missed, births = true[code]
        assert est.missed_births == missed
        if births:  # a census: the estimate is the true rate and the interval has no width
            assert est.under_reporting.rate == pytest.approx(missed / births)
            assert est.under_reporting.lower == pytest.approx(missed / births)
    run = services.compute_run(user=user, scheme=scheme)
    for line in run.units.all():
        c2 = line.items.get(item_code="C2")
        assert c2.value == true[line.unit_id][0] and c2.points == max(0, 10 - true[line.unit_id][0] * 0.5)


@pytest.mark.django_db
def test_a_sample_of_half_the_households_estimates_the_rate_within_its_interval(loaded):
    county, user, scheme = loaded
    covered = 0
    seeds = (3, 5, 7, 9, 13)
    for seed in seeds:
        sample = services.draw_sample(user=user, scheme=scheme, households_per_unit=60, seed=seed)
        visit_from_truth(user=user, sample=sample, result=county)
        if seed == seeds[0]:
            true = _true_rates(county, sample)
            missed = sum(m for m, _b in true.values())
            births = sum(b for _m, b in true.values())
        est = services.pooled_estimate(sample).under_reporting
        assert 0 < est.lower <= est.rate <= est.upper <= 1
        covered += est.lower <= missed / births <= est.upper
    # a 95 % interval: with 5 independent samples, at most one miss is plausible (P ≈ 0.98)
    assert covered >= len(seeds) - 1


@pytest.mark.django_db
def test_the_same_seed_draws_the_same_households(loaded):
    _county, user, scheme = loaded
    a = services.draw_sample(user=user, scheme=scheme, households_per_unit=20, seed=42)
    b = services.draw_sample(user=user, scheme=scheme, households_per_unit=20, seed=42)
    c = services.draw_sample(user=user, scheme=scheme, households_per_unit=20, seed=43)

    def numbers(s):
        return sorted(SampledHousehold.objects.filter(sample=s).values_list("household_number", flat=True))
    assert numbers(a) == numbers(b) != numbers(c)
    for unit, strata in a.strata.items():  # 20 per unit, at least one in every village
        drawn = SampledHousehold.objects.filter(sample=a, unit_id=unit)
        assert drawn.count() >= min(20, sum(strata.values()))
        assert set(drawn.values_list("stratum", flat=True)) == set(strata)


def test_a_visit_cannot_find_more_missed_events_than_events():
    from renkou.evaluation.services import VisitFinding

    assert VisitFinding(births_found=1, missed_births=2).problems()
    assert VisitFinding(births_found=1, missed_births=0, deaths_found=0, missed_deaths=1).problems()
    assert VisitFinding(births_found=-1, missed_births=0).problems()
    assert VisitFinding(births_found=2, missed_births=2, deaths_found=1, missed_deaths=1).problems() == []

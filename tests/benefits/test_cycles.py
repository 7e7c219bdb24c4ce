"""Cycles: rosters computed from the register on a census date, frozen, re-certified next cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renkou.benefits import services
from renkou.benefits.models import Entitlement, Program
from renkou.registry.models import Person

from .conftest import COUNTY, VILLAGE_A, VILLAGE_C, family


def _amounts(cycle):
    return {e.name: e.amount_fen for e in cycle.entitlements.all()}


@pytest.mark.django_db
def test_childcare_subsidy_2025_is_pro_rata_by_month_and_paid_to_the_mother(officers, register, programs):
    cycle = services.compute_cycle(officers["county"], programs["childcare-subsidy"], COUNTY, "2025")
    # 2021-12-15 turned 3 in 2024: none; 2022-05-10: 4 months; 2023-06-01: 12; 2025-03-20: 10
    assert _amounts(cycle) == {"H4子2": 120_000, "H4子3": 360_000, "H4子4": 300_000}
    assert cycle.total_fen == 780_000 and cycle.units == 3
    e = cycle.entitlements.get(name="H4子2")
    mother = register["young"]["mother"]
    assert e.payee_person_id == mother.pk and e.person_id != mother.pk and e.payee_name == "H4母"
    assert e.explanation["amount"] == {"base_fen": 360_000, "tier": None, "months": 4, "of": 12}
    assert e.facts["person.age_at_start"] == 2 and e.village_id == VILLAGE_C
    assert e.explanation["rule"][-1] == {"fact": "person.age_at_start", "op": "<", "value": 3, "actual": 2,
                                         "ok": True, "depth": 1}


@pytest.mark.django_db
def test_xifeng_premium_goes_to_the_fund_for_one_child_and_two_daughter_households(officers, register, programs):
    cycle = services.compute_cycle(officers["county"], programs["xifeng-ncms-premium"], COUNTY, "2007")
    rows = {e.household.number: e for e in cycle.entitlements.select_related("household")}
    assert set(rows) == {"H1", "H2"}  # H3 has a son and a daughter; H4's children were not born by 2007
    assert all(e.amount_fen == 1_000 and e.payee_kind == "fund" and e.fund.code == "xifeng-ncms" and
               e.payee_name == "息烽县新型农村合作医疗基金" for e in rows.values())
    assert rows["H2"].facts["children.daughters"] == 2
    assert rows["H1"].explanation["records"]["children"] == [register["one_son"]["children"][0].pk]


@pytest.mark.django_db
def test_reward_support_lists_each_parent_aged_60_in_a_rural_one_child_family(officers, register, programs):
    cycle = services.compute_cycle(officers["county"], programs["rural-reward-support"], COUNTY, "2025")
    assert _amounts(cycle) == {"H1父": 96_000, "H1母": 96_000}


@pytest.mark.django_db
def test_cap_per_household_and_per_person_amounts(officers, register):
    program = Program.objects.create(code="school-grant", name_zh="助学", name_en="School grant", unit="person",
                                     cycle="yearly")
    services.save_version(None, program, {
        "valid_from": "2020-01-01", "eligibility": {"all": [{"fact": "person.age", "op": "<", "value": 18}]},
        "amount": "100", "cap_household": "150", "payee": "guardian"})
    cycle = services.compute_cycle(officers["county"], program, COUNTY, "2020")
    # H3: children born 2004 and 2006, both under 18 in 2020 → 100 + 50; H4 child born 2021-12 not yet
    assert _amounts(cycle) == {"H3子1": 10_000, "H3子2": 5_000, "H2子2": 10_000}
    assert cycle.entitlements.get(name="H3子2").explanation["amount"]["capped_from_fen"] == 10_000


@pytest.mark.django_db
def test_a_frozen_roster_does_not_change_when_the_register_does(officers, register, programs):
    cycle = services.compute_cycle(officers["county"], programs["xifeng-ncms-premium"], COUNTY, "2005")
    before = list(cycle.entitlements.values_list("unit_key", "amount_fen", "facts"))
    son = register["one_son"]["children"][0]
    Person.objects.filter(pk=son.pk).update(status="dead", death_date=dt.date(2005, 6, 1))
    family("H9", VILLAGE_A, father_born=dt.date(1970, 1, 1), mother_born=dt.date(1971, 1, 1),
           children=[(1, dt.date(1999, 1, 1), None)])
    assert list(cycle.entitlements.values_list("unit_key", "amount_fen", "facts")) == before
    with pytest.raises(ValidationError, match="already frozen"):
        services.compute_cycle(officers["county"], programs["xifeng-ncms-premium"], COUNTY, "2005")


@pytest.mark.django_db
def test_recertification_shows_a_child_turning_three_leaving_with_the_reason(officers, register, programs):
    services.compute_cycle(officers["county"], programs["childcare-subsidy"], COUNTY, "2025")
    nxt = services.compute_cycle(officers["county"], programs["childcare-subsidy"], COUNTY, "2026")
    # 2022-05-10 turned 3 in 2025: gone; 2023-06-01: 5 months of 2026; 2025-03-20: 12
    assert _amounts(nxt) == {"H4子3": 150_000, "H4子4": 360_000}
    left = nxt.changes["left"]
    assert [(r["name"], r["why"][0]["fact"], r["why"][0]["actual"]) for r in left] == [
        ("H4子2", "person.age_at_start", 3)]
    assert nxt.changes["entered"] == []


@pytest.mark.django_db
def test_only_child_dies_parents_leave_reward_support_and_enter_special_support(officers, register, programs):
    county = officers["county"]
    services.compute_cycle(county, programs["rural-reward-support"], COUNTY, "2024")
    son = register["one_son"]["children"][0]
    Person.objects.filter(pk=son.pk).update(status="dead", death_date=dt.date(2025, 2, 3), exit_date=dt.date(2025, 2, 3))
    reward = services.compute_cycle(county, programs["rural-reward-support"], COUNTY, "2025")
    special = services.compute_cycle(county, programs["special-support"], COUNTY, "202503")
    assert reward.units == 0
    assert {r["name"]: r["why"][0]["fact"] for r in reward.changes["left"]} == {"H1父": "children.living",
                                                                                "H1母": "children.living"}
    # rural, only child died: ¥170 a month each
    assert _amounts(special) == {"H1父": 17_000, "H1母": 17_000}
    assert special.entitlements.first().explanation["amount"]["tier"] == 2
    assert sorted((m["name"], m["to_program"]) for m in services.moves(reward)) == [
        ("H1母", "special-support"), ("H1父", "special-support")]


@pytest.mark.django_db
def test_a_monthly_program_refuses_a_year_period_and_a_township_officer_cannot_compute(officers, register, programs):
    with pytest.raises(ValidationError, match="month"):
        services.compute_cycle(officers["county"], programs["special-support"], COUNTY, "2025")
    with pytest.raises(PermissionDenied):
        services.compute_cycle(officers["township"], programs["childcare-subsidy"], COUNTY, "2025")
    assert not Entitlement.objects.exists()


@pytest.mark.django_db
def test_gaize_program_refuses_another_county(officers, register, programs):
    with pytest.raises(ValidationError, match="542526"):
        services.compute_cycle(officers["county"], programs["gaize-herder-one-child"], COUNTY, "2005")

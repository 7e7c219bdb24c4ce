"""The rule language and amounts: hand-computed cases."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.benefits.amounts import AmountSpec, cap_per_household, months_entitled, unit_amount
from renkou.benefits.rules import (
    RuleError,
    age_bounds,
    compile_rule,
    facts_used,
    failed_conditions,
    parse,
    trace,
)

XIFENG = {"all": [{"fact": "household.rural", "op": "==", "value": True},
                  {"any": [{"fact": "children.count", "op": "==", "value": 1},
                           {"all": [{"fact": "children.count", "op": "==", "value": 2},
                                    {"fact": "children.daughters", "op": "==", "value": 2}]}]}]}


def test_two_daughter_household_passes_and_a_son_and_daughter_fails():
    rule = compile_rule(XIFENG)
    assert rule({"household.rural": True, "children.count": 2, "children.daughters": 2})
    assert rule({"household.rural": True, "children.count": 1, "children.daughters": 0})
    assert not rule({"household.rural": True, "children.count": 2, "children.daughters": 1})
    assert not rule({"household.rural": False, "children.count": 1})


def test_trace_names_the_failing_condition_with_the_actual_fact():
    facts = {"household.rural": True, "children.count": 2, "children.daughters": 1}
    ok, steps = trace(XIFENG, facts)
    assert not ok
    assert steps[0] == {"group": "all", "depth": 0, "ok": False}
    failed = failed_conditions(XIFENG, facts)
    assert [(f["fact"], f["actual"]) for f in failed] == [("children.count", 2), ("children.daughters", 1)]


def test_a_bad_rule_is_refused_with_the_path_of_the_bad_node():
    with pytest.raises(RuleError, match=r"rule.all\[1\].fact: .*unknown fact 'children.cnt'"):
        parse({"all": [{"fact": "person.age", "op": ">=", "value": 60},
                       {"fact": "children.cnt", "op": "==", "value": 1}]})
    with pytest.raises(RuleError, match="needs an integer"):
        parse({"fact": "person.age", "op": ">=", "value": "60"})
    with pytest.raises(RuleError, match="unknown operator"):
        parse({"fact": "person.age", "op": "=~", "value": 1})
    with pytest.raises(RuleError, match="has"):
        parse({"fact": "person.age", "op": "has", "value": 1})


def test_facts_used_and_age_bounds_are_read_from_the_rule():
    rule = {"all": [{"fact": "person.age", "op": ">=", "value": 60}, {"fact": "person.age", "op": "<", "value": 80},
                    {"fact": "children.count", "op": "==", "value": 1}]}
    assert facts_used(rule) == {"person.age", "children.count"}
    assert age_bounds(rule) == (60, 79)
    assert age_bounds(XIFENG) == (None, None)


@pytest.mark.parametrize(("born", "months"), [
    (dt.date(2025, 3, 20), 10),  # born in March: March–December
    (dt.date(2022, 5, 10), 4),   # third birthday 2025-05-10: January–April
    (dt.date(2023, 6, 1), 12),   # under 3 all year
    (dt.date(2021, 12, 15), 0),  # turned 3 in December 2024
    (dt.date(2022, 12, 31), 11),  # third birthday on 31 December: January–November
])
def test_childcare_months_in_2025(born, months):
    assert months_entitled(dt.date(2025, 1, 1), dt.date(2025, 12, 31), birth=born, age_below=3,
                           valid_from=dt.date(2025, 1, 1)) == months


def test_months_stop_at_the_month_of_death_and_start_at_the_parameters():
    assert months_entitled(dt.date(2025, 1, 1), dt.date(2025, 12, 31), birth=dt.date(2024, 1, 5), age_below=3,
                           died=dt.date(2025, 6, 30)) == 6
    assert months_entitled(dt.date(2025, 1, 1), dt.date(2025, 12, 31), birth=dt.date(2024, 1, 5), age_below=3,
                           valid_from=dt.date(2025, 7, 1)) == 6


def test_pro_rata_amounts_are_exact_fen():
    spec = AmountSpec.from_params("3600.00", None, {"by": "month", "age_below": 3}, None)
    fen, how = unit_amount(spec, {}, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
                           birth=dt.date(2022, 5, 10), died=None, valid_from=dt.date(2025, 1, 1), valid_to=None)
    assert fen == 120_000 and how == {"base_fen": 360_000, "tier": None, "months": 4, "of": 12}


def test_the_first_matching_tier_gives_the_amount():
    tiers = [{"when": {"fact": "person.rural", "op": "==", "value": False}, "amount": "340"},
             {"when": {"fact": "person.rural", "op": "==", "value": True}, "amount": "170"}]
    spec = AmountSpec.from_params("0", tiers, None, None)
    kw = {"period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 3, 31), "birth": None, "died": None,
          "valid_from": None, "valid_to": None}
    assert unit_amount(spec, {"person.rural": True}, **kw)[0] == 17_000
    assert unit_amount(spec, {"person.rural": False}, **kw)[0] == 34_000


def test_cap_per_household_pays_in_order_until_the_cap():
    assert cap_per_household([("a", 10_000), ("b", 10_000), ("c", 10_000)], 15_000) == {"a": 10_000, "b": 5_000,
                                                                                         "c": 0}
    assert cap_per_household([("a", 10_000)], None) == {"a": 10_000}

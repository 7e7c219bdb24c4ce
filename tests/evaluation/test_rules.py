"""Scoring rules: every rule at and around its thresholds, explanations, validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from renkou.evaluation.rules import (
    RULES,
    Band,
    Bonus,
    DeductionPerEvent,
    DeductionPerUnit,
    EfficacyCoefficient,
    LevelProgressBlend,
    Linear,
    RatioToTarget,
    RuleError,
    Veto,
    round_points,
    rule_from_dict,
)


def pts(rule, value, target=None, points=10, **kw):
    return rule.score(value, target, points, **kw).points


# ------------------------------------------------------------------ band
@pytest.mark.parametrize(
    ("value", "expected"),
    [(8, "10.00"), (8.01, "10.00"), (7.99, "0.00"), (12, "10.00"), (11.99, "10.00"), (12.01, "0.00"), (10, "10.00")],
)
def test_band_full_points_inside_both_ends_included(value, expected):
    assert pts(Band(lo=8, hi=12), value) == Decimal(expected)


def test_band_with_open_upper_bound():
    rule = Band(lo=90)
    assert pts(rule, 90) == 10 and pts(rule, 1000) == 10 and pts(rule, 89.99) == 0


def test_band_explains_in_both_languages():
    s = Band(lo=8, hi=12).score(13, None, 10)
    assert s.explanation_zh == "值 13 不在 [8, 12] 之内，得 0 分"
    assert s.explanation_en == "value 13 is outside [8, 12]: 0 points"


# ------------------------------------------------------------------ linear
@pytest.mark.parametrize(
    ("value", "expected"),
    [(80, "0.00"), (79.9, "0.00"), (80.3, "0.20"), (87.5, "5.00"), (95, "10.00"), (94.7, "9.80"), (99, "10.00")],
)
def test_linear_higher_better(value, expected):
    assert pts(Linear(lower=80, upper=95), value) == Decimal(expected)


@pytest.mark.parametrize(("value", "expected"), [(2, "10.00"), (1, "10.00"), (4, "5.00"), (6, "0.00"), (7, "0.00")])
def test_linear_lower_better(value, expected):
    assert pts(Linear(lower=2, upper=6, direction="lower_better"), value) == Decimal(expected)


# ------------------------------------------------------------------ deduction per unit
@pytest.mark.parametrize(
    ("value", "expected"),
    [(90, "5.00"), (95, "5.00"), (89, "4.80"), (89.5, "4.90"), (80, "3.00"), (65, "0.00"), (0, "0.00")],
)
def test_deduction_of_point_two_per_percentage_point_below_target_floored_at_zero(value, expected):
    rule = DeductionPerUnit(per_unit=0.2)
    assert rule.score(value, 90, 5).points == Decimal(expected)


def test_deduction_per_unit_lower_better_uses_its_own_target_when_none_given():
    rule = DeductionPerUnit(per_unit=1, unit=0.5, direction="lower_better", target=10)
    assert pts(rule, 10) == 10 and pts(rule, 11) == 8 and pts(rule, 9) == 10
    assert pts(rule, 11, target=12) == 10  # the unit's own target wins


def test_deduction_per_unit_without_any_target_is_missing():
    s = DeductionPerUnit(per_unit=0.2).score(80, None, 5)
    assert s.state == "missing" and s.points is None and "no target" in s.explanation_en


# ------------------------------------------------------------------ deduction per event
@pytest.mark.parametrize(("found", "expected"), [(0, "4.00"), (1, "3.50"), (7, "0.50"), (8, "0.00"), (9, "0.00")])
def test_half_a_point_off_per_missed_birth(found, expected):
    assert DeductionPerEvent(per_event=0.5).score(found, None, 4).points == Decimal(expected)


def test_deduction_per_event_cap_and_negative_count():
    assert pts(DeductionPerEvent(per_event=1, max_deduction=3), 5) == 7
    with pytest.raises(ValueError, match="cannot be negative"):
        DeductionPerEvent(per_event=1).score(-1, None, 4)


# ------------------------------------------------------------------ ratio to target
@pytest.mark.parametrize(("value", "expected"), [(0, "0.00"), (45, "5.00"), (90, "10.00"), (99, "10.00"), (-5, "0.00")])
def test_ratio_to_target_capped_at_one(value, expected):
    assert RatioToTarget().score(value, 90, 10).points == Decimal(expected)


def test_ratio_to_target_cap_above_one_and_lower_better():
    assert pts(RatioToTarget(cap=1.2), 100, target=80) == Decimal("12.00")
    assert pts(RatioToTarget(cap=1.2), 120, target=80) == Decimal("12.00")
    assert pts(RatioToTarget(direction="lower_better"), 20, target=10) == Decimal("5.00")


# ------------------------------------------------------------------ efficacy coefficient
@pytest.mark.parametrize(
    ("value", "expected"),
    [(95, "10.00"), (100, "10.00"), (80, "6.00"), (87.5, "8.00"), (65, "2.00"), (20, "0.00")],
)
def test_efficacy_coefficient_benefit_indicator(value, expected):
    # d = 60 + 40 (x − 80)/(95 − 80): x=87.5 → 80; x=65 → 20; clamped to [0, 100]
    assert pts(EfficacyCoefficient(satisfactory=95, unacceptable=80), value) == Decimal(expected)


@pytest.mark.parametrize(("value", "expected"), [(10, "20.00"), (20, "12.00"), (15, "16.00"), (30, "12.00"), (5, "20.00")])
def test_efficacy_coefficient_cost_indicator_with_floor_sixty(value, expected):
    # cost indicator: satisfactory 10 below unacceptable 20; floor 60 → at least 60 % of 20 points
    rule = EfficacyCoefficient(satisfactory=10, unacceptable=20, floor=60)
    assert pts(rule, value, points=20) == Decimal(expected)


# ------------------------------------------------------------------ level and progress
def test_level_progress_blend_seven_to_three():
    rule = LevelProgressBlend(level=Linear(lower=80, upper=95), progress=Linear(lower=0, upper=5))
    # level: 10 × (92 − 80)/15 = 8; progress: +2 → 10 × 2/5 = 4; 0.7 × 8 + 0.3 × 4 = 6.8
    assert pts(rule, 92, previous=90) == Decimal("6.80")
    # no improvement at full level: 0.7 × 10 + 0
    assert pts(rule, 96, previous=97) == Decimal("7.00")


def test_level_progress_without_last_year_is_missing():
    rule = LevelProgressBlend(level=Band(lo=0), progress=Band(lo=0))
    s = rule.score(5, None, 10)
    assert s.state == "missing" and s.points is None


def test_level_progress_lower_better_counts_a_fall_as_improvement():
    rule = LevelProgressBlend(level=Band(hi=10), progress=Linear(lower=0, upper=2), direction="lower_better",
                              level_weight=0.5, progress_weight=0.5)
    assert pts(rule, 9, previous=10) == Decimal("7.50")


# ------------------------------------------------------------------ bonus and veto
@pytest.mark.parametrize(("value", "expected"), [(0, "0.00"), (1, "0.50"), (4, "2.00"), (5, "2.00")])
def test_bonus_adds_up_to_its_cap(value, expected):
    s = Bonus(per_unit=0.5).score(value, None, 2)
    assert s.points == Decimal(expected) and s.counts_in_total is False


def test_veto_triggers_on_one_case_found():
    assert Veto().score(1, None, 0).veto is True
    assert Veto().score(0, None, 0).veto is False
    assert Veto(op=">=", threshold=2).score(1, None, 0).veto is False
    assert "grade is void" in Veto().score(1, None, 0).explanation_en


# ------------------------------------------------------------------ common behaviour
@pytest.mark.parametrize("rule_type", sorted(RULES))
def test_missing_value_is_a_state_not_zero(rule_type):
    examples = {
        "band": {"lo": 1}, "linear": {"lower": 0, "upper": 1}, "deduction_per_unit": {"per_unit": 1},
        "deduction_per_event": {"per_event": 1}, "ratio_to_target": {}, "efficacy": {"satisfactory": 1,
        "unacceptable": 0}, "level_progress": {"level": {"type": "band", "lo": 0}, "progress": {"type": "band", "lo": 0}},
        "bonus": {"per_unit": 1}, "veto": {},
    }
    s = rule_from_dict({"type": rule_type, **examples[rule_type]}).score(None, 1, 10, previous=1)
    assert s.state == "missing" and s.points is None and s.veto is False


def test_points_round_half_up_to_two_decimals():
    assert round_points(Decimal("2.345")) == Decimal("2.35")
    assert round_points(Decimal("2.335")) == Decimal("2.34")
    assert pts(Linear(lower=0, upper=3), 1, points=1) == Decimal("0.33")
    assert pts(Linear(lower=0, upper=8), 1, points=1) == Decimal("0.13")  # 0.125 → 0.13


def test_rule_round_trips_through_its_dict():
    rule = LevelProgressBlend(level=Linear(lower=80, upper=95), progress=Band(lo=0, hi=5))
    assert rule_from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("d", "field", "fragment"),
    [
        ({"type": "band", "lo": 12, "hi": 10}, "lo", "lo (12) > hi (10)"),
        ({"type": "band"}, "lo", "give lo, hi or both"),
        ({"type": "linear", "lower": 5, "upper": 5}, "lower", "must be < upper"),
        ({"type": "linear", "lower": 1}, "upper", "missing parameter upper"),
        ({"type": "linear", "lower": 1, "upper": 2, "direction": "up"}, "direction", "higher_better or lower_better"),
        ({"type": "band", "lo": "x"}, "lo", "must be a number"),
        ({"type": "band", "lo": True}, "lo", "must be a number"),
        ({"type": "bandx"}, "type", "unknown type"),
        ({"type": "band", "lo": 1, "width": 2}, "width", "unknown parameter width"),
        ({"type": "deduction_per_event", "per_event": -0.5}, "per_event", "must be > 0"),
        ({"type": "efficacy", "satisfactory": 3, "unacceptable": 3}, "satisfactory", "equals unacceptable"),
        ({"type": "efficacy", "satisfactory": 3, "unacceptable": 1, "floor": 120}, "floor", "between 0 and 100"),
        ({"type": "level_progress", "level": {"type": "band", "lo": 3, "hi": 1}, "progress": {"type": "band", "lo": 0}},
         "level.lo", "lo (3) > hi (1)"),
        ({"type": "level_progress", "level": {"type": "band", "lo": 0}, "progress": {"type": "band", "lo": 0},
          "level_weight": 0.6}, "level_weight", "must be 1"),
        ({"type": "level_progress", "level": {"type": "veto"}, "progress": {"type": "band", "lo": 0}},
         "level", "plain scoring rule"),
        ({"type": "veto", "op": "=>"}, "op", "must be one of"),
    ],
)
def test_invalid_parameters_name_the_field(d, field, fragment):
    with pytest.raises(RuleError) as err:
        rule_from_dict(d)
    assert err.value.field == field
    assert fragment in str(err.value)
    assert "规则" in str(err.value)


def test_band_error_message_matches_the_scheme_wording():
    with pytest.raises(RuleError) as err:
        rule_from_dict({"type": "band", "lo": 12, "hi": 10})
    assert err.value.message_zh == "规则 band 的 lo (12) 大于 hi (10)"

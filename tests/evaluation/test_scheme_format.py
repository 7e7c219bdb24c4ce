"""Scheme files: the example loads and scores; every kind of mistake is named by item and field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from renkou.evaluation.ranking import rank_units, total_points, township_peer_group
from renkou.evaluation.scheme_format import SchemeError, load_scheme, parse_scheme, parse_scheme_text

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "renkou" / "evaluation" / "schemes" / "township-2005.yaml"


@pytest.fixture
def raw():
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def errors_of(data):
    with pytest.raises(SchemeError) as err:
        parse_scheme(data)
    return err.value.errors


def item(data, code):
    return next(i for t in data["themes"] for i in t["items"] if i["code"] == code)


def test_example_scheme_loads():
    s = load_scheme(EXAMPLE)
    assert s.year == 2005 and s.period.code == "2005SY" and s.units.parent == "520122"
    assert s.total_points == 100
    assert [t.name_zh for t in s.themes] == ["人口与发展", "服务与管理", "数据质量", "基础工作"]
    assert s.item("C2").rule.to_dict() == {"type": "deduction_per_event", "per_event": 0.5, "max_deduction": None}
    assert s.item("V1").rule.type == "veto" and s.item("D3").counts_in_total is False


def test_example_scheme_scores_and_ranks_townships():
    s = load_scheme(EXAMPLE)
    perfect = {"A1": 9.2, "A2": 4.1, "A3": 105, "B1": 96, "B2": 86, "B3": 95, "B4": 100, "C1": 99, "C2": 0,
               "C3": 0.01, "D1": 100, "D2": 90, "D3": 1, "V1": 0}
    weak = dict(perfect, A3=112, B1=80, C2=3, D3=0)
    cheat = dict(perfect, V1=1)
    values = {"520122100": perfect, "520122101": weak, "520122200": cheat}
    previous = {"B3": 90}
    totals = {
        unit: total_points(i.rule.score(v[i.code], i.target, i.points, previous=previous.get(i.code)) for i in s.items)
        for unit, v in values.items()
    }
    # perfect: 100 + 0.5 bonus; weak: −10 (SRB) −2 (B1: 10 × 0.2) −1.5 (C2: 3 × 0.5)
    # B3: level 10, progress 5/10 × 10 = 5 → 0.7 × 10 + 0.3 × 5 = 8.5 for all three
    assert totals["520122100"].points == Decimal("99.00")
    assert totals["520122101"].points == Decimal("85.00")
    assert totals["520122200"].vetoed
    groups = {u: township_peer_group(u) for u in values}
    rows = {r.unit: r for r in rank_units(totals, groups=groups, grades=s.grades, warnings=s.warnings)}
    assert rows["520122100"].grade.name_zh == "特等" and rows["520122101"].grade.name_zh == "一等"
    assert rows["520122200"].grade.code == "veto" and rows["520122200"].rank == 3
    assert {w.name_zh for w in rows["520122200"].warnings} == {"通报批评", "诫勉谈话"}


def test_band_error_names_item_and_field(raw):
    item(raw, "A1")["rule"] = {"type": "band", "lo": 12, "hi": 10}
    assert errors_of(raw) == ["项目 A1 (出生率)：规则 band 的 lo (12) 大于 hi (10) / item A1: rule band: lo (12) > hi (10)"]


def test_points_must_add_up_to_the_total(raw):
    item(raw, "A1")["points"] = 9
    errs = errors_of(raw)
    assert any("add up to 101" in e and "total_points 100" in e for e in errs)
    assert any(e.startswith("主题 A (人口与发展)") and "not points 25" in e for e in errs)


def test_grade_thresholds_must_be_ordered(raw):
    raw["grades"][1]["min_points"] = 96
    assert any("strictly decreasing" in e for e in errors_of(raw))


def test_unknown_keys_are_rejected_everywhere(raw):
    raw["colour"] = "red"
    item(raw, "B1")["weight"] = 2
    raw["units"]["province"] = "52"
    errs = errors_of(raw)
    assert any(e.startswith("方案：未知字段 colour") for e in errs)
    assert any(e.startswith("项目 B1 (住院分娩率)：未知字段 weight") for e in errs)
    assert any("unknown field province" in e for e in errs)


def test_every_problem_is_reported_at_once(raw):
    item(raw, "A1")["rule"] = {"type": "band"}
    item(raw, "B1")["source"] = {"survey": "x"}
    item(raw, "V1")["points"] = 2
    raw["year"] = "2005"
    errs = errors_of(raw)
    assert len(errs) == 4
    assert any("item A1" in e and "give lo, hi or both" in e for e in errs)
    assert any("item B1" in e and "unknown source survey" in e for e in errs)
    assert any("item V1" in e and "veto item has 0 points" in e for e in errs)
    assert any("year ('2005')" in e for e in errs)


def _computed(raw, code, expr, points=1):
    extra = {"code": code, "name_zh": f"计算项 {code}", "name_en": f"computed {code}", "points": points,
             "source": {"computed": expr}, "rule": {"type": "band", "lo": 0}}
    raw["themes"][3]["items"].append(extra)
    raw["themes"][3]["points"] += points
    raw["total_points"] += points


def test_computed_items_may_use_other_items(raw):
    _computed(raw, "X1", "(S{C1} + S{B1}) / 2")
    assert parse_scheme(raw).item("X1").source.ref == "(S{C1} + S{B1}) / 2"


def test_circular_references_between_computed_items_are_detected(raw):
    _computed(raw, "X1", "S{X2} + 1")
    _computed(raw, "X2", "S{X1} * 2")
    errs = errors_of(raw)
    assert errs == ["项目 X1 (计算项 X1)：计算项目循环引用：X1 → X2 → X1 / "
                    "item X1: circular reference between computed items: X1 → X2 → X1"]


def test_computed_reference_to_unknown_item_and_syntax_error(raw):
    _computed(raw, "X1", "S{Z9} + 1")
    _computed(raw, "X2", "S{C1} +")
    errs = errors_of(raw)
    assert any("item X1" in e and "unknown item Z9" in e for e in errs)
    assert any("item X2" in e and "character 8" in e for e in errs)


def test_duplicate_item_codes(raw):
    item(raw, "A2")["code"] = "A1"
    assert any("item A1" in e and "duplicate code" in e for e in errors_of(raw))


def test_veto_cannot_rest_on_an_indicator(raw):
    item(raw, "V1")["source"] = {"indicator": "cbr"}
    assert any("not on an indicator value" in e for e in errors_of(raw))


def test_peer_group_classes_checked(raw):
    raw["peer_groups"][1]["classes"] = ["town", "village"]
    errs = errors_of(raw)
    assert any("unknown classes village" in e for e in errs)
    assert any("class town already belongs to peer group towns" in e for e in errs)


def test_json_form_is_equivalent(raw):
    assert parse_scheme_text(json.dumps(raw), "json") == parse_scheme(copy.deepcopy(raw))


def test_broken_yaml_is_a_scheme_error():
    with pytest.raises(SchemeError, match="cannot be parsed"):
        parse_scheme_text("themes: [unclosed", "yaml")

"""Ranking: competition ranks with ties, peer groups, grades, veto, warnings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from renkou.evaluation.ranking import (
    DEFAULT_GRADES,
    Grade,
    GradeScale,
    Total,
    WarningRule,
    competition_ranks,
    rank_units,
    total_points,
    township_peer_group,
)
from renkou.evaluation.rules import Band, DeductionPerEvent, Veto


def test_ties_share_a_rank_and_the_next_rank_skips():
    assert competition_ranks({"a": 95, "b": 90, "c": 90, "d": 80}) == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert competition_ranks({"a": 1, "b": 1, "c": 1}) == {"a": 1, "b": 1, "c": 1}
    assert competition_ranks({"a": 3, "b": 1, "c": 1}, descending=False) == {"a": 3, "b": 1, "c": 1}


def test_total_counts_bonus_notes_missing_and_veto():
    scores = [
        Band(lo=0).score(1, None, 10),
        DeductionPerEvent(per_event=0.5).score(3, None, 4),
        Band(lo=0).score(None, None, 5),
        Veto().score(1, None, 0),
    ]
    t = total_points(scores)
    assert t == Total(Decimal("12.50"), incomplete=True, vetoed=True, missing_items=1)


@pytest.mark.parametrize(
    ("points", "code"),
    [(100, "special"), (95, "special"), (94.99, "first"), (85, "first"), (75, "second"), (60, "third"),
     (59.99, "fail"), (0, "fail")],
)
def test_default_grades_at_their_thresholds(points, code):
    assert DEFAULT_GRADES.grade_for(points).code == code


def test_veto_voids_the_grade_whatever_the_points():
    grade = DEFAULT_GRADES.grade_for(99, vetoed=True)
    assert grade.code == "veto" and grade.name_zh.startswith("一票否决")


def test_grade_scale_must_be_ordered():
    with pytest.raises(ValueError, match="strictly decreasing"):
        GradeScale((Grade("a", "一等", "first", Decimal(80)), Grade("b", "二等", "second", Decimal(90))))
    with pytest.raises(ValueError, match="only the last grade"):
        GradeScale((Grade("a", "一等", "first"), Grade("b", "二等", "second", Decimal(90))))


def test_a_scale_without_catch_all_leaves_low_units_ungraded():
    scale = GradeScale((Grade("a", "达标", "passed", Decimal(60)),))
    assert scale.grade_for(59) is None


def test_rank_units_overall_and_within_peer_groups():
    totals = {"001": 92, "002": 88, "101": 95, "102": 88, "201": 70, "202": 70}
    groups = {u: township_peer_group("130982" + u) for u in totals}
    rows = {r.unit: r for r in rank_units(totals, groups=groups, warnings=())}
    assert {u: r.rank for u, r in rows.items()} == {"101": 1, "001": 2, "002": 3, "102": 3, "201": 5, "202": 5}
    assert {u: r.group_rank for u, r in rows.items()} == {"001": 1, "002": 2, "101": 1, "102": 2, "201": 1, "202": 1}
    assert rows["001"].group == "subdistrict" and rows["101"].group == "town" and rows["201"].group == "township"


def test_vetoed_unit_ranks_last_and_loses_its_grade():
    rows = rank_units({"a": 98, "b": 80, "c": 70}, vetoed={"a"}, warnings=())
    assert [(r.unit, r.rank, r.grade.code) for r in rows] == [("b", 1, "second"), ("c", 2, "third"), ("a", 3, "veto")]
    rows = rank_units({"a": 98, "b": 80}, vetoed={"a"}, warnings=(), veto_ranks_last=False)
    assert [(r.unit, r.rank, r.grade.code) for r in rows] == [("a", 1, "veto"), ("b", 2, "second")]


def test_default_warnings_last_place_below_sixty_and_veto():
    rows = {r.unit: r for r in rank_units({"a": 90, "b": 59, "c": 61, "d": 59.5}, vetoed={"c"})}
    codes = {u: {w.code for w in r.warnings} for u, r in rows.items()}
    # ranking without c: a 90, d 59.5, b 59; c vetoed goes last
    assert codes == {"a": set(), "b": {"yellow_card"}, "c": {"notice", "admonition"}, "d": {"yellow_card"}}


def test_last_place_warning_covers_every_unit_tied_at_the_bottom():
    rows = rank_units({"a": 90, "b": 70, "c": 70}, warnings=(WarningRule("n", "通报批评", "notice", last_places=1),))
    assert {r.unit for r in rows if r.warnings} == {"b", "c"}


def test_group_scoped_warning_is_given_in_each_group():
    rule = WarningRule("n", "通报批评", "notice", last_places=1, scope="group")
    rows = rank_units({"a": 90, "b": 80, "c": 99, "d": 60}, groups={"a": "g1", "b": "g1", "c": "g2", "d": "g2"},
                      warnings=(rule,))
    assert {r.unit for r in rows if r.warnings} == {"b", "d"}


def test_warning_rule_needs_a_condition():
    with pytest.raises(ValueError, match="no condition"):
        WarningRule("x", "x", "x")


def test_township_peer_groups_from_codes():
    assert township_peer_group("520122001") == "subdistrict"
    assert township_peer_group("520122100") == "town"
    assert township_peer_group("520122399") == "township"
    assert township_peer_group("520122400") == "farm"
    with pytest.raises(ValueError):
        township_peer_group("5201")

"""Evaluation runs: every unit scored, totalled, ranked with ties and peer groups, graded, vetoed, warned."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from renkou.evaluation import services
from renkou.evaluation.models import ItemResult, UnitResult

from .conftest import TOWNSHIPS, enter_scores


def _line(run, code):
    return UnitResult.objects.get(run=run, unit_id=code)


@pytest.mark.django_db
def test_ties_share_the_best_rank_and_the_next_unit_skips(scored_run):
    ranks = {u.unit_id: (u.total, u.rank) for u in services.ranking(scored_run)}
    tied = [c for c in TOWNSHIPS if c not in ("520122100000", "520122101000", "520122102000")]
    assert all(ranks[c] == (Decimal("20.00"), 1) for c in tied)  # 8 units tied at 20
    assert ranks["520122101000"] == (Decimal("18.00"), 9)       # 10 − 0.5 × 4 on A2
    assert ranks["520122100000"] == (Decimal("10.00"), 10)      # A1 70 outside [80, +∞)
    assert ranks["520122102000"] == (Decimal("20.00"), 11)      # vetoed: after every unit without a veto


@pytest.mark.django_db
def test_veto_voids_the_grade_whatever_the_points(scored_run):
    vetoed = _line(scored_run, "520122102000")
    assert vetoed.vetoed and vetoed.total == Decimal("20.00")
    assert vetoed.grade_code == "veto"
    assert {w["code"] for w in vetoed.warnings} == {"notice", "admonition"}
    assert _line(scored_run, "520122101000").grade_code == "special"   # 18 ≥ 18
    assert _line(scored_run, "520122100000").grade_code == "fail"      # 10 < 15
    assert {w["code"] for w in _line(scored_run, "520122100000").warnings} == {"yellow_card"}


@pytest.mark.django_db
def test_peer_groups_rank_towns_and_townships_apart(scored_run):
    township = _line(scored_run, "520122200000")  # 青山苗族乡, the only 乡
    assert township.peer_group == "townships" and township.group_rank == 1 and township.rank == 1
    subdistrict = _line(scored_run, "520122001000")  # 永阳街道 ranks with the towns
    assert subdistrict.peer_group == "towns" and subdistrict.group_rank == 1
    assert _line(scored_run, "520122101000").group_rank == 8   # 7 towns tied ahead of it
    assert _line(scored_run, "520122102000").group_rank == 10


@pytest.mark.django_db
def test_contract_target_overrides_the_scheme_default(scored_run):
    item = ItemResult.objects.get(unit_result__run=scored_run, unit_result__unit_id="520122103000", item_code="A2")
    assert item.target == Decimal("90") and item.value == Decimal("95") and item.points == Decimal("10.00")
    other = ItemResult.objects.get(unit_result__run=scored_run, unit_result__unit_id="520122101000", item_code="A2")
    assert other.target == Decimal("100") and other.points == Decimal("8.00")
    assert "96" in other.explanation_en and "100" in other.explanation_en and "−2" in other.explanation_en
    assert other.source["source"] == "inspection" and other.source["sheet"] == "reports"


@pytest.mark.django_db
def test_a_missing_score_is_not_zero_and_marks_the_total_incomplete(small_scheme, evaluator):
    enter_scores(small_scheme, evaluator, {("520122104000", "quality"): None})
    run = services.compute_run(user=evaluator, scheme=small_scheme)
    line = _line(run, "520122104000")
    item = line.items.get(item_code="A1")
    assert item.state == "missing" and item.points is None
    assert line.incomplete and line.total == Decimal("10.00")
    assert not _line(run, "520122100000").incomplete


@pytest.mark.django_db
def test_json_lines_give_code_name_total_rank_grade_veto_and_items(scored_run):
    rows = services.runs_as_json(scored_run)
    assert len(rows) == 11
    last = rows[-1]
    assert last["code"] == "520122102000" and last["name"] == "九庄镇" and last["veto"] is True
    assert last["rank"] == 11 and last["grade"] == "veto" and last["items"] == {"A1": 10.0, "A2": 10.0,
                                                                               "V1": 0.0}


@pytest.mark.django_db
def test_only_assessment_managers_compute(small_scheme, make_user, seed_areas):
    township = make_user("xiang", "township_officer", capture=[seed_areas["520122100000"]])
    with pytest.raises(PermissionDenied):
        services.compute_run(user=township, scheme=small_scheme)


@pytest.mark.django_db
def test_a_unit_alone_in_its_peer_group_is_not_its_last_place(scored_run):
    alone = _line(scored_run, "520122200000")  # the only 乡 of the county
    assert alone.group_rank == 1 and alone.warnings == []

"""``renkou evaluate``: one line per unit with code, name, total, rank, grade, veto and item scores."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from renkou.evaluation import services
from renkou.evaluation.models import Run

from .conftest import SMALL_SCHEME, enter_scores


@pytest.mark.django_db
def test_evaluate_prints_every_unit_as_json(small_scheme, evaluator, tmp_path):
    enter_scores(small_scheme, evaluator, {("520122100000", "quality"): 70, ("520122102000", "falsified"): 2})
    path = tmp_path / "scheme.yaml"
    path.write_text(SMALL_SCHEME, encoding="utf-8")
    out = io.StringIO()
    call_command("evaluate", "--scheme", str(path), "--period", "2005", "--format", "json", "--publish", stdout=out,
                 stderr=io.StringIO())
    rows = json.loads(out.getvalue())
    assert len(rows) == 11
    by_code = {r["code"]: r for r in rows}
    assert by_code["520122100000"] == {
        "code": "520122100000", "name": "永靖镇", "total": 10.0, "rank": 10, "group": "towns", "group_rank": 9,
        "grade": "fail", "veto": False, "incomplete": False, "warnings": ["yellow_card"],
        "items": {"A1": 0.0, "A2": 10.0, "V1": 0.0}}
    assert by_code["520122102000"]["veto"] is True and by_code["520122102000"]["rank"] == 11
    assert by_code["520122200000"]["total"] == 20.0 and by_code["520122200000"]["rank"] == 1
    run = Run.objects.get()
    assert run.is_published and services.verify_run(run)


@pytest.mark.django_db
def test_evaluate_names_every_problem_of_a_bad_file(small_scheme, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL_SCHEME.replace("lo: 80}", "lo: 80, hi: 70}").replace("total_points: 20", "total_points: 21"),
                    encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("evaluate", "--scheme", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    text = str(err.value)
    assert "item A1" in text and "lo (80) > hi (70)" in text
    assert not Run.objects.exists()

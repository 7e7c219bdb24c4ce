"""Scheme import/export and contract targets: entered, imported all-or-nothing, with clear messages."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from renkou.evaluation import services
from renkou.evaluation.models import AssessmentScheme, Target
from renkou.evaluation.scheme_format import SchemeError, parse_scheme_text

from .conftest import SMALL_SCHEME


@pytest.mark.django_db
def test_scheme_round_trips_through_json(small_scheme):
    text = services.export_scheme(small_scheme, "json")
    assert json.loads(text)["code"] == "test-xifeng-2005"
    assert parse_scheme_text(text, "json") == parse_scheme_text(SMALL_SCHEME, "yaml")


@pytest.mark.django_db
def test_scheme_code_taken_or_parent_unknown_is_refused(small_scheme, evaluator):
    with pytest.raises(SchemeError, match="already exists"):
        services.import_scheme(user=evaluator, text=SMALL_SCHEME)
    with pytest.raises(SchemeError, match="parent area 990101 does not exist"):
        services.import_scheme(user=evaluator, text=SMALL_SCHEME.replace('"520122"', '"990101"'), replace=True)
    assert AssessmentScheme.objects.get().parent_id == "520122000000"


@pytest.mark.django_db
def test_target_import_is_all_or_nothing_and_names_bad_rows(small_scheme, evaluator):
    bad = "unit_code,item_code,target\n520122100,A2,95\n520122999,A2,90\n520122101,A1,90\n520122102,A2,abc\n"
    with pytest.raises(ValidationError) as err:
        services.import_targets(user=evaluator, scheme=small_scheme, data=bad.encode(), filename="t.csv")
    text = " ".join(err.value.messages)
    assert "row 3" in text and "not assessed" in text and "row 4" in text and "takes no target" in text
    assert "row 5" in text and "not a number" in text
    assert not Target.objects.exists()
    good = "单位代码,项目代码,目标值\n520122100,A2,95\n520122101000,A2,92.5\n".encode("gb18030")
    assert services.import_targets(user=evaluator, scheme=small_scheme, data=good, filename="t.csv") == 2
    table = {r["unit"].code: r["targets"][0] for r in services.targets_table(small_scheme)}
    assert table["520122101000"]["value"] == pytest.approx(92.5) and table["520122101000"]["contract"]
    assert table["520122108000"]["value"] == 100 and not table["520122108000"]["contract"]


@pytest.mark.django_db
def test_inspection_sheet_must_exist_in_the_scheme(small_scheme, evaluator):
    with pytest.raises(ValidationError, match="no inspection sheet"):
        services.set_inspection_score(user=evaluator, scheme=small_scheme, unit="520122100", sheet="nope", value=1)

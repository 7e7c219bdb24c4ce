"""Aggregate forms: entry with validation and outliers, completeness and timeliness, approval that locks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renkou.core.models import AuditEvent
from renkou.indicators import aggregate, services
from renkou.indicators.models import Completion, DataSet, DataValue, MinMax

from .conftest import COUNTY, TOWNSHIP

OTHER_TOWNSHIP = "520122101000"


@pytest.fixture
def form(world):
    services.load_catalog()
    return DataSet.objects.get(code="activity_monthly")


@pytest.fixture
def officers(seed_areas, make_user):
    a = seed_areas
    return {"township": make_user("xiang", "township_officer", capture=[a[TOWNSHIP]]),
            "county": make_user("xian", "county_officer", capture=[a[COUNTY]]),
            "auditor": make_user("shenji", "auditor", view=[a[COUNTY]])}


def test_saved_values_are_audited_and_rules_reported(form, officers, seed_areas):
    area = seed_areas[TOWNSHIP]
    res = aggregate.save_values(user=officers["township"], dataset=form, area=area, period="200503",
                                values={("publicity_sessions", ""): "4", ("people_reached", ""): "3",
                                        ("women_served", "married"): "10"})
    assert res.saved == 3
    assert res.violations == ["受教育人次不少于宣传场次：3 >= 4 不成立 / people reached at least the sessions: fails"]
    v = DataValue.objects.get(element__code="publicity_sessions", area=area, period="200503")
    assert v.value == Decimal("4") and v.stored_by == officers["township"]
    assert AuditEvent.objects.filter(object_type="indicators.datavalue", action="create").count() == 3


def test_values_outside_the_expected_range_are_flagged_not_refused(form, officers, seed_areas):
    area = seed_areas[TOWNSHIP]
    MinMax.objects.create(element=form.elements.get(code="publicity_sessions"), minimum=0, maximum=10)
    res = aggregate.save_values(user=officers["township"], dataset=form, area=area, period="200503",
                                values={("publicity_sessions", ""): "40"})
    assert res.saved == 1 and len(res.outliers) == 1
    assert DataValue.objects.get(area=area, period="200503").outlier is True


def test_bad_numbers_periods_and_areas_are_refused_with_reasons(form, officers, seed_areas):
    user, area = officers["township"], seed_areas[TOWNSHIP]
    with pytest.raises(ValidationError, match="不是数字"):
        aggregate.save_values(user=user, dataset=form, area=area, period="200503",
                              values={("trainings", ""): "=1+1"})
    with pytest.raises(ValidationError, match="not month|is reported by month"):
        aggregate.save_values(user=user, dataset=form, area=area, period="2005", values={})
    with pytest.raises(PermissionDenied):
        aggregate.save_values(user=user, dataset=form, area=seed_areas[OTHER_TOWNSHIP], period="200503",
                              values={("trainings", ""): "1"})
    with pytest.raises(PermissionDenied):
        aggregate.save_values(user=officers["auditor"], dataset=form, area=area, period="200503", values={})
    assert not DataValue.objects.exists()


def test_approval_goes_up_the_levels_and_locks_the_values(form, officers, seed_areas):
    t, c, area = officers["township"], officers["county"], seed_areas[TOWNSHIP]
    aggregate.save_values(user=t, dataset=form, area=area, period="200503", values={("trainings", ""): "2"})
    with pytest.raises(ValidationError, match="not been reported"):
        aggregate.approve(user=t, dataset=form, area=area, period="200503", level=4)
    aggregate.complete(user=t, dataset=form, area=area, period="200503")
    with pytest.raises(ValidationError, match="level below"):
        aggregate.approve(user=c, dataset=form, area=area, period="200503", level=3)
    with pytest.raises(PermissionDenied):
        aggregate.approve(user=t, dataset=form, area=area, period="200503", level=3)
    aggregate.approve(user=t, dataset=form, area=area, period="200503", level=4)
    aggregate.approve(user=c, dataset=form, area=area, period="200503", level=3)
    with pytest.raises(ValidationError, match="approved"):
        aggregate.save_values(user=t, dataset=form, area=area, period="200503", values={("trainings", ""): "3"})
    with pytest.raises(ValidationError, match="higher level"):
        aggregate.unapprove(user=t, dataset=form, area=area, period="200503", level=4)
    aggregate.unapprove(user=c, dataset=form, area=area, period="200503", level=3)
    aggregate.unapprove(user=t, dataset=form, area=area, period="200503", level=4)
    aggregate.save_values(user=t, dataset=form, area=area, period="200503", values={("trainings", ""): "3"})
    assert DataValue.objects.get(area=area, period="200503").value == 3


def test_completeness_and_timeliness_count_the_townships(form, officers, seed_areas):
    county = seed_areas[COUNTY]
    n = len([a for a in seed_areas.values() if a.code.startswith("520122") and a.level == 4])
    aggregate.complete(user=officers["township"], dataset=form, area=seed_areas[TOWNSHIP], period="200503")
    late = aggregate.complete(user=officers["county"], dataset=form, area=seed_areas[OTHER_TOWNSHIP],
                              period="200503")
    Completion.objects.filter(pk=late.pk).update(completed_at=dt.datetime(2005, 5, 1, tzinfo=dt.UTC))
    Completion.objects.exclude(pk=late.pk).update(completed_at=dt.datetime(2005, 4, 5, tzinfo=dt.UTC))
    got = aggregate.completeness(form, county, "200503")
    assert got["expected"] == n and got["completed"] == 2 and got["timely"] == 1
    assert got["completeness"] == round(200 / n, 2) and got["due"] == dt.date(2005, 4, 10)

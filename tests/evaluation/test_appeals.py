"""Appeals re-open one item of a published run and give a new version; the old one stays as it was."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from renkou.evaluation import services
from renkou.evaluation.models import Appeal, Run, UnitResult


@pytest.fixture
def published(scored_run, evaluator):
    return services.publish_run(user=evaluator, run=scored_run)


@pytest.mark.django_db
def test_accepted_appeal_gives_a_new_version_with_a_visible_diff(published, evaluator):
    old_hash = published.content_hash
    appeal = services.file_appeal(user=evaluator, run=published, unit="520122100", item_code="A1",
                                  reason="检查漏记 / a visit was not counted", claimed_value=85)
    appeal = services.decide_appeal(user=evaluator, appeal=appeal, accept=True, decision="confirmed")
    new = appeal.new_run
    assert appeal.status == Appeal.Status.ACCEPTED and new.version == 2 and new.previous_id == published.pk
    assert new.status == Run.Status.DRAFT
    line = UnitResult.objects.get(run=new, unit_id="520122100000")
    assert line.total == Decimal("20.00") and line.rank == 1
    item = line.items.get(item_code="A1")
    assert item.overridden and item.value == Decimal("85") and item.source["value_before_appeal"] == "70.000000"
    diff = services.run_diff(published, new)
    by_unit = {c.unit: c for c in diff}
    change = by_unit["520122100000"]
    assert change.total == (Decimal("10.00"), Decimal("20.00")) and change.rank == (10, 1)
    assert change.grade == ("fail", "special")
    assert change.items == (("A1", Decimal("70.000000"), Decimal("85.000000"), Decimal("0.00"), Decimal("10.00")),)
    # the unit that was behind it moves down one place; nobody else's points change
    assert by_unit["520122101000"].rank == (9, 10) and by_unit["520122101000"].items == ()
    assert set(by_unit) == {"520122100000", "520122101000"}
    published.refresh_from_db()
    assert published.content_hash == old_hash and services.verify_run(published)
    assert UnitResult.objects.get(run=published, unit_id="520122100000").total == Decimal("10.00")
    services.publish_run(user=evaluator, run=new)
    assert services.latest_published(published.scheme).pk == new.pk


@pytest.mark.django_db
def test_rejected_appeal_changes_nothing(published, evaluator):
    appeal = services.file_appeal(user=evaluator, run=published, unit="520122100", item_code="A1", reason="no")
    appeal = services.decide_appeal(user=evaluator, appeal=appeal, accept=False, decision="records do not show it")
    assert appeal.status == Appeal.Status.REJECTED and appeal.new_run is None
    assert Run.objects.count() == 1
    with pytest.raises(ValidationError):
        services.decide_appeal(user=evaluator, appeal=appeal, accept=True, corrected_value=90)


@pytest.mark.django_db
def test_appeals_need_a_published_latest_version_and_grounds(scored_run, evaluator):
    with pytest.raises(ValidationError):
        services.file_appeal(user=evaluator, run=scored_run, unit="520122100", item_code="A1", reason="x")
    run = services.publish_run(user=evaluator, run=scored_run)
    with pytest.raises(ValidationError):
        services.file_appeal(user=evaluator, run=run, unit="520122100", item_code="A1", reason="  ")
    with pytest.raises(ValidationError):
        services.file_appeal(user=evaluator, run=run, unit="520122100", item_code="Z9", reason="x")
    appeal = services.file_appeal(user=evaluator, run=run, unit="520122100", item_code="A1", reason="x")
    with pytest.raises(ValidationError):  # accepted without any value to put in
        services.decide_appeal(user=evaluator, appeal=appeal, accept=True)

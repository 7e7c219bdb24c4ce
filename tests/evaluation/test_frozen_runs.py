"""A published run is a frozen snapshot: the model, the services and the database all refuse changes."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module

import pytest
from django.db import DatabaseError, connection, transaction

from renkou.evaluation import services
from renkou.evaluation.models import FrozenError, ItemResult, Run, UnitResult


@pytest.mark.django_db
def test_publishing_stores_the_content_hash_and_it_verifies(scored_run, evaluator):
    run = services.publish_run(user=evaluator, run=scored_run)
    assert run.is_published and len(run.content_hash) == 64
    assert run.content_hash == services.content_hash(run)
    assert services.verify_run(Run.objects.get(pk=run.pk))


@pytest.mark.django_db
def test_the_hash_covers_the_points(scored_run, evaluator):
    before = services.content_hash(scored_run)
    item = ItemResult.objects.filter(unit_result__run=scored_run).first()
    item.points = (item.points or Decimal(0)) + 1
    item.save()  # still a draft: allowed, and the hash moves
    assert services.content_hash(scored_run) != before


@pytest.mark.django_db
def test_model_refuses_to_change_or_delete_a_published_run(scored_run, evaluator):
    run = services.publish_run(user=evaluator, run=scored_run)
    run.reason = "edited"
    with pytest.raises(FrozenError):
        run.save()
    with pytest.raises(FrozenError):
        run.delete()
    line = UnitResult.objects.filter(run=run).first()
    line.total = Decimal("99")
    with pytest.raises(FrozenError):
        line.save()
    with pytest.raises(FrozenError):
        line.delete()
    item = ItemResult.objects.filter(unit_result__run=run).first()
    item.points = Decimal("0")
    with pytest.raises(FrozenError):
        item.save()
    with pytest.raises(FrozenError):
        UnitResult.objects.create(run=run, unit_id="520122100000", unit_name="x", total=1, rank=1)
    for qs in (Run.objects.filter(pk=run.pk), UnitResult.objects.filter(run=run),
               ItemResult.objects.filter(unit_result__run=run)):
        with pytest.raises(FrozenError):
            qs.update(**({"reason": "x"} if qs.model is Run else {"state": "x"} if qs.model is ItemResult
                         else {"total": 0}))
        with pytest.raises(FrozenError):
            qs.delete()
    assert services.verify_run(Run.objects.get(pk=run.pk))


@pytest.mark.django_db
def test_services_refuse_to_republish_or_delete_a_published_run(scored_run, evaluator):
    run = services.publish_run(user=evaluator, run=scored_run)
    with pytest.raises(FrozenError):
        services.publish_run(user=evaluator, run=run)
    with pytest.raises(FrozenError):
        services.delete_run(user=evaluator, run=run)
    assert Run.objects.filter(pk=run.pk, status="published").exists()


@pytest.mark.django_db
def test_a_draft_run_can_be_deleted_with_its_results(scored_run, evaluator):
    services.delete_run(user=evaluator, run=scored_run)
    assert not Run.objects.exists() and not UnitResult.objects.exists() and not ItemResult.objects.exists()


@pytest.mark.django_db
def test_database_refuses_raw_changes_to_a_published_run(scored_run, evaluator):
    guard = import_module("renkou.evaluation.migrations.0002_published_run_guard")
    guard.install(connection)  # what the migration installs outside the test suite; rolled back after the test
    draft_line = UnitResult.objects.filter(run=scored_run).first()
    with connection.cursor() as cur:  # a draft still changes freely
        cur.execute("UPDATE evaluation_unitresult SET total = 7 WHERE id = %s", [draft_line.pk])
        cur.execute("UPDATE evaluation_unitresult SET total = 20 WHERE id = %s", [draft_line.pk])
    run = services.publish_run(user=evaluator, run=scored_run)  # draft → published passes the trigger
    line = UnitResult.objects.filter(run=run).first()
    item = ItemResult.objects.filter(unit_result=line).first()
    statements = [
        ("UPDATE evaluation_run SET reason = 'x' WHERE id = %s", [run.pk]),
        ("UPDATE evaluation_run SET status = 'draft' WHERE id = %s", [run.pk]),
        ("DELETE FROM evaluation_run WHERE id = %s", [run.pk]),
        ("UPDATE evaluation_unitresult SET total = 99 WHERE id = %s", [line.pk]),
        ("DELETE FROM evaluation_unitresult WHERE id = %s", [line.pk]),
        ("UPDATE evaluation_itemresult SET points = 0 WHERE id = %s", [item.pk]),
        ("DELETE FROM evaluation_itemresult WHERE id = %s", [item.pk]),
        ("INSERT INTO evaluation_unitresult (run_id, unit_id, unit_name, peer_group, total, rank, grade_code, "
         "grade_zh, grade_en, vetoed, incomplete, warnings) VALUES (%s, '520122100000', 'x', '', 1, 1, '', '', '', "
         "false, false, '[]')", [run.pk]),
    ]
    for sql, params in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    assert services.verify_run(Run.objects.get(pk=run.pk))

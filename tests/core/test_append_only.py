"""The database refuses every way of rewriting an append-only or frozen row, raw SQL included.

SQLite's ``REPLACE INTO`` and ``INSERT OR REPLACE`` delete the conflicting row without firing DELETE
triggers; ``INSERT … ON CONFLICT DO UPDATE`` is the same attack in both dialects. Each statement is
sent through the Django connection and must fail, the row must be unchanged after it.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.db import DatabaseError, connection, transaction

from renkou.core import audit
from renkou.core.models import AuditEvent

AT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
# PostgreSQL has no REPLACE: the tests of the old defect are SQLite's; ON CONFLICT DO UPDATE is tested on both
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="REPLACE INTO is SQLite's statement")


def _core_guard():
    return import_module("renkou.core.migrations.0004_audit_hash_chain")


def _evaluation_guard():
    return import_module("renkou.evaluation.migrations.0003_published_run_replace_guard")


def _refused(sql: str, params) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    except DatabaseError:
        return True
    return False


AUDIT_COLUMNS = "(id, at, actor_username, action, object_type, object_id, object_repr, area_code)"


def _audit_rewrites(pk: int) -> list[tuple[str, list]]:
    values = "(%s, %s, 'intruder', 'view', 'registry.person', '1', 'rewritten', '')"
    params = [pk, AT]
    statements = [
        (f"INSERT INTO core_auditevent {AUDIT_COLUMNS} VALUES {values} ON CONFLICT (id) DO UPDATE SET "
         "actor_username = excluded.actor_username, object_repr = excluded.object_repr, at = excluded.at", params),
        ("UPDATE core_auditevent SET object_repr = 'rewritten' WHERE id = %s", [pk]),
        ("DELETE FROM core_auditevent WHERE id = %s", [pk]),
    ]
    if connection.vendor == "sqlite":
        statements += [(f"REPLACE INTO core_auditevent {AUDIT_COLUMNS} VALUES {values}", params),
                       (f"INSERT OR REPLACE INTO core_auditevent {AUDIT_COLUMNS} VALUES {values}", params)]
    else:
        statements.append(("TRUNCATE core_auditevent", []))
    return statements


def _snapshot(pk: int):
    return AuditEvent.objects.filter(pk=pk).values_list("actor_username", "object_repr", "at", "row_hash").first()


@sqlite_only
@pytest.mark.django_db
def test_replace_into_rewrote_the_audit_log_under_the_old_guard():
    """The defect: 0002's triggers alone let SQLite's REPLACE swap a row (actor, summary, time)."""
    import_module("renkou.core.migrations.0002_audit_append_only").install(connection)
    ev = audit.record("view", object_type="registry.person", object_id="1", object_repr="张三")
    assert not _refused(f"REPLACE INTO core_auditevent {AUDIT_COLUMNS} VALUES "
                        "(%s, %s, 'intruder', 'view', 'registry.person', '1', 'rewritten', '')", [ev.pk, AT])
    assert _snapshot(ev.pk)[:2] == ("intruder", "rewritten")


@pytest.mark.django_db
def test_every_rewrite_of_an_audit_event_is_refused():
    _core_guard().install(connection)  # what the migrations install outside the test suite
    ev = audit.record("view", object_type="registry.person", object_id="1", object_repr="张三")
    before = _snapshot(ev.pk)
    statements = _audit_rewrites(ev.pk)
    assert len(statements) == (5 if connection.vendor == "sqlite" else 4)
    for sql, params in statements:
        assert _refused(sql, params), sql
        assert _snapshot(ev.pk) == before, sql
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_new_audit_events_still_append_under_the_guard():
    _core_guard().install(connection)
    first = audit.record("view", object_type="registry.person", object_id="1")
    second = audit.record("view", object_type="registry.person", object_id="2")
    assert second.pk > first.pk and second.prev_hash == first.row_hash
    assert list(AuditEvent.objects.order_by("id").values_list("object_id", flat=True)) == ["1", "2"]


def _published(run, evaluator):
    from renkou.evaluation import services

    return services.publish_run(user=evaluator, run=run)


def _columns(table: str) -> list[str]:
    with connection.cursor() as cur:
        return [c.name for c in connection.introspection.get_table_description(cur, table)]


def _copy(verb: str, table: str, source_id: int, conflict: str = "", **override) -> tuple[str, list]:
    """``verb INTO table`` a copy of row ``source_id`` with some columns replaced (SQL expressions)."""
    cols = _columns(table)
    select = ", ".join(str(override.get(c, c)) for c in cols)
    where = " WHERE id = %s" + (" " + conflict if conflict else "")
    return f"{verb} INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table}{where}", [source_id]


@pytest.mark.django_db
def test_every_rewrite_of_a_published_run_is_refused(scored_run, evaluator):
    from renkou.evaluation import services
    from renkou.evaluation.models import ItemResult, Run, UnitResult

    _evaluation_guard().install(connection)
    run = _published(scored_run, evaluator)
    line = UnitResult.objects.filter(run=run).order_by("id").first()
    item = ItemResult.objects.filter(unit_result=line).order_by("id").first()
    draft = services.compute_run(user=evaluator, scheme=run.scheme)  # a later draft: REPLACE may aim rows there
    draft_line = UnitResult.objects.filter(run=draft, unit=line.unit).get()
    statements = [
        ("UPDATE evaluation_run SET reason = 'rewritten' WHERE id = %s", [run.pk]),
        ("DELETE FROM evaluation_run WHERE id = %s", [run.pk]),
        ("UPDATE evaluation_unitresult SET total = 0 WHERE id = %s", [line.pk]),
        ("DELETE FROM evaluation_unitresult WHERE id = %s", [line.pk]),
        ("UPDATE evaluation_itemresult SET points = 0 WHERE id = %s", [item.pk]),
        ("DELETE FROM evaluation_itemresult WHERE id = %s", [item.pk]),
        # ``WHERE … AND true`` lets SQLite parse ON CONFLICT after a SELECT
        _copy("INSERT", "evaluation_run", run.pk, "AND true ON CONFLICT (id) DO UPDATE SET reason = 'rewritten', "
              "status = 'draft'"),
        _copy("INSERT", "evaluation_unitresult", line.pk, "AND true ON CONFLICT (id) DO UPDATE SET total = 0"),
        _copy("INSERT", "evaluation_itemresult", item.pk, "AND true ON CONFLICT (id) DO UPDATE SET points = 0"),
    ]
    if connection.vendor == "sqlite":
        for verb in ("REPLACE", "INSERT OR REPLACE"):
            statements += [
                # same id, now a draft
                _copy(verb, "evaluation_run", run.pk, status="'draft'", reason="'rewritten'"),
                # a new id with the published run's (scheme, version): the unique key displaces it
                _copy(verb, "evaluation_run", run.pk, id=run.pk + 1000, status="'draft'"),
                # same id, moved to the draft run, so 0002's insert guard (the new row's run) does not see it
                _copy(verb, "evaluation_unitresult", line.pk, run_id=draft.pk, total=0),
                _copy(verb, "evaluation_itemresult", item.pk, unit_result_id=draft_line.pk, points=0),
            ]
    else:
        statements += [("TRUNCATE evaluation_itemresult", []), ("TRUNCATE evaluation_unitresult CASCADE", [])]
    content = services.content_hash(run)
    for sql, params in statements:
        assert _refused(sql, params), sql
        fresh = Run.objects.get(pk=run.pk)
        assert fresh.status == "published" and fresh.reason == run.reason, sql
        assert services.content_hash(fresh) == content and services.verify_run(fresh), sql
        assert UnitResult.objects.filter(run=run).count() == UnitResult.objects.filter(run=draft).count(), sql
    assert len(statements) == (17 if connection.vendor == "sqlite" else 11)


@sqlite_only
@pytest.mark.django_db
def test_replace_into_rewrote_a_published_result_under_the_old_guard(scored_run, evaluator):
    """The defect: 0002's triggers alone let REPLACE move a published run's result to a draft."""
    from renkou.evaluation import services
    from renkou.evaluation.models import UnitResult

    import_module("renkou.evaluation.migrations.0002_published_run_guard").install(connection)
    run = _published(scored_run, evaluator)
    line = UnitResult.objects.filter(run=run).order_by("id").first()
    draft = services.compute_run(user=evaluator, scheme=run.scheme)
    UnitResult.objects.filter(run=draft, unit=line.unit).delete()  # room for the moved row under (run, unit)
    assert not _refused(*_copy("REPLACE", "evaluation_unitresult", line.pk, run_id=draft.pk, total=0))
    assert UnitResult.objects.get(pk=line.pk).run_id == draft.pk


@pytest.mark.django_db
def test_the_audit_guard_installs_over_an_existing_one():
    """The chaining migration re-installs the guard on a database that has 0002's triggers already."""
    import_module("renkou.core.migrations.0002_audit_append_only").install(connection)
    _core_guard().install(connection)
    _core_guard().install(connection)
    assert audit.missing_guard(connection) == []
    ev = audit.record("view", object_type="registry.person", object_id="1")
    assert _refused("UPDATE core_auditevent SET object_repr = 'rewritten' WHERE id = %s", [ev.pk])

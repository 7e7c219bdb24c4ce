"""The audit log: writes recorded with before/after, logins recorded, nothing editable or deletable."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from renkou.core import audit
from renkou.core.actor import acting_as
from renkou.core.models import AuditEvent


@pytest.mark.django_db
def test_audit_event_cannot_be_changed_or_deleted_through_the_app(make_user):
    user = make_user("aud", role="auditor")
    ev = audit.record("view", user=user, object_type="registry.person", object_id="1")
    ev.object_id = "2"
    with pytest.raises(PermissionError):
        ev.save()
    with pytest.raises(PermissionError):
        ev.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=ev.pk).update(object_id="3")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=ev.pk).object_id == "1"


@pytest.mark.django_db
def test_database_refuses_raw_update_and_delete(make_user):
    from importlib import import_module

    guard = import_module("renkou.core.migrations.0002_audit_append_only")
    guard.install(connection)  # what the migration installs outside the test suite; rolled back after the test
    ev = audit.record("view", object_type="x", object_id="1")
    for sql in ("UPDATE core_auditevent SET object_id = 'tampered'", "DELETE FROM core_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.get(pk=ev.pk).object_id == "1"


@pytest.mark.django_db
def test_actor_comes_from_the_context(make_user):
    user = make_user("clerk", role="county_officer")
    with acting_as(user, "10.0.0.1", via="cli"):
        ev = audit.record("export", object_type="registry.person", detail={"rows": 12})
    assert ev.actor == user and ev.actor_username == "clerk"
    assert ev.address == "10.0.0.1"
    assert ev.detail == {"rows": 12, "via": "cli"}


@pytest.mark.django_db
def test_successful_and_failed_logins_are_recorded(client, make_user):
    make_user("wang", role="village_officer")
    client.post("/accounts/login/", {"username": "wang", "password": "wrong-password"})
    client.post("/accounts/login/", {"username": "wang", "password": "Correct-Horse-9"})
    actions = list(AuditEvent.objects.filter(actor_username="wang").order_by("id").values_list("action", flat=True))
    assert actions == ["login_failed", "login"]
    assert AuditEvent.objects.get(action="login").address == "127.0.0.1"

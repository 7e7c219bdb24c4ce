"""The admin obeys the one scoping function: a staff account sees and opens only its own areas' persons,
and opening a record there is audited like the register's pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from renkou.core.models import AuditEvent


@pytest.fixture
def staff_township(officers):
    user = officers["township"]
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="registry",
                                                         codename__in=["view_person", "change_person"]))
    return user


@pytest.mark.django_db
def test_admin_lists_only_persons_inside_the_scope(client, people, staff_township):
    client.force_login(staff_township)
    page = client.get("/admin/registry/person/").content.decode()
    assert people["mother"].name in page and people["b_man"].name in page  # villages A and B of the township
    assert people["c_woman"].name not in page  # village C belongs to another township


@pytest.mark.django_db
def test_admin_record_outside_scope_cannot_be_opened_and_inside_is_audited(client, people, staff_township):
    client.force_login(staff_township)
    outside = client.get(f"/admin/registry/person/{people['c_woman'].pk}/change/")
    assert outside.status_code == 302  # the admin redirects: "does not exist" within this queryset
    assert not AuditEvent.objects.filter(action="view", object_id=str(people["c_woman"].pk)).exists()
    inside = client.get(f"/admin/registry/person/{people['mother'].pk}/change/")
    assert inside.status_code == 200
    ev = AuditEvent.objects.get(action="view", object_id=str(people["mother"].pk))
    assert ev.actor == staff_township and ev.detail["via"] == "admin"


@pytest.mark.django_db
def test_non_staff_officers_do_not_reach_the_admin(client, officers):
    client.force_login(officers["county"])
    r = client.get("/admin/registry/person/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]

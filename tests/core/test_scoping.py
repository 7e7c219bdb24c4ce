"""Scopes: what each role may see and change, through pages, the API and the scoping function."""

from __future__ import annotations

import pytest

from renkou.core.models import Area, AuditEvent
from renkou.core.scoping import area_prefixes, code_in_scope, ensure_can_capture, scoped, scoped_areas


@pytest.fixture
def people(seed_areas, make_user):
    a = seed_areas
    return {
        "village": make_user("v1", "village_officer", capture=[a["520122100201"]]),
        "township": make_user("t1", "township_officer", capture=[a["520122100000"]]),
        "county": make_user("c1", "county_officer", capture=[a["520122000000"]]),
        "other_county": make_user("c2", "county_officer", capture=[a["130982000000"]]),
        "auditor": make_user("a1", "auditor", view=[a["520122000000"]]),
        "evaluator": make_user("e1", "evaluator", view=[a["520122000000"]]),
        "root": make_user("root", superuser=True),
    }


def test_prefixes_follow_role_and_areas(people):
    assert area_prefixes(people["village"], "capture") == ["520122100201"]
    assert area_prefixes(people["township"], "view") == ["520122100"]
    assert area_prefixes(people["evaluator"], "view") == []  # evaluators read no person by area
    assert area_prefixes(people["evaluator"], "capture") == []  # evaluators never write person data
    assert area_prefixes(people["auditor"], "view") == []  # auditors read the log, not persons
    assert area_prefixes(people["root"]) is None


def test_capture_is_refused_outside_the_users_areas(people):
    from django.core.exceptions import PermissionDenied

    ensure_can_capture(people["village"], "520122100201")
    for code in ("520122100202", "520122101201", "130982001000"):
        with pytest.raises(PermissionDenied):
            ensure_can_capture(people["village"], code)
    assert code_in_scope(people["township"], "520122100202", "capture")
    assert not code_in_scope(people["township"], "520122101201", "capture")


def test_scoped_refuses_models_without_scope_fields(people):
    with pytest.raises(TypeError):
        scoped(people["county"], AuditEvent)


def test_scoped_areas(people):
    codes = set(scoped_areas(people["township"]).values_list("code", flat=True))
    assert "520122100201" in codes and "520122100202" in codes
    assert "520122101201" not in codes and "520122000000" not in codes


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who, code, visible", [
    ("village", "520122100201", True),
    ("village", "520122100202", False),
    ("township", "520122100202", True),
    ("township", "520122101000", False),
    ("county", "520122101201", True),
    ("other_county", "520122000000", False),
    ("root", "130982000000", True),
])
def test_area_page_only_inside_scope(client, people, who, code, visible):
    r = _login(client, people[who]).get(f"/areas/{code}/")
    assert r.status_code == (200 if visible else 404)
    if visible:
        assert Area.objects.get(code=code).name in r.content.decode()


def test_area_api_lists_only_the_users_subtree(client, people):
    r = _login(client, people["township"]).get("/api/areas", {"under": "520122100"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert {i["code"] for i in items} == {"520122100201", "520122100202"}
    r = client.get("/api/areas/520122101201")
    assert r.status_code == 404


def test_audit_log_only_for_auditors_and_only_their_areas(client, people):
    from renkou.core import audit

    audit.record("view", object_type="registry.person", object_id="1", area_code="520122100201")
    audit.record("view", object_type="registry.person", object_id="2", area_code="130982001001")
    r = _login(client, people["village"]).get("/audit/")
    assert r.status_code == 403
    r = _login(client, people["auditor"]).get("/api/audit")
    assert r.status_code == 200
    ids = {e["object_id"] for e in r.json()["items"] if e["object_type"] == "registry.person"}
    assert ids == {"1"}
    page = client.get("/audit/?action=view").content.decode()
    assert "520122100201" in page and "130982001001" not in page


def test_users_page_only_for_county_officers_and_grants_stay_inside_their_county(client, people):
    assert _login(client, people["township"]).get("/users/").status_code == 403
    c = _login(client, people["county"])
    r = c.post("/users/", {"username": "newv", "full_name": "新专干", "role": "village_officer",
                           "password": "Long-enough-pw-1", "capture_areas": "520122101201", "view_areas": ""})
    assert r.status_code == 302
    from renkou.core.models import User

    assert list(User.objects.get(username="newv").capture_areas.values_list("code", flat=True)) == ["520122101201"]
    r = c.post("/users/", {"username": "spy", "role": "village_officer", "password": "Long-enough-pw-1",
                           "capture_areas": "130982001000"})
    assert r.status_code == 200 and not User.objects.filter(username="spy").exists()
    assert "管辖范围以外" in r.content.decode()


def test_auditor_and_evaluator_see_their_areas_but_no_persons(client, people):
    from renkou.core.scoping import assigned_prefixes

    assert assigned_prefixes(people["auditor"]) == ["520122"]
    assert area_prefixes(people["auditor"]) == []  # person-level data: nothing
    r = _login(client, people["auditor"]).get("/areas/520122100000/")
    assert r.status_code == 200 and "永靖镇" in r.content.decode()


def test_the_scope_remembered_on_a_user_follows_a_change_of_its_areas(people, seed_areas):
    user = people["evaluator"]
    assert list(scoped_areas(user).filter(level=3).values_list("code", flat=True)) == ["520122000000"]
    assert area_prefixes(user, "view") == []  # remembered on the object for the rest of the request
    user.view_areas.add(seed_areas["130982000000"])
    assert sorted(scoped_areas(user).filter(level=3).values_list("code", flat=True)) == \
        ["130982000000", "520122000000"]
    user.view_areas.remove(seed_areas["520122000000"])
    assert list(scoped_areas(user).filter(level=3).values_list("code", flat=True)) == ["130982000000"]
    officer = people["village"]
    assert area_prefixes(officer, "capture") == ["520122100201"]
    officer.capture_areas.set([seed_areas["520122100202"]])
    assert area_prefixes(officer, "capture") == ["520122100202"]
    assert not code_in_scope(officer, "520122100201", "capture")

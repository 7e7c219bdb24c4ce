"""The API's two ways in: a machine peer's bearer token needs no CSRF token (it carries no cookie a
forged request could ride on); a browser session does, on every unsafe method.

Every request here goes through a client that enforces CSRF checks as a browser deployment does.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from renkou.core.idnumber import check_character

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
XIFENG = "520122000000"


def _id(born: dt.date, seq: int) -> str:
    body = f"520122{born:%Y%m%d}{seq:03d}"
    return body + check_character(body)


@pytest.fixture
def mother(seed_areas, make_user):
    from renkou.registry import services

    county = make_user("xian", "county_officer", capture=[seed_areas[XIFENG]])
    return services.create_person(user=county, name="李秀英", sex=2, birth_date=dt.date(1995, 3, 10),
                                  marital_status="21", id_number=_id(dt.date(1995, 3, 10), 42),
                                  registered_area=VILLAGE_A)


@pytest.fixture
def peer_token(seed_areas, make_user):
    from renkou.core.models import ApiToken

    peer = make_user("peer", "machine_peer", capture=[seed_areas[XIFENG]])
    return peer, ApiToken.issue(peer, "provincial exchange")[1]


def _birth(mother, name: str) -> dict:
    return {"child_name": name, "child_sex": 1, "event_date": "2024-05-01", "registration_date": "2024-05-03",
            "area": VILLAGE_A, "mother_id": mother.pk, "birth_order": 1, "delivery_place": "hospital"}


@pytest.mark.django_db
def test_machine_peer_declares_a_birth_with_its_token_alone(mother, peer_token):
    from renkou.core.models import AuditEvent
    from renkou.registry.models import Event

    peer, token = peer_token
    client = Client(enforce_csrf_checks=True)
    r = client.post("/api/registry/births", _birth(mother, "王小明"), content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    event = Event.objects.get(pk=r.json()["id"])
    assert (event.kind, event.mother_id, event.state, event.declared_by) == ("birth", mother.pk, "declared", peer)
    assert event.subject.name == "王小明" and event.area_id == VILLAGE_A
    assert AuditEvent.objects.filter(object_type="registry.event", object_id=str(event.pk),
                                     actor_username="peer").exists()  # the token's user is the actor


@pytest.mark.django_db
def test_a_wrong_token_is_refused_and_writes_nothing(mother, peer_token):
    from renkou.registry.models import Event

    client = Client(enforce_csrf_checks=True)
    r = client.post("/api/registry/births", _birth(mother, "王小明"), content_type="application/json",
                    HTTP_AUTHORIZATION="Bearer rk_not-a-token")
    assert r.status_code == 401
    assert not Event.objects.filter(kind="birth").exists()


@pytest.mark.django_db
def test_a_cookie_request_without_csrf_is_still_refused(mother, make_user, seed_areas):
    from renkou.registry.models import Event

    officer = make_user("cun", "village_officer", capture=[seed_areas[VILLAGE_A]])
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    r = client.post("/api/registry/births", _birth(mother, "王小明"), content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.content.decode()
    assert not Event.objects.filter(kind="birth").exists()


@pytest.mark.django_db
def test_a_cookie_request_with_its_csrf_token_declares(mother, make_user, seed_areas):
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    from renkou.registry.models import Event

    officer = make_user("cun", "village_officer", capture=[seed_areas[VILLAGE_A]])
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    r = client.post("/api/registry/births", _birth(mother, "王小明"), content_type="application/json",
                    HTTP_X_CSRFTOKEN=secret)
    assert r.status_code == 201, r.content
    assert Event.objects.get(kind="birth").declared_by == officer


@pytest.mark.django_db
def test_a_token_does_not_lend_a_session_its_csrf_exemption(mother, peer_token, make_user, seed_areas):
    """A signed-in browser whose request carries a bad bearer header falls back to its session, and
    the session's CSRF check applies."""
    from renkou.registry.models import Event

    officer = make_user("cun", "village_officer", capture=[seed_areas[VILLAGE_A]])
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    r = client.post("/api/registry/births", _birth(mother, "王小明"), content_type="application/json",
                    HTTP_AUTHORIZATION="Bearer rk_forged")
    assert r.status_code == 403
    assert not Event.objects.filter(kind="birth").exists()

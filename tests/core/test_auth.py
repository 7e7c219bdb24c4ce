"""Sign-in: Argon2 hashes, throttling of repeated failures, security headers and cookies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from renkou.core.models import User


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(make_user):
    user = make_user("li", role="township_officer")
    assert User.objects.get(pk=user.pk).password.startswith("argon2$argon2id$")


@pytest.mark.django_db
@override_settings(RENKOU_LOGIN_MAX_FAILURES=3)
def test_repeated_failures_lock_the_account_even_for_the_right_password(client, make_user):
    make_user("zhao", role="village_officer")
    for _ in range(3):
        r = client.post("/accounts/login/", {"username": "zhao", "password": "nope-nope-nope"})
        assert r.status_code == 200 and not r.wsgi_request.user.is_authenticated
    r = client.post("/accounts/login/", {"username": "zhao", "password": "Correct-Horse-9"})
    assert not r.wsgi_request.user.is_authenticated
    assert "次数过多" in r.content.decode() or "Too many" in r.content.decode()
    # Another account is not affected.
    make_user("qian", role="village_officer")
    r = client.post("/accounts/login/", {"username": "qian", "password": "Correct-Horse-9"})
    assert r.status_code == 302


@pytest.mark.django_db
def test_right_password_signs_in_and_pages_carry_security_headers(client, make_user):
    make_user("sun", role="county_officer")
    r = client.post("/accounts/login/", {"username": "sun", "password": "Correct-Horse-9"})
    assert r.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Cache-Control"] == "no-store"
    session_cookie = client.cookies["sessionid"]
    assert session_cookie["httponly"] and session_cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_pages_require_sign_in(client):
    r = client.get("/areas/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_api_token_authenticates_a_machine_peer_and_is_stored_hashed(client, make_user, seed_areas):
    from renkou.core.models import ApiToken

    peer = make_user("peer", role="machine_peer", capture=[seed_areas["520122000000"]])
    obj, token = ApiToken.issue(peer, "exchange node")
    assert token not in (obj.digest, obj.key_prefix) and len(obj.digest) == 64
    r = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200 and r.json()["username"] == "peer"
    assert r.json()["capture_prefixes"] == ["520122"]
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer rk_forged").status_code == 401


NAT = "203.0.113.7"  # a township office behind one address


def _sign_in(client, username, password="Correct-Horse-9", address=NAT) -> bool:
    r = client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)
    ok = r.status_code == 302 and r.wsgi_request.user.is_authenticated
    client.logout()
    return ok


@pytest.mark.django_db
def test_an_attacker_behind_a_nat_does_not_lock_out_the_colleagues_behind_it(client, make_user):
    from renkou.core.models import LoginFailure

    officers = [make_user(f"officer{i:02d}", role="village_officer") for i in range(30)]
    victim = officers[0].username
    for _ in range(20):
        assert not _sign_in(client, victim, "guess-guess-guess")
    assert LoginFailure.objects.filter(address=NAT).count() == 20  # the address limit is reached
    assert [o.username for o in officers[1:] if not _sign_in(client, o.username)] == []
    assert not _sign_in(client, victim)  # the attacked account is locked from this address
    assert _sign_in(client, victim, address="198.51.100.20")  # and signs in from its owner's own


@pytest.mark.django_db
def test_past_the_address_limit_each_account_gets_one_guess_from_that_address(client, make_user):
    sprayed = [make_user(f"clerk{i:02d}", role="village_officer") for i in range(21)]
    for o in sprayed[:20]:  # one wrong password for each of twenty accounts: 20 failures from the NAT
        assert not _sign_in(client, o.username, "Spring-2024-pw")
    assert not _sign_in(client, sprayed[0].username)  # failed here in the window: throttled, even if right
    assert _sign_in(client, sprayed[20].username)  # no failure anywhere: signs in
    assert _sign_in(client, sprayed[1].username, address="198.51.100.20")  # not locked elsewhere


@pytest.mark.django_db
@override_settings(RENKOU_LOGIN_MAX_FAILURES=3)
def test_the_right_password_during_a_lockout_is_refused_but_not_counted(client, make_user):
    from renkou.core.models import AuditEvent, LoginFailure

    make_user("zhou", role="village_officer")
    for _ in range(3):
        assert not _sign_in(client, "zhou", "nope-nope-nope")
    assert not _sign_in(client, "zhou")
    assert not _sign_in(client, "zhou")
    assert LoginFailure.objects.filter(username="zhou").count() == 3
    last = AuditEvent.objects.filter(action="login_failed", actor_username="zhou").order_by("-id").first()
    assert last.detail == {"locked": "account", "right_password": True, "via": "web"}
    assert not _sign_in(client, "zhou", "still-wrong-pw")  # a wrong one during the lock still counts
    assert LoginFailure.objects.filter(username="zhou").count() == 4
    # the window passes: the failures age out and the right password signs in
    LoginFailure.objects.update(at=LoginFailure.objects.first().at - dt.timedelta(hours=1))
    assert _sign_in(client, "zhou")

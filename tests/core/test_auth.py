"""Sign-in: Argon2 hashes, throttling of repeated failures, security headers and cookies."""

from __future__ import annotations

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

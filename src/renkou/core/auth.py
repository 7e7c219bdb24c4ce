"""Authentication: Argon2-hashed passwords (settings), failed-login throttling, API bearer tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from .models import ApiToken, LoginFailure


def is_throttled(username: str, address: str | None) -> bool:
    """Too many failures for this username or this address in the window (both are counted)."""
    since = timezone.now() - dt.timedelta(seconds=settings.RENKOU_LOGIN_WINDOW_SECONDS)
    limit = settings.RENKOU_LOGIN_MAX_FAILURES
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(username=username).count() >= limit:
        return True
    return bool(address) and recent.filter(address=address).count() >= limit * 4


class ThrottledModelBackend(ModelBackend):
    """The model backend, refusing even a right password while the account or address is throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        address = request.META.get("REMOTE_ADDR") if request is not None else None
        if username and is_throttled(username, address):
            if request is not None:
                request.renkou_throttled = True
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def user_for_token(token: str):
    """The active user behind a bearer token, or None. Marks the token used."""
    if not token or not token.startswith(ApiToken.PREFIX):
        return None
    obj = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(token)).first()
    if obj is None or not obj.is_active() or not obj.user.is_active:
        return None
    ApiToken.objects.filter(pk=obj.pk).update(last_used=timezone.now())
    return obj.user

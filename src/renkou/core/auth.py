"""Authentication: Argon2-hashed passwords (settings), failed-login throttling, API bearer tokens.

Throttling (防暴力破解) counts failed sign-ins, never a right password:

- **per account and address**: ``RENKOU_LOGIN_MAX_FAILURES`` failures of one username from one address
  within ``RENKOU_LOGIN_WINDOW_SECONDS`` lock that pair, even for the right password. The same account
  still signs in from another address, so nobody can lock a colleague out from afar.
- **per address**: past ``RENKOU_LOGIN_ADDRESS_MAX_FAILURES`` failures from one address (a NAT may
  hide a whole township office), that address is throttled: an account that already failed from it in
  the window is refused, so a password sprayer gets one guess per account and window, while accounts
  without recent failures there — the other officers behind the NAT — sign in as usual.

A sign-in refused by a lock is recorded in the audit log but not counted as a failure when its
password was right (counting it would let a lock feed itself on the owner's own attempts).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from .models import ApiToken, LoginFailure

PAIR = "account"
ADDRESS = "address"


def _recent():
    since = timezone.now() - dt.timedelta(seconds=settings.RENKOU_LOGIN_WINDOW_SECONDS)
    return LoginFailure.objects.filter(at__gte=since)


def lock_of(username: str, address: str | None) -> str | None:
    """Why a sign-in of ``username`` from ``address`` is refused now: :data:`PAIR`, :data:`ADDRESS` or None."""
    recent = _recent()
    pair = recent.filter(username=username, **({"address": address} if address else {"address__isnull": True}))
    pair_failures = pair.count()
    if pair_failures >= settings.RENKOU_LOGIN_MAX_FAILURES:
        return PAIR
    if address and pair_failures:
        limit = getattr(settings, "RENKOU_LOGIN_ADDRESS_MAX_FAILURES", 4 * settings.RENKOU_LOGIN_MAX_FAILURES)
        if recent.filter(address=address).count() >= limit:
            return ADDRESS
    return None


def is_throttled(username: str, address: str | None) -> bool:
    return lock_of(username, address) is not None


class ThrottledModelBackend(ModelBackend):
    """The model backend, refusing even a right password while the account is locked from this address.

    The request learns why (``renkou_throttled``: the lock; ``renkou_failure_counted``: False when the
    refused password was right), for the form's message and the failed-login record."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        address = request.META.get("REMOTE_ADDR") if request is not None else None
        lock = lock_of(username, address) if username else None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if lock is None:
            return user
        if request is not None:
            request.renkou_throttled = lock
            request.renkou_failure_counted = user is None
        return None


def user_for_token(token: str):
    """The active user behind a bearer token, or None. Marks the token used."""
    if not token or not token.startswith(ApiToken.PREFIX):
        return None
    obj = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(token)).first()
    if obj is None or not obj.is_active() or not obj.user.is_active:
        return None
    ApiToken.objects.filter(pk=obj.pk).update(last_used=timezone.now())
    return obj.user

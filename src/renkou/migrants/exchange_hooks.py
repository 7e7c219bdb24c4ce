"""The migrants module's side of the exchange between nodes, guarded: the module works without it.

``send`` and ``register`` are looked up in :mod:`renkou.exchange` when that app is installed; when
it is not, or this database has no node identity yet, or no peer serves the registration area,
notifications are not sent (``send`` returns None: the action still succeeds, and the audit record
of the notification says it was not routed) and nothing is registered.
"""

from __future__ import annotations

import importlib

from django.conf import settings


def _exchange(module: str):
    if "renkou.exchange" not in settings.INSTALLED_APPS:
        return None
    try:
        return importlib.import_module(f"renkou.exchange.{module}")
    except ImportError:
        return None


def send(kind: str, **kwargs):
    """Send a message inside the caller's transaction. Returns the message, or None when no exchange
    is installed or no node serves the area (``NoRoute``): the action itself still succeeds and the
    caller records that no node serves that registration area."""
    services = _exchange("services")
    if services is None:
        return None
    try:
        return services.send(kind, **kwargs)
    except (services.NoRoute, services.NotInitialised):
        return None


def enquiry_counts(prefix: str, period: str | None) -> dict:
    """Enquiries sent, answered (within the deadline), overdue and open of a period (the current one
    when none is given); zeros when no exchange is installed."""
    services = _exchange("services")
    if services is None:
        return {"sent": 0, "answered": 0, "overdue": 0, "open": 0}
    if not period:
        import datetime as dt

        from renkou.exchange.messages import period_of

        period = period_of(dt.date.today())
    counts = services.enquiry_counts(prefix, period)
    return {k: counts.get(k, 0) for k in ("sent", "answered", "overdue", "open")}


def overdue(prefix: str, as_of):
    services = _exchange("services")
    return [] if services is None else list(services.overdue(prefix, as_of))


def connect() -> None:
    handlers = _exchange("handlers")
    if handlers is not None:
        from .services import handle_notification

        handlers.register("notification", handle_notification)

"""Writing the append-only audit log (审计日志).

Every write of registered data, every view of a full person record, every export of person-level
data and every login goes through :func:`record`. Writes of :class:`AuditedModel` rows are
recorded automatically by signals (see ``signals.py``); reads and exports are recorded by the
services that perform them.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from . import actor as actor_ctx


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def serialise_instance(instance: models.Model) -> dict[str, Any]:
    """Concrete field values of a row, foreign keys as their ids, ready for JSON."""
    exclude = set(getattr(instance, "audit_exclude", ()))
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        out[field.attname] = _jsonable(getattr(instance, field.attname))
    return out


def serialise_loaded(instance: models.Model) -> dict[str, Any] | None:
    loaded = getattr(instance, "_audit_loaded", None)
    if loaded is None:
        return None
    exclude = set(getattr(instance, "audit_exclude", ()))
    by_attname = {f.attname: f for f in instance._meta.concrete_fields}
    return {k: _jsonable(v) for k, v in loaded.items() if k in by_attname and by_attname[k].name not in exclude}


def record(action: str, obj: models.Model | None = None, *, user: Any | None = None, object_type: str = "",
           object_id: str = "", object_repr: str = "", area_code: str = "", before: dict | None = None,
           after: dict | None = None, detail: dict | None = None, address: str | None = None):
    """Append one audit event. The actor defaults to the one acting in this context."""
    from .models import AuditEvent

    current = actor_ctx.current()
    if user is None and current is not None:
        user = current.effective_user
    if address is None and current is not None:
        address = current.address
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if not object_repr:  # named in the site's language, whatever the language of the request
            from django.conf import settings
            from django.utils import translation

            with translation.override(settings.LANGUAGE_CODE):
                object_repr = str(obj)[:200]
        if not area_code and hasattr(obj, "audit_area"):
            area_code = obj.audit_area()
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    detail = dict(detail or {})
    if current is not None:
        detail.setdefault("via", current.via)
    event = AuditEvent(
        actor=user if authenticated else None,
        actor_username=(user.get_username() if authenticated else (detail.pop("username", "") or "")),
        action=action, object_type=object_type, object_id=object_id, object_repr=object_repr[:200],
        area_code=area_code or "", before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None, detail=_jsonable(detail) or None, address=address,
    )
    pending = _BUFFER.get()
    if pending is not None:
        pending.append(event)  # written, chained in this order, when the buffered block ends
        if len(pending) >= _FLUSH_AT:  # or now, in the same transaction, to bound the memory held
            _flush(pending)
        return event
    event.save(force_insert=True)
    return event


_BUFFER: contextvars.ContextVar[list | None] = contextvars.ContextVar("renkou_audit_buffer", default=None)


@contextlib.contextmanager
def buffered(batch_size: int = 1000):
    """Inside the block, the events :func:`record` makes are kept and appended together at its end,
    chained in the order they were made, in one statement per ``batch_size`` events, in the caller's
    transaction (which must be open: events and the writes they describe commit or roll back
    together). For batch work (a batch file of the exchange) where one event per statement bounds
    the run. An exception inside writes nothing (the transaction is rolled back by its caller).
    Nested blocks join the outermost one."""
    from django.db import transaction

    if _BUFFER.get() is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.buffered must be used inside transaction.atomic")
    token = _BUFFER.set([])
    try:
        yield
        _flush(_BUFFER.get(), batch_size)
    finally:
        _BUFFER.reset(token)


_FLUSH_AT = 10_000


def _flush(events: list, batch_size: int = 1000) -> None:
    from .models import AuditEvent

    for i in range(0, len(events), batch_size):
        AuditEvent.objects.bulk_create(events[i:i + batch_size])
    events.clear()


def record_persons_shown(what: str, person_ids, obj: models.Model | None = None, *, user: Any | None = None,
                         object_repr: str = "", area_code: str = "", detail: dict | None = None):
    """One ``view`` event for a page that shows persons' data (a list, or a record naming others),
    naming the persons shown by their record ids. ``what`` names the page (``registry.event_queue``) when
    no ``obj`` is the page's subject. Nothing is recorded when the page shows nobody."""
    ids = sorted({int(p) for p in person_ids if p is not None})
    if not ids:
        return None
    detail = {"page": what, **(detail or {}), "persons": ids}
    if obj is not None:
        return record("view", obj, user=user, object_repr=object_repr, area_code=area_code, detail=detail)
    return record("view", user=user, object_type=what, object_repr=object_repr or f"{what} ({len(ids)})",
                  area_code=area_code, detail=detail)


#: Triggers that keep the audit table append-only, by database (migrations 0002 and 0004).
GUARD_TRIGGERS = {
    "sqlite": ("core_auditevent_no_update", "core_auditevent_no_delete", "core_auditevent_no_replace"),
    "postgresql": ("core_auditevent_no_update", "core_auditevent_no_truncate", "core_auditevent_no_replace"),
}


def missing_guard(connection=None) -> list[str]:
    """Names of the append-only triggers absent from the database (a table rebuild drops them)."""
    from django.db import connection as default_connection

    connection = connection or default_connection
    wanted = GUARD_TRIGGERS.get(connection.vendor, ())
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent'")
        elif connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass")
        else:
            return []
        present = {r[0] for r in cur.fetchall()}
    return [t for t in wanted if t not in present]


def verify_chain(chunk_size: int = 5000):
    """Walk the whole log in id order and return the :class:`~renkou.core.audit_chain.Verdict`."""
    from .audit_chain import FIELDS, walk
    from .models import AuditEvent

    rows = AuditEvent._base_manager.order_by("id").values("id", "prev_hash", "row_hash", *FIELDS)
    return walk(rows.iterator(chunk_size=chunk_size))

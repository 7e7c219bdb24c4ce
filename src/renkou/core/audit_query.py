"""Reading the audit log: the auditor's filters, shared by the page, the API and exports."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from . import areacodes
from .models import AuditEvent
from .roles import AUDIT_VIEW
from .scoping import area_prefixes, require


def filtered_events(user, *, action=None, username=None, object_type=None, area=None, since: dt.date | None = None,
                    until: dt.date | None = None, object_id=None):
    """Audit events an auditor may read, filtered. Auditors with view areas see those areas' events
    plus events without an area (logins); a system administrator sees all."""
    require(user, AUDIT_VIEW)
    qs = AuditEvent.objects.all()
    if not user.is_superuser:
        prefixes = [a.prefix for a in user.view_areas.all()] + [a.prefix for a in user.capture_areas.all()]
        if prefixes:
            q = Q(area_code="")
            for p in prefixes:
                q |= Q(area_code__startswith=p)
            qs = qs.filter(q)
    if action:
        qs = qs.filter(action=action)
    if username:
        qs = qs.filter(actor_username=username)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if area:
        qs = qs.filter(area_code__startswith=areacodes.prefix(areacodes.full_code(area),
                                                               areacodes.level_of(areacodes.full_code(area))))
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.order_by("-at", "-id")


__all__ = ["filtered_events", "area_prefixes"]

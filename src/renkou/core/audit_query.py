"""Reading the audit log: the auditor's filters, shared by the page, the API and exports.

An auditor reviews who did what, not whom it concerned: the personal data in an event (the before and
after values of a person's record, the name in its summary) is shown masked — the ID number as in
lists (``110105********002X``), names as ``张*``, the birth date to the year. The full values are shown
only on request to a user whom the one scoping function grants the person (or household) concerned,
and that showing is itself audited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from . import areacodes, audit, idnumber
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


# ------------------------------------------------------------------------------ masking


def mask_name(value: Any) -> Any:
    """``张三`` → ``张*``, ``欧阳明月`` → ``欧***``, ``zhang san`` → ``z********``."""
    if not isinstance(value, str) or not value:
        return value
    return value[0] + "*" * (len(value) - 1)


def mask_date_to_year(value: Any) -> Any:
    """``1990-05-03`` → ``1990``."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value[:4]
    return value


def mask_id(value: Any) -> Any:
    return idnumber.mask(value) if isinstance(value, str) and value else value


def mask_text(value: Any) -> Any:
    """A free text such as an address: its first two characters."""
    if not isinstance(value, str) or len(value) <= 2:
        return value
    return value[:2] + "*" * (len(value) - 2)


#: The personal fields of each audited object type and how they are masked for an auditor.
PERSONAL_FIELDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "registry.person": {"id_number": mask_id, "name": mask_name, "name_pinyin": mask_name,
                        "pinyin_key": mask_name, "pinyin_alt": mask_name, "pinyin_initials": mask_name,
                        "birth_date": mask_date_to_year},
    "registry.household": {"address": mask_text},
}
#: Personal values in an event's detail, whatever its object type (the search words of a person search).
PERSONAL_DETAIL = {"q": mask_name}
#: Object types whose summary (``object_repr``) begins with a person's name.
NAMED_REPR = {"registry.person"}
#: Where the full values may be shown: the model whose row the scoping function must grant.
SCOPED_MODELS = {"registry.person": ("registry", "Person"), "registry.household": ("registry", "Household")}

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")


def _mask_ids_in(value: Any) -> Any:
    """Any 18-character ID number left in a text or a nested value, masked."""
    if isinstance(value, str):
        return _ID_IN_TEXT.sub(lambda m: idnumber.mask(m.group(1)), value)
    if isinstance(value, list):
        return [_mask_ids_in(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask_ids_in(v) for k, v in value.items()}
    return value


def mask_values(object_type: str, values: dict | None) -> dict | None:
    if values is None:
        return None
    rules = PERSONAL_FIELDS.get(object_type, {})
    return {k: _mask_ids_in(rules[k](v) if k in rules else v) for k, v in values.items()}


def mask_detail(detail: dict | None) -> dict | None:
    if detail is None:
        return None
    return {k: _mask_ids_in(PERSONAL_DETAIL[k](v) if k in PERSONAL_DETAIL else v) for k, v in detail.items()}


def mask_repr(object_type: str, text: str) -> str:
    if object_type in NAMED_REPR and text:
        name, sep, rest = text.partition(" ")
        text = mask_name(name) + sep + rest
    return _mask_ids_in(text)


def is_masked(event) -> bool:
    """Whether masking changes anything in the event (so that showing the full values means something)."""
    return (mask_values(event.object_type, event.before) != event.before
            or mask_values(event.object_type, event.after) != event.after
            or mask_repr(event.object_type, event.object_repr) != event.object_repr
            or mask_detail(event.detail) != event.detail)


def entitled_to_full(user, event) -> bool:
    """The user may see the unmasked values: the scoping function grants them the row concerned."""
    from django.apps import apps

    from .scoping import scoped

    target = SCOPED_MODELS.get(event.object_type)
    if target is None or not str(event.object_id).isdigit():
        return False
    return scoped(user, apps.get_model(*target)).filter(pk=int(event.object_id)).exists()


@dataclass(frozen=True)
class ShownEvent:
    """An audit event as shown to one reader: masked, or in full to a reader entitled to it."""

    event: Any
    before: dict | None
    after: dict | None
    object_repr: str
    detail: dict | None
    full: bool  # the values shown are the full ones
    can_reveal: bool  # masked now, and the reader may ask for the full values

    def __getattr__(self, name):  # everything else as the event has it (time, actor, action…)
        return getattr(self.event, name)


def shown(user, event, *, full: bool = False, entitled: bool | None = None) -> ShownEvent:
    """``event`` for ``user``: masked unless ``full`` is asked and the user is entitled; a full showing
    of masked values is recorded in the audit log."""
    masked = is_masked(event)
    if masked and (full or entitled is None):
        entitled = entitled_to_full(user, event) if entitled is None else entitled
    if full and masked and entitled:
        audit.record("view", user=user, object_type="core.auditevent", object_id=str(event.pk),
                     object_repr=f"#{event.pk} {event.object_type} {event.object_id}"[:200],
                     area_code=event.area_code, detail={"unmasked": True, "object_type": event.object_type,
                                                        "object_id": event.object_id})
        return ShownEvent(event, event.before, event.after, event.object_repr, event.detail, True, False)
    return ShownEvent(event, mask_values(event.object_type, event.before),
                      mask_values(event.object_type, event.after), mask_repr(event.object_type, event.object_repr),
                      mask_detail(event.detail), False, bool(masked and entitled))


__all__ = ["filtered_events", "area_prefixes", "shown", "mask_values", "mask_repr", "entitled_to_full"]

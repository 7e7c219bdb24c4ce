"""The one scoping function for person-level data (数据权限).

Every queryset of person-level rows that a page, an API endpoint, an export, the admin or a
command line reads or writes is built by :func:`scoped`. Nothing else filters by area by hand.

A model opts in by naming, in ``scope_fields``, the foreign keys to :class:`Area` (whose primary
key is the division code) that place a row: a person is in an area when either its registered or
its resident area lies in the area's subtree — the place of residence and the place of household
registration both serve a migrant.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from . import areacodes
from .roles import PERSON_CAPTURE, PERSON_VIEW, permissions_of

VIEW = "view"
CAPTURE = "capture"


def has_perm(user, permission: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return permission in permissions_of(user.role)


def require(user, permission: str) -> None:
    if not has_perm(user, permission):
        raise PermissionDenied(f"无权执行此操作 ({permission}) / not permitted ({permission})")


def area_prefixes(user, action: str = VIEW) -> list[str] | None:
    """Code prefixes of the areas the user may read (``view``) or write (``capture``).

    ``None`` means no limit (superuser); an empty list means nothing. Capture areas are always
    viewable. Prefixes inside another prefix are dropped.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    need = PERSON_CAPTURE if action == CAPTURE else PERSON_VIEW
    if need not in permissions_of(user.role):
        return []
    cached = getattr(user, "_renkou_prefixes", {})
    if action in cached:
        return cached[action]
    areas = list(user.capture_areas.all())
    if action == VIEW:
        areas += list(user.view_areas.all())
    prefixes = sorted({a.prefix for a in areas})
    pruned = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
    cached[action] = pruned
    user._renkou_prefixes = cached
    return pruned


def code_in_scope(user, code: str, action: str = VIEW) -> bool:
    prefixes = area_prefixes(user, action)
    if prefixes is None:
        return True
    return any(code.startswith(p) for p in prefixes)


def _q_for(fields: Iterable[str], prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for field in fields:
        for p in prefixes:
            # Areas are keyed by code: ``<fk>__pk__startswith`` targets the foreign key's own column, so
            # Django trims the join and the filter is a prefix test on the local indexed column.
            q |= Q(**{f"{field}__pk__startswith": p})
    return q


def scoped(user, source: type[Model] | QuerySet, action: str = VIEW) -> QuerySet:
    """The rows of ``source`` the user may read (``view``) or change (``capture``)."""
    qs = source._default_manager.all() if isinstance(source, type) else source
    fields = getattr(qs.model, "scope_fields", ())
    if not fields:
        raise TypeError(f"{qs.model.__name__} declares no scope_fields; it is not person-level data")
    prefixes = area_prefixes(user, action)
    if prefixes is None:
        return qs
    if not prefixes:
        return qs.none()
    return qs.filter(_q_for(fields, prefixes))


def ensure_can_capture(user, area_code: str) -> None:
    """Raise unless the user may write person-level data placed in ``area_code``."""
    if not code_in_scope(user, area_code, CAPTURE):
        raise PermissionDenied(
            f"区划 {area_code} 不在您的录入范围内 / area {area_code} is outside your capture areas")


def ensure_can_view(user, area_codes: Iterable[str]) -> None:
    if not any(code_in_scope(user, c, VIEW) for c in area_codes if c):
        raise PermissionDenied("该记录不在您的查看范围内 / this record is outside your view areas")


def assigned_prefixes(user, action: str = VIEW) -> list[str] | None:
    """Prefixes of the areas assigned to the user, whatever the role may do with persons there.

    Areas and aggregate figures are not person-level data: an auditor or an evaluator assigned to a
    county sees its area pages, indicators and demography, never its persons (see :func:`scoped`).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    areas = list(user.capture_areas.all())
    if action == VIEW:
        areas += list(user.view_areas.all())
    prefixes = sorted({a.prefix for a in areas})
    return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]


def scoped_areas(user, qs: QuerySet | None = None, action: str = VIEW) -> QuerySet:
    """Areas (and their subtrees) the user is assigned to: for pickers, area pages and aggregates."""
    from .models import Area

    qs = Area.objects.all() if qs is None else qs
    prefixes = assigned_prefixes(user, action)
    if prefixes is None:
        return qs
    if not prefixes:
        return qs.none()
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(code__startswith=p)
    return qs.filter(q)


def level_prefix(code: str) -> str:
    return areacodes.prefix(code, areacodes.level_of(code))

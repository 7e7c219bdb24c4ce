"""The one scoping function for person-level data (数据权限).

Every queryset of person-level rows that a page, an API endpoint, an export, the admin or a
command line reads or writes is built by :func:`scoped`. Nothing else filters by area by hand.

A model opts in by naming, in ``scope_fields``, the foreign keys to :class:`Area` (whose primary
key is the division code) that place a row: a person is in an area when either its registered or
its resident area lies in the area's subtree — the place of residence and the place of household
registration both serve a migrant.

Persons linked to the user's work (:func:`linked`) are the one exception to "by area": a role with
``person.linked`` reads the persons one piece of its own work names (the households of a
verification sample it runs; a loan's applicants and borrowers once loans exist), and only through
the page of that work. The module of the work registers how the work names its rows (:func:`link`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from . import areacodes
from .roles import PERSON_CAPTURE, PERSON_LINKED, PERSON_VIEW, linked_work_of, permissions_of

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


# A kind of work → how one piece of it names its rows: ``provider(user, model, **context)`` returns a
# ``Q`` over ``model`` (a person-level model) or raises PermissionDenied when the piece of work named
# by ``context`` is not the user's.
LinkProvider = Callable[..., Q]
_LINKS: dict[str, LinkProvider] = {}


def link(work: str, provider: LinkProvider) -> None:
    """Register how work of kind ``work`` names its persons (a module calls it in ``AppConfig.ready``)."""
    _LINKS[work] = provider


def linked(user, source: type[Model] | QuerySet, work: str, **context) -> QuerySet:
    """The rows of ``source`` that one piece of the user's work names, whatever the user's areas.

    The user needs ``person.linked`` and a role whose table (``roles.LINKED_WORK``) lists ``work``;
    the work's provider then checks that the piece of work (``context``, e.g. ``sample=…``) is the
    user's. The caller shows the rows masked and records the read in the audit log.
    """
    qs = source._default_manager.all() if isinstance(source, type) else source
    if not getattr(qs.model, "scope_fields", ()):
        raise TypeError(f"{qs.model.__name__} declares no scope_fields; it is not person-level data")
    if work not in _LINKS:
        raise LookupError(f"no provider registered for linked work {work!r}")
    allowed = user is not None and getattr(user, "is_authenticated", False) and user.is_active and (
        user.is_superuser or (has_perm(user, PERSON_LINKED) and work in linked_work_of(user.role)))
    if not allowed:
        raise PermissionDenied(f"无权查看与此项工作相关的人员 ({work}) / not permitted to read the persons of "
                               f"this work ({work})")
    return qs.filter(_LINKS[work](user, qs.model, **context))


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
    cached = getattr(user, "_renkou_assigned", {})
    if action in cached:
        return cached[action]
    areas = list(user.capture_areas.all())
    if action == VIEW:
        areas += list(user.view_areas.all())
    prefixes = sorted({a.prefix for a in areas})
    pruned = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
    cached[action] = pruned
    user._renkou_assigned = cached
    return pruned


def forget_areas(user) -> None:
    """Drop the prefixes remembered on ``user`` (its areas changed): the next call reads them again."""
    for attr in ("_renkou_prefixes", "_renkou_assigned"):
        user.__dict__.pop(attr, None)


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

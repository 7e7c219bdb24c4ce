"""JSON API of assessment, mounted at /api/evaluation/: schemes, runs with their units, scorecards.

Who reads what is the services' rule (``services.scheme_access``, ``can_read_run``, ``can_read_unit``):
a scheme, run or unit out of the caller's reach answers 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router

from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require

from . import services
from .models import AssessmentScheme, Run, UnitResult

router = Router(tags=["evaluation"])


def _readable_run(request, pk: int) -> Run:
    r = get_object_or_404(Run.objects.select_related("scheme"), pk=pk)
    if not services.can_read_run(request.user, r):
        raise Http404("no such run")
    return r


@router.get("/schemes")
def schemes(request, limit: int = 50, offset: int = 0):
    """Assessment schemes (考核方案), newest year first."""
    require(request.user, AGGREGATE_VIEW)
    qs = services.readable_schemes(request.user).order_by("-year", "code")[offset:offset + min(limit, 200)]
    return [{"id": s.pk, "code": s.code, "name_zh": s.name_zh, "name_en": s.name_en, "year": s.year,
             "period": s.period_code, "level": s.level, "parent": s.parent_id} for s in qs]


@router.get("/schemes/{pk}/runs")
def runs(request, pk: int):
    require(request.user, AGGREGATE_VIEW)
    scheme = get_object_or_404(AssessmentScheme, pk=pk)
    access = services.scheme_access(request.user, scheme)
    if access is None:
        raise Http404("no such scheme")
    runs = scheme.runs.all() if access != services.UNIT else scheme.runs.filter(status=Run.Status.PUBLISHED)
    return [{"id": r.pk, "version": r.version, "period": r.period_code, "status": r.status,
             "content_hash": r.content_hash or None, "previous": r.previous_id,
             "published_at": r.published_at.isoformat() if r.published_at else None} for r in runs]


@router.get("/runs/{pk}")
def run(request, pk: int):
    """One version: every unit's code, name, total, rank, grade, veto and item points."""
    require(request.user, AGGREGATE_VIEW)
    r = _readable_run(request, pk)
    units = services.runs_as_json(r)
    if services.scheme_access(request.user, r.scheme) == services.UNIT:
        own = services.own_units(request.user, r.scheme)  # the ranking of all, the items of its own units only
        units = [u if u["code"] in own else {**u, "items": {}} for u in units]
    return {"id": r.pk, "scheme": r.scheme.code, "version": r.version, "period": r.period_code, "status": r.status,
            "content_hash": r.content_hash or None, "hash_verified": services.verify_run(r) if r.is_published else None,
            "units": units}


@router.get("/runs/{pk}/units/{unit}")
def scorecard(request, pk: int, unit: str):
    """A unit's scorecard: each item's value, target, points and explanation."""
    require(request.user, AGGREGATE_VIEW)
    r = _readable_run(request, pk)
    if not services.can_read_unit(request.user, r, unit):
        raise Http404("no such unit")
    try:
        line, pairs = services.scorecard(r, unit)
    except UnitResult.DoesNotExist:
        raise Http404("no such unit") from None
    return {"code": line.unit_key, "name": line.unit_name, **({"name_en": line.unit_name_en} if line.unit_name_en else {}), "total": float(line.total), "rank": line.rank,
            "group_rank": line.group_rank, "grade": line.grade_code or None, "veto": line.vetoed,
            "items": [{"code": res.item_code, "theme": res.theme_code,
                       "value": None if res.value is None else float(res.value),
                       "target": None if res.target is None else float(res.target),
                       "points": None if res.points is None else float(res.points), "max_points": float(res.max_points),
                       "state": res.state, "explanation_zh": res.explanation_zh, "explanation_en": res.explanation_en,
                       "source": res.source} for _item, res in pairs]}

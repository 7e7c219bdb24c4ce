"""JSON API of assessment, mounted at /api/evaluation/: schemes, runs with their units, scorecards."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router

from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require

from . import services
from .models import AssessmentScheme, Run

router = Router(tags=["evaluation"])


@router.get("/schemes")
def schemes(request, limit: int = 50, offset: int = 0):
    """Assessment schemes (考核方案), newest year first."""
    require(request.user, AGGREGATE_VIEW)
    qs = AssessmentScheme.objects.all()[offset:offset + min(limit, 200)]
    return [{"id": s.pk, "code": s.code, "name_zh": s.name_zh, "name_en": s.name_en, "year": s.year,
             "period": s.period_code, "level": s.level, "parent": s.parent_id} for s in qs]


@router.get("/schemes/{pk}/runs")
def runs(request, pk: int):
    require(request.user, AGGREGATE_VIEW)
    scheme = get_object_or_404(AssessmentScheme, pk=pk)
    return [{"id": r.pk, "version": r.version, "period": r.period_code, "status": r.status,
             "content_hash": r.content_hash or None, "previous": r.previous_id,
             "published_at": r.published_at.isoformat() if r.published_at else None} for r in scheme.runs.all()]


@router.get("/runs/{pk}")
def run(request, pk: int):
    """One version: every unit's code, name, total, rank, grade, veto and item points."""
    require(request.user, AGGREGATE_VIEW)
    r = get_object_or_404(Run, pk=pk)
    return {"id": r.pk, "scheme": r.scheme.code, "version": r.version, "period": r.period_code, "status": r.status,
            "content_hash": r.content_hash or None, "hash_verified": services.verify_run(r) if r.is_published else None,
            "units": services.runs_as_json(r)}


@router.get("/runs/{pk}/units/{unit}")
def scorecard(request, pk: int, unit: str):
    """A unit's scorecard: each item's value, target, points and explanation."""
    require(request.user, AGGREGATE_VIEW)
    r = get_object_or_404(Run, pk=pk)
    line, pairs = services.scorecard(r, unit)
    return {"code": line.unit_id, "name": line.unit_name, "total": float(line.total), "rank": line.rank,
            "group_rank": line.group_rank, "grade": line.grade_code or None, "veto": line.vetoed,
            "items": [{"code": res.item_code, "theme": res.theme_code,
                       "value": None if res.value is None else float(res.value),
                       "target": None if res.target is None else float(res.target),
                       "points": None if res.points is None else float(res.points), "max_points": float(res.max_points),
                       "state": res.state, "explanation_zh": res.explanation_zh, "explanation_en": res.explanation_en,
                       "source": res.source} for _item, res in pairs]}

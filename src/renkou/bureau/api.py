"""JSON API of the bureau's own work, mounted at /api/bureau/: the summary of an area and year."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja import Router

from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require, scoped_areas

from . import services

router = Router(tags=["bureau"])


@router.get("/summary", url_name="bureau_summary")
def summary(request, area: str, year: int):
    require(request.user, AGGREGATE_VIEW)
    if not scoped_areas(request.user).filter(pk=area.ljust(12, "0")).exists():
        raise PermissionDenied("area outside your areas")
    return services.summary(area, year)

"""JSON API of the bureau's own work, mounted at /api/bureau/: the summary of an area and year, the
rows of each register (registers.REGISTERS) in the caller's areas."""

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


@router.get("/registers/{key}", url_name="bureau_register")
def register_rows(request, key: str, area: str | None = None, year: int | None = None):
    """The rows of a register (``funds``, ``staff``, ``branches``, ``members``, ``charters``, ``events``,
    ``facilities``, ``trips``, ``campaigns``, ``screenings``, ``supplies``) in the caller's areas, of an
    area (its code) and a year if given, with the totals row; ``supplies`` adds the stock per station."""
    from django.http import Http404

    from . import registers

    require(request.user, AGGREGATE_VIEW)
    spec = registers.get(key)
    code = None
    if area:
        code = area.ljust(12, "0") if len(area) < 12 else area
        if not scoped_areas(request.user).filter(pk=code).exists():
            raise Http404("area outside your areas")
    out = registers.table(request.user, spec, area=code, year=year, audit_page=f"api.bureau.{key}")
    if key == "supplies":
        out["stock"] = registers.stock_table(request.user, area=code)
    return out

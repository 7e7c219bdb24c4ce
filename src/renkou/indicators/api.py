"""API of the indicators (mounted at /api/indicators/): stored values with provenance, ADX/JSON export."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from ninja import Router, Schema

from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require

from . import exchange, services
from .views import _area_for

router = Router(tags=["indicators"])


class ValueRow(Schema):
    code: str
    name: str
    area: str
    area_name: str
    period: str
    value: float | None
    unit: str
    numerator: float | None
    denominator: float | None


@router.get("/values", response=list[ValueRow])
def values(request, area: str, period: str, level: int | None = None, indicator: str | None = None,
           lang: str = "zh"):
    """Stored indicator values of an area (and its descendants down to ``level``) for a period."""
    require(request.auth, AGGREGATE_VIEW)
    root = _area_for(request.auth, area)
    try:
        return services.value_rows(root.code, period, level=level, indicators=[indicator] if indicator else None,
                                   lang=lang)
    except ValueError as exc:
        raise PermissionDenied(str(exc)) from exc


@router.get("/datavalues")
def datavalues(request, area: str, period: str, format: str = "json", dataset: str | None = None):
    """Aggregate data values as a DHIS2-style JSON data value set or ADX XML."""
    require(request.auth, AGGREGATE_VIEW)
    root = _area_for(request.auth, area)
    fmt = "adx" if format == "adx" else "json"
    text = exchange.export(root.code, period, fmt=fmt, dataset=dataset)
    return HttpResponse(text, content_type="application/xml" if fmt == "adx" else "application/json")

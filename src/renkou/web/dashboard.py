"""The overview page's figures: per county, what the register holds, within the user's scope.

Modules contribute panels through :data:`PANELS` (a list of callables ``panel(user) -> dict | None``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count

from renkou.core.models import Area
from renkou.core.scoping import scoped_areas

PANELS: list[Callable] = []


def overview(user) -> dict:
    areas = scoped_areas(user)
    counts = dict(areas.values_list("level").annotate(n=Count("code")).order_by())
    counties = list(areas.filter(level=Area.Level.COUNTY).order_by("code")[:20])
    panels = [p for p in (panel(user) for panel in PANELS) if p]
    return {"counts": {lv: counts.get(lv, 0) for lv in range(1, 7)}, "counties": counties, "panels": panels}

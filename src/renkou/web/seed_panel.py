"""Home-page panel: the seed's headline figures beside what the register holds, each traceable.

The handbook's four counties (DOMAIN.md §1) are the demo's calibration targets. For each one in
the user's scope the panel shows the handbook figure and the register's figure from the stored
indicator values (each a link to the value's page, which drills down to the records).
"""

from __future__ import annotations

import datetime as dt

from renkou.core.models import Area
from renkou.core.scoping import scoped_areas
from renkou.web import numbers

# county code → (reference year, [(indicator code, handbook figure, label zh, label en)])
SEED = {
    "542526000000": ("2005", [("population_end", "18,689", "人口", "people")]),
    "540102000000": ("2004", [("population_end", "46,730", "人口", "people"),
                              ("households", "17,115", "户数", "households")]),
    "520122000000": ("2005", [("population_end", "251,900", "人口", "people"),
                              ("cbr", "9.2‰", "出生率", "crude birth rate")]),
    "130982000000": ("2005", [("population_end", "778,400", "人口", "people"),
                              ("inflow_population_end", "40,000+", "流动人口", "migrants")]),
}


def _households(county: Area, year: str) -> int:
    from django.db.models import Q

    from renkou.registry.models import Household

    end = dt.date(int(year), 12, 31)
    return (Household.objects.filter(area__pk__startswith=county.prefix)
            .filter(Q(established__isnull=True) | Q(established__lte=end))
            .filter(Q(dissolved__isnull=True) | Q(dissolved__gt=end))
            .filter(members__isnull=False).distinct().count())


def seed_panel(user) -> dict | None:
    try:
        from renkou.indicators.models import IndicatorValue
    except ImportError:  # pragma: no cover - indicators module not installed
        return None
    counties = list(scoped_areas(user).filter(code__in=list(SEED)).order_by("code"))
    if not counties:
        return None
    rows = []
    for county in counties:
        year, figures = SEED[county.code]
        stored = {v.indicator.code: v for v in IndicatorValue.objects.filter(
            area=county, period=year, indicator__code__in=[f[0] for f in figures]).select_related("indicator")}
        cells = []
        for code, handbook, zh, en in figures:
            if code == "households":
                cells.append({"label_zh": zh, "label_en": en, "handbook": handbook,
                              "register": f"{_households(county, year):,}", "pk": None})
                continue
            v = stored.get(code)
            shown = "—" if v is None else numbers.indicator_value(v.value, v.indicator.decimals,
                                                                   v.indicator.indicator_type)
            cells.append({"label_zh": zh, "label_en": en, "handbook": handbook, "register": shown,
                          "pk": v.pk if v is not None else None})
        rows.append({"county": county, "year": year, "cells": cells})
    return {"template": "web/seed_panel.html", "rows": rows}

"""The indicators module's part of ``renkou demo``: catalog, aggregate activity reports, computed values.

Loads the default catalog; the synthetic monthly activity of each township as data values of the
``activity_monthly`` form; the villages with a self-governance charter in 2005 (Xifeng: 63.31 %,
the seed's figure); then computes every indicator for each demo county and its townships for
2001–2005 and the statistical year 2005SY.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from django.db import transaction

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.demo import STEPS

PERIODS = ("2001", "2002", "2003", "2004", "2005", "2005SY")
# A full recompute of a large county takes minutes per period on a small machine, so the demo computes
# the periods each county is shown for (its reference year, the one before it for year-on-year and
# assessment progress, the statistical year where the seed reports one); ``--full-indicators`` computes
# all of PERIODS, and any other cell is one ``renkou indicators compute --area CODE --period P`` away.
DEMO_PERIODS = {
    "542526": ("2004", "2005"),
    "540102": ("2003", "2004"),
    "520122": ("2001", "2002", "2003", "2004", "2005", "2005SY"),
    "130982": ("2005",),
}
ACTIVITY_COLUMNS = ("publicity_sessions", "people_reached", "trainings", "training_participants", "screenings",
                    "mobile_service_trips", "mobile_service_km")
# Self-governance coverage of 2005 from the seed (DOMAIN.md §1); other counties get a plausible share.
CHARTER_SHARE = {"520122": 0.6331}


def load_activity(county: str, activity) -> int:
    """Data values of the monthly activity form from a synthetic activity table (bulk, before computing)."""
    from .models import DataElement, DataValue

    elements = {e.code: e for e in DataElement.objects.filter(code__in=ACTIVITY_COLUMNS)}
    known = set(Area.objects.filter(code__startswith=county).values_list("code", flat=True))
    rows = []
    for i in range(len(activity["record_id"])):
        area = areacodes.full_code(str(activity["area_code"][i]))
        if area not in known:
            continue
        for col in ACTIVITY_COLUMNS:
            rows.append(DataValue(element=elements[col], area_id=area, period=str(activity["period"][i]),
                                  value=int(activity[col][i])))
    DataValue.objects.filter(area__pk__startswith=county, element__in=list(elements.values())).delete()
    DataValue.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def load_self_governance(county: str, year: str = "2005", seed: int = 2005) -> tuple[int, int]:
    """Villages with a charter per township for ``year``: the county share spread over townships."""
    from .models import DataElement, DataValue

    villages = Area.objects.filter(code__startswith=county, level=Area.Level.VILLAGE)
    by_town: dict[str, int] = {}
    for code in villages.values_list("code", flat=True):
        town = areacodes.full_code(code[:9])
        by_town[town] = by_town.get(town, 0) + 1
    total = sum(by_town.values())
    if not total:
        return 0, 0
    share = CHARTER_SHARE.get(county, 0.5 + 0.4 * np.random.default_rng(int(county)).random())
    target = math.floor(share * total + 0.5)
    towns = sorted(by_town)
    rng = np.random.default_rng(seed + int(county))
    weights = rng.dirichlet(np.ones(len(towns)) * 4)
    charter = {t: 0 for t in towns}
    left = target
    for t in sorted(towns, key=lambda t: -weights[towns.index(t)]):  # fill the most advanced townships first
        n = min(by_town[t], left, max(0, round(target * weights[towns.index(t)])) or 1)
        charter[t], left = n, left - n
    for t in towns:  # whatever is left goes where villages remain
        extra = min(left, by_town[t] - charter[t])
        charter[t], left = charter[t] + extra, left - extra
    el = {e.code: e for e in DataElement.objects.filter(code__in=("villages_with_charter", "villages_total"))}
    DataValue.objects.filter(area__pk__startswith=county, period=year, element__in=list(el.values())).delete()
    DataValue.objects.bulk_create(
        [DataValue(element=el["villages_total"], area_id=t, period=year, value=Decimal(by_town[t])) for t in towns]
        + [DataValue(element=el["villages_with_charter"], area_id=t, period=year, value=Decimal(charter[t]))
           for t in towns])
    return target, total


def build_indicators(ctx, progress) -> None:
    from . import columnar, services

    services.load_catalog()
    bar = progress("指标计算用的列式副本 / columnar copy for the indicators")
    columnar.rebuild()  # the counts below read it (kept up to date by the change log from here on)
    bar(1, 1)
    counties = sorted(ctx.results) or sorted(Area.objects.filter(level=Area.Level.COUNTY)
                                             .values_list("code", flat=True))
    for county in counties:
        prefix = county[:6]
        result = ctx.results.get(county)
        with transaction.atomic():
            if result is not None and getattr(result, "activity", None):
                load_activity(prefix, result.activity)
            load_self_governance(prefix)
        periods = PERIODS if getattr(ctx, "full", False) else DEMO_PERIODS.get(prefix, PERIODS)
        periods = [p for p in periods if p in PERIODS]
        bar = progress(f"指标 {prefix} / indicators {prefix}")
        for i, period in enumerate(periods):
            bar(i, len(periods))
            services.compute(prefix, period, level=Area.Level.TOWNSHIP)
        bar(len(periods), len(periods))
    xifeng = services.value_rows("520122", "2005", indicators=["cbr"]) if "520122" in [c[:6] for c in counties] \
        else []
    if xifeng:
        ctx.notes.append(f"息烽县 2005 出生率 / Xifeng crude birth rate 2005: {xifeng[0]['value']}‰ "
                         f"(= {xifeng[0]['numerator']:g} ÷ {xifeng[0]['denominator']:g} × 1000)")


STEPS.append(("indicators", build_indicators))


def refresh_indicators(ctx, progress) -> None:
    """The demo's last step: the villages whose records the later steps changed (department feeds,
    migrants, the exchange …) are recomputed (:func:`services.recompute_dirty`), so that no page of
    the demo shows a value older than the register."""
    from . import services
    from .models import DirtyCell

    cells = DirtyCell.objects.count()
    bar = progress("更新指标 / indicators brought up to date")
    bar(0, 1)
    n = services.recompute_dirty()
    bar(1, 1)
    ctx.notes.append(f"indicators brought up to date after the later steps: {cells:,} village cells changed, "
                     f"{n:,} values recomputed")

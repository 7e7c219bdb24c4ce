"""The bureau's own work as module operands of the indicator catalog (source ``bureau``).

Each operand is counted from the records of :mod:`renkou.bureau.models` (and the ledger) for the
calendar year of the period's end; an area without any record of the kind gets no value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

CATALOG = Path(__file__).parent / "data" / "indicators.yaml"

OPERANDS = {
    "allocated_fen": ("计生经费预算(分)", "family-planning budget allocated (fen)"),
    "per_head_fen": ("按人头安排的经费(分)", "per-head allocation (fen)"),
    "passed_down_fen": ("下拨乡村经费(分)", "budget passed down to townships and villages (fen)"),
    "spent_fen": ("已支出经费(分)", "budget spent (fen)"),
    "free_service_fen": ("免费服务价值(分)", "value of free services (fen)"),
    "population": ("户籍人口", "registered population"),
    "staff": ("计生工作人员数", "family-planning staff"),
    "staff_qualified": ("持证上岗人员数", "staff holding the qualification"),
    "villages": ("村数", "villages"),
    "self_governing_villages": ("实行村民自治的村数", "villages with self-governance"),
    "sessions": ("宣传场次", "publicity sessions"),
    "reached": ("受众人次", "people reached"),
    "vehicle_trips": ("服务车下乡次数", "mobile-vehicle trips"),
    "vehicle_km": ("服务车行驶里程(公里)", "mobile-vehicle km"),
    "screened": ("检查人数", "women screened"),
    "found": ("查出疾病数", "conditions found"),
    "treated": ("治疗数", "treated"),
    "cured": ("治愈数", "cured"),
}


# the register whose records an operand counts: an area without any record of it gets no value
_REGISTER = {"allocated_fen": "FundLine", "per_head_fen": "FundLine", "passed_down_fen": "FundLine",
             "spent_fen": "FundLine", "free_service_fen": "FundLine", "population": "FundLine",
             "staff": "StaffPost", "staff_qualified": "StaffPost", "villages": "VillageCharter",
             "self_governing_villages": "VillageCharter", "sessions": "Event", "reached": "Event",
             "vehicle_trips": "VehicleTrip", "vehicle_km": "VehicleTrip", "screened": "ScreeningRecord",
             "found": "ScreeningRecord", "treated": "ScreeningRecord", "cured": "ScreeningRecord"}


def operand_values(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[int | None]:
    from . import models, services

    model = getattr(models, _REGISTER[operand])
    field = "village" if model is models.VillageCharter else "area"
    from renkou.indicators import providers

    root = providers.common_prefix(prefixes)
    codes = providers.memo(("bureau.codes", model.__name__, root), lambda: set(
        model.objects.filter(**{f"{field}__pk__startswith": root}).order_by().values_list(f"{field}_id", flat=True)
        .distinct()))
    has = providers.present(codes, prefixes)
    if operand == "population":  # one statement grouped by area for all of them
        having = [p for p, found in zip(prefixes, has, strict=True) if found]
        counted = dict(zip(having, services.populations(having, end), strict=True)) if having else {}
        return [counted.get(p) for p in prefixes]
    if not any(has):
        return [None] * len(prefixes)
    # every figure of every area counted once for all the operands of one computation
    counted = providers.memo(("bureau.figures", tuple(prefixes), end.year),
                             lambda: services.figures(prefixes, end.year))
    return [row[operand] if found else None for row, found in zip(counted, has, strict=True)]

"""Benefit figures as module operands of the indicator catalog (利益导向指标来源).

Registered as the module source ``benefits`` (:mod:`renkou.indicators.providers`); the catalog
fragment ``data/indicators.yaml`` defines on them the coverage of eligible families (覆盖率) and the
payment punctuality (发放及时率), which assessment schemes score like any catalog indicator.

The operands count the entitlements of every program's cycles whose period lies inside the
indicator's period, placed in the village of the family:

- ``eligible_units``: families (or persons) on the frozen rosters, less those excluded after an
  objection;
- ``paid_units``: of those, the ones with a payment the bank reported paid;
- ``payments_paid``: payments reported paid;
- ``payments_on_time``: of those, settled within ``services.PAY_WITHIN_DAYS`` days after the end of
  the cycle's period;
- ``committed_fen`` / ``paid_fen``: money approved and money paid, in fen.

An area no cycle covers gets no value (missing, not 0).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

CATALOG = Path(__file__).parent / "data" / "indicators.yaml"

OPERANDS = {
    "eligible_units": ("名册内应享受对象数", "eligible families on the rosters"),
    "paid_units": ("已发放到位对象数", "eligible families paid"),
    "payments_paid": ("已发放笔数", "payments made"),
    "payments_on_time": ("按时发放笔数", "payments made on time"),
    "committed_fen": ("已审批金额(分)", "amount approved (fen)"),
    "paid_fen": ("已发放金额(分)", "amount paid (fen)"),
}


def _rows(start: dt.date, end: dt.date) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Per village, the six counts; and the counties of the cycles found."""
    from . import services
    from .models import Cycle, Entitlement, Payment

    cycles = {c.pk: c for c in Cycle.objects.filter(period_start__gte=start, period_end__lte=end)}
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPERANDS, 0))
    if not cycles:
        return out, []
    ents = (Entitlement.objects.filter(cycle_id__in=list(cycles)).exclude(state=Entitlement.State.EXCLUDED)
            .values_list("pk", "village_id", "state", "amount_fen"))
    village_of = {}
    for pk, village, state, fen in ents:
        village_of[pk] = village
        row = out[village]
        row["eligible_units"] += 1
        if state == Entitlement.State.COMMITTED:
            row["committed_fen"] += fen
    paid_units: set[int] = set()
    pays = (Payment.objects.filter(entitlement__cycle_id__in=list(cycles), state=Payment.State.PAID)
            .values_list("entitlement_id", "entitlement__cycle_id", "settled_on", "amount_fen"))
    for ent, cycle, settled, fen in pays:
        village = village_of.get(ent)
        if village is None:
            continue
        row = out[village]
        row["payments_paid"] += 1
        row["paid_fen"] += fen
        due = cycles[cycle].period_end + dt.timedelta(days=services.PAY_WITHIN_DAYS)
        if settled is not None and settled <= due:
            row["payments_on_time"] += 1
        if ent not in paid_units:
            paid_units.add(ent)
            row["paid_units"] += 1
    return out, sorted({c.area_id[:6] for c in cycles.values()})


def operand_values(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[int | None]:
    from renkou.indicators import providers

    # read once for the six operands of one computation
    by_village, counties = providers.memo(("benefits.rows", start, end), lambda: _rows(start, end))
    sums = providers.rollup(((village, row[operand]) for village, row in by_village.items()), prefixes)
    return [int(total) if any(c.startswith(prefix) or prefix.startswith(c) for c in counties) else None
            for prefix, total in zip(prefixes, sums, strict=True)]

"""Where the values of assessment items come from (考核数据来源).

:func:`indicator_value` is the one door to indicator values: every item sourced from an indicator
goes through it. The values are those of the indicators engine (:mod:`renkou.indicators`, 指标计算)
— the stored :class:`~renkou.indicators.models.IndicatorValue` of a catalog indicator, area and
period — so an assessment scores exactly the figure the bureau publishes, with its provenance
(numerator, denominator, operand values and their hash, definition version) and the engine's
value page, which drills down to the records behind each operand.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from renkou.core import areacodes

Explanation = dict[str, Any]


def _stored(indicator, area_code: str, period_code: str):
    from renkou.indicators.models import IndicatorValue

    return IndicatorValue.objects.filter(indicator=indicator, area_id=area_code, period=period_code).first()


def _compute(area_code: str, period_code: str) -> None:
    """Have the engine compute the area (down to its own level only) for the period."""
    from renkou.core.models import Area
    from renkou.indicators import services

    level = Area.objects.filter(code=area_code).values_list("level", flat=True).first()
    if level is not None:
        services.compute(area_code, period_code, level=level)


def _number(x: float | None) -> int | float | None:
    """Operand values read as whole numbers when they are (2 births, not 2.0)."""
    return int(x) if x is not None and float(x).is_integer() else x


def indicator_value(code: str, area_code: str, period_code: str) -> tuple[Decimal | None, Explanation]:
    """Value of catalog indicator ``code`` for the area and period, and where it comes from.

    Reads the stored value; when none is stored, the engine computes the area for the period once
    (:func:`renkou.indicators.services.compute`) and the value is read again. Returns
    ``(None, explanation)`` when there is no value (an indicator not in the catalog, a missing
    operand, a zero denominator): the scheme then marks the item missing, never 0.
    """
    from renkou.indicators.models import Indicator

    area = areacodes.full_code(area_code)
    base: Explanation = {"source": "indicator", "indicator": code, "area": area, "period": period_code}
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return None, {**base, "missing": "not an indicator of the catalog (指标目录中没有此指标)"}
    stored = _stored(indicator, area, period_code)
    if stored is None:
        _compute(area, period_code)
        stored = _stored(indicator, area, period_code)
    base.update({"name_zh": indicator.name_zh, "name_en": indicator.name_en, "unit": indicator.unit})
    if stored is None:
        return None, {**base, "missing": "no value computed for this area and period (未计算)"}
    explanation = {**base, "numerator": _number(stored.numerator), "denominator": _number(stored.denominator),
                   "inputs": {k: _number(v) for k, v in stored.inputs.items()}, "inputs_hash": stored.inputs_hash,
                   "definition_version": stored.definition_version, "indicator_value": stored.pk,
                   "url": reverse("indicators:value", args=[stored.pk])}
    if stored.value is None or not stored.denominator:
        return None, {**explanation, "missing": "no value: an operand is missing or the denominator is 0 "
                                                "(数据缺失或分母为 0)"}
    return stored.value.quantize(Decimal(1).scaleb(-indicator.decimals)), explanation


# ---------------------------------------------------------------------------------------
# What a department's feeds delivered (部门信息报送), for the items of department schemes
# ---------------------------------------------------------------------------------------

FEED_DEADLINE_DAY = 10  # a month's records are due by the 10th of the following month (次月10日前报送)


def feed_deadline(month: str):
    """The moment a month's records are due: the end of the 10th day of the next month, local time."""
    import datetime as dt

    from django.utils import timezone

    y, m = int(month[:4]), int(month[5:7])
    day = dt.date(y + (m == 12), m % 12 + 1, FEED_DEADLINE_DAY)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def _months(start, end) -> list[str]:
    import datetime as dt

    out, d = [], dt.date(start.year, start.month, 1)
    while d <= end:
        out.append(f"{d:%Y-%m}")
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _pct(num: int, den: int) -> Decimal:
    return (Decimal(100) * num / den).quantize(Decimal("0.01"))


def feeds_measure(department, measure: str, period_code: str) -> tuple[Decimal | None, Explanation]:
    """A department's delivery of its feeds over the period (counted from the feeds' own records):

    * ``months_delivered``: % of the expected source-months (each of the department's active sources
      × each month of the period) for which the source delivered at least one record;
    * ``events_confirmed``: % of the register's events of the sources' kinds in the county and the
      period that a record of the department's sources confirms (the feeds' completeness figures);
    * ``on_time``: % of the expected source-months whose first records arrived (the file's receipt
      time) by the 10th of the following month; a month not delivered missed its deadline.

    A department that delivers no feeds (no ``feeds_department``, or no active source of it in its
    county) gives ``(None, {"not_applicable": True, …})``: the item does not apply to it.
    """
    from django.db.models import Min

    from renkou.core.periods import Period
    from renkou.feeds.models import FeedRecord, Source
    from renkou.feeds.services import completeness

    period = Period.parse(period_code)
    county = department.county_id[:6]
    base: Explanation = {"source": "feeds", "measure": measure, "department": department.code,
                         "feeds_department": department.feeds_department, "period": period_code}
    found = list(Source.objects.filter(county_id=department.county_id, department=department.feeds_department,
                                       active=True).order_by("code")) if department.feeds_department else []
    if not found:
        return None, {**base, "not_applicable": True, "missing": "the department delivers no feeds (不报送部门信息)"}
    months = _months(period.start, period.end)
    base.update({"sources": [s.code for s in found], "source_names": {s.code: [s.name_zh, s.name_en] for s in found},
                 "months": len(months), "expected": len(found) * len(months),
                 "url": f"{reverse('feeds:completeness')}?area={county}&period={period.start:%Y}"})
    if measure == "events_confirmed":
        rows = completeness(county, period.start, period.end, sources=found)
        register = sum(r["register_events"] for r in rows)
        confirmed = sum(r["confirmed_events"] for r in rows)
        base.update({"numerator": confirmed, "denominator": register, "received": sum(r["received"] for r in rows)})
        if not register:
            return None, {**base, "missing": "no register event of the sources' kinds in the period (登记中无此类事件)"}
        return _pct(confirmed, register), base
    first = {(s, m): t for s, m, t in FeedRecord.objects.filter(
        source__in=found, area__pk__startswith=county, event_date__gte=period.start, event_date__lte=period.end)
        .values_list("source_id", "month").annotate(first=Min("file__received_at")).values_list("source_id", "month",
                                                                                                  "first")}
    if measure == "months_delivered":
        delivered = len(first)
        base.update({"numerator": delivered, "denominator": len(found) * len(months),
                     "not_delivered": {s.code: [m for m in months if (s.pk, m) not in first] for s in found}})
        return _pct(delivered, len(found) * len(months)), base
    on_time = sum(1 for (_s, m), t in first.items() if t <= feed_deadline(m))
    late = {s.code: sorted(m for (pk, m), t in first.items() if pk == s.pk and t > feed_deadline(m)) for s in found}
    base.update({"numerator": on_time, "denominator": len(found) * len(months), "late": late,
                 "deadline_day": FEED_DEADLINE_DAY, "delivered": len(first)})
    return _pct(on_time, len(found) * len(months)), base

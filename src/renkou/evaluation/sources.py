"""Where the values of assessment items come from (考核数据来源).

:func:`indicator_value` is the one door to indicator values: every item sourced from an indicator
goes through it, so a change of the indicator engine touches this function only.

Until the indicator engine (``renkou.indicators``) offers computed values, the indicators a
township scheme needs are counted here from the register (个案库) for an area's subtree and a
period — aggregates only, never a mark against a person. Each value comes with an explanation
dict: the formula, numerator, denominator and a ``drill`` recipe naming the records behind it
(:func:`drill_queryset` rebuilds them for the drill-down page, through the scoping function).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from renkou.core import areacodes
from renkou.core.periods import Period

Explanation = dict[str, Any]
# Registration within this many days of the event counts as timely (及时登记) for the completeness item.
TIMELY_REGISTRATION_DAYS = 60
FACILITY_DELIVERY = ("hospital", "health_centre")
MARRIED = ("20", "21", "22", "23")


def _prefix(area_code: str) -> str:
    return areacodes.prefix(area_code, areacodes.level_of(area_code))


def _births(prefix: str, period: Period) -> QuerySet:
    from renkou.registry.models import Event

    return Event.objects.filter(kind=Event.Kind.BIRTH, is_current=True, flag_rejected=False,
                                area_id__startswith=prefix, event_date__gte=period.start,
                                event_date__lte=period.end)


def _deaths(prefix: str, period: Period) -> QuerySet:
    from renkou.registry.models import Event

    return Event.objects.filter(kind=Event.Kind.DEATH, is_current=True, flag_rejected=False,
                                area_id__startswith=prefix, event_date__gte=period.start,
                                event_date__lte=period.end)


def _residents_on(prefix: str, day: dt.date) -> QuerySet:
    """Persons living in the subtree at the end of ``day`` (常住人口 from the register)."""
    from renkou.registry.models import Person

    return (Person.objects.filter(resident_area_id__startswith=prefix, birth_date__lte=day)
            .exclude(record_state=Person.Record.MERGED)
            .exclude(death_date__lte=day).exclude(exit_date__lte=day)
            .filter(Q(entry_date__isnull=True) | Q(entry_date__lte=day)))


def mean_population(prefix: str, period: Period) -> tuple[Decimal, int, int]:
    """(start + end) ÷ 2 (平均人口), start = residents at the end of the day before the period."""
    start = _residents_on(prefix, period.start - dt.timedelta(days=1)).count()
    end = _residents_on(prefix, period.end).count()
    return Decimal(start + end) / 2, start, end


def _ratio(num: int | Decimal, den: int | Decimal, factor: int) -> Decimal | None:
    if not den:
        return None
    return Decimal(num) * factor / Decimal(den)


def _drill(kind: str, prefix: str, period: Period, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "prefix": prefix, "start": period.start.isoformat(), "end": period.end.isoformat(),
            **extra}


def _rate_per_mille(events: str) -> Callable[[str, Period], tuple[Decimal | None, Explanation]]:
    def compute(prefix: str, period: Period) -> tuple[Decimal | None, Explanation]:
        births = _births(prefix, period).count()
        deaths = _deaths(prefix, period).count() if events != "births" else 0
        mean, start, end = mean_population(prefix, period)
        numerator = births if events == "births" else births - deaths
        formula = {"births": "births ÷ mean population × 1000 (出生数 ÷ 平均人口 × 1000)",
                   "increase": "(births − deaths) ÷ mean population × 1000 ((出生数 − 死亡数) ÷ 平均人口 × 1000)"}
        return _ratio(numerator, mean, 1000), {
            "formula": formula[events], "numerator": numerator, "denominator": str(mean),
            "births": births, "deaths": deaths, "population_start": start, "population_end": end,
            "drill": _drill("births", prefix, period),
        }
    return compute


def _sex_ratio_at_birth(prefix: str, period: Period) -> tuple[Decimal | None, Explanation]:
    births = _births(prefix, period)
    boys = births.filter(subject__sex=1).count()
    girls = births.filter(subject__sex=2).count()
    return _ratio(boys, girls, 100), {"formula": "male births ÷ female births × 100 (男婴数 ÷ 女婴数 × 100)",
                                      "numerator": boys, "denominator": girls,
                                      "drill": _drill("births", prefix, period)}


def _hospital_delivery_rate(prefix: str, period: Period) -> tuple[Decimal | None, Explanation]:
    births = _births(prefix, period)
    total = births.count()
    facility = births.filter(delivery_place__in=FACILITY_DELIVERY).count()
    return _ratio(facility, total, 100), {
        "formula": "births in a health facility ÷ births × 100 (住院分娩数 ÷ 出生数 × 100)",
        "numerator": facility, "denominator": total, "drill": _drill("births", prefix, period)}


def _contraceptive_prevalence(prefix: str, period: Period) -> tuple[Decimal | None, Explanation]:
    """Married women 15–49 who chose a method (voluntary service received) ÷ married women 15–49."""
    from renkou.registry.models import ServiceRecord

    end = period.end
    oldest, youngest = dt.date(end.year - 50, end.month, 1), dt.date(end.year - 15, end.month, 1)
    women = _residents_on(prefix, end).filter(sex=2, marital_status__in=MARRIED, birth_date__gt=oldest,
                                              birth_date__lte=youngest)
    chose = ServiceRecord.objects.filter(type=ServiceRecord.Type.CONTRACEPTION, date__gte=period.start,
                                         date__lte=end, person__in=women).values("person").distinct().count()
    total = women.count()
    return _ratio(chose, total, 100), {
        "formula": "married women 15–49 who chose a method in the period (voluntary) ÷ married women 15–49 × 100 "
                   "(自愿选择避孕方法的已婚育龄妇女 ÷ 已婚育龄妇女 × 100)",
        "numerator": chose, "denominator": total, "note": "service coverage, never a quota on people"}


def _registration_completeness(prefix: str, period: Period) -> tuple[Decimal | None, Explanation]:
    rows = list(_births(prefix, period).values_list("event_date", "registration_date"))
    timely = sum(1 for event, reg in rows if reg is not None and (reg - event).days <= TIMELY_REGISTRATION_DAYS)
    return _ratio(timely, len(rows), 100), {
        "formula": f"births registered within {TIMELY_REGISTRATION_DAYS} days ÷ births in the register × 100 "
                   f"(出生后 {TIMELY_REGISTRATION_DAYS} 天内登记数 ÷ 登记出生数 × 100)",
        "numerator": timely, "denominator": len(rows),
        "note": "births missing from the register are found by sampled verification (item source verification)",
        "drill": _drill("births", prefix, period)}


REGISTER_INDICATORS: dict[str, Callable[[str, Period], tuple[Decimal | None, Explanation]]] = {
    "crude_birth_rate": _rate_per_mille("births"),
    "natural_increase_rate": _rate_per_mille("increase"),
    "sex_ratio_at_birth": _sex_ratio_at_birth,
    "hospital_delivery_rate": _hospital_delivery_rate,
    "contraceptive_prevalence": _contraceptive_prevalence,
    "registration_completeness": _registration_completeness,
}


def indicator_value(code: str, area_code: str, period_code: str) -> tuple[Decimal | None, Explanation]:
    """Value of indicator ``code`` for the area's subtree in the period, and how it was obtained.

    Returns ``(None, explanation)`` when the value cannot be computed (unknown indicator, a zero
    denominator); the scheme then marks the item missing, never 0.
    """
    period = Period.parse(period_code)
    compute = REGISTER_INDICATORS.get(code)
    if compute is None:
        return None, {"source": "indicator", "indicator": code, "area": area_code, "period": period_code,
                      "missing": "no value for this indicator (not derivable from the register)"}
    value, explanation = compute(_prefix(area_code), period)
    if value is not None:  # rates are published to 2 decimals (‰, %, boys per 100 girls)
        value = value.quantize(Decimal("0.01"))
    return value, {"source": "indicator (register)", "indicator": code, "area": area_code,
                   "period": period_code, **explanation}


def drill_queryset(drill: dict[str, Any]) -> QuerySet:
    """The register rows behind a value, from the ``drill`` recipe of an explanation.

    The caller narrows the result with :func:`renkou.core.scoping.scoped` before showing it.
    """
    period = Period.range(dt.date.fromisoformat(drill["start"]), dt.date.fromisoformat(drill["end"]))
    if drill["kind"] == "births":
        return _births(drill["prefix"], period).select_related("subject", "area").order_by("event_date", "id")
    if drill["kind"] == "deaths":
        return _deaths(drill["prefix"], period).select_related("subject", "area").order_by("event_date", "id")
    raise ValueError(f"unknown drill-down {drill['kind']!r}")

"""Module operands of migrants (``M{migrants.…}`` in indicator expressions), per area prefix and period.

Inflow records are counted where the migrant lives, outflow records where the person is registered;
agreements where they were signed; services where they were given (the register's services).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef

OPERANDS = {
    "inflow": ("流入人口数", "inflow migrants present at the end of the period"),
    "outflow": ("流出人口数", "outflow persons away at the end of the period"),
    "arrivals": ("当期到达的流入人口数", "inflow migrants who arrived in the period"),
    "confirmed_30": ("到达后 30 天内登记的流入人口数", "arrivals of the period registered within 30 days"),
    "agreements_in_force": ("有效服务协议数", "service agreements in force at the end of the period"),
    "services": ("为流入人口提供的服务次数", "services given to inflow migrants in the period"),
}


def value(operand: str, prefix: str, start: dt.date, end: dt.date) -> float:
    from renkou.registry.models import ServiceRecord

    from .models import Agreement, MigrantRecord, Transition

    inflow = MigrantRecord.objects.filter(direction="inflow", resident_area__code__startswith=prefix)
    if operand == "inflow":
        return inflow.filter(arrival_date__lte=end).exclude(departure_date__lte=end).count()
    if operand == "outflow":
        return (MigrantRecord.objects.filter(direction="outflow", registered_area__code__startswith=prefix)
                .exclude(departure_date__gt=end).exclude(state="left").count())
    arrivals = inflow.filter(arrival_date__gte=start, arrival_date__lte=end)
    if operand == "arrivals":
        return arrivals.count()
    if operand == "confirmed_30":
        ok = Transition.objects.filter(record=OuterRef("pk"), to_state="inflow", from_state="unconfirmed",
                                       at__date__lte=F("record__arrival_date") + dt.timedelta(days=30))
        return arrivals.filter(Exists(ok)).count()
    if operand == "agreements_in_force":
        return Agreement.objects.filter(area__code__startswith=prefix, start__lte=end, end__gte=end).count()
    if operand == "services":
        return ServiceRecord.objects.filter(area__code__startswith=prefix, date__gte=start, date__lte=end,
                                            person__in=inflow.values("person_id")).count()
    raise KeyError(f"unknown migrants operand {operand}")


def _grouped(operand: str, prefix: str, start: dt.date, end: dt.date):
    """(area code, count) pairs of the operand under ``prefix``: one grouped query for all areas,
    counting what :func:`value` counts for one."""
    from django.db.models import Count

    from renkou.registry.models import ServiceRecord

    from .models import Agreement, MigrantRecord, Transition

    inflow = MigrantRecord.objects.filter(direction="inflow", resident_area__code__startswith=prefix)
    if operand == "inflow":
        qs, key = inflow.filter(arrival_date__lte=end).exclude(departure_date__lte=end), "resident_area_id"
    elif operand == "outflow":
        qs, key = (MigrantRecord.objects.filter(direction="outflow", registered_area__code__startswith=prefix)
                   .exclude(departure_date__gt=end).exclude(state="left")), "registered_area_id"
    elif operand in ("arrivals", "confirmed_30"):
        qs, key = inflow.filter(arrival_date__gte=start, arrival_date__lte=end), "resident_area_id"
        if operand == "confirmed_30":
            ok = Transition.objects.filter(record=OuterRef("pk"), to_state="inflow", from_state="unconfirmed",
                                           at__date__lte=F("record__arrival_date") + dt.timedelta(days=30))
            qs = qs.filter(Exists(ok))
    elif operand == "agreements_in_force":
        qs, key = Agreement.objects.filter(area__code__startswith=prefix, start__lte=end, end__gte=end), "area_id"
    elif operand == "services":
        qs, key = (ServiceRecord.objects.filter(area__code__startswith=prefix, date__gte=start, date__lte=end,
                                                person__in=inflow.values("person_id")), "area_id")
    else:
        raise KeyError(f"unknown migrants operand {operand}")
    return list(qs.order_by().values_list(key).annotate(n=Count("pk")).values_list(key, "n"))


def operand_values(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[float | None]:
    """The operand for each area prefix over [start, end] (equal to :func:`value` of each prefix)."""
    from renkou.indicators import providers

    if operand not in OPERANDS:
        raise KeyError(f"unknown migrants operand {operand}")
    pairs = _grouped(operand, providers.common_prefix(prefixes), start, end)
    return [float(v) for v in providers.rollup(((c, n) for c, n in pairs if c), prefixes)]

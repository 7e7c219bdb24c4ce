"""Module operands of department feeds (``M{feeds.…}`` in indicator expressions).

Each operand is a count over the period [start, end] (events and records by their event date)
within an area prefix; the catalog fragment ``data/indicators.yaml`` turns them into indicators an
assessment can score, e.g. the share of the register's births confirmed by a hospital's birth notice.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

OPERANDS = {
    "records": ("部门记录数", "department records received"),
    "auto_linked": ("自动比对成功记录数", "records linked automatically"),
    "linked_by_decision": ("人工确认比对记录数", "records linked by decision"),
    "queued": ("待核对记录数", "records waiting in the reconciliation queue"),
    "missing": ("登记库缺漏记录数", "records missing from the register (not found or declared)"),
    "register_births": ("登记出生数", "births in the register"),
    "births_confirmed_health": ("有出生医学证明印证的登记出生数", "register births confirmed by a hospital notice"),
    "births_confirmed_any": ("有部门信息印证的登记出生数", "register births confirmed by any department"),
    "births_missing": ("部门信息发现的漏登出生数", "births found missing from the register by the feeds"),
    "register_deaths": ("登记死亡数", "deaths in the register"),
    "deaths_confirmed_any": ("有部门信息印证的登记死亡数", "register deaths confirmed by any department"),
}


def _records(prefix: str, start: dt.date, end: dt.date):
    from .models import FeedRecord

    return FeedRecord.objects.filter(area__pk__startswith=prefix, event_date__gte=start, event_date__lte=end)


def _events(kind: str, prefix: str, start: dt.date, end: dt.date):
    from renkou.registry.models import Event

    return Event.objects.filter(kind=kind, is_current=True, flag_rejected=False, area__pk__startswith=prefix,
                                event_date__gte=start, event_date__lte=end)


def _confirmed(kind: str, prefix: str, start: dt.date, end: dt.date, department: str = "") -> int:
    from .models import FeedRecord

    linked = FeedRecord.objects.filter(event__isnull=False, event__kind=kind)
    if department:
        linked = linked.filter(source__department=department)
    return _events(kind, prefix, start, end).filter(pk__in=linked.values("event_id")).count()


def value(operand: str, prefix: str, start: dt.date, end: dt.date) -> float:
    from .models import FeedRecord

    st = FeedRecord.Status
    recs = _records(prefix, start, end)
    if operand == "records":
        return recs.count()
    if operand == "auto_linked":
        return recs.filter(status=st.AUTO_LINKED).count()
    if operand == "linked_by_decision":
        return recs.filter(status=st.LINKED).count()
    if operand == "queued":
        return recs.filter(status=st.QUEUED).count()
    if operand == "missing":
        return recs.filter(status__in=[st.NOT_FOUND, st.DECLARED]).count()
    if operand == "births_missing":
        # one birth reported by several departments is one missing birth: counted once per record key
        # of the health department when it has one, else per record
        missing = recs.filter(kind="birth", status__in=[st.NOT_FOUND, st.DECLARED])
        declared_events = set(missing.filter(event__isnull=False).values_list("event_id", flat=True))
        return len(declared_events) + missing.filter(Q(event__isnull=True)).count()
    if operand == "register_births":
        return _events("birth", prefix, start, end).count()
    if operand == "births_confirmed_health":
        return _confirmed("birth", prefix, start, end, "health")
    if operand == "births_confirmed_any":
        return _confirmed("birth", prefix, start, end)
    if operand == "register_deaths":
        return _events("death", prefix, start, end).count()
    if operand == "deaths_confirmed_any":
        return _confirmed("death", prefix, start, end)
    raise KeyError(operand)


def _all_areas(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[float]:
    """:func:`value` of every prefix from one grouped query under their common prefix."""
    from django.db.models import Count

    from renkou.indicators import providers

    from .models import FeedRecord

    st = FeedRecord.Status
    root = providers.common_prefix(prefixes)
    recs = _records(root, start, end).order_by()

    def counted(qs):
        return providers.rollup(qs.order_by().values_list("area_id").annotate(n=Count("pk")).values_list(
            "area_id", "n"), prefixes)

    if operand == "records":
        return counted(recs)
    if operand in ("auto_linked", "linked_by_decision", "queued"):
        status = {"auto_linked": st.AUTO_LINKED, "linked_by_decision": st.LINKED, "queued": st.QUEUED}[operand]
        return counted(recs.filter(status=status))
    if operand == "missing":
        return counted(recs.filter(status__in=[st.NOT_FOUND, st.DECLARED]))
    if operand == "births_missing":
        missing = recs.filter(kind="birth", status__in=[st.NOT_FOUND, st.DECLARED])
        rows = list(missing.values_list("area_id", "event_id"))
        return [float(len({e for _a, e in group if e is not None}) + sum(1 for _a, e in group if e is None))
                for group in providers.groups(rows, lambda r: r[0], prefixes)]
    if operand in ("register_births", "register_deaths"):
        return counted(_events(operand.removeprefix("register_").removesuffix("s"), root, start, end))
    confirmed = {"births_confirmed_health": ("birth", "health"), "births_confirmed_any": ("birth", ""),
                 "deaths_confirmed_any": ("death", "")}
    if operand in confirmed:
        kind, department = confirmed[operand]
        linked = FeedRecord.objects.filter(event__isnull=False, event__kind=kind)
        if department:
            linked = linked.filter(source__department=department)
        return counted(_events(kind, root, start, end).filter(pk__in=linked.values("event_id")))
    raise KeyError(operand)


def operand_values(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[float | None]:
    """The operand for each area prefix over [start, end]; None where no department record of the
    period lies in the area (no source covers it: nothing to count, not zero)."""
    from renkou.indicators import providers

    if operand not in OPERANDS:
        raise KeyError(f"unknown feeds operand {operand}")
    root = providers.common_prefix(prefixes)
    codes = providers.memo(("feeds.codes", start, end, root), lambda: set(
        _records(root, start, end).order_by().values_list("area_id", flat=True).distinct()))
    covered = providers.present(codes, prefixes)
    if not any(covered):
        return [None] * len(prefixes)
    found = _all_areas(operand, prefixes, start, end)
    return [float(v) if has else None for v, has in zip(found, covered, strict=True)]

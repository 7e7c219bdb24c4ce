"""Module operands of the exchange (``M{exchange.…}`` in indicator expressions).

Counts of the enquiry cases of an area (this node's end of them: the residence area of an enquiry
sent, the registration area of one received) over the period [start, end]: opened in it (``sent``,
``received``), or falling due in it (``due``: deadline in the period; ``answered_in_time``: of
those, answered by their deadline; ``overdue``: of those, not answered by it).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

OPERANDS = {
    "sent": ("发出协查数", "enquiries sent"),
    "received": ("收到协查数", "enquiries received"),
    "due": ("到期协查数", "enquiries falling due"),
    "answered_in_time": ("按期答复协查数", "enquiries answered by their deadline"),
    "overdue": ("逾期协查数", "enquiries not answered by their deadline"),
}


def value(operand: str, prefix: str, start: dt.date, end: dt.date) -> float:
    from .models import Enquiry

    cases = Enquiry.objects.filter(local_area__startswith=prefix)
    opened = cases.filter(opened_on__gte=start, opened_on__lte=end)
    if operand == "sent":
        return opened.filter(role=Enquiry.Role.ENQUIRING).count()
    if operand == "received":
        return opened.filter(role=Enquiry.Role.REGISTRATION).count()
    due = cases.filter(deadline__gte=start, deadline__lte=end)
    in_time = Q(answered_on__isnull=False, answered_on__lte=F("deadline"))
    if operand == "due":
        return due.count()
    if operand == "answered_in_time":
        return due.filter(in_time).count()
    if operand == "overdue":
        return due.exclude(in_time).count()
    raise KeyError(operand)


def operand_values(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[float | None]:
    """The operand for each area prefix over [start, end]; None where the area has no enquiry case
    at all (the exchange is not used there: nothing to count, not zero)."""
    from .models import Enquiry

    if operand not in OPERANDS:
        raise KeyError(f"unknown exchange operand {operand}")
    from renkou.indicators import providers

    root = providers.common_prefix(prefixes)
    codes = providers.memo(("exchange.codes", root), lambda: set(
        Enquiry.objects.filter(local_area__startswith=root).order_by().values_list("local_area", flat=True)
        .distinct()))
    return [float(value(operand, p, start, end)) if has else None
            for p, has in zip(prefixes, providers.present(codes, prefixes), strict=True)]

"""Drill-down (下钻): from a stored indicator value to the records behind each operand.

``R{births…}``, ``R{deaths…}`` and the event counts lead to the events counted; ``R{population…}``,
``R{married_women…}`` and ``R{contraceptive_users…}`` to the persons present at the date;
``R{persons_served…}`` to the service records; ``#{element…}`` to the data values. Person-level
lists are built with the one scoping function and every view is audited by the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from django.db.models import Q, QuerySet

from renkou.core.periods import Period
from renkou.core.scoping import scoped

from . import register
from .cube import EVENT_KINDS, PLACES
from .expressions import Reference, parse
from .models import DataValue, IndicatorValue


class ByIds(Sequence):
    """Records of a query by a precomputed, ordered array of ids: the length and pages a paginator needs,
    one query per page (``in_bulk``). The persons present at a date are found in NumPy
    (:func:`renkou.indicators.register.present_mask`, the rules the cubes count by), intersected with
    the persons of the user's scope, and only the page shown is read as records."""

    def __init__(self, qs: QuerySet, ids: np.ndarray) -> None:
        self.qs, self.ids = qs, ids

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            chunk = [int(i) for i in self.ids[index]]
            found = self.qs.in_bulk(chunk)
            return [found[i] for i in chunk if i in found]
        return self[index: index + 1][0]


def operands(value: IndicatorValue) -> list[Reference]:
    ind = value.indicator
    refs = parse(ind.numerator).references() | parse(ind.denominator).references()
    return sorted(refs, key=str)


def _years_ago(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_q(params: dict, on: dt.date) -> Q:
    """Persons whose completed age at ``on`` lies in the ``age`` parameter (a–b)."""
    if "age" not in params:
        return Q()
    lo, _sep, hi = params["age"].partition("-")
    a, b = int(lo), int(hi or lo)
    q = Q(birth_date__lte=_years_ago(on, a))
    if b < 100:
        q &= Q(birth_date__gt=_years_ago(on, b + 1))
    return q


def _person_q(params: dict) -> Q:
    return Q(sex=int(params["sex"])) if "sex" in params else Q()


def records(user, value: IndicatorValue, ref: Reference) -> tuple[str, QuerySet]:
    """(kind, queryset) of the records behind operand ``ref`` of ``value``, within the user's scope.

    kind is ``events``, ``persons``, ``services`` or ``datavalues``.
    """
    from renkou.registry.models import Event, Person, ServiceRecord

    period = Period.parse(value.period)
    prefix = value.area.prefix
    params = dict(ref.params)
    if ref.kind == "element":
        qs = DataValue.objects.filter(area__pk__startswith=prefix, element__code=ref.code).select_related("element", "area")
        if ref.disaggregation:
            qs = qs.filter(disaggregation=ref.disaggregation)
        inside = [p for p in qs.values_list("period", flat=True).distinct() if _inside(period, p)]
        return "datavalues", qs.filter(period__in=inside).order_by("period", "area_id")
    if ref.kind != "register":
        return "none", DataValue.objects.none()
    basis = params.get("basis", "registered")
    code = ref.code
    if code in ("births", "births_late", "births_timely", "births_provisional"):
        status = "provisional" if code == "births_provisional" else "official"
        rows = register.birth_rows(prefix, period.start, period.end, "all", status)
        keep = rows["registered"] if basis == "registered" else np.ones(len(rows["sex"]), dtype=bool)
        if "sex" in params:
            keep &= rows["sex"] == int(params["sex"])
        if "order" in params:
            keep &= rows["order"] == int(params["order"])
        if "place" in params:
            keep &= rows["place"] == PLACES.index(params["place"])
        if "mother_age" in params:
            lo, _s, hi = params["mother_age"].partition("-")
            keep &= (rows["mother_age"] >= int(lo)) & (rows["mother_age"] <= int(hi or lo))
        if code == "births_late":
            keep &= rows["late"]
        if code == "births_timely":
            keep &= rows["timely"]
        ids = [int(i) for i in rows["id"][keep]]
        return "events", scoped(user, Event).filter(pk__in=ids).select_related("subject", "mother", "area")
    if code in ("deaths", "deaths_provisional"):
        status = "provisional" if code == "deaths_provisional" else "official"
        rows = register.death_rows(prefix, period.start, period.end, "resident", status)
        keep = rows["registered"] if basis == "registered" else np.ones(len(rows["sex"]), dtype=bool)
        if "sex" in params:
            keep &= rows["sex"] == int(params["sex"])
        if "age" in params:
            lo, _s, hi = params["age"].partition("-")
            keep &= (rows["age"] >= int(lo)) & (rows["age"] <= int(hi or lo))
        ids = [int(i) for i in rows["id"][keep]]
        return "events", scoped(user, Event).filter(pk__in=ids).select_related("subject", "area")
    if code.endswith("_provisional_count") and code.removesuffix("_provisional_count") in EVENT_KINDS:
        ids = register.counted_event_ids(code.removesuffix("_provisional_count"), prefix, period.start, period.end,
                                         "provisional")
        return "events", scoped(user, Event).filter(pk__in=ids).select_related("subject", "area")
    if code.endswith("_count") and code.removesuffix("_count") in EVENT_KINDS:
        ids = register.counted_event_ids(code.removesuffix("_count"), prefix, period.start, period.end)
        return "events", scoped(user, Event).filter(pk__in=ids).select_related("subject", "area")
    if code == "persons_served":
        qs = scoped(user, ServiceRecord).filter(area__pk__startswith=prefix, date__gte=period.start, date__lte=period.end)
        if "type" in params:
            qs = qs.filter(type=params["type"])
        return "services", qs.select_related("person", "area")
    if code in ("population", "mean_population", "married_women", "mean_married_women", "contraceptive_users"):
        on_param = "end" if code in ("mean_population", "mean_married_women", "contraceptive_users") \
            else params.get("on", "end")
        on = period.end if on_param == "end" else period.start - dt.timedelta(days=1)
        ids = present_ids(prefix, on, basis, params, married=code not in ("population", "mean_population"),
                          methods=code == "contraceptive_users")
        if not _covers(user, prefix):  # a user who sees part of the area: only the persons of their scope
            in_scope = np.fromiter(scoped(user, Person).filter(register._basis_q(basis, prefix))
                                   .values_list("pk", flat=True), dtype=np.int64)
            ids = np.intersect1d(in_scope, ids)
        return "persons", ByIds(scoped(user, Person).select_related("registered_area", "resident_area"), ids)
    return "none", DataValue.objects.none()


def _covers(user, prefix: str) -> bool:
    """Whether the user may read every person of the area (their scope contains it)."""
    from renkou.core.scoping import area_prefixes

    prefixes = area_prefixes(user)
    return prefixes is None or any(prefix.startswith(p) for p in prefixes)


def present_ids(prefix: str, on: dt.date, basis: str, params: dict, *, married: bool = False,
                methods: bool = False) -> np.ndarray:
    """Sorted ids of the persons a population operand counts at ``on`` (the rules and columns the
    cubes count with, :func:`renkou.indicators.register.population_arrays`), read from the columnar
    copy when there is one (replayed first), else from the database."""
    from . import columnar

    with columnar.reader() as copy, register.reading(copy):
        frame = register.person_frame(prefix, on if methods else None)
        keep = register.present_mask(frame, register.presence_events(prefix), on)
    flags = frame["flags"]
    outflow = (flags & register._OUTFLOW) != 0
    if basis in ("registered", "outflow"):
        keep &= frame["reg"] != 0
        if basis == "outflow":
            keep &= outflow
    elif basis in ("resident", "inflow"):
        keep &= (frame["res"] != 0) & ~outflow
        if basis == "inflow":
            keep &= (flags & register._OUTSIDE) != 0
    else:
        raise ValueError(f"unknown population basis {basis!r}")
    if "sex" in params:
        keep &= frame["sex"] == int(params["sex"])
    if "age" in params:
        lo, _sep, hi = params["age"].partition("-")
        age = register.ages_at(frame["birth"].astype("datetime64[D]"), on)
        keep &= (age >= int(lo)) & (age <= int(hi or lo))
    if married or methods:
        keep &= (frame["sex"] == 2) & ((flags & register._MARRIED) != 0)
    if methods:
        keep &= (flags & register._METHOD) != 0
    return frame["id"][keep]


def _inside(period: Period, code: str) -> bool:
    try:
        return period.contains(Period.parse(code))
    except ValueError:
        return False

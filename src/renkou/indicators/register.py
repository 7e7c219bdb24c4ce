"""Register-derived values (个案库派生值): counts from person-level records for any area subtree and period.

Every function takes an area code *prefix* (the significant digits: ``"52"`` a province,
``"520122"`` a county, ``"520122100"`` a township, ``"520122100201"`` a village) and dates, and
returns an ``int`` or a NumPy array. They are aggregates, so they are not scoped by user; the
person-level drill-down (:mod:`renkou.indicators.drill`) is.

Counting rules (see ``docs/indicators.md``):

* **Population at a date** ``t`` (时点人口, end of day ``t``): persons born on or before ``t``, not
  dead by ``t`` (death date or a death event), not merged into another record, and present at
  ``t``: a person whose first arrival (迁入 / 流入) is after ``t`` was not yet there; a person whose
  last departure (迁出 / 流出) on or before ``t`` is not followed by an arrival on or before ``t``
  is gone. Bases (人口口径): ``registered`` (户籍人口, by registered area), ``resident`` (常住人口,
  by resident area, not counting registered persons living elsewhere), ``inflow`` (流入人口: resident,
  household registration outside the register), ``outflow`` (流出人口: registered, living elsewhere).
* **Events of a period** (births, deaths, marriages, moves): current, non-rejected events whose
  *counting date* lies in the period. The counting date is the event date, except for a registered
  event whose registration date is more than :data:`LATE_AFTER_DAYS` after it: a late report
  (迟报/补报) counts on its registration date, i.e. in the period in which it was found. Events not
  yet registered (declared, verified) count on their event date.
* **Official and provisional** (正式数 / 待核实数): the official counts of births, deaths and other
  events take the *registered* events only (and the verified ones too where the catalog's constant
  ``verified_events_official`` is 1, see :func:`official_states`); the others — declared, and
  verified unless the catalog says so — are counted apart as **provisional**, shown beside the
  official figure and never added into it.
* **Mean population** of a period = (population at the day before the start + population at the
  end) ÷ 2.

Arrays by age have 101 columns: completed years 0 … 99 and 100 = 100 and over.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator

import numpy as np
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import ExtractYear, Substr

AGES = 101
BASES = ("registered", "resident", "inflow", "outflow")
ARRIVALS = ("move_in", "migrant_arrival")
DEPARTURES = ("move_out", "migrant_departure")
LATE_AFTER_DAYS = 365
"""A registered event registered more than this many days after it happened is a late report."""
TIMELY_DAYS = 30
"""Legal period of birth registration (出生登记时限): registered within 30 days = timely."""
FACILITY_PLACES = ("hospital", "health_centre")
ORDER_BUCKETS = 4  # 0 unknown, 1, 2, 3 = third and higher (多孩)
PLACE_BUCKETS = 3  # 0 health facility, 1 home, 2 elsewhere / not recorded
VILLAGE_DIGITS = 12
EVENT_STATES = ("declared", "verified", "registered")
OFFICIAL_DEFAULT = ("registered",)
"""States counted in the official figures unless the catalog makes verified events official too."""
VERIFIED_CONSTANT = "verified_events_official"


# --------------------------------------------------------------------------- where the rows are read
_COPY: contextvars.ContextVar = contextvars.ContextVar("renkou_columnar_copy", default=None)


@contextlib.contextmanager
def reading(copy) -> Iterator[None]:
    """Run the statements of this module on ``copy`` (a DuckDB connection to the columnar copy,
    :mod:`renkou.indicators.columnar`) instead of the database; ``None`` keeps the database."""
    token = _COPY.set(copy)
    try:
        yield
    finally:
        _COPY.reset(token)


def _vendor() -> str:
    from django.db import connection

    return "duckdb" if _COPY.get() is not None else connection.vendor


def _fetch(sql: str, params: list, ncols: int) -> np.ndarray:
    """Rows of an all-integer statement as an (n, ncols) int64 array, from the copy or the database."""
    copy = _COPY.get()
    if copy is not None:
        from .columnar import fetch

        return fetch(copy, sql, params, ncols)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return np.array(rows, dtype=np.int64).reshape(len(rows), ncols)


# --------------------------------------------------------------------------- small helpers
def _models():
    from renkou.registry.models import Event, Person, ServiceRecord

    return Person, Event, ServiceRecord


def official_states() -> tuple[str, ...]:
    """Event states counted in the official figures: registered (登记), plus verified (核实) where the
    catalog's constant ``verified_events_official`` is 1. Every other live event is provisional."""
    from .models import Constant

    value = Constant.objects.filter(code=VERIFIED_CONSTANT).values_list("value", flat=True).first()
    return ("verified", "registered") if value is not None and value == 1 else OFFICIAL_DEFAULT


def live_events() -> QuerySet:
    """Current, non-rejected events: the ones statistics count (superseded versions and rejected ones do not)."""
    _p, Event, _s = _models()
    return Event.objects.filter(is_current=True, flag_rejected=False)


def ages_at(birth: np.ndarray, on: np.ndarray | dt.date) -> np.ndarray:
    """Completed years at ``on`` of ``birth`` dates (``datetime64[D]``), capped at 100."""
    b = birth.astype("datetime64[D]")
    o = np.asarray(np.datetime64(on, "D") if isinstance(on, dt.date) else on, dtype="datetime64[D]")
    by, bm, bd = _ymd(b)
    oy, om, od = _ymd(o)
    age = oy - by - ((om < bm) | ((om == bm) & (od < bd)))
    return np.clip(age, 0, AGES - 1)


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (y.astype(np.int64) + 1970, (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
            (d - m.astype("datetime64[D]")).astype(np.int64) + 1)


def _age_expression(field: str, on: dt.date):
    """SQL for completed years at ``on`` (portable: year, month and day extracts only)."""
    not_yet = Q(**{f"{field}__month__gt": on.month}) | Q(**{f"{field}__month": on.month, f"{field}__day__gt": on.day})
    return Value(on.year) - ExtractYear(field) - Case(When(not_yet, then=Value(1)), default=Value(0),
                                                      output_field=IntegerField())


def _area_field(basis: str) -> str:
    if basis not in BASES:
        raise ValueError(f"未知的人口口径 {basis!r}（应为 {', '.join(BASES)}） / unknown population basis {basis!r}")
    return "registered_area_id" if basis in ("registered", "outflow") else "resident_area_id"


def _prefix_q(field: str, prefix: str | Iterable[str]) -> Q:
    """Rows whose ``field`` (a foreign key to Area, i.e. a code) starts with ``prefix`` (or any of several).

    Area codes are digit strings, so "starts with p" is exactly the range p … p999…9 — a range the
    database answers from the area index (a LIKE on a foreign key would scan).
    """
    prefixes = [prefix] if isinstance(prefix, str) else list(prefix)
    name = field.removesuffix("_id")
    q = Q(pk__in=[])
    for lo, hi in code_ranges(prefixes):
        q |= Q(**{f"{name}__gte": lo, f"{name}__lte": hi})
    return q


def _basis_q(basis: str, prefix: str | Iterable[str]) -> Q:
    field = _area_field(basis)
    q = _prefix_q(field, prefix)
    if basis == "registered":
        return q
    if basis == "outflow":
        return q & Q(migrant_status="outflow")
    q &= ~Q(migrant_status="outflow")
    if basis == "inflow":
        q &= Q(registered_area_id__isnull=True)
    return q


def present_on(qs: QuerySet, on: dt.date) -> QuerySet:
    """Persons of ``qs`` alive, not merged and present at the end of day ``on`` (rules in the module text)."""
    ev = live_events().filter(subject=OuterRef("pk"))
    arrivals = ev.filter(kind__in=ARRIVALS)
    departures = ev.filter(kind__in=DEPARTURES)
    qs = qs.filter(birth_date__lte=on).exclude(record_state="merged")
    qs = qs.filter(Q(death_date__isnull=True) | Q(death_date__gt=on))
    qs = qs.annotate(
        _died=Exists(ev.filter(kind="death", event_date__lte=on)),
        _first_arrival=Subquery(arrivals.order_by("event_date").values("event_date")[:1]),
        _last_arrival=Subquery(arrivals.filter(event_date__lte=on).order_by("-event_date").values("event_date")[:1]),
        _last_departure=Subquery(departures.filter(event_date__lte=on).order_by("-event_date")
                                 .values("event_date")[:1]),
        _any_departure=Exists(departures),
    )
    return qs.filter(
        Q(_died=False),
        Q(_first_arrival__isnull=True) | Q(_last_arrival__isnull=False),
        Q(_last_departure__isnull=True) | Q(_last_arrival__gt=F("_last_departure")),
        # a person marked as moved out without a departure event is gone from the exit date on
        Q(_any_departure=True) | ~Q(status="moved_out") | Q(exit_date__gt=on),
    )


# --------------------------------------------------------------------------- populations
def population_cells(prefix: str | Iterable[str], on: dt.date, basis: str = "resident", *, extra: Q | None = None,
                     by_area: bool = False) -> dict[str, np.ndarray]:
    """Population at ``on`` as (2, 101) arrays by sex × age, keyed by village code (``by_area``) or ``""``.

    One GROUP BY query (area, sex, age); persons of unknown sex are left out of the arrays.
    """
    Person, _e, _s = _models()
    qs = present_on(Person.objects.filter(_basis_q(basis, prefix), sex__in=(1, 2)), on)
    if extra is not None:
        qs = qs.filter(extra)
    field = _area_field(basis)
    qs = qs.annotate(_age=_age_expression("birth_date", on))
    keys = ["sex", "_age"]
    if by_area:
        qs = qs.annotate(_area=Substr(field, 1, VILLAGE_DIGITS))
        keys.insert(0, "_area")
    out: dict[str, np.ndarray] = {}
    for row in qs.values(*keys).annotate(n=Count("id")).order_by():
        area = row.get("_area", "") or ""
        arr = out.setdefault(area, np.zeros((2, AGES), dtype=np.int64))
        arr[row["sex"] - 1, min(max(row["_age"], 0), AGES - 1)] += row["n"]
    return out


def _one(cells: dict[str, np.ndarray]) -> np.ndarray:
    return cells.get("", np.zeros((2, AGES), dtype=np.int64))


def population_by_age_sex(prefix: str, on: dt.date, basis: str = "resident") -> np.ndarray:
    """Population (时点人口) at the end of day ``on``: shape (2, 101), [0] = male, [1] = female, 100 = 100+."""
    return _one(population_cells(prefix, on, basis))


def married_women_by_age(prefix: str, on: dt.date, basis: str = "registered") -> np.ndarray:
    """Married women (已婚育龄妇女 when 15–49) at ``on`` by age: shape (101,). Marital status is the current one."""
    from renkou.registry.models import MARRIED_CODES

    return _one(population_cells(prefix, on, basis, extra=Q(sex=2, marital_status__in=MARRIED_CODES)))[1]


def contraceptive_users_q(on: dt.date) -> Q:
    """Married women with a voluntary method recorded for her or her husband in the year up to ``on``
    (综合避孕: either spouse's method counts; counted as service coverage, never as a target)."""
    from renkou.registry.models import MARRIED_CODES

    _p, _e, ServiceRecord = _models()
    recent = ServiceRecord.objects.filter(type="contraceptive_method", date__lte=on,
                                          date__gt=on - dt.timedelta(days=365))
    return Q(sex=2, marital_status__in=MARRIED_CODES) & (
        Q(Exists(recent.filter(person=OuterRef("pk")))) | Q(Exists(recent.filter(person=OuterRef("spouse_id")))))


def mean_population(prefix: str, start: dt.date, end: dt.date, basis: str = "registered") -> float:
    """Mean population (平均人口) = (population at the day before ``start`` + population at ``end``) ÷ 2."""
    before = population_by_age_sex(prefix, start - dt.timedelta(days=1), basis).sum()
    after = population_by_age_sex(prefix, end, basis).sum()
    return (int(before) + int(after)) / 2


# --------------------------------------------------------------------------- events
def _event_rows(kind: str | list[str], prefix: str | Iterable[str], start: dt.date, end: dt.date,
                fields: Iterable[str]) -> dict[str, np.ndarray]:
    """Rows of events of ``kind`` (or kinds) that may count in [start, end], with the counting rule applied.

    One SQL statement selects the candidates (event date in the period, or registered in it after an
    earlier event) as integers — cell, day numbers and the ``fields`` named below — and
    the late-report rule (a date difference) is applied to the candidate rows in NumPy. Returns
    arrays: ``id``, ``cell`` (12-digit code as an integer), ``event_date`` (``datetime64[D]``),
    ``late``, ``delay`` (days from the event to its registration), ``registered_state``, ``official``
    (in :func:`official_states`; the others are provisional) and the fields.
    """
    Person, Event, _s = _models()
    kinds = [kind] if isinstance(kind, str) else list(kind)
    prefixes = [prefix] if isinstance(prefix, str) else list(prefix)
    fields = list(fields)
    inside, inside_p = _inside_sql(prefixes, "e.area_id")
    facility = ", ".join(f"'{p}'" for p in FACILITY_PLACES)
    exprs = {  # integers over the event e, its subject s and its mother m
        "sex": "COALESCE(s.sex, 0)",
        "subject_registered": "CASE WHEN s.registered_area_id IS NULL THEN 0 ELSE 1 END",
        "subject_born": f"COALESCE({_day_sql('s.birth_date')}, {NEVER})",
        "mother_born": f"COALESCE({_day_sql('m.birth_date')}, {-NEVER})",
        "order": "COALESCE(e.birth_order, 0)",
        "place": f"CASE WHEN e.delivery_place IN ({facility}) THEN 0 WHEN e.delivery_place = 'home' THEN 1 ELSE 2 END",
        "kind": "CASE e.kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(kinds)) + " END",
    }
    select = ["e.id", f"CAST(SUBSTR(e.area_id, 1, {VILLAGE_DIGITS}) AS BIGINT)", _day_sql("e.event_date"),
              f"COALESCE({_day_sql('e.registration_date')}, {_day_sql('e.event_date')})",
              "CASE e.state WHEN 'registered' THEN 2 WHEN 'verified' THEN 1 ELSE 0 END"]
    select += [exprs[f] for f in fields]
    joins = ""
    if any(f in ("sex", "subject_registered", "subject_born") for f in fields):
        joins += f"LEFT JOIN {Person._meta.db_table} s ON s.id = e.subject_id "
    if "mother_born" in fields:
        joins += f"LEFT JOIN {Person._meta.db_table} m ON m.id = e.mother_id "
    sql = (f"SELECT {', '.join(select)} FROM {Event._meta.db_table} e {joins}"
           f"WHERE e.is_current = %s AND e.flag_rejected = %s AND e.kind IN ({', '.join('%s' for _ in kinds)}) "
           f"AND {inside} AND ((e.event_date >= %s AND e.event_date <= %s) OR (e.state = 'registered' "
           "AND e.registration_date >= %s AND e.registration_date <= %s AND e.event_date < %s))")
    params = [True, False, *kinds, *inside_p, start, end, start, end, start]
    data = _fetch(sql, params, 5 + len(fields))
    ev, rg = data[:, 2], data[:, 3]
    registered = data[:, 4] == 2
    official = np.isin(data[:, 4], [EVENT_STATES.index(s) for s in official_states()])
    delay = rg - ev
    late = registered & (delay > LATE_AFTER_DAYS)
    counting = np.where(late, rg, ev)
    keep = (counting >= day_number(start)) & (counting <= day_number(end))
    out = {"id": data[keep, 0], "cell": data[keep, 1], "late": late[keep], "delay": delay[keep],
           "event_date": ev[keep].astype("datetime64[D]"), "registered_state": registered[keep],
           "official": official[keep]}
    for i, f in enumerate(fields):
        out[f] = data[keep, 5 + i]
    return out


def _status_mask(r: dict[str, np.ndarray], status: str) -> np.ndarray:
    if status == "official":
        return r["official"]
    if status == "provisional":
        return ~r["official"]
    if status == "all":
        return np.ones(len(r["official"]), dtype=bool)
    raise ValueError(f"status {status!r}: expected official, provisional or all")


def birth_rows(prefix: str | Iterable[str], start: dt.date, end: dt.date, basis: str = "registered",
               status: str = "official") -> dict[str, np.ndarray]:
    """Births counted in [start, end] with: cell, child's sex, order bucket, place bucket, mother's age,
    late, timely, official. ``basis`` registered leaves out children whose household registration is
    elsewhere; ``status`` official (default), provisional or all."""
    r = _event_rows("birth", prefix, start, end, ["sex", "order", "place", "mother_born", "subject_registered"])
    keep = np.isin(r["sex"], (1, 2)) & _status_mask(r, status)
    if basis == "registered":
        keep &= r["subject_registered"] == 1
    elif basis not in ("resident", "all"):
        raise ValueError("出生只有 registered / resident 口径 / births have the registered or resident basis only")
    r = {k: v[keep] for k, v in r.items()}
    known = r["mother_born"] != -NEVER
    mage = np.full(len(r["id"]), -1, dtype=np.int64)
    if known.any():
        mage[known] = ages_at(r["mother_born"][known].astype("datetime64[D]"), r["event_date"][known])
    return {"cell": r["cell"], "sex": r["sex"], "order": np.clip(r["order"], 0, ORDER_BUCKETS - 1),
            "place": r["place"], "mother_age": mage, "late": r["late"],
            "timely": (r["delay"] <= TIMELY_DAYS) & ~r["late"] & r["registered_state"], "id": r["id"],
            "registered": r["subject_registered"] == 1, "official": r["official"]}


def births_by_mother_age(prefix: str, start: dt.date, end: dt.date, basis: str = "resident") -> np.ndarray:
    """Births counted in [start, end]: shape (2, 101) by child's sex × mother's age in completed years.

    Births whose mother's birth date is unknown are left out of this table (they count in :func:`births`).
    """
    r = birth_rows(prefix, start, end, basis)
    out = np.zeros((2, AGES), dtype=np.int64)
    ok = r["mother_age"] >= 0
    np.add.at(out, (r["sex"][ok] - 1, r["mother_age"][ok]), 1)
    return out


def births(prefix: str, start: dt.date, end: dt.date, basis: str = "resident", *, sex: int | None = None,
           order: int | None = None, status: str = "official") -> int:
    """Births counted in [start, end] (出生人数), optionally of one sex or order (3 = third and higher);
    ``status`` official (default: registered), provisional (declared, not yet registered) or all."""
    r = birth_rows(prefix, start, end, basis, status)
    keep = np.ones(len(r["sex"]), dtype=bool)
    if sex is not None:
        keep &= r["sex"] == sex
    if order is not None:
        keep &= r["order"] == min(order, ORDER_BUCKETS - 1)
    return int(keep.sum())


def death_rows(prefix: str | Iterable[str], start: dt.date, end: dt.date, basis: str = "registered",
               status: str = "official") -> dict[str, np.ndarray]:
    """Deaths counted in [start, end] with cell, sex, age at death, late, official (``status`` as for births)."""
    r = _event_rows("death", prefix, start, end, ["sex", "subject_born", "subject_registered"])
    keep = np.isin(r["sex"], (1, 2)) & _status_mask(r, status)
    if basis == "registered":
        keep &= r["subject_registered"] == 1
    r = {k: v[keep] for k, v in r.items()}
    born = r["subject_born"].astype("datetime64[D]")
    return {"cell": r["cell"], "sex": r["sex"],
            "age": ages_at(born, r["event_date"]) if len(born) else np.zeros(0, dtype=np.int64),
            "late": r["late"], "id": r["id"], "registered": r["subject_registered"] == 1,
            "official": r["official"]}


def deaths_by_age_sex(prefix: str, start: dt.date, end: dt.date, basis: str = "resident") -> np.ndarray:
    """Deaths counted in [start, end]: shape (2, 101) by sex × age at death (a newborn who died is age 0)."""
    r = death_rows(prefix, start, end, basis)
    out = np.zeros((2, AGES), dtype=np.int64)
    np.add.at(out, (r["sex"] - 1, r["age"]), 1)
    return out


def deaths(prefix: str, start: dt.date, end: dt.date, basis: str = "resident") -> int:
    return int(deaths_by_age_sex(prefix, start, end, basis).sum())


def event_count(kind: str, prefix: str, start: dt.date, end: dt.date, status: str = "official") -> int:
    """Events of ``kind`` (marriage, divorce, move_in, move_out, migrant_arrival, migrant_departure,
    residence_change) counted in [start, end] at their area (``status`` as for births)."""
    r = _event_rows(kind, prefix, start, end, [])
    return int(_status_mask(r, status).sum())


def event_counts_by_village(kinds: Iterable[str], prefix: str | Iterable[str], start: dt.date, end: dt.date,
                            status: str = "official") -> dict[str, dict[str, int]]:
    """{kind: {village: count}} of events counted in [start, end] (one query for every kind)."""
    kinds = list(kinds)
    r = _event_rows(kinds, prefix, start, end, ["kind"])
    return _by_village(r, kinds, _status_mask(r, status))


def _by_village(r: dict[str, np.ndarray], kinds: list[str], keep: np.ndarray) -> dict[str, dict[str, int]]:
    r = {k: v[keep] for k, v in r.items()}
    out: dict[str, dict[str, int]] = {kind: {} for kind in kinds}
    if len(r["id"]):
        pairs, n = np.unique(np.stack([r["kind"], r["cell"]], axis=1), axis=0, return_counts=True)
        for (k, cell), count in zip(pairs.tolist(), n.tolist(), strict=True):
            out[kinds[k]][f"{cell:0{VILLAGE_DIGITS}d}"] = count
    return out


def persons_served(prefix: str | Iterable[str], start: dt.date, end: dt.date, service_type: str | None = None,
                   *, by_area: bool = False) -> dict[str, dict[str, int]] | int:
    """Distinct persons who received a service (享受服务人数) in [start, end], by service type.

    With ``by_area``: {village: {type: persons}}; else the count for ``service_type`` (or any type).
    """
    _p, _e, ServiceRecord = _models()
    qs = ServiceRecord.objects.filter(_prefix_q("area", prefix), date__gte=start, date__lte=end)
    if not by_area:
        if service_type:
            qs = qs.filter(type=service_type)
        return qs.values("person_id").distinct().count()
    return served_by_village(prefix, start, end)


def served_by_village(prefix: str | Iterable[str], start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """{village: {type: distinct persons served in [start, end]}} for the service types the cubes
    count (one integer statement, on the copy or the database)."""
    from .cube import SERVICE_TYPES

    _p, _e, ServiceRecord = _models()
    prefixes = [prefix] if isinstance(prefix, str) else list(prefix)
    inside, inside_p = _inside_sql(prefixes, "s.area_id")
    kind = "CASE s.type " + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(SERVICE_TYPES)) + " ELSE -1 END"
    data = _fetch(f"SELECT CAST(SUBSTR(s.area_id, 1, {VILLAGE_DIGITS}) AS BIGINT), {kind}, COUNT(DISTINCT s.person_id) "
                  f"FROM {ServiceRecord._meta.db_table} s WHERE {inside} AND s.date >= %s AND s.date <= %s "
                  "GROUP BY 1, 2", [*inside_p, start, end], 3)
    out: dict[str, dict[str, int]] = {}
    for cell, t, n in data.tolist():
        if t >= 0:
            out.setdefault(f"{cell:0{VILLAGE_DIGITS}d}", {})[SERVICE_TYPES[t]] = n
    return out


def _years_ago(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def _inside_sql(prefixes: list[str], col: str) -> tuple[str, list]:
    """SQL testing that the area code ``col`` starts with one of ``prefixes``.

    Codes are digit strings (12 or 15 digits), so "starts with p" is exactly the range p … p999…9:
    a flat OR of ranges the database answers from the area index. For one broad prefix (a county
    or larger) SQLite is told not to use the index (``+col``): walking two indexes for most of the
    table is slower than one scan. PostgreSQL chooses by its statistics.
    """
    broad = len(prefixes) == 1 and len(prefixes[0]) <= 6 and _vendor() == "sqlite"
    ranged = f"+{col}" if broad else col
    bounds = code_ranges(prefixes)
    ranges = " OR ".join(f"({ranged} >= %s AND {ranged} <= %s)" for _b in bounds)
    return f"({ranges})", [x for b in bounds for x in b]


def code_ranges(prefixes: Iterable[str]) -> list[tuple[str, str]]:
    """The codes starting with any of ``prefixes`` as few (low, high) string ranges: p … p999…9 for
    each, consecutive prefixes of one length merged (nothing lies between ``…201999`` and ``…202``)."""
    out: list[tuple[str, str]] = []
    last: str | None = None
    for p in sorted(set(prefixes), key=lambda x: (len(x), x)):
        if out and last is not None and len(last) == len(p) and int(p) == int(last) + 1:
            out[-1] = (out[-1][0], p.ljust(15, "9"))
        else:
            out.append((p, p.ljust(15, "9")))
        last = p
    return out


def _day_sql(col: str) -> str:
    """SQL for a date column as days since 1970-01-01 (an integer), NULL kept."""
    if _vendor() in ("postgresql", "duckdb"):
        return f"({col} - DATE '1970-01-01')"
    return f"CAST(julianday({col}) - 2440587.5 AS INTEGER)"


NEVER = 4_000_000
"""Day number standing for "no such date" (after every real date; its negative before every one)."""
_DAY_OFFSET = 1 << 23  # day numbers ± NEVER shifted to be positive and below 2**24, to pack with the flags
_FEMALE, _OUTFLOW, _MARRIED, _MOVED_OUT, _OUTSIDE, _METHOD = 1, 2, 4, 8, 16, 32
_FLAG_BITS = 8
_ARRIVAL, _DEPARTURE, _DEATH = 1, 2, 3


def person_frame(prefixes: str | Iterable[str], methods_on: dt.date | None = None) -> dict[str, np.ndarray]:
    """The persons counted in populations under ``prefixes``, as NumPy columns (one scan, one fetch).

    Columns: ``id`` (sorted); ``reg`` and ``res``, the 12-digit registered and resident cells as
    integers when inside ``prefixes`` (else 0); ``sex`` (1 or 2: persons of unknown sex and merged
    records are left out); ``birth``, ``death`` and ``exit`` as day numbers (:data:`NEVER` when
    missing — ``-NEVER`` for a missing exit date, which the presence rule reads as "already gone");
    ``flags`` (outflow migrant, married, marked moved out, registered outside the register, and —
    with ``methods_on`` — a voluntary contraceptive method of the person or the spouse recorded in
    the year up to that day). The move and death events of these persons come with
    :func:`presence_events`. Few columns cross from the database (sex, flags and exit date are
    packed into one integer): building the Python rows is most of the cost.
    """
    from renkou.registry.models import MARRIED_CODES

    Person, _e, ServiceRecord = _models()
    prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    reg_in, reg_p = _inside_sql(prefixes, "p.registered_area_id")
    res_in, res_p = _inside_sql(prefixes, "p.resident_area_id")
    married = ", ".join("%s" for _ in MARRIED_CODES)
    cell = f"CAST(SUBSTR(%s, 1, {VILLAGE_DIGITS}) AS BIGINT)"
    sql = (f"SELECT p.id, CASE WHEN {reg_in} THEN {cell % 'p.registered_area_id'} ELSE 0 END, "
           f"CASE WHEN {res_in} THEN {cell % 'p.resident_area_id'} ELSE 0 END, "
           f"COALESCE({_day_sql('p.birth_date')}, {NEVER}), COALESCE({_day_sql('p.death_date')}, {NEVER}), "
           f"(CAST(COALESCE({_day_sql('p.exit_date')}, {-NEVER}) AS BIGINT) + {_DAY_OFFSET}) * {1 << _FLAG_BITS} "
           f"+ (CASE WHEN p.sex = 2 THEN {_FEMALE} ELSE 0 END) "
           f"+ (CASE WHEN p.migrant_status = 'outflow' THEN {_OUTFLOW} ELSE 0 END) "
           f"+ (CASE WHEN p.marital_status IN ({married}) THEN {_MARRIED} ELSE 0 END) "
           f"+ (CASE WHEN p.status = 'moved_out' THEN {_MOVED_OUT} ELSE 0 END) "
           f"+ (CASE WHEN p.registered_area_id IS NULL THEN {_OUTSIDE} ELSE 0 END) "
           f"FROM {Person._meta.db_table} p WHERE ({reg_in} OR {res_in}) AND p.sex IN (1, 2) "
           "AND p.record_state <> 'merged'")
    params = reg_p + res_p + sorted(MARRIED_CODES) + reg_p + res_p
    data = _fetch(sql, params, 6)
    data = data[np.argsort(data[:, 0], kind="stable")]
    packed = data[:, 5]
    flags = packed & ((1 << _FLAG_BITS) - 1)
    if methods_on is not None:
        flags |= np.where(np.isin(data[:, 0], method_users(methods_on, prefixes)), _METHOD, 0)
    return {"id": data[:, 0], "reg": data[:, 1], "res": data[:, 2], "birth": data[:, 3], "death": data[:, 4],
            "exit": (packed >> _FLAG_BITS) - _DAY_OFFSET, "sex": 1 + (flags & _FEMALE), "flags": flags}


def method_users(on: dt.date, prefixes: list[str]) -> np.ndarray:
    """Persons under ``prefixes`` with a voluntary contraceptive method recorded, for them or their
    spouse, in the year up to ``on`` (综合避孕: either spouse's method counts; service coverage, never
    a target). Sorted ids."""
    Person, _e, ServiceRecord = _models()
    reg_in, reg_p = _inside_sql(prefixes, "p.registered_area_id")
    res_in, res_p = _inside_sql(prefixes, "p.resident_area_id")
    window = [on, on - dt.timedelta(days=365)]
    method = "s.type = 'contraceptive_method' AND s.date <= %s AND s.date > %s"
    P, S = Person._meta.db_table, ServiceRecord._meta.db_table
    if len(prefixes) == 1 and len(prefixes[0]) <= 6:
        # a county or more: the method records of the year by their (type, date) index, and the
        # persons whose spouse has one (a superset of the scope's: the caller keeps its own persons)
        users = f"SELECT s.person_id FROM {S} s WHERE {method}"
        found = _fetch(f"{users} UNION SELECT p.id FROM {P} p WHERE p.spouse_id IN ({users})", window + window, 1)
        return np.unique(found[:, 0])
    # a few cells: SQLite's CROSS JOIN keeps the persons of the scope as the outer loop, and the
    # unary + keeps it on the services' person index (the (type, date) index would mean walking the
    # whole year's records for every person); left to itself it would scan the year's services
    join = "CROSS JOIN" if _vendor() == "sqlite" else "JOIN"
    if _vendor() == "sqlite":
        method = "+s.type = 'contraceptive_method' AND +s.date <= %s AND +s.date > %s"
    found = _fetch(f"SELECT p.id FROM {P} p {join} {S} s ON s.person_id = p.id WHERE ({reg_in} OR {res_in}) "
                   f"AND {method} UNION SELECT p.id FROM {P} p {join} {S} s ON s.person_id = p.spouse_id "
                   f"WHERE ({reg_in} OR {res_in}) AND {method}", reg_p + res_p + window + reg_p + res_p + window, 1)
    return np.unique(found[:, 0])


def presence_events(prefixes: str | Iterable[str]) -> dict[str, np.ndarray]:
    """Live arrival, departure and death events of the persons of :func:`person_frame`:
    ``subject``, ``kind`` (1 arrival, 2 departure, 3 death) and ``day``."""
    Person, Event, _s = _models()
    prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    reg_in, reg_p = _inside_sql(prefixes, "p.registered_area_id")
    res_in, res_p = _inside_sql(prefixes, "p.resident_area_id")
    arr = ", ".join(f"'{k}'" for k in ARRIVALS)
    dep = ", ".join(f"'{k}'" for k in DEPARTURES)
    sql = (f"SELECT e.subject_id, CASE WHEN e.kind IN ({arr}) THEN {_ARRIVAL} WHEN e.kind IN ({dep}) "
           f"THEN {_DEPARTURE} ELSE {_DEATH} END, {_day_sql('e.event_date')} "
           f"FROM {Person._meta.db_table} p JOIN {Event._meta.db_table} e ON e.subject_id = p.id "
           f"WHERE ({reg_in} OR {res_in}) AND e.is_current = %s AND e.flag_rejected = %s "
           f"AND e.kind IN ({arr}, {dep}, 'death')")
    data = _fetch(sql, [*reg_p, *res_p, True, False], 3)
    return {"subject": data[:, 0], "kind": data[:, 1], "day": data[:, 2]}


def day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def present_mask(frame: dict[str, np.ndarray], events: dict[str, np.ndarray], on: dt.date) -> np.ndarray:
    """Which persons of ``frame`` are alive and present at the end of day ``on`` — the rules of
    :func:`present_on`, in NumPy."""
    t = day_number(on)
    n = len(frame["id"])
    pos = np.clip(np.searchsorted(frame["id"], events["subject"]), 0, max(n - 1, 0))
    known = (frame["id"][pos] == events["subject"]) if n else np.zeros(len(pos), dtype=bool)
    kind, day = events["kind"], events["day"]
    before = day <= t

    def latest(mask: np.ndarray) -> np.ndarray:
        out = np.full(n, -NEVER, dtype=np.int64)
        np.maximum.at(out, pos[mask], day[mask])
        return out

    arrival, departure = known & (kind == _ARRIVAL), known & (kind == _DEPARTURE)
    first_arrival = np.full(n, NEVER, dtype=np.int64)
    np.minimum.at(first_arrival, pos[arrival], day[arrival])
    last_arrival = latest(arrival & before)
    last_departure = latest(departure & before)
    any_departure = np.zeros(n, dtype=bool)
    any_departure[pos[departure]] = True
    died = np.zeros(n, dtype=bool)
    died[pos[known & (kind == _DEATH) & before]] = True
    moved_out = (frame["flags"] & _MOVED_OUT) != 0
    return ((frame["birth"] <= t) & (frame["death"] > t) & ~died
            & ((first_arrival == NEVER) | (last_arrival != -NEVER))
            & ((last_departure == -NEVER) | (last_arrival > last_departure))
            & (any_departure | ~moved_out | (frame["exit"] > t)))


def population_arrays(prefixes: str | Iterable[str], dates: dict[str, dt.date], *, methods_on: str | None = None
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Populations of every village cell under ``prefixes`` at each of ``dates`` ({label: day}).

    Returns the cells (12-digit codes as integers, sorted) and arrays with the cells on the first
    axis: ``pop.{basis}.{label}`` (cells, 2, 101) for the four bases, ``married.{basis}.{label}``
    (cells, 101) for the registered and resident bases, and ``contra.{basis}`` (cells, 101) at
    ``methods_on``. The same counting rules as :func:`present_on`; the persons and their events are
    read once and every date is counted in NumPy.
    """
    if _vendor() == "duckdb":
        return _population_arrays_grouped(prefixes, dates, methods_on=methods_on)
    frame = person_frame(prefixes, dates[methods_on] if methods_on else None)
    events = presence_events(prefixes)
    reg, res = frame["reg"], frame["res"]
    outflow = (frame["flags"] & _OUTFLOW) != 0
    outside = (frame["flags"] & _OUTSIDE) != 0
    reg_in = reg != 0
    res_in = (res != 0) & ~outflow
    cells = np.unique(np.concatenate([reg[reg_in], res[res_in]]))
    k = len(cells)
    reg_i = np.searchsorted(cells, reg)
    res_i = np.searchsorted(cells, res)
    female_married = (frame["sex"] == 2) & ((frame["flags"] & _MARRIED) != 0)
    births = frame["birth"].astype("datetime64[D]")
    out: dict[str, np.ndarray] = {}

    def by_sex_age(mask: np.ndarray, where: np.ndarray, age: np.ndarray) -> np.ndarray:
        key = (where[mask] * 2 + (frame["sex"][mask] - 1)) * AGES + age[mask]
        return np.bincount(key, minlength=k * 2 * AGES).reshape(k, 2, AGES)

    def by_age(mask: np.ndarray, where: np.ndarray, age: np.ndarray) -> np.ndarray:
        return np.bincount(where[mask] * AGES + age[mask], minlength=k * AGES).reshape(k, AGES)

    for label, on in dates.items():
        here = present_mask(frame, events, on)
        age = np.zeros(len(here), dtype=np.int64)
        if here.any():
            age[here] = ages_at(births[here], on)
        r, s = here & reg_in, here & res_in
        out[f"pop.registered.{label}"] = by_sex_age(r, reg_i, age)
        out[f"pop.outflow.{label}"] = by_sex_age(r & outflow, reg_i, age)
        out[f"pop.resident.{label}"] = by_sex_age(s, res_i, age)
        out[f"pop.inflow.{label}"] = by_sex_age(s & outside, res_i, age)
        out[f"married.registered.{label}"] = by_age(r & female_married, reg_i, age)
        out[f"married.resident.{label}"] = by_age(s & female_married, res_i, age)
        if label == methods_on:
            method = (frame["flags"] & _METHOD) != 0
            out["contra.registered"] = by_age(r & female_married & method, reg_i, age)
            out["contra.resident"] = by_age(s & female_married & method, res_i, age)
    return cells, out


def _population_arrays_grouped(prefixes: str | Iterable[str], dates: dict[str, dt.date], *,
                               methods_on: str | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`population_arrays` counted inside DuckDB (the columnar copy): the presence rule of
    :func:`present_mask`, the completed ages and the groups by cell × sex × age are one statement,
    and only the grouped counts (a few rows per cell, sex and age) cross to NumPy.

    The same rules as the NumPy path, written as SQL; ``tests/indicators/test_columnar.py`` checks
    the cubes of both equal after random writes.
    """
    from renkou.registry.models import MARRIED_CODES

    Person, Event, ServiceRecord = _models()
    prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    labels = list(dates)
    reg_in, reg_p = _inside_sql(prefixes, "p.registered_area_id")
    res_in, res_p = _inside_sql(prefixes, "p.resident_area_id")
    P, E, S = Person._meta.db_table, Event._meta.db_table, ServiceRecord._meta.db_table
    arr = ", ".join(f"'{k}'" for k in ARRIVALS)
    dep = ", ".join(f"'{k}'" for k in DEPARTURES)
    married = ", ".join(f"'{c}'" for c in sorted(MARRIED_CODES))
    cell = f"CAST(SUBSTR(%s, 1, {VILLAGE_DIGITS}) AS BIGINT)"
    params: list = [*reg_p, *res_p, *reg_p, *res_p]
    per_date = []
    for i, label in enumerate(labels):
        t = dates[label].isoformat()
        per_date.append(f"MAX(e.event_date) FILTER (WHERE e.kind IN ({arr}) AND e.event_date <= DATE '{t}') AS la{i}, "
                        f"MAX(e.event_date) FILTER (WHERE e.kind IN ({dep}) AND e.event_date <= DATE '{t}') AS ld{i}, "
                        f"BOOL_OR(e.kind = 'death' AND e.event_date <= DATE '{t}') AS died{i}")
    method = "FALSE"
    if methods_on is not None:
        on = dates[methods_on]
        window = f"s.type = 'contraceptive_method' AND s.date <= DATE '{on}' AND s.date > DATE '{on - dt.timedelta(days=365)}'"
        method = (f"(p.id IN (SELECT s.person_id FROM {S} s WHERE {window}) "
                  f"OR p.spouse_id IN (SELECT s.person_id FROM {S} s WHERE {window}))")
    columns = []
    for i, label in enumerate(labels):
        t = dates[label]
        columns.append(
            f"(p.birth_date <= DATE '{t}' AND (p.death_date IS NULL OR p.death_date > DATE '{t}') "
            f"AND NOT COALESCE(v.died{i}, FALSE) AND (v.first_arr IS NULL OR v.la{i} IS NOT NULL) "
            f"AND (v.ld{i} IS NULL OR v.la{i} > v.ld{i}) "
            f"AND (COALESCE(v.any_dep, FALSE) OR p.status <> 'moved_out' OR p.exit_date > DATE '{t}')) AS h{i}, "
            f"LEAST(GREATEST({t.year} - YEAR(p.birth_date) - CASE WHEN {t.month * 100 + t.day} < "
            f"MONTH(p.birth_date) * 100 + DAY(p.birth_date) THEN 1 ELSE 0 END, 0), {AGES - 1}) AS a{i}")
    parts = []
    for i, _label in enumerate(labels):
        parts.append(f"SELECT 0, {i}, reg, sex, a{i}, COUNT(*), COUNT(*) FILTER (WHERE outflow), "
                     f"COUNT(*) FILTER (WHERE fm), COUNT(*) FILTER (WHERE fm AND method) "
                     f"FROM f WHERE reg <> 0 AND h{i} GROUP BY reg, sex, a{i}")
        parts.append(f"SELECT 1, {i}, res, sex, a{i}, COUNT(*), COUNT(*) FILTER (WHERE outside), "
                     f"COUNT(*) FILTER (WHERE fm), COUNT(*) FILTER (WHERE fm AND method) "
                     f"FROM f WHERE res <> 0 AND h{i} GROUP BY res, sex, a{i}")
    parts.append("SELECT DISTINCT 2, 0, reg, 1, 0, 0, 0, 0, 0 FROM f WHERE reg <> 0")
    parts.append("SELECT DISTINCT 2, 0, res, 1, 0, 0, 0, 0, 0 FROM f WHERE res <> 0")
    sql = (f"WITH scope AS MATERIALIZED (SELECT p.* FROM {P} p WHERE ({reg_in} OR {res_in}) AND p.sex IN (1, 2) "
           f"AND p.record_state <> 'merged'), "
           f"v AS (SELECT e.subject_id, MIN(e.event_date) FILTER (WHERE e.kind IN ({arr})) AS first_arr, "
           f"BOOL_OR(e.kind IN ({dep})) AS any_dep, {', '.join(per_date)} FROM {E} e "
           f"WHERE e.is_current AND NOT e.flag_rejected AND e.kind IN ({arr}, {dep}, 'death') "
           f"AND e.subject_id IN (SELECT id FROM scope) GROUP BY e.subject_id), "
           f"f AS MATERIALIZED (SELECT CASE WHEN {reg_in} THEN {cell % 'p.registered_area_id'} ELSE 0 END AS reg, "
           f"CASE WHEN {res_in} AND p.migrant_status IS DISTINCT FROM 'outflow' "
           f"THEN {cell % 'p.resident_area_id'} ELSE 0 END AS res, p.sex, "
           f"p.migrant_status = 'outflow' AS outflow, p.registered_area_id IS NULL AS outside, "
           f"(p.sex = 2 AND p.marital_status IN ({married})) AS fm, {method} AS method, {', '.join(columns)} "
           f"FROM scope p LEFT JOIN v ON v.subject_id = p.id) "
           + " UNION ALL ".join(parts))
    data = _fetch(sql, params, 9)
    side, label_i, where, sex, age = (data[:, j] for j in range(5))
    cells = np.unique(where[side == 2])
    k = len(cells)
    at = np.searchsorted(cells, where)
    out: dict[str, np.ndarray] = {}

    def counts(sel: np.ndarray, column: int, by_sex: bool) -> np.ndarray:
        if by_sex:
            key = (at[sel] * 2 + (sex[sel] - 1)) * AGES + age[sel]
            return np.bincount(key, weights=data[sel, column], minlength=k * 2 * AGES).astype(np.int64) \
                .reshape(k, 2, AGES)
        return np.bincount(at[sel] * AGES + age[sel], weights=data[sel, column],
                           minlength=k * AGES).astype(np.int64).reshape(k, AGES)

    for i, label in enumerate(labels):
        r = (side == 0) & (label_i == i)
        s = (side == 1) & (label_i == i)
        out[f"pop.registered.{label}"] = counts(r, 5, True)
        out[f"pop.outflow.{label}"] = counts(r, 6, True)
        out[f"pop.resident.{label}"] = counts(s, 5, True)
        out[f"pop.inflow.{label}"] = counts(s, 6, True)
        out[f"married.registered.{label}"] = counts(r, 7, False)
        out[f"married.resident.{label}"] = counts(s, 7, False)
        if label == methods_on:
            out["contra.registered"] = counts(r, 8, False)
            out["contra.resident"] = counts(s, 8, False)
    return cells, out


# --------------------------------------------------------------------------- cubes
def build_stack(prefixes: str | Iterable[str], start: dt.date, end: dt.date) -> tuple[list[str], np.ndarray]:
    """Register cubes (:mod:`renkou.indicators.cube`) of every village cell under ``prefixes`` for [start, end].

    Returns the cells (12-digit codes, sorted) and their cubes as one (cells, SIZE) array. The
    persons and their move and death events are read once (:func:`population_arrays`), events and
    services with one query per kind; every count is made in NumPy.
    """
    from . import cube as cb

    pop_cells, pop = population_arrays(prefixes, {"start": start - dt.timedelta(days=1), "end": end},
                                       methods_on="end")
    b = birth_rows(prefixes, start, end, "all", "all")
    d = death_rows(prefixes, start, end, "resident", "all")
    rows = _event_rows(list(cb.EVENT_KINDS), prefixes, start, end, ["kind"])
    moves = _by_village(rows, list(cb.EVENT_KINDS), rows["official"])
    pending = _by_village(rows, list(cb.EVENT_KINDS), ~rows["official"])
    served = persons_served(prefixes, start, end, by_area=True)

    def ints(codes) -> np.ndarray:
        return np.array([int(c) for c in codes], dtype=np.int64)

    b_cell, d_cell = b["cell"], d["cell"]
    move_cells = ints(c for counts in (*moves.values(), *pending.values()) for c in counts)
    served_cells = ints(served)  # type: ignore[arg-type]
    cells = np.unique(np.concatenate([pop_cells, b_cell, d_cell, move_cells, served_cells]))
    flat = cb.stack_zeros(len(cells))
    stack = cb.views(flat)
    at = np.searchsorted(cells, pop_cells)
    for name, arr in pop.items():
        stack[name][at] = arr
    bi = np.searchsorted(cells, b_cell)
    di = np.searchsorted(cells, d_cell)
    mage = np.where(b["mother_age"] < 0, cb.UNKNOWN_AGE, b["mother_age"])
    for basis in cb.EVENT_BASES:
        base = b["registered"] if basis == "registered" else np.ones(len(b["sex"]), dtype=bool)
        sel = base & b["official"]
        s = b["sex"][sel] - 1
        np.add.at(stack[f"births.{basis}"], (bi[sel], s, b["order"][sel], b["place"][sel], mage[sel]), 1)
        np.add.at(stack[f"births_late.{basis}"], (bi[sel], s), b["late"][sel].astype(np.int64))
        np.add.at(stack[f"births_timely.{basis}"], (bi[sel], s), b["timely"][sel].astype(np.int64))
        sel = base & ~b["official"]
        np.add.at(stack[f"births_provisional.{basis}"], (bi[sel], b["sex"][sel] - 1), 1)
        base = d["registered"] if basis == "registered" else np.ones(len(d["sex"]), dtype=bool)
        sel = base & d["official"]
        np.add.at(stack[f"deaths.{basis}"], (di[sel], d["sex"][sel] - 1, d["age"][sel]), 1)
        sel = base & ~d["official"]
        np.add.at(stack[f"deaths_provisional.{basis}"], (di[sel], d["sex"][sel] - 1), 1)
    for k, kind in enumerate(cb.EVENT_KINDS):
        for code, n in moves.get(kind, {}).items():
            stack["events"][np.searchsorted(cells, int(code)), k] += n
        for code, n in pending.get(kind, {}).items():
            stack["events_provisional"][np.searchsorted(cells, int(code)), k] += n
    for code, by_type in served.items():  # type: ignore[union-attr]
        i = np.searchsorted(cells, int(code))
        for t, n in by_type.items():
            if t in cb.SERVICE_TYPES:
                stack["served"][i, cb.SERVICE_TYPES.index(t)] += n
    return [f"{c:0{VILLAGE_DIGITS}d}" for c in cells], flat


def build_cubes(prefixes: str | Iterable[str], start: dt.date, end: dt.date) -> dict[str, dict[str, np.ndarray]]:
    """:func:`build_stack` as a mapping of cell code to cube."""
    from . import cube as cb

    cells, flat = build_stack(prefixes, start, end)
    return {c: cb.row(flat, i) for i, c in enumerate(cells)}


def counted_event_ids(kind: str, prefix: str, start: dt.date, end: dt.date, status: str = "official") -> list[int]:
    """Ids of the events of ``kind`` counted in [start, end] under ``prefix`` (for the drill-down)."""
    r = _event_rows(kind, prefix, start, end, [])
    return [int(i) for i in r["id"][_status_mask(r, status)]]

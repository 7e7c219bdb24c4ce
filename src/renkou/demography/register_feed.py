"""Demographic inputs from the register (从个案库取人口学基础数据) for an area and a period.

The one module of :mod:`renkou.demography` that touches the database: it turns an area code
and a period into the arrays the pure library takes — population by age and sex at the start
and end of the period, births by sex of the child and age of the mother, deaths by age and
sex, and person-years lived (exposures).  Everything is counted in the database with
aggregate queries (``GROUP BY`` sex and age); no person record is brought into Python.

Counting rules (docs/demography.md, "From the register"):

* **population on a day** ``d`` (at the end of the day): persons with ``birth_date ≤ d``, not
  dead by then (``death_date`` empty or after ``d``), entered the register by then
  (``entry_date`` empty or ``≤ d``) and not left by then (``exit_date`` empty or after ``d``),
  not merged into another record; placed by resident area (``basis="resident"``, 常住) or
  registered area (``basis="registered"``, 户籍).  Age = completed years (周岁) on ``d``; age
  100 and over in the last cell.  The area is the person's *current* one: a move between two
  townships of one county moves the person's whole history (county totals are unaffected).
* **population at the start** of a period = population on the day before it starts (1 January
  00:00 is 31 December 24:00); **at the end** = population on its last day.
* **events** (births, deaths): current versions (``is_current``), not rejected, dated inside
  the period (event date, not registration date), placed by the area at the event date; age
  at the event in completed years.  A birth's mother is the event's mother, else the child's.
* **exposures** (person-years, 人年数): the trapezoid of the population counted on the day
  before the start, on each anniversary of it inside the period, and on the last day — for one
  calendar year exactly the mean population (start + end) / 2 of DOMAIN.md §3.

Counts with sex other than 1/2 or without a known age are not placed in the arrays; they are
reported in :attr:`DemographicInputs.unclassified` so that totals can be traced.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear, Least
from django.db.models.lookups import GreaterThan

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period

N_AGES = 101
OPEN_AGE = 100
BASES = ("resident", "registered")
_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")


class FeedError(ValueError):
    """An area or period the register cannot answer for; the message is meant for the user."""


@dataclass(frozen=True)
class DemographicInputs:
    """Register counts of one area over one period; arrays are ``(2, 101)`` (sex 0 male, 1 female).

    ``births_by_mother_age[s, x]``: children of sex ``s`` born to mothers aged ``x``;
    ``exposures``: person-years lived in the period by age and sex; ``years``: length of the
    period in years (1.0 for a calendar year).
    """

    code: str
    name: str
    period: Period
    basis: str
    population_start: np.ndarray
    population_end: np.ndarray
    births_by_mother_age: np.ndarray
    deaths_by_age_sex: np.ndarray
    exposures: np.ndarray
    years: float
    unclassified: dict[str, int] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return area_prefix(self.code)

    @property
    def births(self) -> int:
        return int(self.births_by_mother_age.sum())

    @property
    def deaths(self) -> int:
        return int(self.deaths_by_age_sex.sum())

    @property
    def women_exposure(self) -> np.ndarray:
        """Woman-years by age ``(101,)``: the denominator of the ASFR."""
        return self.exposures[1]

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (arrays stay arrays; :func:`tables.to_jsonable` converts them)."""
        return {"area": self.code, "name": self.name, "period": self.period.code, "basis": self.basis,
                "years": self.years, "population_start": self.population_start,
                "population_end": self.population_end, "births_by_mother_age": self.births_by_mother_age,
                "deaths_by_age_sex": self.deaths_by_age_sex, "exposures": self.exposures,
                "unclassified": self.unclassified}


# --------------------------------------------------------------------------- areas and periods
def area_prefix(code: str) -> str:
    """Significant digits of an area code (``520122000000`` → ``520122``); prefixes pass through."""
    code = code.strip()
    if len(code) in (12, 15):
        return areacodes.prefix(code, areacodes.level_of(code))
    return code


def find_area(code: str) -> Area:
    """The area with this code (full or significant digits), or :class:`FeedError`."""
    text = code.strip()
    if not text.isdigit():
        raise FeedError(f"区划代码只能是数字: {code!r} / an area code has digits only: {code!r}")
    area = Area.objects.filter(code=areacodes.full_code(text)).first()
    if area is None:
        raise FeedError(f"没有区划 {text} / no area {text}")
    return area


def parse_period(code: str | Period) -> Period:
    """A period code of :class:`Period`, or ``YYYY-YYYY`` for whole calendar years (pooled)."""
    if isinstance(code, Period):
        return code
    m = _YEAR_RANGE.match(str(code))
    if m:
        first, last = int(m.group(1)), int(m.group(2))
        if last < first:
            raise FeedError(f"期间 {code} 结束早于开始 / period {code} ends before it starts")
        return Period.range(dt.date(first, 1, 1), dt.date(last, 12, 31))
    try:
        return Period.parse(str(code))
    except ValueError as err:
        raise FeedError(str(err)) from None


# --------------------------------------------------------------------------- SQL pieces
def _completed_age(birth: str, at: str | dt.date) -> Any:
    """Completed years (周岁) between the date field ``birth`` and ``at`` (a date or a date field),
    capped at 100, as a portable SQL expression (year difference, minus one before the birthday)."""
    if isinstance(at, dt.date):
        year, monthday = Value(at.year), Value(at.month * 100 + at.day)
    else:
        year = ExtractYear(at)
        monthday = ExtractMonth(at) * 100 + ExtractDay(at)
    before_birthday = Case(
        When(GreaterThan(ExtractMonth(birth) * 100 + ExtractDay(birth), monthday), then=Value(1)),
        default=Value(0), output_field=IntegerField())
    return Least(year - ExtractYear(birth) - before_birthday, Value(OPEN_AGE), output_field=IntegerField())


def _to_array(rows: Any, unclassified: dict[str, int] | None, what: str) -> np.ndarray:
    """Rows ``{"sex": 1|2, "age": x, "n": count}`` into a ``(2, 101)`` array; others are tallied."""
    out = np.zeros((2, N_AGES))
    for row in rows:
        sex, age, n = row["sex"], row["age"], row["n"]
        if sex in (1, 2) and age is not None and 0 <= age <= OPEN_AGE:
            out[sex - 1, age] += n
        elif unclassified is not None:
            unclassified[what] = unclassified.get(what, 0) + n
    return out


def _persons():
    from renkou.registry.models import Person

    return Person.objects


def _events():
    from renkou.registry.models import Event

    return Event.objects


def _current_events(kind: str, prefix: str, start: dt.date, end: dt.date):
    return _events().filter(kind=kind, is_current=True, flag_rejected=False, event_date__gte=start,
                            event_date__lte=end, area_id__startswith=prefix)


# --------------------------------------------------------------------------- counts
def population_by_age_sex(prefix: str, on: dt.date, basis: str = "resident",
                          unclassified: dict[str, int] | None = None) -> np.ndarray:
    """Persons of the area (code prefix) alive and in the register at the end of day ``on``,
    by sex and completed age: ``(2, 101)``."""
    if basis not in BASES:
        raise FeedError(f"unknown population basis {basis!r}: use {' or '.join(BASES)}")
    from renkou.registry.models import Person

    place = "resident_area_id" if basis == "resident" else "registered_area_id"
    rows = (_persons()
            .filter(**{f"{place}__startswith": prefix}, birth_date__lte=on)
            .exclude(record_state=Person.Record.MERGED)
            .filter(Q(death_date__isnull=True) | Q(death_date__gt=on))
            .filter(Q(entry_date__isnull=True) | Q(entry_date__lte=on))
            .filter(Q(exit_date__isnull=True) | Q(exit_date__gt=on))
            .values("sex", age=_completed_age("birth_date", on))
            .annotate(n=Count("pk")).order_by())
    return _to_array(rows, unclassified, "population")


def births_by_mother_age(prefix: str, start: dt.date, end: dt.date,
                         unclassified: dict[str, int] | None = None) -> np.ndarray:
    """Children born in the area from ``start`` to ``end`` (inclusive) by sex of the child and
    completed age of the mother at the birth: ``(2, 101)``."""
    mother_birth = Coalesce("mother__birth_date", "subject__mother__birth_date")
    rows = (_current_events("birth", prefix, start, end)
            .annotate(mother_birth=mother_birth)
            .values(sex=F("subject__sex"), age=_completed_age("mother_birth", "event_date"))
            .annotate(n=Count("pk")).order_by())
    return _to_array(rows, unclassified, "births")


def deaths_by_age_sex(prefix: str, start: dt.date, end: dt.date,
                      unclassified: dict[str, int] | None = None) -> np.ndarray:
    """Deaths in the area from ``start`` to ``end`` (inclusive) by sex and completed age at death."""
    rows = (_current_events("death", prefix, start, end)
            .values(sex=F("subject__sex"), age=_completed_age("subject__birth_date", "event_date"))
            .annotate(n=Count("pk")).order_by())
    return _to_array(rows, unclassified, "deaths")


def _anniversary(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def census_days(period: Period) -> list[tuple[dt.date, float]]:
    """Days on which the population is counted for the exposures, each with the length in years
    of the stretch that ends there: the day before the start, each anniversary inside the
    period, and the last day.  Whole years weigh 1; a shorter stretch weighs days / 365.25."""
    origin = period.start - dt.timedelta(days=1)
    days = [(origin, 0.0)]
    k = 1
    while (nxt := _anniversary(origin, k)) < period.end:
        days.append((nxt, 1.0))
        k += 1
    last = days[-1][0]
    whole = _anniversary(last, 1) == period.end
    days.append((period.end, 1.0 if whole else (period.end - last).days / 365.25))
    return days


def inputs_for_area(code: str, period: str | Period, basis: str = "resident") -> DemographicInputs:
    """All register inputs of area ``code`` (full or significant digits) over ``period``."""
    area = find_area(code)
    per = parse_period(period)
    prefix = area.prefix
    unclassified: dict[str, int] = {}
    days = census_days(per)
    counts = []
    for i, (day, _) in enumerate(days):
        tally: dict[str, int] = {}
        counts.append(population_by_age_sex(prefix, day, basis, tally))
        if tally and i in (0, len(days) - 1):
            unclassified["population_start" if i == 0 else "population_end"] = tally["population"]
    exposures = np.zeros((2, N_AGES))
    for i in range(1, len(days)):
        exposures += (counts[i - 1] + counts[i]) / 2.0 * days[i][1]
    births = births_by_mother_age(prefix, per.start, per.end, unclassified)
    deaths = deaths_by_age_sex(prefix, per.start, per.end, unclassified)
    return DemographicInputs(
        code=area.code, name=area.name, period=per, basis=basis, population_start=counts[0],
        population_end=counts[-1], births_by_mother_age=births, deaths_by_age_sex=deaths,
        exposures=exposures, years=float(sum(w for _, w in days)), unclassified=unclassified)

"""Demographic inputs from the register (从个案库取人口学基础数据) for an area and a period.

The one module of :mod:`renkou.demography` that touches the database: it turns an area code
and a period into the arrays the pure library takes — population by age and sex at the start
and end of the period, births by sex of the child and age of the mother, deaths by age and
sex, and person-years lived (exposures).

The counting itself is :mod:`renkou.indicators.register` (one source of truth for every figure
taken from the register; its rules are in ``docs/indicators.md``): population at the end of a
day by basis (resident 常住 by default), births and deaths of a period by their counting date
(the event date; a late report registered more than a year after the event counts when it was
found), ages in completed years (周岁), 100 = 100 and over.  This module adds what demography
needs on top:

* **population at the start** of a period = population at the end of the day before it starts;
  **at the end** = population at the end of its last day;
* **exposures** (person-years, 人年数): the trapezoid of the population counted on the day
  before the start, on each anniversary of it inside the period, and on the last day — for one
  calendar year exactly the mean population (start + end) / 2 of DOMAIN.md §3; ``YYYY-YYYY``
  pools whole years (for life tables of small areas).

Births whose mother's age is unknown are not in the array; their number is reported in
:attr:`DemographicInputs.unclassified` so that totals can be traced.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.indicators import register

N_AGES = 101
OPEN_AGE = 100
BASES = register.BASES  # resident 常住, registered 户籍, inflow 流入, outflow 流出
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


# --------------------------------------------------------------------------- counts
def population_by_age_sex(prefix: str, on: dt.date, basis: str = "resident") -> np.ndarray:
    """Persons of the area (code prefix) present at the end of day ``on`` by sex and completed age,
    ``(2, 101)`` floats — counted by :func:`renkou.indicators.register.population_by_age_sex`."""
    if basis not in BASES:
        raise FeedError(f"unknown population basis {basis!r}: use {', '.join(BASES)}")
    return register.population_by_age_sex(prefix, on, basis).astype(float)


def births_by_mother_age(prefix: str, start: dt.date, end: dt.date) -> np.ndarray:
    """Children counted in [start, end] by sex of the child and completed age of the mother, ``(2, 101)``."""
    return register.births_by_mother_age(prefix, start, end, "resident").astype(float)


def deaths_by_age_sex(prefix: str, start: dt.date, end: dt.date) -> np.ndarray:
    """Deaths counted in [start, end] by sex and completed age at death, ``(2, 101)``."""
    return register.deaths_by_age_sex(prefix, start, end, "resident").astype(float)


def populations_on(prefix: str, days: list[dt.date], basis: str = "resident") -> list[np.ndarray]:
    """Population by sex and age ``(2, 101)`` floats at the end of each of ``days`` — the same counts
    as :func:`population_by_age_sex`, with the persons and their moves read once for every day
    (:func:`renkou.indicators.register.population_arrays`, checked cell by cell against the SQL rules)."""
    if basis not in BASES:
        raise FeedError(f"unknown population basis {basis!r}: use {', '.join(BASES)}")
    _cells, arrays = register.population_arrays(prefix, {str(i): day for i, day in enumerate(days)})
    return [arrays[f"pop.{basis}.{i}"].sum(axis=0).astype(float) for i in range(len(days))]


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
    days = census_days(per)
    counts = populations_on(prefix, [day for day, _ in days], basis)
    exposures = np.zeros((2, N_AGES))
    for i in range(1, len(days)):
        exposures += (counts[i - 1] + counts[i]) / 2.0 * days[i][1]
    births = births_by_mother_age(prefix, per.start, per.end)
    deaths = deaths_by_age_sex(prefix, per.start, per.end)
    unclassified: dict[str, int] = {}
    unknown = register.births(prefix, per.start, per.end, "resident") - int(births.sum())
    if unknown:
        unclassified["births_mother_age_unknown"] = unknown
    return DemographicInputs(
        code=area.code, name=area.name, period=per, basis=basis, population_start=counts[0],
        population_end=counts[-1], births_by_mother_age=births, deaths_by_age_sex=deaths,
        exposures=exposures, years=float(sum(w for _, w in days)), unclassified=unclassified)


def latest_year(prefix: str) -> int | None:
    """Calendar year of the latest birth or death counted under ``prefix`` (the page's default year)."""
    from django.db.models import Max

    latest = register.live_events().filter(kind__in=("birth", "death"), area__pk__startswith=prefix) \
        .aggregate(last=Max("event_date"))["last"]
    return latest.year if latest else None


def latest_complete_stat_year(prefix: str, today: dt.date | None = None) -> Period | None:
    """The latest statistical year (1 October – 30 September) that is over by the register's last
    record under ``prefix`` — the demography page's default period.

    "Over" is measured against the register's own date (its latest event, never after ``today``),
    not the calendar: a register whose records stop at the end of 2005 has 2005SY
    complete and 2006SY barely begun; the current statistical year is never shown by default
    because its events are still coming in. None when the register has no events there."""
    from django.db.models import Max

    today = today or dt.date.today()
    latest = register.live_events().filter(area__pk__startswith=prefix).aggregate(last=Max("event_date"))["last"]
    if latest is None:
        return None
    as_of = min(latest, today)
    year = as_of.year if as_of >= dt.date(as_of.year, 9, 30) else as_of.year - 1
    return Period.stat_year(year)


def profile_for_area(code: str, year: int | str | Period, pooled_years: int = 5, basis: str = "resident"
                     ) -> dict[str, Any]:
    """The demography page's figures for area ``code`` and a period (:func:`cli.area_profile`): a
    calendar ``year`` (2005) or a statistical year (``2005SY``) — its rates, the life table and
    projection assumptions pooled over the ``pooled_years`` years ending with it, projections from
    the population at its end."""
    from .cli import area_profile

    period = year if isinstance(year, Period) else parse_period(str(year))
    one = inputs_for_area(code, period, basis)
    if pooled_years > 1:
        first = _anniversary(period.start, -(pooled_years - 1))
        pooled = inputs_for_area(code, Period.range(first, period.end) if period.kind != "year"
                                 else f"{period.end.year - pooled_years + 1}-{period.end.year}", basis)
    else:
        pooled = one
    profile = area_profile(one.population_end, births=one.births_by_mother_age, deaths=one.deaths_by_age_sex,
                           exposures=one.exposures, pooled_births=pooled.births_by_mother_age,
                           pooled_deaths=pooled.deaths_by_age_sex, pooled_exposures=pooled.exposures,
                           start_year=period.end.year + 1)
    profile["inputs"], profile["pooled_period"] = one, pooled.period
    return profile


PROFILE_CACHE_SECONDS = 6 * 3600


def register_version() -> str:
    """A fingerprint that changes whenever the register changes: the newest person, event and
    audit record (every write through the services is audited; bulk loads add new rows)."""
    from django.db.models import Max

    from renkou.core.models import AuditEvent
    from renkou.registry.models import Event, Person

    parts = [m.objects.aggregate(n=Max("pk"))["n"] for m in (Person, Event, AuditEvent)]
    return "-".join(str(p or 0) for p in parts)


def cached_profile(code: str, period: Period, basis: str = "resident") -> dict[str, Any]:
    """:func:`profile_for_area` kept in the cache until the register changes (see
    :func:`register_version`): the page of an area is computed once, then served from memory."""
    from django.core.cache import cache

    key = f"renkou:demography:profile:{code}:{period.code}:{basis}:{register_version()}"
    profile = cache.get(key)
    if profile is None:
        profile = profile_for_area(code, period, basis=basis)
        cache.set(key, profile, PROFILE_CACHE_SECONDS)
    return profile

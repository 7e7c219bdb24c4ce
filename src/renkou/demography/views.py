"""Demography pages (人口学分析): choose an area and a year; one page per area with its age–sex
pyramid now and projected, fertility and mortality schedules, scenarios and momentum.

Thin: figures come from :func:`renkou.demography.register_feed.profile_for_area`; this module only
checks access and turns the figures into charts and tables.  Everything shown is aggregated.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require, scoped_areas
from renkou.web import charts

from . import register_feed
from .tables import to_jsonable

GROUPS = [*range(0, 100, 5), 100]  # 0–4, …, 95–99, 100+
SCENARIO_LABELS = {"low": gettext_lazy("low scenario"), "medium": gettext_lazy("medium scenario"), "high": gettext_lazy("high scenario"),
                   "constant": gettext_lazy("constant scenario"), "replacement": gettext_lazy("replacement level")}
BASIS_LABELS = {"registered": gettext_lazy("registered population"), "resident": gettext_lazy("resident population")}


def _life_table_message(error: str | None) -> str:
    """What the life table's refusal means to the reader (the library's message is for the command line)."""
    if not error:
        return ""
    if error.startswith("too few deaths or person-years for a life table"):
        return _("Too few deaths or person-years for a life table: choose a larger area (the county) or more "
                 "years.")
    ages = re.search(r"no exposure \(person-years\) at ages \[([\d, ]+)\]", error)
    if ages:
        return _("No person-years at ages %(ages)s in the pooled years: choose a larger area (the county) or "
                 "more years.") % {"ages": ages.group(1)}
    open_age = re.search(r"open age group (\d+)\+ is zero", error)
    if open_age:
        return _("No deaths at ages %(age)s and over in the pooled years, so the life table cannot close: choose "
                 "a larger area (the county) or more years.") % {"age": open_age.group(1)}
    return _("No life table can be computed from the register of this area for these years.")


def _projection_message(p: dict) -> str:
    if p.get("life_table_error"):
        return _("No projection without a life table.")
    if p.get("projection_error"):
        return _("No births in the pooled years: there is no fertility schedule to project with.")
    return ""


def _group_labels() -> list[str]:
    return [f"{a}–{a + 4}" for a in GROUPS[:-1]] + ["100+"]


def _grouped(pop: np.ndarray) -> np.ndarray:
    return np.add.reduceat(np.asarray(pop, dtype=float), GROUPS, axis=-1)


def _pyramid(pop: np.ndarray, title: str) -> dict:
    """Pyramid of 5-year groups: every group labelled, men blue on the left, women red on the right."""
    g = _grouped(pop)
    spec = charts.pyramid(_group_labels(), g[0], g[1], title=title, unit=_("persons"), male_label=_("male"),
                          female_label=_("female"))
    spec["encoding"]["y"]["axis"] = {}
    colour = spec["encoding"]["color"]["scale"]
    colour["domain"] = [row["sex"] for row in spec["data"]["values"][:2]]  # male first, as drawn
    return spec


def _year_axis(spec: dict) -> dict:
    spec["encoding"]["x"]["axis"] = {"format": "d"}
    return spec


@login_required
def home(request):
    """Areas in the user's scope (county and township level) with a year to choose."""
    require(request.user, AGGREGATE_VIEW)
    code = request.GET.get("area", "").strip()
    year = request.GET.get("year", "").strip()
    period = request.GET.get("period", "").strip()
    if code.isdigit():
        target = reverse("demography:area", args=[code])
        if _period_code(period):
            return redirect(f"{target}?period={period.upper()}")
        return redirect(target + (f"?year={year}" if year.isdigit() else ""))
    areas = scoped_areas(request.user).filter(level__gte=3, level__lte=4).order_by("code")
    page = Paginator(areas, 50).get_page(request.GET.get("page"))
    return render(request, "demography/home.html", {"page": page})


def _period_code(text: str) -> Period | None:
    """A calendar year (2005) or a statistical year (2005SY) the page can show, else None."""
    try:
        period = Period.parse(text)
    except ValueError:
        return None
    if period.kind not in ("year", "stat_year") or not 1900 < period.end.year <= dt.date.today().year + 1:
        return None
    return period


def default_period(prefix: str) -> Period:
    """The period the page opens on: the latest complete statistical year of the area's register
    (the current one is still being reported), else the last calendar year."""
    return register_feed.latest_complete_stat_year(prefix) or Period.year(dt.date.today().year - 1)


def _period(request, prefix: str) -> Period:
    chosen = _period_code(request.GET.get("period", "").strip())
    if chosen is not None:
        return chosen
    text = request.GET.get("year", "").strip()
    if text.isdigit() and 1900 < int(text) <= dt.date.today().year:
        return Period.year(int(text))
    return default_period(prefix)


@login_required
def area(request, code: str):
    """The demography page of one area and year (``?year=2005``)."""
    require(request.user, AGGREGATE_VIEW)
    found = Area.objects.filter(code=areacodes.full_code(code)).first() if code.isdigit() else None
    if found is None or not scoped_areas(request.user).filter(code=found.code).exists():
        raise Http404
    period = _period(request, found.prefix)
    profile = _cached_profile(found.code, period)
    lang = "en" if (get_language() or "zh").startswith("en") else "zh"
    context: dict[str, Any] = {"area": found, "period": period, "year": _short_label(period, lang),
                               "periods": _period_choices(period, lang),
                               "pooled": profile["pooled_period"].label(lang),
                               "basis": BASIS_LABELS.get(profile["inputs"].basis, profile["inputs"].basis),
                               "life_table_message": _life_table_message(profile.get("life_table_error")),
                               "projection_message": _projection_message(profile)}
    context |= _structure(profile) | _fertility(profile) | _mortality(profile) | _projection(profile)
    # numbers for the template: NaN (no births, no exposure) shows as empty, never as "nan"
    context["p"] = {k: to_jsonable(v) if k in ("year", "pooled") else v for k, v in profile.items()}
    return render(request, "demography/area.html", context)


def _short_label(period: Period, lang: str) -> str:
    """``2005`` for a calendar year, ``2005统计年度`` / ``statistical year 2005`` for a statistical year."""
    if period.kind == "stat_year":
        return _("statistical year %(year)d") % {"year": period.end.year}
    return period.label(lang)


def _period_choices(period: Period, lang: str) -> list[dict[str, str]]:
    """Statistical years and calendar years around the one shown, newest first."""
    last = min(period.end.year + 5, dt.date.today().year)
    years = range(last, max(period.end.year - 10, 1950) - 1, -1)
    out = [Period.stat_year(y) for y in years] + [Period.year(y) for y in years]
    return [{"code": p.code, "label": _short_label(p, lang)} for p in out]


def _cached_profile(code: str, period: Period) -> dict[str, Any]:
    """The profile of an area and period, kept in the cache until the register under the area
    changes (the key carries the area's latest record change), so the page is computed once."""
    return register_feed.cached_profile(code, period)


def _structure(p: dict[str, Any]) -> dict[str, Any]:
    g = _grouped(p["population"])
    rows = [{"age": a, "male": int(m), "female": int(f), "total": int(m + f)}
            for a, m, f in zip(_group_labels(), g[0], g[1], strict=True)]
    return {"pyramid": _pyramid(p["population"], _("Population by age and sex (end of year)")), "age_rows": rows}


def _fertility(p: dict[str, Any]) -> dict[str, Any]:
    year, pooled = p["year"], p["pooled"]
    rows = []
    for label, r in ((str(p["inputs"].period.code), year), (_("pooled"), pooled)):
        rows += [{"age": 15 + i, "asfr": round(float(v), 5), "series": label}
                 for i, v in enumerate(np.nan_to_num(r["asfr_15_49"]))]
    asfr5 = [{"group": f"{15 + 5 * i}–{19 + 5 * i}", "year": _num(year["asfr_5y_15_49"][i], 1000),
              "pooled": _num(pooled["asfr_5y_15_49"][i], 1000)} for i in range(7)]
    chart = charts.line(rows, x="age", y="asfr", series="series", x_title=_("age of mother"),
                        y_title=_("births per woman-year"), title=_("Age-specific fertility rates"),
                        x_type="quantitative")
    return {"asfr_chart": chart, "asfr5": asfr5}


def _num(value: float, factor: float = 1.0) -> float | None:
    v = float(value) * factor
    return None if not np.isfinite(v) else v


def _mortality(p: dict[str, Any]) -> dict[str, Any]:
    tables = p.get("life_tables")
    if not tables:
        return {"qx_chart": None, "life_rows": []}
    rows, qx = [], []
    both = tables["both"]
    for i, age in enumerate(both.ages):
        open_group = i == len(both.ages) - 1
        label = f"{int(age)}+" if open_group else f"{int(age)}–{int(age + both.widths[i] - 1)}" \
            if both.widths[i] > 1 else str(int(age))
        rows.append({"age": label, **{f"q_{s}": _num(tables[s].qx[i]) for s in ("male", "female", "both")},
                     **{f"e_{s}": _num(tables[s].ex[i]) for s in ("male", "female", "both")},
                     "l_both": _num(both.lx[i])})
        if not open_group:
            for s, name in (("male", _("male")), ("female", _("female"))):
                if tables[s].qx[i] > 0:
                    qx.append({"age": int(age), "qx": float(tables[s].qx[i]), "sex": name})
    chart = charts.line(qx, x="age", y="qx", series="sex", x_title=_("age"), x_type="quantitative",
                        y_title=_("probability of dying (log scale)"), title=_("Probability of dying by age"))
    chart["encoding"]["y"]["scale"] = {"type": "log"}
    return {"qx_chart": chart, "life_rows": rows, "e0": {s: _num(t.e0) for s, t in tables.items()}}


def _projection(p: dict[str, Any]) -> dict[str, Any]:
    if "scenario_totals" not in p:
        return {"scenario_chart": None}
    years = [int(y) for y in p["projection_years"]]
    rows = [{"year": y, "population": round(float(v)), "scenario": str(SCENARIO_LABELS[name])}
            for name, totals in p["scenario_totals"].items() for y, v in zip(years, totals, strict=True)]
    chart = _year_axis(charts.line(rows, x="year", y="population", series="scenario", x_title=_("year"),
                                   y_title=_("total population"), x_type="quantitative",
                                   title=_("Projected total population by scenario")))
    chart["mark"] = {"type": "line", "point": False}
    table = [{"year": y, "values": [round(float(p["scenario_totals"][n][k])) for n in SCENARIO_LABELS]}
             for k, y in enumerate(years) if k % 5 == 0]
    pyramids = [_pyramid(pop, _("Projected population %(year)d (medium scenario)") % {"year": years[step]})
                for step, pop in p["projected_pyramids"].items()]
    return {"scenario_chart": chart, "scenario_rows": table, "scenario_names": [str(n) for n in SCENARIO_LABELS.values()],
            "projected": pyramids}

"""The assessment part of ``renkou demo``: the demo county's townships assessed for 2005.

Steps: the 2005 township scheme (``schemes/township-2005.yaml``) for the demo county, contract
targets, inspection scores, a sampled door-to-door verification whose visits "find" the births the
synthetic register left out (its ground truth), a published run, and one accepted appeal that
gives a second, published version.

:func:`load_register` writes a synthetic county's households, persons, births, deaths and services
into the register when the register's own loader has not done so (it is also used by the tests).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from renkou.core import areacodes

SCHEME_FILE = Path(__file__).resolve().parent / "schemes" / "township-2005.yaml"
DEMO_COUNTY = "520122"
HOUSEHOLDS_PER_UNIT = 200


def _date(x) -> dt.date | None:
    if isinstance(x, np.datetime64):
        return None if np.isnat(x) else dt.date.fromisoformat(str(x))
    return dt.date.fromisoformat(str(x)) if x not in ("", None) else None


def true_births_by_household(result, period_start: dt.date, period_end: dt.date) -> dict[str, int]:
    """Births the synthetic register left out, per household key, within the period (ground truth)."""
    out: dict[str, int] = {}
    for m in result.ground_truth["imperfections"]["missing_births"]:
        born = dt.date.fromisoformat(m["person"]["birth_date"])
        if period_start <= born <= period_end:
            out[m["person"]["household_key"]] = out.get(m["person"]["household_key"], 0) + 1
    return out


def visit_from_truth(*, user, sample, result, falsified: dict[str, int] | None = None) -> int:
    """Enter every sampled household's visit as the field team would find it: the registered births
    plus the ones the synthetic register left out (ground truth). Returns the missed births found."""
    from renkou.core.periods import Period

    from . import services
    from .models import SampledHousehold

    period = Period.parse(sample.period_code)
    missing = true_births_by_household(result, period.start, period.end)
    rows = list(SampledHousehold.objects.filter(sample=sample).select_related("household").order_by("id"))
    first_of_unit: dict[str, int] = {}
    for h in rows:
        first_of_unit.setdefault(h.unit_id, h.pk)
    found, findings = 0, {}
    for h in rows:
        missed = missing.get(h.household.source_key or "", 0)
        found += missed
        falsification = (falsified or {}).get(h.unit_id, 0) if first_of_unit[h.unit_id] == h.pk else 0
        findings[h.pk] = services.VisitFinding(
            births_found=h.registered_births + missed, missed_births=missed, deaths_found=h.registered_deaths,
            missed_deaths=0, falsification_cases=falsification, visited_on=period.end + dt.timedelta(days=20))
    services.enter_visits(user=user, sample=sample, findings=findings)
    return found


def demo_scheme_text(county: str) -> str:
    """The 2005 township scheme for ``county``. Item B3 (village self-governance coverage) scores level
    and progress over last year, but the indicators demo step loads the charter form for the calendar
    year 2005 only — no previous year, and not the statistical year 2005SY the scheme assesses — so the
    demo keeps B3 as an inspection score (this year's and last year's value entered by the county)."""
    data: dict[str, Any] = yaml.safe_load(SCHEME_FILE.read_text(encoding="utf-8"))
    data["units"]["parent"] = county
    if county != DEMO_COUNTY:
        data["code"] = f"{data['code']}-{county}"
    for theme in data["themes"]:
        for item in theme["items"]:
            if item["code"] == "B3":
                item["source"] = {"inspection": "self_governance_coverage"}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def assess_demo_county(ctx, progress) -> None:
    from renkou.core.models import User
    from renkou.registry.models import Household

    from . import services

    if not ctx.results:
        return
    county = DEMO_COUNTY if DEMO_COUNTY in ctx.results else next(iter(ctx.results))
    result = ctx.results[county]
    user = User.objects.filter(is_superuser=True).order_by("id").first()
    if user is None:
        ctx.notes.append("assessment demo skipped: no superuser")
        return
    if not Household.objects.filter(area__pk__startswith=county).exists():
        from renkou.registry.loader import load_synthetic

        load_synthetic(result, progress=progress(f"载入户籍（考核） / loading the register of {county}"))
    bar = progress("考核评估 / assessment")
    bar(0, 6)
    scheme = services.import_scheme(user=user, text=demo_scheme_text(county), replace=True)
    units = services.scheme_units(scheme)
    rng = np.random.default_rng(ctx.seed)
    for unit in units:
        town = areacodes.township_kind(unit.code) in ("subdistrict", "town")
        services.set_target(user=user, scheme=scheme, unit=unit, item_code="B1", value=90 if town else 80)
        services.set_target(user=user, scheme=scheme, unit=unit, item_code="B4", value=100)
        services.set_target(user=user, scheme=scheme, unit=unit, item_code="D1", value=100)
        for sheet, lo, hi in (("service_quality", 70, 100), ("groundwork_registers", 75, 100),
                              ("publicity_training", 55, 98), ("innovation", 0, 5)):
            value = int(rng.integers(lo, hi + 1))
            services.set_inspection_score(user=user, scheme=scheme, unit=unit, sheet=sheet, value=value)
        last = round(float(rng.uniform(35, 80)), 1)
        services.set_inspection_score(user=user, scheme=scheme, unit=unit, sheet="self_governance_coverage",
                                      value=round(last + float(rng.uniform(-2, 9)), 1), previous=last)
    bar(1, 6)
    sample = services.draw_sample(user=user, scheme=scheme, households_per_unit=HOUSEHOLDS_PER_UNIT,
                                  seed=ctx.seed, note="demo")
    vetoed = units[-1].code if len(units) > 2 else None
    found = visit_from_truth(user=user, sample=sample, result=result, falsified={vetoed: 1} if vetoed else None)
    bar(2, 6)
    run = services.compute_run(user=user, scheme=scheme)
    run = services.publish_run(user=user, run=run)
    bar(3, 6)
    first = services.ranking(run)[0]
    loser = services.ranking(run)[len(units) // 2]
    appeal = services.file_appeal(user=user, run=run, unit=loser.unit_id, item_code="B4",
                                  reason="检查组漏计了两次优质服务活动记录 / two service-quality visits were not counted",
                                  claimed_value=Decimal(100))
    bar(4, 6)
    services.decide_appeal(user=user, appeal=appeal, accept=True, decision="经复核，记录属实 / records confirmed")
    appeal.refresh_from_db()
    services.publish_run(user=user, run=appeal.new_run)
    bar(6, 6)
    ctx.notes.append(f"assessment: scheme {scheme.code}, {len(units)} units, sample of {HOUSEHOLDS_PER_UNIT} "
                     f"households per unit found {found} unregistered births; v{run.version} published "
                     f"(first: {first.unit_name}), appeal of {loser.unit_name} gave v{appeal.new_run.version}")


def _register() -> None:
    from renkou.demo import STEPS

    if not any(name == "assessment" for name, _ in STEPS):
        STEPS.append(("assessment", assess_demo_county))


_register()

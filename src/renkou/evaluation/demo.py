"""The assessment part of ``renkou demo``: the demo county's townships assessed for 2005.

Steps: the 2005 township scheme (``schemes/township-2005.yaml``) made out for the county assessed
(:func:`demo_scheme_text`), contract targets, inspection scores, a sampled door-to-door
verification whose visits "find" the births the synthetic register left out (its ground truth),
a published run, and one accepted appeal that gives a second, published version.

Then the county's departments (县直部门, ``schemes/department-2005.yaml``): the code table's
departments, their signed contracts, inspection scores, and the feeds items counted from the
department files the feeds step received; the run is published and the departments page
(``/evaluation/departments/<county>/``) shows them ranked. The department step runs after the feeds
step (it is scheduled behind it), since the feeds items count the files that step receives.

The shipped scheme is Xifeng's (息烽县), with Xifeng's own targets. Another county gets the same
scheme named for it, and the targets a county sets from its own level rather than Xifeng's: the
birth-rate band and the natural-increase ceiling around the county's figures of the previous
statistical year, and each township's hospital-delivery target a step above its own previous
level (the contract of a target-responsibility system). The sex-ratio band (103–107) is the
national normal range for every county.

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
DEPARTMENT_SCHEME_FILE = Path(__file__).resolve().parent / "schemes" / "department-2005.yaml"
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


_KIND_EN = {"县": "County", "区": "District", "市": "City", "旗": "Banner", "自治县": "Autonomous County"}
HOSPITAL_STEP = 8
"""Points a township's hospital-delivery target is set above its own previous level (at most 98)."""


def county_names(county: str, preset_name: str | None = None) -> tuple[str, str]:
    """The county's Chinese name (from the areas) and an English one (``Gaize County``)."""
    from renkou.core.models import Area

    area = Area.objects.filter(code=areacodes.full_code(county)).first()
    zh = area.name if area else county
    kind = next((en for suffix, en in sorted(_KIND_EN.items(), key=lambda kv: -len(kv[0])) if zh.endswith(suffix)),
                "County")
    return zh, f"{(preset_name or county).capitalize()} {kind}"


def demo_scheme_text(county: str, *, name_zh: str | None = None, name_en: str | None = None,
                     plan: dict[str, float] | None = None) -> str:
    """The 2005 township scheme made out for ``county``: named for it (``name_zh``, ``name_en``: the
    county's names, e.g. 改则县 and Gaize County), and for a county other than Xifeng with the
    birth-rate band and natural-increase ceiling set from ``plan`` (the county's ``cbr`` and
    ``natural_increase`` of the previous statistical year, ‰): full points for a birth rate within
    −25 % … +30 % of last year's (Xifeng's 7–13 around its 9–10), a natural increase up to last
    year's + 4 ‰ (Xifeng's 8 over its 3–4).

    Item B3 (village self-governance coverage) scores level and progress over last year, but the
    indicators demo step loads the charter form for the calendar year 2005 only — no previous year,
    and not the statistical year 2005SY the scheme assesses — so the demo keeps B3 as an inspection
    score (this year's and last year's value entered by the county)."""
    data: dict[str, Any] = yaml.safe_load(SCHEME_FILE.read_text(encoding="utf-8"))
    data["units"]["parent"] = county
    if county != DEMO_COUNTY:
        data["code"] = f"{data['code']}-{county}"
        if name_zh:
            data["name_zh"] = data["name_zh"].replace("息烽县", name_zh, 1)
        if name_en:
            data["name_en"] = data["name_en"].replace("Xifeng County", name_en, 1)
    for theme in data["themes"]:
        for item in theme["items"]:
            if item["code"] == "B3":
                item["source"] = {"inspection": "self_governance_coverage"}
            if county == DEMO_COUNTY or not plan:
                continue
            if item["code"] == "A1" and plan.get("cbr"):
                lo, hi = _round_half(0.75 * plan["cbr"]), _round_half(1.3 * plan["cbr"])
                item["rule"] = {"type": "band", "lo": lo, "hi": hi}
                item["description_zh"] = f"出生率（‰）在 {lo}–{hi}‰ 之间（上一统计年度水平 −25%～+30%）得满分；出生统计按统计年度计。"
                item["description_en"] = (f"full points for a crude birth rate between {lo} and {hi} per thousand "
                                          "(last statistical year's level −25 % to +30 %), counted by statistical year.")
            if item["code"] == "A2" and plan.get("natural_increase") is not None:
                item["rule"] = {"type": "band", "hi": _round_half(plan["natural_increase"] + 4)}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _round_half(x: float) -> float:
    """To the nearest half (‰ bands as a scheme writes them: 7, 13.5)."""
    v = round(x * 2) / 2
    return int(v) if v == int(v) else v


def previous_year_plan(county: str, period_code: str) -> tuple[dict[str, float], dict[str, float]]:
    """The county's birth rate and natural increase (‰) of the statistical year before ``period_code``,
    and each township's hospital delivery rate (%) then — the levels the county sets its targets from.
    Computes that year's indicators when they are not stored yet."""
    from renkou.core.periods import Period
    from renkou.indicators import services as indicators
    from renkou.indicators.models import IndicatorValue

    period = Period.parse(period_code)
    before = f"{period.end.year - 1}SY"
    code = areacodes.full_code(county)
    wanted = ("cbr", "natural_increase", "hospital_delivery_rate")
    stored = IndicatorValue.objects.filter(area__pk__startswith=county, period=before, indicator__code__in=wanted)
    if not stored.exists():
        from renkou.indicators.models import Indicator

        if not Indicator.objects.filter(code__in=wanted).exists():  # the assessment step may run first
            indicators.load_catalog()
        indicators.compute(county, before, level=4)
    plan: dict[str, float] = {}
    hospital: dict[str, float] = {}
    for area, ind, value in stored.values_list("area_id", "indicator__code", "value"):
        if value is None:
            continue
        if area == code and ind in ("cbr", "natural_increase"):
            plan[ind] = float(value)
        elif ind == "hospital_delivery_rate":
            hospital[area] = float(value)
    return plan, hospital


def assess_demo_county(ctx, progress) -> None:
    from renkou.core.models import User
    from renkou.registry.models import Household

    from . import services

    if not ctx.results:
        return
    county = DEMO_COUNTY if DEMO_COUNTY in ctx.results else next(iter(ctx.results))
    result = ctx.results[county]
    from renkou.demo import COUNTIES

    preset_name = next((name for name, code, _small in COUNTIES if code == county), None)
    user = User.objects.filter(is_superuser=True).order_by("id").first()
    if user is None:
        ctx.notes.append("assessment demo skipped: no superuser")
        return
    if not Household.objects.filter(area__pk__startswith=county).exists():
        from renkou.registry.loader import load_synthetic

        load_synthetic(result, progress=progress(f"载入户籍（考核） / loading the register of {county}"))
    bar = progress("考核评估 / assessment")
    bar(0, 6)
    plan, hospital = ({}, {}) if county == DEMO_COUNTY else previous_year_plan(county, "2005SY")
    name_zh, name_en = county_names(county, preset_name)
    scheme = services.import_scheme(user=user, text=demo_scheme_text(county, name_zh=name_zh, name_en=name_en,
                                                                     plan=plan), replace=True)
    units = services.scheme_units(scheme)
    rng = np.random.default_rng(ctx.seed)
    for unit in units:
        town = areacodes.township_kind(unit.code) in ("subdistrict", "town")
        if unit.code in hospital:  # a step above the township's own level of last year
            b1 = min(98, round(hospital[unit.code]) + HOSPITAL_STEP)
        else:
            b1 = 90 if town else 80
        services.set_target(user=user, scheme=scheme, unit=unit, item_code="B1", value=b1)
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


def demo_department_scheme_text(county: str, *, name_zh: str | None = None, name_en: str | None = None) -> str:
    """The 2005 department scheme made out for ``county`` (Xifeng's as shipped)."""
    data: dict[str, Any] = yaml.safe_load(DEPARTMENT_SCHEME_FILE.read_text(encoding="utf-8"))
    if county == DEMO_COUNTY:
        return DEPARTMENT_SCHEME_FILE.read_text(encoding="utf-8")
    data["units"]["county"] = county
    data["code"] = f"{data['code']}-{county}"
    if name_zh:
        data["name_zh"] = data["name_zh"].replace("息烽县", name_zh, 1)
    if name_en:
        data["name_en"] = data["name_en"].replace("Xifeng County", name_en, 1)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


DEPARTMENT_SHEETS = (("enquiries_on_time", 70, 100), ("contract_tasks", 75, 100), ("coordination", 55, 98),
                     ("policy_services", 60, 98), ("records_kept", 60, 100))


def assess_departments(ctx, progress) -> None:
    """The county's departments assessed for 2005: contracts, inspection scores, feeds counted from the
    files the feeds step received, a published run."""
    from renkou.core.models import User

    from . import services

    if not ctx.results:
        return
    county = DEMO_COUNTY if DEMO_COUNTY in ctx.results else next(iter(ctx.results))
    user = User.objects.filter(is_superuser=True).order_by("id").first()
    if user is None:
        return
    from renkou.demo import COUNTIES

    preset_name = next((name for name, code, _small in COUNTIES if code == county), None)
    bar = progress("部门考核 / departments assessed")
    bar(0, 3)
    name_zh, name_en = county_names(county, preset_name)
    scheme = services.import_scheme(user=user, text=demo_department_scheme_text(county, name_zh=name_zh,
                                                                                name_en=name_en), replace=True)
    rng = np.random.default_rng(ctx.seed + 1)
    units = services.scheme_units(scheme)
    for unit in units:
        services.sign_contract(user=user, scheme=scheme, unit=unit, signed_on=dt.date(2005, 1, 18),
                               signatory=f"{unit.name_zh}局长" if unit.name_zh.endswith("局") else f"{unit.name_zh}主席")
        for sheet, lo, hi in DEPARTMENT_SHEETS:
            services.set_inspection_score(user=user, scheme=scheme, unit=unit, sheet=sheet,
                                          value=int(rng.integers(lo, hi + 1)))
        services.set_inspection_score(user=user, scheme=scheme, unit=unit, sheet="falsified_data", value=0)
    bar(1, 3)
    run = services.publish_run(user=user, run=services.compute_run(user=user, scheme=scheme))
    bar(3, 3)
    lines = services.ranking(run)
    ctx.notes.append(f"departments: scheme {scheme.code}, {len(units)} departments, v{run.version} published "
                     f"(first: {lines[0].unit_name} {lines[0].total}) — /evaluation/departments/{county}/")


def _schedule_departments(ctx, progress) -> None:
    """Run :func:`assess_departments` after the feeds step: behind it in the demo's steps when it is still
    to come (the steps are being run), else now."""
    from renkou.demo import STEPS

    names = [name for name, _ in STEPS]
    if "assessment-departments" in names:
        return
    if "feeds" in names and names.index("feeds") > names.index("assessment"):
        STEPS.insert(names.index("feeds") + 1, ("assessment-departments", assess_departments))
    else:
        assess_departments(ctx, progress)


def assess_demo_county_and_departments(ctx, progress) -> None:
    assess_demo_county(ctx, progress)
    _schedule_departments(ctx, progress)


def _register() -> None:
    from renkou.demo import STEPS

    if not any(name == "assessment" for name, _ in STEPS):
        STEPS.append(("assessment", assess_demo_county_and_departments))


_register()

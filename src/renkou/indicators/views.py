"""Pages of the indicators module (thin: queries in services, drill, aggregate, reports).

Aggregate values are shown to users with the aggregate-view permission for the areas in their
scope; the drill-down to person records goes through ``scoped()`` and is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.core import areacodes, audit
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.core.roles import AGGREGATE_CAPTURE, AGGREGATE_VIEW
from renkou.core.scoping import VIEW, area_prefixes, has_perm, require, scoped_areas
from renkou.web import charts, numbers

from . import aggregate, drill, exchange, reports, services, wording
from .models import DataSet, Indicator, IndicatorValue
from .names import catalog_names

PAGE = 50
TREND = ("2001", "2002", "2003", "2004", "2005")


def _lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


def _name(obj) -> str:
    return obj.name_en if _lang() == "en" else obj.name_zh


def _area_for(user, code: str | None) -> Area:
    """The requested area if the user may see its aggregates, else the first county of their scope.

    Aggregate figures of an area are visible to users of that area, of the areas below it (a village
    officer sees the county figure the village contributes to) and of the areas above it.
    """
    areas = scoped_areas(user)
    if code:
        area = Area.objects.filter(code=areacodes.full_code(code)).first()
        prefixes = area_prefixes(user, VIEW)
        visible = area is not None and (prefixes is None or any(
            area.prefix.startswith(p) or p.startswith(area.prefix) for p in prefixes))
        if not visible:
            raise PermissionDenied(_("This area is outside your scope."))
        return area
    area = areas.filter(level__lte=Area.Level.COUNTY).order_by("-level", "code").first() or areas.order_by(
        "level", "code").first()
    if area is None:
        raise PermissionDenied(_("No area in your scope."))
    return area


def _period(code: str | None) -> Period:
    try:
        return Period.parse(code or "2005")
    except ValueError:
        return Period.parse("2005")


def home_panel(user):
    """Home page panel: headline indicators of the user's first county for the latest computed year."""
    if not has_perm(user, AGGREGATE_VIEW):
        return None
    area = scoped_areas(user).filter(level=Area.Level.COUNTY).order_by("code").first()
    if area is None:
        return None
    latest = (IndicatorValue.objects.filter(area=area, period__regex=r"^\d{4}$").order_by("-period")
              .values_list("period", flat=True).first())
    if latest is None:
        return None
    codes = ("cbr", "cdr", "natural_increase", "srb", "self_governance_coverage", "people_reached")
    vals = {v.indicator.code: v for v in IndicatorValue.objects.filter(area=area, period=latest,
                                                                        indicator__code__in=codes)
            .select_related("indicator")}
    return {"template": "indicators/panel.html", "area": area, "period": latest,
            "values": [vals[c] for c in codes if c in vals]}


@login_required
def home(request):
    require(request.user, AGGREGATE_VIEW)
    area = _area_for(request.user, request.GET.get("area"))
    period = _period(request.GET.get("period"))
    group = request.GET.get("group", "")
    indicators = list(Indicator.objects.all())
    groups = sorted({i.group for i in indicators if i.group})
    shown = [i for i in indicators if not group or i.group == group]
    children = list(Area.objects.filter(parent=area).order_by("code"))
    cols = [area] + children
    got = {(ind, code): (pk, value) for ind, code, pk, value in IndicatorValue.objects.filter(
        area__in=cols, period=period.code, indicator__in=shown).values_list("indicator_id", "area_id", "pk", "value")}
    # the cells' links and figures are made here, not by a tag per cell in the template (a county has
    # dozens of columns × the whole catalog: hundreds of cells)
    value_url = reverse("indicators:value", args=[0]).removesuffix("0/")
    rows = []
    for i in shown:
        found = [got.get((i.pk, a.code)) for a in cols]
        if any(found):
            rows.append({"indicator": i, "name": _name(i), "cells": [
                None if v is None else (f"{value_url}{v[0]}/", "—" if v[1] is None else numbers.indicator_value(
                    v[1], i.decimals, i.indicator_type, unit=False)) for v in found]})
    chosen = Indicator.objects.filter(code=request.GET.get("indicator") or "cbr").first()
    trend = bar = pyramid = None
    if chosen is not None:
        pts = [{"period": p, "value": v} for p, v in services.series(chosen.code, area.code, TREND) if v is not None]
        if pts:
            trend = charts.line(pts, x="period", y="value", title=f"{_name(chosen)} · {area.name}",
                                y_title=chosen.unit)
        by_child = [{"area": c.area.name, "value": float(c.value)} for c in IndicatorValue.objects.filter(
            indicator=chosen, area__in=children, period=period.code, value__isnull=False).select_related("area")]
        if by_child:
            bar = charts.bar(by_child, x="area", y="value", title=f"{_name(chosen)} · {period.label(_lang())}",
                             y_title=chosen.unit)
    try:
        pop = services.pyramid_of(area.code, period.code)
        if pop.sum():
            groups5 = [f"{a}-{a + 4}" if a < 100 else "100+" for a in range(0, 101, 5)]
            male = [int(pop[0, a:a + 5].sum()) for a in range(0, 101, 5)]
            female = [int(pop[1, a:a + 5].sum()) for a in range(0, 101, 5)]
            pyramid = charts.pyramid(groups5, male, female, title=_("Registered population at the end of the period"),
                                     male_label=_("male"), female_label=_("female"))
    except Area.DoesNotExist:
        pyramid = None
    return render(request, "indicators/home.html", {
        "area": area, "period": period, "cols": cols, "rows": rows, "groups": groups, "group": group,
        "indicators": indicators, "chosen": chosen, "trend": trend, "bar": bar, "pyramid": pyramid,
        "areas": scoped_areas(request.user).filter(level__in=(3, 4)).order_by("code")[:300],
        "periods": ["2001", "2002", "2003", "2004", "2005", "2005SY", "2005S1", "2005S2"],
        "can_capture": has_perm(request.user, AGGREGATE_CAPTURE),
        "stale": services.stale_since(area, period.code) if rows else None})


@login_required
def value_detail(request, pk: int):
    """One value with its definition, numerator, denominator and the operand values it used."""
    require(request.user, AGGREGATE_VIEW)
    value = get_object_or_404(IndicatorValue.objects.select_related("indicator", "area"), pk=pk)
    _area_for(request.user, value.area_id)
    refs = drill.operands(value)
    lang, names, ind = get_language() or "zh-hans", catalog_names(), value.indicator
    operand_rows = [{"label": wording.operand_label(r, lang, names), "value": value.inputs.get(str(r)), "index": i,
                     "records": r.kind not in ("constant", "indicator")} for i, r in enumerate(refs)]
    if any(services.provisional_ref(r) for r in refs):
        for row, r in zip(operand_rows, refs, strict=True):
            row["provisional"] = services.provisional_beside(value.area_id, value.period, r)
    current = value.definition_version == ind.version
    return render(request, "indicators/value.html", {
        "v": value, "ind": ind, "name": _name(ind), "operands": operand_rows, "current": current,
        "stale": services.stale_since(value.area, value.period),
        "num": wording.in_words(ind.numerator, lang, names), "den": wording.in_words(ind.denominator, lang, names),
        "formula": wording.formula(_name(ind), ind.numerator, ind.denominator, ind.indicator_type, lang, names),
        "definitions": wording.definitions(ind.numerator, ind.denominator, lang),
        "description": ind.description_en if _lang() == "en" else ind.description_zh})



def _persons_on(kind: str, page) -> list[int]:
    """Record ids of the persons a page of drill-down rows shows (for its audit event)."""
    attr = {"events": "subject_id", "persons": "pk", "services": "person_id"}[kind]
    return sorted({getattr(row, attr) for row in page if getattr(row, attr) is not None})


@login_required
def value_records(request, pk: int, index: int):
    """The records behind one operand: events, persons, services (scoped, paginated, audited) or data values."""
    require(request.user, AGGREGATE_VIEW)
    value = get_object_or_404(IndicatorValue.objects.select_related("indicator", "area"), pk=pk)
    _area_for(request.user, value.area_id)
    refs = drill.operands(value)
    if not 0 <= index < len(refs):
        raise PermissionDenied(_("No such operand."))
    ref = refs[index]
    kind, qs = drill.records(request.user, value, ref)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    if kind in ("events", "persons", "services"):
        audit.record("view", object_type=f"indicators.drilldown.{kind}", object_id=str(value.pk),
                     object_repr=f"{value.indicator.code} {value.area_id} {value.period} {ref}"[:200],
                     area_code=value.area_id, user=request.user,
                     detail={"operand": str(ref), "page": page.number, "rows": len(page.object_list),
                             "persons": _persons_on(kind, page)})
    return render(request, "indicators/records.html", {
        "v": value, "ref": str(ref), "kind": kind, "page": page, "count": page.paginator.count,
        "name": _name(value.indicator), "label": wording.operand_label(ref, get_language() or "zh-hans",
                                                                       catalog_names())})


@login_required
def report(request):
    require(request.user, AGGREGATE_VIEW)
    area = _area_for(request.user, request.GET.get("area"))
    kind = request.GET.get("kind", "annual")
    period = _period(request.GET.get("period") or ("2005S1" if kind == "semiannual" else "2005"))
    try:
        rep = reports.build(kind, area, period.code)
    except ValueError as exc:
        raise PermissionDenied(str(exc)) from exc
    if request.GET.get("format") == "xlsx":
        audit.record("export", object_type="indicators.report", object_id=f"{kind}:{area.code}:{period.code}",
                     area_code=area.code, user=request.user)
        resp = HttpResponse(reports.xlsx(rep), content_type="application/vnd.openxmlformats-officedocument."
                                                                  "spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="report-{kind}-{area.code}-{period.code}.xlsx"'
        return resp
    return render(request, "indicators/report.html", {"rep": rep, "kind": kind, "area": area, "period": period,
                                                      "title": rep.title_en if _lang() == "en" else rep.title_zh})


@login_required
def export(request):
    require(request.user, AGGREGATE_VIEW)
    area = _area_for(request.user, request.GET.get("area"))
    period = _period(request.GET.get("period"))
    fmt = "json" if request.GET.get("format") == "json" else "adx"
    text = exchange.export(area.code, period.code, fmt=fmt, dataset=request.GET.get("dataset") or None)
    resp = HttpResponse(text, content_type="application/json" if fmt == "json" else "application/xml")
    resp["Content-Disposition"] = f'attachment; filename="datavalues-{area.code}-{period.code}.{"json" if fmt == "json" else "xml"}"'
    return resp


@login_required
def entry(request):
    """Data entry of one form for an area and period, with completion and approval."""
    require(request.user, AGGREGATE_VIEW)
    datasets = list(DataSet.objects.all())
    if not datasets:
        return render(request, "indicators/entry.html", {"datasets": []})
    src = request.POST if request.method == "POST" else request.GET
    dataset = next((d for d in datasets if d.code == src.get("dataset")), datasets[0])
    area = _area_for(request.user, src.get("area"))
    period = src.get("period") or ("200512" if dataset.period_type == "month" else "2005")
    cells = aggregate.keys_of(dataset)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "save":
                values = {(e.code, d): request.POST.get(f"v:{e.code}:{d}", "") for e, d in cells}
                res = aggregate.save_values(user=request.user, dataset=dataset, area=area, period=period,
                                            values=values)
                messages.success(request, _("Saved %(n)d values.") % {"n": res.saved})
                for m in res.outliers + res.violations:
                    messages.warning(request, m)
            elif action == "complete":
                aggregate.complete(user=request.user, dataset=dataset, area=area, period=period)
                messages.success(request, _("The form is marked as reported."))
            elif action.partition(":")[0] in ("approve", "unapprove"):
                verb, _sep, level_text = action.partition(":")
                level = int(level_text) if level_text.isdigit() else 0
                fn = aggregate.approve if verb == "approve" else aggregate.unapprove
                fn(user=request.user, dataset=dataset, area=area, period=period, level=level)
                messages.success(request, _("Approval updated."))
        except (ValidationError, PermissionDenied) as exc:
            for m in getattr(exc, "messages", [str(exc)]):
                messages.error(request, m)
        return redirect(f"{reverse('indicators:entry')}?dataset={dataset.code}&area={area.code}&period={period}")
    try:
        stored = aggregate.form_values(dataset, area, period)
        locked = aggregate.is_locked(dataset, area, period)
    except ValidationError:
        stored, locked = {}, False
    rows = [{"element": e, "dis": d, "name": _name(e), "value": stored.get((e.code, d), "")} for e, d in cells]
    approvals = list(dataset.approvals.filter(area=area, period=period).select_related("approved_by"))
    return render(request, "indicators/entry.html", {
        "datasets": datasets, "dataset": dataset, "area": area, "period": period, "rows": rows, "locked": locked,
        "approvals": approvals, "completed": dataset.completions.filter(area=area, period=period).first(),
        "levels": dataset.approval_levels, "areas": scoped_areas(request.user).filter(
            level=dataset.capture_level).order_by("code")[:300]})

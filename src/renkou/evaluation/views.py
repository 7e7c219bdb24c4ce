"""Pages of assessment (考核评估): schemes, targets and contracts, inspection scores, runs with their
ranking, scorecards and explanations, methods side by side, appeals, sampled verification.

Thin: every action is a service call; who reads and acts on what is decided by the services'
one rule (``services.scheme_access``, ``can_read_run``, ``can_appeal``…): a scheme, run or sample out
of the user's reach answers 404, an action out of its duties 403. Reading person records (field
sheets) goes through ``scoping.linked`` (the persons of the user's own sample), masked and audited.
An indicator item drills down on the indicators engine's value page (``indicators:value``), not here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require
from renkou.indicators.names import catalog_names
from renkou.web import charts

from . import exports, forms, presentation, services
from .models import Appeal, AssessmentScheme, Department, Run, UnitResult, VerificationSample
from .scheme_format import SchemeError
from .scoring import describe_rule

PAGE = 50


def _lang() -> str:
    return "zh" if (get_language() or "zh-hans").startswith("zh") else "en"


def _viewer(request) -> None:
    require(request.user, AGGREGATE_VIEW)


def _scheme(request, pk: int, *, need: tuple[str, ...] = (services.MANAGE, services.READ, services.UNIT)):
    """The scheme and the user's access to it: 404 out of reach, 403 when the page needs more."""
    _viewer(request)
    scheme = get_object_or_404(AssessmentScheme.objects.select_related("parent"), pk=pk)
    access = services.scheme_access(request.user, scheme)
    if access is None:
        raise Http404("no such scheme")
    if access not in need:
        raise PermissionDenied
    return scheme, access


def _run(request, pk: int, *, whole: bool = False) -> Run:
    """A run the user may read (``whole``: every unit's details, not only the published ranking)."""
    _viewer(request)
    run = get_object_or_404(Run.objects.select_related("scheme", "scheme__parent", "previous"), pk=pk)
    if not services.can_read_run(request.user, run):
        raise Http404("no such run")
    if whole and services.scheme_access(request.user, run.scheme) not in (services.MANAGE, services.READ):
        raise PermissionDenied
    return run


def _sample(request, pk: int) -> VerificationSample:
    _viewer(request)
    sample = get_object_or_404(VerificationSample.objects.select_related("scheme", "scheme__parent"), pk=pk)
    services.ensure_can_read_sample(request.user, sample)
    return sample


def _errors(request, exc: Exception) -> None:
    if isinstance(exc, SchemeError):
        for e in exc.errors:
            messages.error(request, e)
    elif isinstance(exc, ValidationError):
        for e in exc.messages:
            messages.error(request, e)
    else:
        messages.error(request, str(exc))


@login_required
def home(request):
    _viewer(request)
    form = forms.SchemeImportForm()
    if request.method == "POST":
        form = forms.SchemeImportForm(request.POST, request.FILES)
        if form.is_valid():
            text, fmt = form.content()
            try:
                scheme = services.import_scheme(user=request.user, text=text, fmt=fmt,
                                                replace=form.cleaned_data["replace"])
                messages.success(request, _("The scheme was checked and stored."))
                return redirect("evaluation:scheme", scheme.pk)
            except (SchemeError, ValidationError, PermissionDenied) as exc:
                _errors(request, exc)
    page = Paginator(services.readable_schemes(request.user).select_related("parent"), PAGE).get_page(
        request.GET.get("page"))
    runs = services.readable_runs(request.user).select_related("scheme").order_by("-created_at")[:10]
    return render(request, "evaluation/home.html", {"page": page, "form": form, "runs": runs,
                                                    "can_manage": services.work_prefixes(request.user) != []})


@login_required
def scheme_detail(request, pk: int):
    scheme, access = _scheme(request, pk)
    manage = access == services.MANAGE
    parsed = scheme.parsed()
    lang = _lang()
    names, sheets = catalog_names(), presentation.sheet_names(parsed, lang)
    themes = [{"theme": t, "items": [{"item": i, "rule": describe_rule(i.rule, lang),
                                      "source": _source_text(i.source, lang, names, sheets)} for i in t.items]}
              for t in parsed.themes]
    runs = scheme.runs.all() if access != services.UNIT else scheme.runs.filter(status=Run.Status.PUBLISHED)
    runs = Paginator(runs, PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/scheme.html", {
        "scheme": scheme, "parsed": parsed, "themes": themes, "runs": runs, "units": services.scheme_units(scheme),
        "samples": scheme.samples.all()[:20] if manage else [],
        "sample_form": forms.SampleForm(initial={"period": scheme.period_code}), "can_manage": manage})


@login_required
def scheme_edit(request, pk: int):
    scheme, _access = _scheme(request, pk, need=(services.MANAGE,))
    text = scheme.source_text
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            services.import_scheme(user=request.user, text=text, fmt=scheme.source_format, replace=True)
            messages.success(request, _("The scheme was checked and stored."))
            return redirect("evaluation:scheme", scheme.pk)
        except (SchemeError, ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
    return render(request, "evaluation/scheme_edit.html", {"scheme": scheme, "text": text})


@login_required
def scheme_export(request, pk: int, fmt: str):
    scheme, _access = _scheme(request, pk)
    fmt = "json" if fmt == "json" else "yaml"
    response = HttpResponse(services.export_scheme(scheme, fmt),
                            content_type="application/json" if fmt == "json" else "application/yaml")
    response["Content-Disposition"] = f'attachment; filename="{scheme.code}.{fmt}"'
    return response


@login_required
def targets(request, pk: int):
    scheme, _access = _scheme(request, pk, need=(services.MANAGE, services.READ))
    items = services.target_items(scheme.parsed())
    if request.method == "POST":
        try:
            if request.FILES.get("file"):
                f = request.FILES["file"]
                n = services.import_targets(user=request.user, scheme=scheme, data=f.read(), filename=f.name)
                messages.success(request, _("%(n)d targets imported.") % {"n": n})
            else:
                for key, value in request.POST.items():
                    if key.startswith("t-") and value.strip():
                        unit, item = key[2:].rsplit("-", 1)
                        services.set_target(user=request.user, scheme=scheme, unit=unit, item_code=item, value=value)
                messages.success(request, _("Targets saved."))
            return redirect("evaluation:targets", scheme.pk)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
    table = services.targets_table(scheme)
    page = Paginator(table, PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/targets.html", {"scheme": scheme, "items": items, "page": page,
                                                       "import_form": forms.TargetImportForm()})


@login_required
def contract(request, pk: int, unit: str):
    """The responsibility contract (目标管理责任书) a township head signs, printable."""
    scheme, access = _scheme(request, pk)
    code = services.unit_code(unit)
    if code.isdigit():
        area = get_object_or_404(Area, code=code)
    else:
        area = get_object_or_404(Department, code=code)
    if access == services.UNIT and area.code not in services.own_units(request.user, scheme):
        raise PermissionDenied
    row = next((r for r in services.targets_table(scheme) if r["unit"].code == area.code), None)
    if row is None:
        raise PermissionDenied
    targets_by_item = {t["item"].code: t["value"] for t in row["targets"]}
    lang = _lang()
    lines = [{"theme": t, "item": i, "rule": describe_rule(i.rule, lang), "target": targets_by_item.get(i.code)}
             for t in scheme.parsed().themes for i in t.items]
    return render(request, "evaluation/contract.html", {"scheme": scheme, "unit": area, "lines": lines,
                                                        "parent": scheme.parent,
                                                        "signed": services.contract_of(scheme, area.code)})


@login_required
def inspections(request, pk: int):
    scheme, _access = _scheme(request, pk, need=(services.MANAGE, services.READ))
    sheets = sorted({i.source.ref for i in scheme.parsed().items if i.source.kind == "inspection"})
    if request.method == "POST":
        try:
            for key, value in request.POST.items():
                if key.startswith("s-") and value.strip():
                    unit, sheet = key[2:].rsplit("-", 1)
                    prev = request.POST.get(f"p-{unit}-{sheet}", "")
                    services.set_inspection_score(user=request.user, scheme=scheme, unit=unit, sheet=sheet,
                                                  value=value, previous=prev or None)
            messages.success(request, _("Inspection scores saved."))
            return redirect("evaluation:inspections", scheme.pk)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
    stored = {(s.unit_key, s.sheet): s for s in scheme.inspections.all()}
    rows = [{"unit": u, "cells": [{"sheet": s, "score": stored.get((u.code, s))} for s in sheets]}
            for u in services.scheme_units(scheme)]
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    names = presentation.sheet_names(scheme.parsed(), _lang())
    return render(request, "evaluation/inspections.html", {
        "scheme": scheme, "sheets": [{"code": s, "name": names.get(s, s)} for s in sheets], "page": page})


@login_required
@require_POST
def run_compute(request, pk: int):
    scheme, _access = _scheme(request, pk)
    try:
        run = services.compute_run(user=request.user, scheme=scheme, period_code=request.POST.get("period") or None)
    except (ValidationError, PermissionDenied, ValueError) as exc:
        _errors(request, exc)
        return redirect("evaluation:scheme", scheme.pk)
    messages.success(request, _("Version %(v)d computed (draft).") % {"v": run.version})
    return redirect("evaluation:run", run.pk)


def _ranking_charts(run: Run, lines: list[UnitResult]) -> tuple[dict, dict]:
    lang = _lang()
    parsed = run.parsed_scheme()
    groups = presentation.peer_group_names(parsed, lang)
    bars = charts.bar([{"unit": u.name_in(lang), "points": float(u.total),
                        "group": groups.get(u.peer_group, u.peer_group) or "—"} for u in lines],
                      x="unit", y="points", color="group", horizontal=True,
                      title=_("Total points by unit"), y_title=_("points"))
    _units, themes, rows = services.theme_matrix(run)
    names = {u.unit_key: u.name_in(lang) for u in lines}
    theme_name = {t.code: (t.name_zh if lang == "zh" else t.name_en) for t in parsed.themes}
    data = [{"unit": names[u], "theme": f"{t} {theme_name[t]}", "share": round(100 * v, 1)}
            for u, row in zip(_units, rows, strict=True) for t, v in zip(themes, row, strict=True)]
    by_theme = charts.bar(data, x="unit", y="share", color="theme", sort=None,
                          title=_("Share of each theme's points obtained (%)"), y_title="%")
    return bars, by_theme


@login_required
def run_detail(request, pk: int):
    run = _run(request, pk)
    access = services.scheme_access(request.user, run.scheme)
    lines = services.ranking(run)
    page = Paginator(lines, PAGE).get_page(request.GET.get("page"))
    bars, by_theme = _ranking_charts(run, lines)
    parsed = run.parsed_scheme()
    appealable = services.appeal_units_of(request.user, run)
    appeal_form = forms.AppealForm(units=[(u.unit_key, u.name_in(_lang())) for u in lines
                                          if appealable is None or u.unit_key in appealable],
                                   items=[(i.code, f"{i.code} {i.name_zh if _lang() == 'zh' else i.name_en}")
                                          for i in parsed.items])
    appeals = run.appeals.select_related("unit", "department", "new_run")
    if access == services.UNIT:
        appeals = appeals.filter(unit_id__in=appealable)
    yoy = services.year_over_year(run.scheme)
    yoy_chart = charts.line(yoy, x="year", y="total", series="unit", title=_("Total points year over year"),
                            y_title=_("points")) if len({r["year"] for r in yoy}) > 1 else None
    diff = services.run_diff(run.previous, run) if run.previous_id else None
    return render(request, "evaluation/run.html", {
        "run": run, "page": page, "bars": bars, "by_theme": by_theme, "yoy": yoy_chart, "diff": diff,
        "groups": presentation.peer_group_names(parsed, _lang()),
        "appeals": appeals, "appeal_form": appeal_form, "can_appeal": appealable is None or bool(appealable),
        "decision_form": forms.DecisionForm(), "verified": services.verify_run(run) if run.is_published else None,
        "can_manage": access == services.MANAGE,
        "is_latest": services.latest_published(run.scheme) == run})


@login_required
@require_POST
def run_publish(request, pk: int):
    run = _run(request, pk)
    try:
        services.publish_run(user=request.user, run=run)
        messages.success(request, _("Published; the results are frozen."))
    except (PermissionError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect("evaluation:run", run.pk)


@login_required
@require_POST
def run_delete(request, pk: int):
    run = _run(request, pk)
    scheme_pk = run.scheme_id
    try:
        services.delete_run(user=request.user, run=run)
        messages.success(request, _("Draft deleted."))
    except (PermissionError, PermissionDenied) as exc:
        _errors(request, exc)
        return redirect("evaluation:run", pk)
    return redirect("evaluation:scheme", scheme_pk)


@login_required
def run_xlsx(request, pk: int):
    run = _run(request, pk, whole=True)
    response = HttpResponse(exports.ranking_xlsx_for(request.user, run, _lang()),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{run.scheme.code}-v{run.version}.xlsx"'
    return response


@login_required
def scorecard(request, pk: int, unit: str):
    """One unit's scorecard (考核计分表): every item's value, target, rule, points and why."""
    run = _run(request, pk)
    if not services.can_read_unit(request.user, run, unit):
        raise PermissionDenied
    try:
        line, pairs = services.scorecard(run, unit)
    except UnitResult.DoesNotExist:
        raise PermissionDenied from None
    lang = _lang()
    parsed = run.parsed_scheme()
    names, sheets = catalog_names(), presentation.sheet_names(parsed, lang)
    themes = []
    for t in parsed.themes:
        rows = [{"item": item, "result": res, "rule": describe_rule(item.rule, lang),
                 "kind": presentation.SOURCES.get((res.source or {}).get("source", ""), ("", ""))[lang != "zh"],
                 "source": presentation.source_rows(res.source, lang, names, sheets),
                 "records": _records_link(res.source or {})}
                for item, res in pairs if item.code in {i.code for i in t.items}]
        themes.append({"theme": t, "rows": rows})
    return render(request, "evaluation/scorecard.html", {
        "run": run, "line": line, "themes": themes,
        "group": presentation.peer_group_names(parsed, lang).get(line.peer_group, line.peer_group)})


def _source_text(source, lang: str, names, sheets) -> str:
    """Where an item's value comes from, in words: 指标：出生率 / inspection score: service quality."""
    kind = presentation.SOURCES.get(source.kind, (source.kind, source.kind))[lang != "zh"]
    if source.kind == "indicator":
        ref = names.get(("indicator", source.ref), (source.ref, source.ref))[lang != "zh"]
    elif source.kind == "inspection":
        ref = sheets.get(source.ref, source.ref)
    elif source.kind == "verification":
        ref = presentation.MEASURES.get(source.ref, (source.ref, source.ref))[lang != "zh"]
    else:
        return presentation.source_rows({"expression": source.ref}, lang, names)[0]["text"] if source.ref else kind
    return f"{kind}：{ref}" if lang == "zh" else f"{kind}: {ref}"


def _records_link(source: dict) -> str | None:
    """Where an item's value drills down to its records: the indicators engine's value page for an
    indicator (one drill-down implementation, scoped and audited there), the sample for verification."""
    if source.get("url"):
        return source["url"]
    recipe = source.get("drill") or {}
    if recipe.get("kind") == "sample":
        return f"{_url('evaluation:sample', recipe['sample'])}?unit={recipe['unit']}"
    return None


def _url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


@login_required
def methods(request, pk: int):
    """Rankings by several methods side by side and how stable each unit's rank is."""
    run = _run(request, pk, whole=True)
    themes = [t.code for t in run.parsed_scheme().themes]
    matrix_text = request.GET.get("ahp", "").strip()
    matrix = None
    error = None
    if matrix_text:
        try:
            matrix = [[_fraction(x) for x in line.replace(",", " ").split()] for line in matrix_text.splitlines()
                      if line.strip()]
        except ValueError:
            error = _("The matrix must hold numbers or fractions such as 1/3, one row per line.")
    result = services.compare_methods(run, matrix)
    if error:
        result["ahp_error"] = error
    names = {u.unit_key: u.name_in(_lang()) for u in UnitResult.objects.filter(run=run)}
    methods_order = [m for m in ("points", "composite", "entropy", "topsis", "ahp") if m in result["scores"]]
    stability = result["stability"]
    rows = []
    for u in sorted(result["units"], key=lambda u: stability.ranks["points"][u] if stability else 0):
        rows.append({"unit": names[u], "code": u,
                     "cells": [(result["totals"][u] if m == "points" else result["scores"][m][u],
                                stability.ranks[m][u] if stability else None) for m in methods_order],
                     "spread": stability.spread[u] if stability else None})
    default = "\n".join(" ".join("1" for _t in themes) for _t in themes)
    return render(request, "evaluation/methods.html", {
        "run": run, "result": result, "rows": rows, "themes": themes,
        "methods": [(m, presentation.method_name(m, _lang())) for m in methods_order],
        "weights": [(presentation.method_name(m, _lang()), result["weights"].get(m)) for m in methods_order],
        "matrix_text": matrix_text or default,
        "tau": [((presentation.method_name(a, _lang()), presentation.method_name(b, _lang())), t)
                for (a, b), t in sorted(stability.kendall_tau.items())] if stability else []})


def _fraction(text: str) -> float:
    if "/" in text:
        a, b = text.split("/", 1)
        return float(a) / float(b)
    return float(text)


@login_required
@require_POST
def appeal_file(request, pk: int):
    run = _run(request, pk)
    try:
        services.file_appeal(user=request.user, run=run, unit=request.POST.get("unit", ""),
                             item_code=request.POST.get("item_code", ""), reason=request.POST.get("reason", ""),
                             claimed_value=request.POST.get("claimed_value") or None)
        messages.success(request, _("Appeal filed."))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect("evaluation:run", run.pk)


@login_required
@require_POST
def appeal_decide(request, pk: int):
    appeal = get_object_or_404(Appeal.objects.select_related("run"), pk=pk)
    _run(request, appeal.run_id)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accept or reject."))
        return redirect("evaluation:run", appeal.run_id)
    try:
        appeal = services.decide_appeal(user=request.user, appeal=appeal, accept=form.cleaned_data["accept"],
                                        corrected_value=form.cleaned_data.get("corrected_value"),
                                        decision=form.cleaned_data.get("decision") or "")
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        return redirect("evaluation:run", appeal.run_id)
    if appeal.new_run_id:
        messages.success(request, _("Appeal accepted: a new version was computed. Review and publish it."))
        return redirect("evaluation:run", appeal.new_run_id)
    return redirect("evaluation:run", appeal.run_id)


# ---------------------------------------------------------------------------------------
# Sampled verification
# ---------------------------------------------------------------------------------------

@login_required
@require_POST
def sample_new(request, pk: int):
    scheme, _access = _scheme(request, pk)
    form = forms.SampleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the households per unit and a seed."))
        return redirect("evaluation:scheme", scheme.pk)
    try:
        sample = services.draw_sample(user=request.user, scheme=scheme,
                                      households_per_unit=form.cleaned_data["households_per_unit"],
                                      seed=form.cleaned_data["seed"], period_code=form.cleaned_data["period"] or None)
    except (ValidationError, PermissionDenied, ValueError) as exc:
        _errors(request, exc)
        return redirect("evaluation:scheme", scheme.pk)
    return redirect("evaluation:sample", sample.pk)


@login_required
def sample_detail(request, pk: int):
    sample = _sample(request, pk)
    unit = request.GET.get("unit", "")
    if request.method == "POST":
        findings = {}
        try:
            for key in request.POST:
                if key.startswith("b-"):
                    hid = int(key[2:])
                    births = request.POST.get(f"b-{hid}", "").strip()
                    if births == "":
                        continue
                    findings[hid] = services.VisitFinding(
                        births_found=int(births), missed_births=int(request.POST.get(f"m-{hid}") or 0),
                        falsification_cases=int(request.POST.get(f"f-{hid}") or 0),
                        note=request.POST.get(f"n-{hid}", "")[:300])
            services.enter_visits(user=request.user, sample=sample, findings=findings)
            messages.success(request, _("%(n)d visits saved.") % {"n": len(findings)})
            return redirect(request.get_full_path())
        except ValueError:
            messages.error(request, _("Counts must be whole numbers."))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
    names = {a.code: a.name for a in services.scheme_units(sample.scheme)}
    estimates = [(names.get(v.unit, v.unit), v) for v in services.estimates_rows(sample)]
    households = services.sample_households(request.user, sample, unit)
    page = Paginator(households, PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/sample.html", {
        "sample": sample, "estimates": estimates, "pooled": services.pooled_estimate(sample), "page": page,
        "unit": unit, "units": sorted(names.items()), "query": f"unit={unit}" if unit else ""})


@login_required
def field_sheet(request, pk: int, unit: str):
    """Printable field sheet (入户核查表) of one unit: the sampled households and who the register lists.

    Person rows are those of the user's own sample (``services.field_sheet_rows``), ID numbers masked;
    the read is audited.
    """
    sample = _sample(request, pk)
    code = areacodes.full_code(unit)
    area = get_object_or_404(Area, code=code)
    page = Paginator(services.field_sheet_rows(request.user, sample, code), PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/field_sheet.html", {"sample": sample, "unit": area, "page": page})


@login_required
def departments(request, county: str):
    """The county's departments (县直部门) with their total, rank and grade in the latest published run
    of every department scheme of the county the reader reads."""
    _viewer(request)
    code = areacodes.full_code(county) if county.isdigit() else ""
    area = get_object_or_404(Area, code=code, level=3) if code else None
    if area is None or not services.can_read_area(request.user, area.code):
        raise Http404("no such county")
    columns, rows = services.department_standings(request.user, area)
    return render(request, "evaluation/departments.html", {"county": area, "columns": columns, "rows": rows})

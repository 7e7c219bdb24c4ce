"""Pages of department feeds. Thin: every query of persons is built with ``scoped()``, every write is
a service of :mod:`renkou.feeds.services`."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import audit
from renkou.core.roles import AGGREGATE_VIEW, FEED_MANAGE, PERSON_CAPTURE, PERSON_VIEW
from renkou.core.scoping import CAPTURE, assigned_prefixes, code_in_scope, has_perm, require, scoped
from renkou.registry.models import Person
from renkou.web import charts

from . import services
from .importer import ImportFailed
from .mapping import MappingInvalid
from .models import FeedFile, FeedRecord

PAGE = 50


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _source(request, pk: int):
    require(request.user, FEED_MANAGE)
    return get_object_or_404(services.visible_sources(request.user), pk=pk)


def _fail(request, exc) -> None:
    if isinstance(exc, ValidationError):
        text = "; ".join(m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages])
                         for m in ms)
    elif isinstance(exc, ImportFailed):
        text = exc.zh if _zh() else exc.en
    elif isinstance(exc, MappingInvalid):
        text = "; ".join(zh if _zh() else en for zh, en in exc.problems)
    else:
        text = str(exc)
    if " / " in text:
        zh, en = text.split(" / ", 1)
        text = zh if _zh() else en
    messages.error(request, text)


@login_required
def home(request):
    require(request.user, FEED_MANAGE)
    sources = services.visible_sources(request.user).annotate(n_files=Count("files", distinct=True))
    files = FeedFile.objects.filter(source__in=sources).select_related("source", "mapping")[:30]
    waiting = services.queue(request.user).count()
    return render(request, "feeds/home.html", {"sources": sources, "files": files, "waiting": waiting})


@login_required
def source(request, pk: int):
    src = _source(request, pk)
    text = json.dumps(src.mapping().spec if src.mapping() else {}, ensure_ascii=False, indent=2)
    if request.method == "POST" and "auto_weight" in request.POST:
        try:
            services.set_thresholds(user=request.user, source=src, auto_weight=float(request.POST["auto_weight"]),
                                    review_weight=float(request.POST.get("review_weight", "")))
            messages.success(request, _("The thresholds were saved."))
            return redirect("feeds:source", pk=src.pk)
        except ValueError:
            messages.error(request, _("A threshold is a number."))
        except ValidationError as exc:
            _fail(request, exc)
    elif request.method == "POST":
        text = request.POST.get("spec", "")
        try:
            before = src.mapping()
            m = services.save_mapping(user=request.user, source=src, spec=text, note=request.POST.get("note", ""))
            if before is not None and m.pk == before.pk:
                messages.info(request, _("The mapping is unchanged."))
            else:
                messages.success(request, _("Mapping version %(v)s saved.") % {"v": m.version})
            return redirect("feeds:source", pk=src.pk)
        except (MappingInvalid, ValidationError) as exc:
            _fail(request, exc)
    from .linkage import parameters

    last = src.runs.exclude(model={}).first()
    return render(request, "feeds/source.html", {"source": src, "spec": text, "versions": src.mappings.all(),
                                                 "runs": src.runs.all()[:10], "last_run": last,
                                                 "parameters": parameters(last.model) if last else []})


@login_required
@require_POST
def upload(request, pk: int):
    src = _source(request, pk)
    f = request.FILES.get("file")
    if f is None:
        messages.error(request, _("Choose a file."))
        return redirect("feeds:home")
    fd, name = tempfile.mkstemp(prefix="renkou-upload-", suffix=Path(f.name).suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in f.chunks():
                out.write(piece)
        got = services.receive(user=request.user, source=src, path=name, via=FeedFile.Via.UPLOAD, name=f.name)
    except (ImportFailed, PermissionDenied) as exc:
        _fail(request, exc)
        return redirect("feeds:home")
    finally:
        os.unlink(name)
    if got.repeated:
        messages.info(request, _("This very file was received before; nothing changed."))
        return redirect("feeds:file", pk=got.file.pk)
    if not got.result.ok:
        return render(request, "feeds/report.html", {"source": src, "name": f.name, "result": got.result})
    if got.file is None:
        messages.info(request, _("Every record of the file was received before; nothing changed."))
        return redirect("feeds:home")
    messages.success(request, _("%(n)s records received.") % {"n": f"{got.result.created:,}"})
    return redirect("feeds:file", pk=got.file.pk)


@login_required
@require_POST
def link(request, pk: int):
    src = _source(request, pk)
    counts = services.link_source(user=request.user, source=src, period=request.POST.get("period", ""))
    messages.success(request, _("%(n)s records linked: %(auto)s automatically, %(queued)s to the queue, "
                                "%(nf)s not in the register.") % {
        "n": f"{counts['records']:,}", "auto": f"{counts['id_number'] + counts['mother_id'] + counts['splink']:,}",
        "queued": f"{counts['queued']:,}", "nf": f"{counts['not_found']:,}"})
    return redirect("feeds:home")


@login_required
def file(request, pk: int):
    require(request.user, FEED_MANAGE)
    f = get_object_or_404(FeedFile.objects.filter(source__in=services.visible_sources(request.user))
                          .select_related("source", "mapping"), pk=pk)
    statuses = dict(FeedRecord.Status.choices)
    counts = [(statuses[s], n) for s, n in f.feed_records.values_list("status").annotate(n=Count("pk"))
              .order_by("status")]
    return render(request, "feeds/file.html", {"f": f, "counts": counts})


@login_required
def queue(request):
    require(request.user, PERSON_VIEW)
    status = request.GET.get("status", FeedRecord.Status.QUEUED)
    if status not in (FeedRecord.Status.QUEUED, FeedRecord.Status.NOT_FOUND):
        status = FeedRecord.Status.QUEUED
    qs = services.queue(request.user, status=status).order_by("-match_weight", "pk")
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    audit.record_persons_shown("feeds.queue", [r.person_id for r in page], user=request.user,
                               detail={"records": [r.pk for r in page], "status": status})
    return render(request, "feeds/queue.html", {"page": page, "status": status})


@login_required
def record(request, pk: int):
    require(request.user, PERSON_VIEW)
    try:
        r = services.record_for(request.user, pk)
    except PermissionDenied:
        return render(request, "feeds/missing.html", status=404)
    shown = services.comparison(r, request.user)
    audit.record_persons_shown("feeds.record", [c["person"].pk for c in shown], r, user=request.user,
                               object_repr=f"{r.source.code} {r.record_key}")
    can_decide = (has_perm(request.user, PERSON_CAPTURE) and code_in_scope(request.user, r.area_id, CAPTURE)
                  and r.status in (FeedRecord.Status.QUEUED, FeedRecord.Status.NOT_FOUND))
    return render(request, "feeds/record.html", {"r": r, "shown": shown, "can_decide": can_decide,
                                                 "fields": [(k, r.data[k]) for k in r.data]})


@login_required
@require_POST
def decide(request, pk: int):
    require(request.user, PERSON_CAPTURE)
    try:
        r = services.record_for(request.user, pk, CAPTURE)
        person = None
        if request.POST.get("person"):
            person = get_object_or_404(scoped(request.user, Person), pk=int(request.POST["person"]))
        services.decide(user=request.user, record=r, decision=request.POST.get("decision", ""), person=person,
                        reason=request.POST.get("reason", ""), name=request.POST.get("name", ""))
        messages.success(request, _("The decision was recorded."))
        return redirect("feeds:queue")
    except (ValidationError, PermissionDenied, ValueError) as exc:
        _fail(request, exc)
        return redirect("feeds:record", pk=pk)


def _default_area(user) -> str:
    prefixes = assigned_prefixes(user) or []
    return prefixes[0][:6] if prefixes else ""


@login_required
def completeness(request):
    if not (has_perm(request.user, AGGREGATE_VIEW) or has_perm(request.user, FEED_MANAGE)):
        raise PermissionDenied
    area = (request.GET.get("area") or _default_area(request.user))[:12]
    period = (request.GET.get("period") or "").strip()[:7]
    rows, totals, chart = [], {}, None
    error = ""
    if area and period:
        try:
            rows = services.completeness_for(request.user, area, period)
        except PermissionDenied:
            error = _("This area is outside your areas.")
        except ValueError:
            error = _("The period is a year (2005) or a month (2005-03).")
        totals = services.totals(rows)
        if rows:
            zh = _zh()
            data = []
            for r in rows:
                name = r["source_zh"] if zh else r["source_en"]
                data.append({"month": r["month"], "source": name, "n": r["received"],
                             "what": _("received")})
            chart = charts.bar([d for d in data], x="month", y="n", color="source", sort=None,
                               title=_("Records received per month"), x_title=_("Month"), y_title=_("Records"))
            confirm = []
            for t in totals.values():
                name = t["source_zh"] if zh else t["source_en"]
                for key, label in (("auto_linked", _("linked automatically")),
                                   ("linked_by_decision", _("linked by decision")),
                                   ("queued", _("in the queue")), ("missing", _("missing from the register")),
                                   ("rejected", _("source wrong"))):
                    confirm.append({"source": name, "n": t[key], "outcome": label})
            chart2 = charts.bar(confirm, x="source", y="n", color="outcome", sort=None,
                                title=_("What became of the records"), x_title=_("Source"), y_title=_("Records"))
            chart = [chart, chart2]
    comparison = None
    if area and not error:
        try:
            comparison = services.verification_comparison(area, user=request.user)
        except (PermissionDenied, ValueError):
            comparison = None
    if comparison:
        v = comparison["verification"]
        comparison = {**comparison, "feeds_pct": comparison["feeds_rate"], "rate_pct": v.rate,
                      "lower_pct": v.lower, "upper_pct": v.upper}
    return render(request, "feeds/completeness.html", {"area": area, "period": period, "rows": rows,
                                                       "totals": totals.values(), "charts": chart or [],
                                                       "error": error, "comparison": comparison})

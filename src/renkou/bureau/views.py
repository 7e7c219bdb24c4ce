"""Pages of the bureau's own work, mounted at /bureau/ with namespace ``bureau``: the summary of an
area and year (figures counted from the records, per township, a chart), the events and an XLSX
export (figures of areas only); and the registers kept on pages (:mod:`renkou.bureau.registers`):
a list per register with its filters and totals, a form per record, an XLSX per register, the photos
of events served through a view to those who may read the event."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core import audit
from renkou.core.models import Area
from renkou.core.roles import AGGREGATE_CAPTURE, AGGREGATE_VIEW
from renkou.core.scoping import CAPTURE, has_perm, require, scoped_areas
from renkou.web import charts

from . import services
from .models import Event

YEAR = 2005


def _area(request) -> tuple[Area, int]:
    require(request.user, AGGREGATE_VIEW)
    code = (request.GET.get("area") or "").strip()
    areas = scoped_areas(request.user)
    area = (areas.filter(pk=code).first() or areas.filter(pk=code.ljust(12, "0")).first()) if code else \
        areas.order_by("level", "pk").first()
    if area is None:
        raise PermissionDenied(_("This area is outside your areas."))
    try:
        year = int(request.GET.get("year") or YEAR)
    except ValueError:
        year = YEAR
    return area, year


@login_required
def home(request):
    area, year = _area(request)
    s = services.summary(area.code, year)
    chart = None
    if s["townships"]:
        rows = [{"township": t["name"], "people": t["reached"]} for t in s["townships"].values()]
        chart = charts.bar(rows, x="township", y="people", sort=None,
                           title=_("People reached by publicity per township, %(area)s %(year)s") % {
                               "area": area.name, "year": year}, x_title=_("Township"), y_title=_("People reached"))
    from .registers import REGISTERS

    return render(request, "bureau/home.html", {"area": area, "year": year, "s": s, "chart": chart,
                                                "registers": REGISTERS.values()})


@login_required
def events(request):
    area, year = _area(request)
    rows = (Event.objects.filter(area__pk__startswith=area.prefix, held_on__year=year).select_related("area")
            .order_by("held_on", "pk"))
    return render(request, "bureau/events.html", {"area": area, "year": year, "events": rows})


@login_required
def export(request):
    """The events of the area and year and the summary figures as XLSX."""
    from openpyxl import Workbook

    from renkou.registry.exporter import safe_cell

    area, year = _area(request)
    s = services.summary(area.code, year)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Events")[:30]
    ws.append([_("Date"), _("Area"), _("Kind"), _("Campaign"), _("Organiser"), _("Place"), _("People reached"),
               _("Leaflets"), _("Handbooks")])
    for e in Event.objects.filter(area__pk__startswith=area.prefix, held_on__year=year).select_related("area"):
        ws.append([e.held_on, safe_cell(e.area.name), str(e.get_kind_display()), str(e.get_campaign_display()),
                   str(e.get_organiser_display()), safe_cell(e.place), e.reached, e.leaflets, e.handbooks])
    fs = wb.create_sheet(_("Figures")[:30])
    for key, label in FIGURES:
        fs.append([str(label), s.get(key)])
    audit.record("export", user=request.user, object_type="bureau.event", object_repr=f"bureau-{area.code}-{year}.xlsx",
                 area_code=area.code)
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="bureau-{area.code}-{year}.xlsx"'
    return resp


FIGURES = (
    ("population", gettext_lazy("Registered population")), ("allocated_fen", gettext_lazy("Budget allocated (fen)")),
    ("spent_fen", gettext_lazy("Budget spent (fen)")), ("passed_down_fen", gettext_lazy("Passed down to townships and villages (fen)")),
    ("free_service_fen", gettext_lazy("Value of free services (fen)")), ("staff", gettext_lazy("Staff")),
    ("staff_qualified", gettext_lazy("Staff holding the qualification")), ("association_members", gettext_lazy("Association members")),
    ("volunteers", gettext_lazy("Volunteers")), ("self_governing_villages", gettext_lazy("Villages with self-governance")),
    ("villages", gettext_lazy("Villages")), ("sessions", gettext_lazy("Publicity sessions")), ("reached", gettext_lazy("People reached")),
    ("association_reached", gettext_lazy("People reached by the association")), ("vehicle_trips", gettext_lazy("Mobile-vehicle trips")),
    ("vehicle_km", gettext_lazy("Mobile-vehicle km")), ("screened", gettext_lazy("Women screened")), ("found", gettext_lazy("Conditions found")),
    ("treated", gettext_lazy("Treated")), ("cured", gettext_lazy("Cured")), ("referred", gettext_lazy("Referred")),
)


# ---- the registers kept on pages (bureau/registers.py) ---------------------------------------------

PAGE = 50


def _display(value, kind: str) -> str:
    """A cell as people write it, in the page's language."""
    from django.utils.formats import date_format

    from renkou.ledger.money import format_yuan

    if value is None or value == "":
        return ""
    if kind == "yuan":
        return format_yuan(int(value))
    if kind == "int":
        return f"{int(value):,}"
    if kind == "date":
        return date_format(value, "DATE_FORMAT")
    if kind == "bool" or isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _register_area(request) -> Area | None:
    """The area asked for (``?area=``), which must lie within the reader's areas (404 otherwise); None: all."""
    code = (request.GET.get("area") or "").strip()
    if not code:
        return None
    areas = scoped_areas(request.user)
    area = areas.filter(pk=code).first() or areas.filter(pk=code.ljust(12, "0")).first()
    if area is None:
        raise Http404(_("This area is outside your areas."))
    return area


def _register_year(request) -> int | None:
    try:
        return int(request.GET.get("year") or 0) or None
    except ValueError:
        return None


@login_required
def register_list(request, key: str):
    from django.core.paginator import Paginator

    from . import registers

    require(request.user, AGGREGATE_VIEW)
    spec = registers.get(key)
    area, year = _register_area(request), _register_year(request)
    objs = list(registers.rows(request.user, spec, area=area.code if area else None, year=year,
                               audit_page=f"bureau.{key}"))
    totals = registers.totals(spec, objs)
    can_capture = has_perm(request.user, AGGREGATE_CAPTURE)
    editable = set(registers.readable(request.user, spec, CAPTURE).filter(pk__in=[o.pk for o in objs])
                   .values_list("pk", flat=True)) if can_capture else set()
    page = Paginator(objs, PAGE).get_page(request.GET.get("page"))
    table = [{"pk": o.pk, "editable": o.pk in editable,
              "cells": [(_display(spec.column_value(o, c), c.kind), c.kind in ("int", "yuan") or c.total)
                        for c in spec.columns]} for o in page]
    total_cells = [(_display(totals[c.name], "yuan" if c.kind == "yuan" else "int") if c.total else "", c.total)
                   for c in spec.columns]
    areas = scoped_areas(request.user).filter(level__lte=Area.Level.TOWNSHIP).order_by("code")[:200]
    query = urlencode({k: v for k, v in (("area", area.code if area else ""), ("year", year or "")) if v})
    return render(request, "bureau/register_list.html", {
        "spec": spec, "registers": registers.REGISTERS.values(), "area": area, "year": year, "areas": areas,
        "headers": [(spec.column_label(c), c.kind in ("int", "yuan") or c.total) for c in spec.columns],
        "table": table, "total_cells": total_cells, "count": len(objs), "page": page, "query": query,
        "can_capture": can_capture, "has_year": spec.date_field is not None,
        "stock": registers.stock_table(request.user, area=area.code if area else None) if key == "supplies" else None})


@login_required
def register_edit(request, key: str, pk: int | None = None):
    from django.core.exceptions import ValidationError

    from . import registers

    require(request.user, AGGREGATE_CAPTURE)
    spec = registers.get(key)
    instance = get_object_or_404(registers.readable(request.user, spec, CAPTURE), pk=pk) if pk else spec.model()
    if pk and spec.personal and request.method == "GET":
        audit.record("view", instance, user=request.user, area_code=str(getattr(instance, f"{spec.area_field}_id")),
                     detail={"page": f"bureau.{key}.edit"})
    Form = registers.form_class(spec, request.user)
    form = Form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_record(request.user, key, instance, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            form.add_error(None, _("This area is outside your areas."))
        else:
            return redirect(reverse("bureau:register", args=[key]))
    return _render_form(request, spec, form, instance)


def _render_form(request, spec, form, instance, photo_errors=()):
    from . import registers

    photos = instance.photos.all() if spec.key == "events" and instance.pk else None
    return render(request, "bureau/register_form.html", {
        "spec": spec, "form": form, "instance": instance, "errors": registers.named_errors(form),
        "photos": photos, "photo_errors": photo_errors}, status=400 if form.errors or photo_errors else 200)


@login_required
def register_export(request, key: str):
    from openpyxl import Workbook

    from renkou.registry.exporter import safe_cell

    from . import registers

    require(request.user, AGGREGATE_VIEW)
    spec = registers.get(key)
    area, year = _register_area(request), _register_year(request)
    data = registers.table(request.user, spec, area=area.code if area else None, year=year,
                           audit_page=f"bureau.{key}.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.title = str(spec.label)[:30]
    ws.append([safe_cell(c["label"]) for c in data["columns"]])
    for row in data["rows"]:
        ws.append([_xlsx(row[c["name"]], c["kind"], safe_cell) for c in data["columns"]])
    ws.append([_("Total") if i == 0 else (_xlsx(data["totals"][c["name"]], c["kind"], safe_cell)
                                           if c["name"] in data["totals"] else None)
               for i, c in enumerate(data["columns"])])
    name = f"bureau-{key}{'-' + area.code if area else ''}{'-' + str(year) if year else ''}.xlsx"
    audit.record("export", user=request.user, object_type=f"bureau.{spec.model._meta.model_name}", object_repr=name,
                 area_code=area.code if area else "")
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def _xlsx(value, kind: str, safe_cell):
    """A cell of the export: numbers as numbers (yuan, not fen), dates as dates, words made safe."""
    import datetime as dt

    if value is None:
        return None
    if kind == "yuan":
        return int(value) / 100
    if kind == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return value
    return safe_cell(value)


@login_required
def event_photo_upload(request, pk: int):
    from django.core.exceptions import ValidationError

    from . import registers

    require(request.user, AGGREGATE_CAPTURE)
    spec = registers.get("events")
    event = get_object_or_404(registers.readable(request.user, spec, CAPTURE), pk=pk)
    if request.method != "POST":
        return redirect(reverse("bureau:register-edit", args=["events", pk]))
    upload = request.FILES.get("image")
    errors = []
    if upload is None:
        errors.append(_("%(field)s: %(rule)s") % {"field": _("photo"), "rule": _("choose a file")})
    else:
        try:
            services.attach_photo(request.user, event, upload, caption=request.POST.get("caption", ""))
        except ValidationError as exc:
            errors += [_("%(field)s: %(rule)s") % {"field": _("photo"), "rule": m}
                       for msgs in exc.message_dict.values() for m in msgs]
    if errors:
        return _render_form(request, spec, registers.form_class(spec, request.user)(instance=event), event, errors)
    return redirect(reverse("bureau:register-edit", args=["events", pk]))


@login_required
def event_photo(request, pk: int):
    """A photo of an event, to whom may read the event (never a public media address)."""
    from django.http import FileResponse

    from . import registers
    from .models import EventPhoto

    require(request.user, AGGREGATE_VIEW)
    events = registers.readable(request.user, registers.get("events"))
    photo = get_object_or_404(EventPhoto.objects.filter(event__in=events), pk=pk)
    resp = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private"
    return resp

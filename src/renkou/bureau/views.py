"""Pages of the bureau's own work, mounted at /bureau/ with namespace ``bureau``: the summary of an
area and year (figures counted from the records, per township, a chart), the events and an XLSX
export. Figures of areas only: the staff register's personal data is not on these pages."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core import audit
from renkou.core.models import Area
from renkou.core.roles import AGGREGATE_VIEW
from renkou.core.scoping import require, scoped_areas
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
    return render(request, "bureau/home.html", {"area": area, "year": year, "s": s, "chart": chart})


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

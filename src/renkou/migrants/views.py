"""Pages of the migrant-service officer (流动人口服务). Thin: every query of migrants is built with
``scoped()``, every read of persons is audited, every change is a service of :mod:`renkou.migrants.services`.

The officer's area is one of her assigned areas (``?area=``, default the first); the period is a
month (``?month=2005-12``, default this month) whose last day, or today in the current month, is the
day the figures are counted on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import audit, idnumber
from renkou.core.models import Area
from renkou.core.roles import MIGRANT_AGREEMENT, MIGRANT_VIEW, PERSON_CAPTURE, PERSON_EXPORT
from renkou.core.scoping import (
    CAPTURE,
    assigned_prefixes,
    code_in_scope,
    has_perm,
    require,
    scoped,
    scoped_areas,
)
from renkou.registry.exporter import safe_cell
from renkou.registry.models import ServiceRecord
from renkou.web import charts

from . import services, states
from .forms import AgreementForm, TransitionForm
from .models import Agreement, MigrantRecord, Party, State, Transition

PAGE = 50
# an arrival is to be confirmed within 30 days (the indicator ``confirmed_30``)
DEADLINE_DAYS = 30
LISTS = ("arrivals", "unconfirmed", "reconfirm", "overdue")
INFLOW, OUTFLOW = MigrantRecord.Direction.INFLOW, MigrantRecord.Direction.OUTFLOW


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _list_titles() -> dict[str, str]:
    return {"arrivals": _("Arrivals this month"), "unconfirmed": _("Unconfirmed"),
            "reconfirm": _("Needing reconfirmation"),
            "overdue": _("Arrivals not confirmed within %(n)s days") % {"n": DEADLINE_DAYS}}


# ------------------------------------------------------------------------------------ area and period


def _area(request) -> Area:
    """The area asked for (``?area=``) if it is one of the user's, else her first assigned area."""
    code = (request.GET.get("area") or "").strip()
    if code:
        code = code.ljust(12, "0")[:12] if code.isdigit() and len(code) < 12 else code
        area = Area.objects.filter(code=code).first()
        if area is None or not code_in_scope(request.user, area.code):
            raise Http404("area")
        return area
    prefixes = assigned_prefixes(request.user)
    if prefixes:
        area = scoped_areas(request.user).filter(code__startswith=prefixes[0]).order_by("level", "code").first()
    else:  # no limit: the first county
        area = Area.objects.filter(level=3).order_by("code").first()
    if area is None:
        raise Http404("area")
    return area


def _month(request) -> tuple[str, dt.date, dt.date]:
    """(YYYY-MM, first day, day counted on) of ``?month=`` (default this month)."""
    today = timezone.localdate()
    text = (request.GET.get("month") or "").strip()[:7]
    try:
        first = dt.date(int(text[:4]), int(text[5:7]), 1) if len(text) == 7 and text[4] == "-" else None
    except ValueError:
        first = None
    if first is None:
        first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return f"{first:%Y-%m}", first, min(last, today) if first <= today else last


def _in_area(qs, area: Area):
    """Records of ``qs`` (already scoped) placed in ``area``: inflow where they live, outflow where registered."""
    p = area.prefix
    return qs.filter(Q(direction=INFLOW, resident_area__code__startswith=p)
                     | Q(direction=OUTFLOW, registered_area__code__startswith=p))


def _list_qs(user, which: str, area: Area, first: dt.date, as_of: dt.date):
    qs = _in_area(scoped(user, MigrantRecord), area)
    if which == "arrivals":
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        qs = qs.filter(direction=INFLOW, arrival_date__gte=first, arrival_date__lte=last)
    elif which == "unconfirmed":
        qs = qs.filter(state=states.UNCONFIRMED)
    elif which == "reconfirm":
        qs = qs.filter(state=states.RECONFIRM)
    elif which == "overdue":
        qs = qs.filter(direction=INFLOW, state=states.UNCONFIRMED,
                       arrival_date__lt=as_of - dt.timedelta(days=DEADLINE_DAYS))
    else:
        raise Http404("list")
    return qs.select_related("person", "resident_area", "registered_area", "party").order_by("arrival_date", "pk")


def _query(area: Area, month: str) -> str:
    return f"area={area.code}&month={month}"


# ------------------------------------------------------------------------------------ home


@login_required
def home(request):
    require(request.user, MIGRANT_VIEW)
    area = _area(request)
    month, first, as_of = _month(request)
    summary = services.summary(area.code, month, as_of=as_of)
    labels = {s: str(State(s).label) for s in states.STATES}
    directions = dict(MigrantRecord.Direction.choices)
    tables, data = [], []
    for direction in (INFLOW, OUTFLOW):
        counts = summary["by_state"][direction]
        rows = [(labels[s], counts[s]) for s in states.STATES if counts.get(s)]
        tables.append({"direction": directions[direction], "key": direction, "rows": rows,
                       "total": sum(counts.values())})
        data += [{"state": label, "n": n, "direction": str(directions[direction])} for label, n in rows]
    chart = charts.bar(data, x="state", y="n", color="direction", sort=None,
                       title=_("Migrant records by state"), x_title=_("State"),
                       y_title=_("Records")) if data else None
    counts = {w: _list_qs(request.user, w, area, first, as_of).count() for w in LISTS}
    return render(request, "migrants/home.html", {
        "area": area, "month": month, "as_of": as_of, "summary": summary, "tables": tables, "chart": chart,
        "lists": [(w, _list_titles()[w], counts[w]) for w in LISTS], "query": _query(area, month),
        "deadline": DEADLINE_DAYS, "can_agree": has_perm(request.user, MIGRANT_AGREEMENT),
        "areas": scoped_areas(request.user).filter(level__lte=5).order_by("code")[:200]})


# ------------------------------------------------------------------------------------ lists


def _place_name(code: str) -> str:
    """Name of a division code: the area of this register, else its county, else the ID table's county."""
    if not code:
        return ""
    area = Area.objects.filter(code=code).first() or Area.objects.filter(code=code[:6] + "000000").first()
    if area is not None:  # from the county down: 任丘市 出岸镇
        names = [area.name]
        while area.level > 3 and area.parent_id:
            area = area.parent
            names.insert(0, area.name)
        return " ".join(names)
    return idnumber.birthplace(code[:6]) or code


def _rows(page):
    out = []
    for r in page:
        out.append({"r": r, "name": r.person.name if r.person else r.name,
                    "id_number": (r.person.id_number if r.person else r.id_number) or "",
                    "lives": r.resident_area.name if r.resident_area else _place_name(r.resident_code),
                    "registered": _place_name(r.registration_code)})
    return out


@login_required
def migrant_list(request, which: str):
    require(request.user, MIGRANT_VIEW)
    if which not in LISTS:
        raise Http404("list")
    area = _area(request)
    month, first, as_of = _month(request)
    qs = _list_qs(request.user, which, area, first, as_of)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    # recorded as a view of migrant records (the audit pages name the kind in words, the count as persons)
    audit.record_persons_shown("migrants.migrantrecord", [r.person_id for r in page], user=request.user,
                               detail={"list": which, "area": area.code, "month": month,
                                       "records": [r.pk for r in page]})
    return render(request, "migrants/list.html", {
        "which": which, "title": _list_titles()[which], "area": area, "month": month, "as_of": as_of,
        "page": page, "rows": _rows(page), "query": _query(area, month), "deadline": DEADLINE_DAYS,
        "can_export": has_perm(request.user, PERSON_EXPORT)})


def _xlsx(name: str, sheet: str, header: list, rows: list) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:30]
    ws.append([safe_cell(h) for h in header])
    for row in rows:
        ws.append([c if isinstance(c, int | float) else safe_cell(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@login_required
def list_export(request, which: str):
    """A list as XLSX (ID numbers masked, every text cell formula-safe), audited."""
    require(request.user, MIGRANT_VIEW)
    require(request.user, PERSON_EXPORT)
    if which not in LISTS:
        raise Http404("list")
    area = _area(request)
    month, first, as_of = _month(request)
    records = list(_list_qs(request.user, which, area, first, as_of))
    rows = []
    for row in _rows(records):
        r = row["r"]
        rows.append([row["name"], idnumber.mask(row["id_number"]) if row["id_number"] else "",
                     str(r.get_direction_display()), str(r.get_state_display()), row["lives"], r.address,
                     r.party.name if r.party else "", row["registered"], r.arrival_date or "", r.departure_date or ""])
    audit.record("export", user=request.user, object_type="migrants.migrantrecord",
                 object_repr=f"migrants.migrantrecord ({len(records)})", area_code=area.code,
                 detail={"list": which, "month": month, "persons": sorted({r.person_id for r in records if r.person_id}),
                         "records": [r.pk for r in records]})
    header = [_("Full name"), _("ID number"), _("Direction"), _("State"), _("Lives in"), _("Address"),
              _("Landlord or employer"), _("Registered in"), _("Arrived"), _("Departed")]
    return _xlsx(f"migrants-{which}-{area.code}-{month}.xlsx", _list_titles()[which], header, rows)


# ------------------------------------------------------------------------------------ a migrant


def _refusal(record: MigrantRecord, to: str) -> str:
    allowed = sorted(states.allowed(record.direction, record.state), key=states.STATES.index)
    return _("Not allowed by the rule of states for %(direction)s records: from “%(from)s” a record may go only "
             "to %(allowed)s, not to “%(to)s”.") % {
        "direction": record.get_direction_display(), "from": State(record.state).label,
        "allowed": "、".join(str(State(s).label) for s in allowed) if _zh() else
        ", ".join(f"“{State(s).label}”" for s in allowed) or "—",
        "to": State(to).label if to in states.STATES else to}


@login_required
def record(request, pk: int, form: TransitionForm | None = None):
    require(request.user, MIGRANT_VIEW)
    r = services.view_record(request.user, pk)  # scoped (404 outside the user's areas) and audited
    history = list(Transition.objects.filter(record=r).select_related("by"))
    given = (scoped(request.user, ServiceRecord).filter(person=r.person).select_related("area").order_by("date")
             if r.person_id else ServiceRecord.objects.none())
    can_act = (has_perm(request.user, PERSON_CAPTURE) and r.state != states.LEFT
               and code_in_scope(request.user, (r.resident_area_id if r.direction == INFLOW else r.registered_area_id)
                                 or "", CAPTURE))
    targets = [(s, State(s).label) for s in states.STATES if s in states.allowed(r.direction, r.state)]
    id_number = (r.person.id_number if r.person else r.id_number) or ""
    sources = {"registered_area": _("the registered area"), "home_code": _("the place of household registration"),
               "id_number": _("the address code of the ID number"), "": "—"}
    return render(request, "migrants/record.html", {
        "r": r, "name": r.person.name if r.person else r.name, "id_number": id_number,
        "lives": r.resident_area.name if r.resident_area else _place_name(r.resident_code),
        "registered": _place_name(r.registration_code), "registered_from": sources.get(r.registration_source, "—"),
        "history": history, "services": list(given), "can_act": can_act, "targets": targets,
        "form": form or TransitionForm(initial={"on": timezone.localdate()}),
        "agreements": r.agreements.select_related("party").order_by("-start")[:20],
        "can_agree": has_perm(request.user, MIGRANT_AGREEMENT)}, status=400 if form is not None else 200)


@login_required
@require_POST
def transition(request, pk: int):
    require(request.user, MIGRANT_VIEW)
    require(request.user, PERSON_CAPTURE)
    r = get_object_or_404(scoped(request.user, MigrantRecord, CAPTURE), pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return record(request, pk, form=form)
    to, reason, on = form.cleaned_data["to"], form.cleaned_data["reason"], form.cleaned_data["on"]
    try:
        states.check(r.direction, r.state, to)
        if to == states.INFLOW and r.state == states.UNCONFIRMED and r.direction == INFLOW:
            where = {"address": form.cleaned_data["address"]} if form.cleaned_data["address"] else {}
            services.register_inflow(user=request.user, record=r, reason=reason, **where)
        elif to == states.LEFT:
            services.record_departure(user=request.user, record=r, on=on or timezone.localdate(), reason=reason)
        else:
            services.transition(user=request.user, record=r, to=to, reason=reason, on=on)
    except states.Refused:
        messages.error(request, _refusal(r, to))
        return redirect("migrants:record", pk=r.pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("migrants:record", pk=r.pk)
    messages.success(request, _("The state is now “%(state)s”.") % {"state": State(to).label})
    return redirect("migrants:record", pk=r.pk)


# ------------------------------------------------------------------------------------ agreements


def _agreements(user):
    require(user, MIGRANT_AGREEMENT)
    return Agreement.objects.filter(area__in=scoped_areas(user)).select_related("party", "area")


@login_required
def agreements(request):
    qs = _agreements(request.user)
    today = timezone.localdate()
    state = request.GET.get("state", "")
    if state == "in_force":
        qs = qs.filter(start__lte=today, end__gte=today)
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(party__name__icontains=q))
    qs = qs.annotate(covered=Count("migrants")).order_by("-start", "number")
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("state", state), ("q", q)) if v)
    return render(request, "migrants/agreements.html", {"page": page, "state": state, "q": q, "query": query,
                                                        "today": today})


@login_required
def agreement(request, pk: int):
    """One service agreement, printable: the parties, the period, what each provides, the migrants covered."""
    a = get_object_or_404(_agreements(request.user), pk=pk)
    covered = list(scoped(request.user, MigrantRecord).filter(agreements=a).select_related("person", "resident_area")
                   .order_by("pk"))
    audit.record_persons_shown("migrants.agreement", [r.person_id for r in covered], a, user=request.user,
                               object_repr=a.number)
    return render(request, "migrants/agreement.html", {
        "a": a, "covered": [{"r": r, "name": r.person.name if r.person else r.name,
                             "id_number": (r.person.id_number if r.person else r.id_number) or ""} for r in covered],
        "party_items": [x for x in a.party_provides.splitlines() if x.strip()],
        "bureau_items": [x for x in a.bureau_provides.splitlines() if x.strip()],
        "in_force": a.in_force(timezone.localdate())})


@login_required
def agreement_new(request):
    require(request.user, MIGRANT_AGREEMENT)
    form = AgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        missing, records = [], []
        for number in form.id_numbers():
            rec = scoped(request.user, MigrantRecord, CAPTURE).filter(direction=INFLOW, person__id_number=number).first()
            if rec is None:
                missing.append(number)
            else:
                records.append(rec)
        if missing:
            form.add_error("migrants", _("Not an inflow migrant of your areas: %(numbers)s") % {
                "numbers": ", ".join(missing)})
        else:
            try:
                a = services.create_agreement(
                    user=request.user, number=d["number"], party_name=d["party_name"], party_kind=d["party_kind"],
                    party_contact=d["party_contact"], area_code=d["area"], start=d["start"], end=d["end"],
                    party_provides=d["party_provides"], bureau_provides=d["bureau_provides"], migrants=records)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    target = field if field in form.fields else None
                    for e in errors:
                        zh, _sep, en = e.partition(" / ")
                        form.add_error(target, zh if _zh() or not en else en)
            else:
                messages.success(request, _("Agreement %(number)s recorded.") % {"number": a.number})
                return redirect("migrants:agreement", pk=a.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "migrants/agreement_new.html", {"form": form}, status=status)


@login_required
def agreements_export(request):
    """The agreements of the user's areas as XLSX (every text cell formula-safe)."""
    rows_qs = _agreements(request.user).annotate(covered=Count("migrants")).order_by("area_id", "number")
    kinds = dict(Party.Kind.choices)
    rows = [[a.number, a.party.name, str(kinds.get(a.party.kind, a.party.kind)), a.party.contact, a.area.name,
             a.area.code, a.start, a.end, "; ".join(a.party_provides.splitlines()),
             "; ".join(a.bureau_provides.splitlines()), a.covered] for a in rows_qs]
    audit.record("export", user=request.user, object_type="migrants.agreement",
                 detail={"rows": len(rows), "file": "agreements.xlsx"})
    header = [_("Agreement number"), _("Landlord or employer"), _("Kind"), _("Contact"), _("Area"), _("Area code"),
              _("From"), _("Until"), _("The landlord or employer provides"), _("The bureau provides"),
              _("Migrants covered")]
    return _xlsx("agreements.xlsx", _("Service agreements"), header, rows)

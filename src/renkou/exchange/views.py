"""The officer's pages of the exchange between nodes, mounted at /exchange/ with namespace ``exchange``.

Thin: what a user may see is :mod:`renkou.exchange.queries`, every write goes through
:mod:`renkou.exchange.casework` (and so :func:`renkou.exchange.services.send`)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import tempfile
from pathlib import Path

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import audit
from renkou.core.idnumber import mask
from renkou.core.roles import EXCHANGE_VIEW
from renkou.core.scoping import require, scoped, scoped_areas
from renkou.web.templatetags.renkou import in_lang

from . import casework, forms, messages, queries, services
from .models import Direction, Enquiry, EnquiryState, Peer, State

PAGE = 50

STATE_LABELS = {
    EnquiryState.OPENED: pgettext_lazy("exchange", "waiting for the match"),
    EnquiryState.MATCHED: pgettext_lazy("exchange", "matched, waiting for the check"),
    EnquiryState.CHECKED: pgettext_lazy("exchange", "checked, waiting for the feedback"),
    EnquiryState.CLOSED: pgettext_lazy("exchange", "closed"),
}
MESSAGE_STATE_LABELS = {
    State.PENDING: pgettext_lazy("exchange", "waiting to be delivered"),
    State.DELIVERED: pgettext_lazy("exchange", "delivered"),
    State.APPLIED: pgettext_lazy("exchange", "applied"),
    State.HELD: pgettext_lazy("exchange", "held until its enquiry arrives"),
    State.REFUSED: pgettext_lazy("exchange", "refused"),
}
KIND_LABELS = {
    "enquiry": pgettext_lazy("exchange", "enquiry"),
    "match": pgettext_lazy("exchange", "match result"),
    "check": pgettext_lazy("exchange", "check result"),
    "feedback": pgettext_lazy("exchange", "feedback"),
    "notification": pgettext_lazy("exchange", "notification"),
}
ROLE_LABELS = {
    Enquiry.Role.ENQUIRING: pgettext_lazy("exchange", "sent"),
    Enquiry.Role.REGISTRATION: pgettext_lazy("exchange", "received"),
}
FIELD_LABELS = {
    "id_number": pgettext_lazy("exchange", "ID number"),
    "name": pgettext_lazy("exchange", "Name"),
    "sex": pgettext_lazy("exchange", "Sex"),
    "birth_date": pgettext_lazy("exchange", "Birth date"),
    "asks": pgettext_lazy("exchange", "Facts asked"),
    "reason": pgettext_lazy("exchange", "Reason"),
    "found": pgettext_lazy("exchange", "Registered there"),
    "registered_area": pgettext_lazy("exchange", "Registration area"),
    "facts": pgettext_lazy("exchange", "Facts"),
    "checked_on": pgettext_lazy("exchange", "Checked on"),
    "note": pgettext_lazy("exchange", "Note"),
    "outcome": pgettext_lazy("exchange", "Outcome"),
    "event": pgettext_lazy("exchange", "Event"),
    "date": pgettext_lazy("exchange", "Date"),
    "residence_area": pgettext_lazy("exchange", "Residence area"),
    "residence_address": pgettext_lazy("exchange", "Residence address"),
}
SEX_LABELS = {1: pgettext_lazy("exchange", "male"), 2: pgettext_lazy("exchange", "female")}
EVENT_LABELS = {
    "arrival": pgettext_lazy("exchange", "arrival"), "departure": pgettext_lazy("exchange", "departure"),
    "birth": pgettext_lazy("exchange", "birth"), "marriage": pgettext_lazy("exchange", "marriage"),
    "death": pgettext_lazy("exchange", "death"),
}


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _yes_no(value: bool) -> str:
    return pgettext("exchange", "yes") if value else pgettext("exchange", "no")


def fingerprint(public_key: str) -> str:
    """SHA-256 of the raw public key, its first 16 hexadecimal digits in groups of four."""
    try:
        raw = base64.b64decode(public_key)
    except ValueError:
        raw = public_key.encode()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def _area(code: str, names: dict) -> str:
    if not code:
        return "—"
    return f"{names[code]} ({code})" if code in names else code


def _period_label(period: str) -> str:
    start, end = messages.period_bounds(period)
    year, month = (int(x) for x in period.split("-"))
    if _zh():
        return f"{year}年{month}月（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）"
    return f"{dt.date(year, month, 1):%B %Y} ({start:%Y-%m-%d} – {end:%Y-%m-%d})"


def _shift(period: str, months: int) -> str:
    year, month = (int(x) for x in period.split("-"))
    n = year * 12 + month - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def _valid_period(text: str | None) -> str | None:
    try:
        year, month = (int(x) for x in (text or "").split("-"))
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def _value(field: str, value, names: dict):
    """A payload value in words."""
    if field == "sex":
        return SEX_LABELS.get(value, value)
    if field == "asks":
        return "、".join(str(forms.ASK_LABELS[a]) for a in value) if _zh() else ", ".join(
            str(forms.ASK_LABELS[a]) for a in value)
    if field == "found":
        return _yes_no(value)
    if field in ("registered_area", "residence_area"):
        return _area(value, names)
    if field == "outcome":
        return forms.OUTCOME_LABELS.get(value, value)
    if field == "event":
        return EVENT_LABELS.get(value, value)
    if field == "facts":
        return [(forms.ASK_LABELS.get(k, k), _fact(k, value[k]))
                for k in sorted(value, key=lambda k: messages.ASKS.index(k) if k in messages.ASKS else 99)]
    return value if value not in ("", None) else "—"


def _fact(key: str, value):
    if key == "registered":
        return _yes_no(bool(value))
    if key == "marital_status":
        from renkou.registry.models import Marital

        return dict(Marital.choices).get(value, value)
    return value


def _rows(payload: dict, names: dict, kind: str) -> list[tuple]:
    """(label, value, field) of exactly the fields a payload carried, in its schema's order (a JSON
    column need not keep the order of the keys)."""
    order = list(messages.SCHEMAS.get(kind, {}))
    keys = sorted(payload, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(FIELD_LABELS.get(k, k), _value(k, payload[k], names), k) for k in keys]


def _case_row(case: Enquiry, payload: dict | None, names: dict, today: dt.date) -> dict:
    p = payload or {}
    return {"case": case, "name": p.get("name", ""), "id_masked": mask(p["id_number"]) if p.get("id_number") else "",
            "state": STATE_LABELS.get(case.state, case.state), "role": ROLE_LABELS.get(case.role, case.role),
            "deadline": queries.deadline_of(case, today), "local_area": _area(case.local_area, names),
            "township": _area(queries.township_of(case.local_area), names)}


# ---------------------------------------------------------------- home


@login_required
def home(request):
    require(request.user, EXCHANGE_VIEW)
    node = queries.node_or_none()
    today = timezone.localdate()
    period = _valid_period(request.GET.get("period")) or messages.period_of(today)
    counts = queries.counts(request.user, period, as_of=today)
    names = queries.area_names(node.prefixes if node else [])
    chart = None
    rows = [{"what": str(label), "n": counts[key]} for key, label in (
        ("sent", pgettext("exchange", "sent")), ("received", pgettext("exchange", "received")),
        ("answered", pgettext("exchange", "answered in time")), ("overdue", pgettext("exchange", "overdue")))]
    if any(r["n"] for r in rows):
        from renkou.web import charts

        chart = charts.bar(rows, x="what", y="n", title=_period_label(period), sort=None,
                           y_title=pgettext("exchange", "enquiries"))
        top = max(r["n"] for r in rows)
        step = max(1, -(-top // 5))
        for layer in chart["layer"]:  # counts: whole numbers on the axis
            if "y" in layer.get("encoding", {}):
                layer["encoding"]["y"]["axis"] = {"format": ",d", "values": list(range(0, top + step, step))}
    return render(request, "exchange/home.html", {
        "node": node, "prefixes": [(p, names.get(p, "")) for p in (node.prefixes if node else [])],
        "fingerprint": fingerprint(node.public_key) if node else "", "counts": counts, "period": period,
        "period_label": _period_label(period), "previous": _shift(period, -1), "next": _shift(period, 1),
        "chart": chart, "node_officer": queries.is_node_officer(request.user)})


# ---------------------------------------------------------------- enquiries


def _filtered(request):
    qs = queries.visible_enquiries(request.user)
    f = {k: request.GET.get(k, "") for k in ("state", "role", "urgent", "township")}
    if f["state"] in EnquiryState.values:
        qs = qs.filter(state=f["state"])
    if f["role"] in Enquiry.Role.values:
        qs = qs.filter(role=f["role"])
    if f["urgent"] in ("yes", "no"):
        qs = qs.filter(urgent=f["urgent"] == "yes")
    if f["township"].isdigit() and len(f["township"]) >= 9:
        qs = qs.filter(local_area__startswith=f["township"][:9])
    return qs.order_by("-opened_on", "-id"), f


def _townships(user):
    return list(scoped_areas(user).filter(level=4).order_by("code").values_list("code", "name"))


@login_required
def enquiries(request):
    require(request.user, EXCHANGE_VIEW)
    qs, f = _filtered(request)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    cases = list(page)
    payloads = queries.enquiry_payloads(cases)
    names = queries.area_names({c.local_area for c in cases} | {queries.township_of(c.local_area) for c in cases})
    rows = [_case_row(c, payloads.get(c.uid), names, today) for c in cases]
    if cases:
        audit.record("view", user=request.user, object_type="exchange.enquiry",
                     object_repr=f"exchange.enquiries ({len(cases)})",
                     detail={"enquiries": [str(c.uid) for c in cases]})
    query = urlencode({k: v for k, v in f.items() if v})
    return render(request, "exchange/enquiries.html", {
        "page": page, "rows": rows, "f": f, "query": query, "states": list(STATE_LABELS.items()),
        "roles": list(ROLE_LABELS.items()), "townships": _townships(request.user)})


def _case(request, uid) -> Enquiry:
    require(request.user, EXCHANGE_VIEW)
    case = queries.visible_enquiries(request.user).filter(uid=uid).first()
    if case is None:
        raise Http404("no such enquiry here")
    return case


def _enquiry_page(request, case: Enquiry, bound: dict | None = None, status: int = 200):
    today = timezone.localdate()
    thread = queries.thread(case)
    codes = {case.area_code, case.residence_area, case.local_area, case.registered_area}
    for m in thread:
        codes |= {m.payload.get("registered_area", ""), m.payload.get("residence_area", "")}
    names = queries.area_names(codes)
    enquiry_msg = next((m for m in thread if m.kind == "enquiry"), None)
    carried = _rows(enquiry_msg.payload, names, "enquiry") if enquiry_msg else []
    items = [{"m": m, "kind": KIND_LABELS.get(m.kind, m.kind), "state": MESSAGE_STATE_LABELS.get(m.state, m.state),
              "out": m.direction == Direction.OUT, "rows": _rows(m.payload, names, m.kind)}
             for m in thread if m.kind != "enquiry"]
    local = queries.local_person(request.user, case)
    answer_forms = []
    for kind in ("match", "check", "feedback"):
        if not casework.can_answer(request.user, case, kind):
            continue
        form = (bound or {}).get(kind)
        if form is None:
            form = forms.CheckForm(asks=case.asks, initial={"checked_on": today}) if kind == "check" \
                else forms.REPLY_FORMS[kind]()
        answer_forms.append({"kind": kind, "label": KIND_LABELS[kind], "form": form})
    audit.record("view", case, user=request.user,
                 detail={"persons": [local.pk]} if local else None)
    return render(request, "exchange/enquiry.html", {
        "case": case, "row": _case_row(case, enquiry_msg.payload if enquiry_msg else None, names, today),
        "carried": carried, "enquiry_msg": enquiry_msg, "items": items, "local": local,
        "answer_forms": answer_forms, "area": _area(case.area_code, names),
        "registered_area": _area(case.registered_area, names),
        "outcome": forms.OUTCOME_LABELS.get(case.outcome, case.outcome) if case.outcome else "",
        "found": None if case.found is None else _yes_no(case.found)}, status=status)


@login_required
def enquiry(request, uid):
    return _enquiry_page(request, _case(request, uid))


@login_required
@require_POST
def answer(request, uid):
    case = _case(request, uid)
    kind = request.POST.get("kind", "")
    if kind not in forms.REPLY_FORMS:
        flash.error(request, _("Choose the kind of answer."))
        return redirect("exchange:enquiry", uid=case.uid)
    form = forms.CheckForm(request.POST, asks=case.asks) if kind == "check" else forms.REPLY_FORMS[kind](request.POST)
    if not form.is_valid():
        return _enquiry_page(request, case, {kind: form}, status=400)
    try:
        casework.answer(request.user, case, kind, form.payload())
    except casework.CaseworkError as exc:
        form.add_error(None, exc.zh if _zh() else exc.en)
        return _enquiry_page(request, case, {kind: form}, status=400)
    flash.success(request, _("The %(kind)s was written to the outbox.") % {"kind": KIND_LABELS[kind]})
    return redirect("exchange:enquiry", uid=case.uid)


@login_required
def new_enquiry(request):
    """A new enquiry about a local person: find the person (in the user's areas), then the form."""
    require(request.user, EXCHANGE_VIEW)
    from renkou.registry.models import Person

    person, found, q = None, [], request.GET.get("q", "").strip()
    pk = request.POST.get("person") or request.GET.get("person")
    if pk:
        if not str(pk).isdigit():
            raise Http404("no such person")
        try:
            person = casework.person_for_enquiry(request.user, int(pk))
        except PermissionDenied:
            raise Http404("no such person") from None
    elif q:
        found = list(scoped(request.user, Person).filter(Q(id_number=q.upper()) | Q(name=q))
                     .select_related("resident_area").order_by("name", "pk")[:20])
        audit.record_persons_shown("exchange.enquiry", [p.pk for p in found], user=request.user, detail={"q": q})
    form = forms.EnquiryForm(request.POST or None)
    if request.method == "POST" and person is not None and form.is_valid():
        d = form.cleaned_data
        try:
            msg = casework.send_enquiry(request.user, person, area_code=d["area_code"], asks=d["asks"],
                                        reason=d["reason"], urgent=d["urgent"])
        except casework.CaseworkError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.zh if _zh() else exc.en)
        else:
            flash.success(request, _("The enquiry was written to the outbox."))
            return redirect("exchange:enquiry", uid=msg.uid)
    if person is not None:
        audit.record_persons_shown("exchange.enquiry", [person.pk], user=request.user)
    carries = [FIELD_LABELS[f] for f in messages.SCHEMAS["enquiry"]]
    return render(request, "exchange/new.html", {
        "person": person, "found": found, "q": q, "form": form, "carries": carries,
        "sex": SEX_LABELS.get(person.sex, "") if person else ""},
        status=400 if request.method == "POST" and form.errors else 200)


@login_required
def export(request):
    """The enquiries of the list (its filters), as XLSX: the masked ID number, never the full one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from renkou.registry.exporter import safe_cell

    require(request.user, EXCHANGE_VIEW)
    qs, _f = _filtered(request)
    cases = list(qs[:20000])
    payloads = queries.enquiry_payloads(cases)
    names = queries.area_names({c.local_area for c in cases} | {queries.township_of(c.local_area) for c in cases})
    today = timezone.localdate()
    wb = Workbook()
    ws = wb.active
    ws.title = pgettext("exchange", "Enquiries")[:30]
    ws.append([pgettext("exchange", "Enquiry"), pgettext("exchange", "Sent or received"),
               pgettext("exchange", "Name"), pgettext("exchange", "ID number"), pgettext("exchange", "Area here"),
               pgettext("exchange", "Township"), pgettext("exchange", "Registration area"),
               pgettext("exchange", "Urgent"), pgettext("exchange", "Opened"), pgettext("exchange", "Deadline"),
               pgettext("exchange", "Days left"), pgettext("exchange", "Days overdue"),
               pgettext("exchange", "Answered on"), pgettext("exchange", "State")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for c in cases:
        r = _case_row(c, payloads.get(c.uid), names, today)
        d = r["deadline"]
        ws.append([str(c.uid), safe_cell(str(r["role"])), safe_cell(r["name"]), r["id_masked"],
                   safe_cell(r["local_area"]), safe_cell(r["township"]), c.area_code, _yes_no(c.urgent),
                   c.opened_on, c.deadline, d.days_left, d.days_over, c.answered_on, safe_cell(str(r["state"]))])
    for col, width in zip("ABCDEFGHIJKLMN", (38, 10, 12, 20, 24, 24, 14, 8, 12, 12, 10, 10, 12, 24), strict=True):
        ws.column_dimensions[col].width = width
    audit.record("export", user=request.user, object_type="exchange.enquiry",
                 object_repr=f"enquiries.xlsx ({len(cases)})",
                 detail={"enquiries": [str(c.uid) for c in cases][:1000], "format": "xlsx"})
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="enquiries.xlsx"'
    return resp


# ---------------------------------------------------------------- overdue, outbox, inbox, peers


@login_required
def overdue(request):
    require(request.user, EXCHANGE_VIEW)
    today = timezone.localdate()
    cases = queries.overdue_cases(request.user, today)
    names = queries.area_names({queries.township_of(c.local_area) for c in cases} | {c.local_area for c in cases})
    by_township: dict[str, dict] = {}
    for c in cases:
        t = queries.township_of(c.local_area)
        row = by_township.setdefault(t, {"township": _area(t, names), "sent": 0, "received": 0, "total": 0})
        row["sent" if c.role == Enquiry.Role.ENQUIRING else "received"] += 1
        row["total"] += 1
    node = queries.node_or_none()
    return render(request, "exchange/overdue.html", {
        "today": today, "node": node, "total": len(cases),
        "sent": sum(1 for c in cases if c.role == Enquiry.Role.ENQUIRING),
        "received": sum(1 for c in cases if c.role == Enquiry.Role.REGISTRATION),
        "townships": sorted(by_township.values(), key=lambda r: r["township"]),
        "rows": [{"case": c, "role": ROLE_LABELS[c.role], "state": STATE_LABELS[c.state],
                  "deadline": queries.deadline_of(c, today), "township": _area(queries.township_of(c.local_area),
                                                                               names)} for c in cases]})


def _messages_page(request, direction: str, template: str):
    require(request.user, EXCHANGE_VIEW)
    qs = queries.visible_messages(request.user, direction)
    state = request.GET.get("state", "")
    if state in State.values:
        qs = qs.filter(state=state)
    qs = qs.order_by("-created_at", "-id")
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    counts = {s: queries.visible_messages(request.user, direction).filter(state=s).count() for s in State.values}
    rows = [{"m": m, "kind": KIND_LABELS.get(m.kind, m.kind or "—"),
             "state": MESSAGE_STATE_LABELS.get(m.state, m.state)} for m in page]
    return render(request, template, {
        "page": page, "rows": rows, "state": state, "query": urlencode({"state": state} if state else {}),
        "states": [(s, MESSAGE_STATE_LABELS[s], counts[s]) for s in State.values]})


@login_required
def outbox(request):
    return _messages_page(request, Direction.OUT, "exchange/outbox.html")


@login_required
def inbox(request):
    return _messages_page(request, Direction.IN, "exchange/inbox.html")


@login_required
def peers(request):
    require(request.user, EXCHANGE_VIEW)
    rows = []
    found = list(Peer.objects.prefetch_related("prefixes").order_by("code"))
    names = queries.area_names({pp.prefix for p in found for pp in p.prefixes.all()})
    for p in found:
        rows.append({"peer": p, "fingerprint": fingerprint(p.public_key),
                     "prefixes": [_area(pp.prefix, names) for pp in p.prefixes.all()]})
    return render(request, "exchange/peers.html", {
        "rows": rows, "can_import": queries.can_import_directory(request.user), "form": forms.DirectoryForm()})


@login_required
@require_POST
def import_peers(request):
    require(request.user, EXCHANGE_VIEW)
    if not queries.can_import_directory(request.user):
        raise PermissionDenied("只有本节点的县级管理员可以导入目录 / only the node's county officers import the directory")
    form = forms.DirectoryForm(request.POST, request.FILES)
    if not form.is_valid():
        flash.error(request, _("Choose a directory file."))
        return redirect("exchange:peers")
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name).suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        flash.error(request, _("A directory file is YAML (.yaml) or CSV (.csv)."))
        return redirect("exchange:peers")
    workdir = tempfile.mkdtemp(prefix="renkou-directory-")
    path = Path(workdir) / (Path(upload.name).name or f"directory{suffix}")
    try:
        with path.open("wb") as out:
            for piece in upload.chunks():
                out.write(piece)
        n = services.import_directory(path)
    except (ValueError, UnicodeDecodeError) as exc:
        flash.error(request, _("Nothing was imported: %(error)s") % {"error": in_lang(str(exc))})
        return redirect("exchange:peers")
    except Exception as exc:  # a YAML file that does not parse
        import yaml

        if isinstance(exc, yaml.YAMLError):
            flash.error(request, _("Nothing was imported: %(error)s") % {"error": str(exc).splitlines()[0]})
            return redirect("exchange:peers")
        raise
    finally:
        if path.exists():
            path.unlink()
        os.rmdir(workdir)
    flash.success(request, _("%(n)s peers imported.") % {"n": f"{n:,}"})
    return redirect(reverse("exchange:peers"))

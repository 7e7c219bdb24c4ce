"""Pages of benefits (利益导向): programs and their parameters, cycles with the roster and each row's
explanation, the approval inbox, the printable public notice, payment batches, the ledger statement.

Thin: every action is a service call; the state of a list changes only through
:func:`renkou.benefits.services.transition`, whatever the page offers.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.roles import BENEFIT_APPROVE, BENEFIT_MANAGE, BENEFIT_PROPOSE, BENEFIT_REVIEW, BENEFIT_VIEW
from renkou.core.scoping import has_perm, require, scoped, scoped_areas
from renkou.ledger import services as ledger
from renkou.ledger.models import Account
from renkou.web import charts

from . import forms, services
from .models import Cycle, Entitlement, Objection, PaymentBatch, Program, RosterList
from .rules import FACTS

PAGE = 100


def _errors(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.error(request, str(exc))


def _cycles_for(user):
    return services.visible_cycles(user)


@login_required
def home(request):
    require(request.user, BENEFIT_VIEW)
    form = forms.CycleForm(request.POST or None)
    if request.method == "POST":
        require(request.user, BENEFIT_MANAGE)
        if form.is_valid():
            d = form.cleaned_data
            try:
                program = get_object_or_404(Program, code=d["program"])
                c = services.compute_cycle(request.user, program, d["area"], d["period"], census=d["census"])
                messages.success(request, _("Roster computed and frozen: %(n)s units.") % {"n": f"{c.units:,}"})
                return redirect("benefits:cycle", c.pk)
            except (ValidationError, PermissionDenied, ValueError) as exc:
                _errors(request, exc)
    county = scoped_areas(request.user).filter(level=Area.Level.COUNTY).first()
    chart = None
    if county is not None:
        rows = services.money_by_area_month(request.user, county.code)
        if rows:
            chart = charts.bar(rows, x="month", y="yuan", color="township", sort=None,
                               title=_("Money paid by township and month, %(county)s") % {"county": county.name},
                               x_title=_("Month"), y_title=_("Yuan"))
    return render(request, "benefits/home.html", {
        "programs": Program.objects.select_related("area"), "cycles": _cycles_for(request.user)[:50], "form": form,
        "can_manage": has_perm(request.user, BENEFIT_MANAGE), "chart": chart, "county": county})


@login_required
def program(request, code):
    require(request.user, BENEFIT_VIEW)
    p = get_object_or_404(Program, code=code)
    latest = p.versions.first()
    initial = forms.VersionForm.initial_from(latest) if latest is not None else {}
    form = forms.VersionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request.user, BENEFIT_MANAGE)
        if form.is_valid():
            try:
                v = services.save_version(request.user, p, form.data_for_service())
                messages.success(request, _("Parameters valid from %(d)s saved.") % {"d": v.valid_from})
                return redirect("benefits:program", p.code)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    for e in errs:
                        form.add_error(field if field in form.fields else None, e)
    return render(request, "benefits/program.html", {"program": p, "versions": p.versions.select_related("fund"),
                                                     "form": form, "facts": FACTS, "editor": _rule_editor(),
                                                     "can_manage": has_perm(request.user, BENEFIT_MANAGE)})


def _rule_editor() -> dict:
    """What the page's rule editor (renkou.js, ``[data-rule-editor]``) offers, in the page's language."""
    from .rules import FACT_WORDS, OP_WORDS, OPS, VALUE_WORDS

    zh = (translation.get_language() or "zh-hans").startswith("zh")
    pick = 0 if zh else 1
    by_kind = {"int": ["==", "!=", "<", "<=", ">", ">="], "bool": ["==", "!="], "date": ["==", "<", "<=", ">", ">="],
               "area": ["within", "==", "!="], "list": ["has"]}
    facts = [{"code": code, "kind": kind, "label": FACT_WORDS.get(code, (zh_name, en_name))[pick],
              "hint": zh_name if zh else en_name, "ops": by_kind.get(kind, list(OPS))}
             for code, (kind, zh_name, en_name) in FACTS.items()]
    return {"facts": facts, "ops": {op: OP_WORDS[op][pick] for op in OPS},
            "values": {k: v[pick] for k, v in VALUE_WORDS.items()},
            "words": {"all": _("all of these hold"), "any": _("any of these holds"), "not": _("not"),
                      "add": _("Add a condition"), "group": _("Add a group"), "remove": _("Remove"),
                      "yes": _("yes"), "no": _("no"), "source": _("Show the rule as data")}}


@login_required
def cycle(request, pk):
    require(request.user, BENEFIT_VIEW)
    c = get_object_or_404(_cycles_for(request.user), pk=pk)
    rows = scoped(request.user, c.entitlements.all()).select_related("village")
    village, state, q = request.GET.get("village", ""), request.GET.get("state", ""), request.GET.get("q", "").strip()
    if village:
        rows = rows.filter(village_id=village)
    if state:
        rows = rows.filter(state=state)
    if q:
        rows = rows.filter(Q(name__contains=q) | Q(payee_name__contains=q))
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    a = services.accounts(c.program, c.area)
    return render(request, "benefits/cycle.html", {
        "cycle": c, "page": page, "totals": services.cycle_totals(c), "facts": FACTS,
        "lists": c.lists.select_related("village").order_by("village_id"),
        "balances": {k: ledger.balance(v, subtree=k == "paid") for k, v in a.items()},
        "batches": c.batches.all(), "moves": services.moves(c), "states": Entitlement.State.choices,
        "filters": {"village": village, "state": state, "q": q},
        "query": "&".join(f"{k}={v}" for k, v in (("village", village), ("state", state), ("q", q)) if v),
        "can_manage": has_perm(request.user, BENEFIT_MANAGE), "verification": services.verification_estimate(c),
        "budget_form": forms.BudgetForm(), "issue_key": uuid.uuid4().hex})


@login_required
def inbox(request):
    require(request.user, BENEFIT_VIEW)
    return render(request, "benefits/inbox.html", {"lists": services.inbox(request.user),
                                                   "can": {"propose": has_perm(request.user, BENEFIT_PROPOSE),
                                                           "review": has_perm(request.user, BENEFIT_REVIEW),
                                                           "approve": has_perm(request.user, BENEFIT_APPROVE)}})


def _list(request, pk) -> RosterList:
    return get_object_or_404(scoped(request.user, RosterList).select_related("cycle__program", "village"), pk=pk)


@login_required
@require_POST
def transition(request, pk, action):
    rl = _list(request, pk)
    try:
        services.transition(request.user, rl, action)
        messages.success(request, _("Done: %(action)s.") % {"action": action})
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect(request.POST.get("next") or "benefits:inbox")


@login_required
def notice(request, pk):
    """The printable public notice (公示) of a village list, ID numbers masked."""
    require(request.user, BENEFIT_VIEW)
    rl = _list(request, pk)
    rows = rl.entitlements.exclude(state=Entitlement.State.EXCLUDED).order_by("name", "id")
    return render(request, "benefits/notice.html", {"list": rl, "rows": rows,
                                                    "total": sum(r.amount_fen for r in rows),
                                                    "objections": rl.objections.all(),
                                                    "form": forms.ObjectionForm()})


@login_required
@require_POST
def objection(request, pk):
    rl = _list(request, pk)
    form = forms.ObjectionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        ent = rl.entitlements.filter(pk=d["entitlement"]).first() if d.get("entitlement") else None
        try:
            services.record_objection(request.user, rl, raised_by=d["raised_by"], text=d["text"], entitlement=ent)
            messages.success(request, _("Objection recorded."))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
    return redirect("benefits:notice", rl.pk)


@login_required
@require_POST
def resolve(request, pk):
    obj = get_object_or_404(Objection.objects.filter(roster_list__in=scoped(request.user, RosterList)), pk=pk)
    try:
        services.resolve_objection(request.user, obj, upheld=request.POST.get("upheld") == "1",
                                   resolution=request.POST.get("resolution", ""))
        messages.success(request, _("Objection resolved."))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect("benefits:notice", obj.roster_list_id)


@login_required
@require_POST
def budget(request, pk):
    c = get_object_or_404(_cycles_for(request.user), pk=pk)
    form = forms.BudgetForm(request.POST)
    if form.is_valid():
        try:
            services.allocate_budget(request.user, c.program, c.area_id, form.cleaned_data["amount"],
                                     note=form.cleaned_data["note"])
            messages.success(request, _("Budget allocated."))
        except (ValidationError, PermissionDenied, ValueError) as exc:
            _errors(request, exc)
    return redirect("benefits:cycle", c.pk)


@login_required
@require_POST
def issue(request, pk):
    c = get_object_or_404(_cycles_for(request.user), pk=pk)
    try:
        # the form carries a key made when it was shown: pressing twice submits the same key
        b = services.issue_batch(request.user, c, idempotency_key=request.POST.get("key") or uuid.uuid4().hex)
        messages.success(request, _("Batch %(n)s issued.") % {"n": b.number})
        return redirect("benefits:batch", b.pk)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect("benefits:cycle", c.pk)


def _batch(request, pk) -> PaymentBatch:
    require(request.user, BENEFIT_VIEW)
    return get_object_or_404(PaymentBatch.objects.filter(cycle__in=_cycles_for(request.user))
                             .select_related("cycle__program", "cycle__area"), pk=pk)


@login_required
def batch(request, pk):
    b = _batch(request, pk)
    form = forms.ReturnFileForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            ret = services.import_return(request.user, b, filename=f.name, content=f.read())
            report = ret
            if ret.refused:
                messages.error(request, _("Return file refused: %(n)s row(s) at fault; nothing was changed.") % {
                    "n": sum(ret.counts.get(k, 0) for k in services.REFUSING)})
            else:
                messages.success(request, _("Return file read: %(paid)s paid, %(failed)s failed, %(same)s already "
                                            "reconciled.") % {"paid": ret.counts.get("paid", 0),
                                                              "failed": ret.counts.get("failed", 0),
                                                              "same": ret.counts.get("unchanged", 0)
                                                              + ret.counts.get("conflict", 0)})
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
    # a payment to a family names its payee: only the families the user may see (a fund names no one;
    # the totals are the batch's)
    payments = b.payments.filter(Q(entitlement__payee_kind="fund")
                                 | Q(entitlement__in=scoped(request.user, Entitlement.objects.filter(cycle=b.cycle))))
    return render(request, "benefits/batch.html", {"batch": b, "payments": payments.select_related("entitlement"),
                                                   "form": form, "report": report, "returns": b.returns.all(),
                                                   "can_manage": has_perm(request.user, BENEFIT_MANAGE)})


@login_required
@require_POST
def send(request, pk):
    b = _batch(request, pk)
    try:
        services.send_batch(request.user, b)
        messages.success(request, _("Batch sent to the bank."))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect("benefits:batch", b.pk)


@login_required
def batch_file(request, pk, fmt):
    b = _batch(request, pk)
    if fmt not in ("csv", "xlsx"):
        raise PermissionDenied("csv or xlsx")
    data, ctype = services.export_batch(request.user, b, fmt)
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="batch-{b.cycle.program.code}-{b.cycle.period}-{b.number}.{fmt}"'
    return resp


@login_required
def verification(request, pk):
    c = get_object_or_404(_cycles_for(request.user), pk=pk)
    if request.method == "POST":
        try:
            if "draw" in request.POST:
                services.draw_verification(request.user, c, size=int(request.POST.get("size") or 30),
                                           seed=int(request.POST.get("seed") or 1))
            else:
                for v in c.visits.select_related("payment__entitlement"):
                    result = request.POST.get(f"r-{v.pk}")
                    if result and result != v.result:
                        services.record_visit(request.user, v, result=result, note=request.POST.get(f"n-{v.pk}", ""))
            return redirect("benefits:verification", c.pk)
        except (ValidationError, PermissionDenied, ValueError) as exc:
            _errors(request, exc)
    from .models import VerificationVisit

    return render(request, "benefits/verification.html", {
        "cycle": c, "visits": c.visits.filter(payment__entitlement__in=scoped(request.user, c.entitlements.all()))
        .select_related("payment__entitlement"),
        "estimate": services.verification_estimate(c), "results": VerificationVisit.Result.choices})


@login_required
def ledger_statement(request):
    """Balances and the statement of a program's accounts in a county (对账单)."""
    require(request.user, BENEFIT_VIEW)
    program_code = request.GET.get("program", "")
    area = areacodes.full_code(request.GET.get("area", "") or "0")
    if program_code and not services.can_view(request.user, area):
        raise PermissionDenied(_("This area is outside your areas."))
    accts = Account.objects.filter(program=program_code, area_id=area).order_by("code") if program_code else []
    chosen = next((a for a in accts if a.code == request.GET.get("account")), None)
    return render(request, "benefits/ledger.html", {
        "programs": Program.objects.all(), "program_code": program_code, "area": area,
        "accounts": [(a, ledger.balance(a)) for a in accts], "chosen": chosen,
        "rows": ledger.statement([chosen]) if chosen else [],
        "areas": services.Area.objects.filter(pk__in=Cycle.objects.values("area")).filter(
            pk__in=scoped_areas(request.user).values("pk"))})

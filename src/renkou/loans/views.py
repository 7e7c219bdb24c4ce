"""Pages of 幸福工程 loans: the fund dashboard, the application inbox by role, the borrower's file
with her schedule and the printable agreement, collection sheets per village and date (printed, and
read back from a file), the XLSX export.

Thin: every action is a service call; a loan's state changes only through the services, whatever
the page offers. Pages naming a mother read her only through ``services.visible_loans`` (the one
scoping function, or the work "loan" for the loan officer), show her ID number masked and are audited.
"""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core import audit
from renkou.core.idnumber import mask
from renkou.core.models import Area
from renkou.core.roles import LOAN_APPROVE, LOAN_COLLECT, LOAN_MANAGE, LOAN_PROPOSE, LOAN_REVIEW, LOAN_VIEW
from renkou.core.scoping import CAPTURE, assigned_prefixes, has_perm, require, scoped
from renkou.ledger.money import MoneyError, to_fen
from renkou.web import charts

from . import services, sheets
from .models import Evaluation, Fund, Loan

STEP_PERMS = {Loan.State.PROPOSED: LOAN_REVIEW, Loan.State.REVIEWED: LOAN_MANAGE, Loan.State.VISITED: LOAN_APPROVE,
              Loan.State.APPROVED: LOAN_MANAGE, Loan.State.SIGNED: LOAN_MANAGE}


def _errors(request, exc: Exception) -> None:
    for m in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, m)


def _date(text: str | None, default: dt.date | None = None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return default


def _area_of(request) -> str | None:
    code = (request.GET.get("area") or "").strip()
    if code:
        return code.ljust(12, "0") if len(code) < 12 else code
    prefixes = assigned_prefixes(request.user)
    if prefixes is None:
        fund = Fund.objects.first()
        return fund.office_id if fund else None
    for p in prefixes:
        return p[:6].ljust(12, "0")
    return None


@login_required
def home(request):
    """The fund dashboard of an area: figures with their definitions, by round, and a chart."""
    require(request.user, LOAN_VIEW)
    area = _area_of(request)
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    if area is None or not services.can_view_area(request.user, area):
        raise PermissionDenied(_("This area is outside your areas."))
    summary = services.summary(area, as_of, user=request.user)
    area_obj = Area.objects.filter(code=area).first()
    prefix = services.prefix_of(area)
    funds = [f for f in Fund.objects.select_related("office") if f.office.prefix.startswith(prefix[:6])
             or prefix.startswith(f.office.prefix)]
    rounds, chart = [], None
    for fund in funds:
        pos = services.fund_position(fund, as_of)
        for number, r in pos["by_round"].items():
            p = services.metrics.portfolio(services.facts_for(prefix, as_of, fund=fund, round_number=number))
            rnd = fund.rounds.get(number=number)
            rounds.append({"fund": fund, "round": rnd, "ledger": r, "p": p})
        fund.position = pos
    if rounds:
        rows = []
        for r in rounds:
            label = _("Round %(n)s") % {"n": r["round"].number}
            rows.append({"round": label, "yuan": r["ledger"]["lent_fen"] / 100, "what": _("Lent")})
            rows.append({"round": label, "yuan": r["ledger"]["repaid_fen"] / 100, "what": _("Repaid")})
            rows.append({"round": label, "yuan": r["ledger"]["out_fen"] / 100, "what": _("Outstanding")})
        chart = charts.bar(rows, x="round", y="yuan", color="what", sort=None,
                           title=_("Lent, repaid and outstanding by round, %(area)s") % {
                               "area": area_obj.name if area_obj else area},
                           x_title=_("Round"), y_title=_("Yuan"))
    return render(request, "loans/home.html", {
        "summary": summary, "area": area_obj, "as_of": as_of, "funds": funds, "rounds": rounds, "chart": chart})


def _inbox_loans(user):
    states = [s for s, perm in STEP_PERMS.items() if has_perm(user, perm)]
    if has_perm(user, LOAN_COLLECT) or has_perm(user, LOAN_MANAGE):
        states.append(Loan.State.DISBURSED)
    return (services.visible_loans(user).filter(state__in=states)
            .select_related("person", "village", "round", "fund").order_by("state", "proposed_on", "pk"))


@login_required
def inbox(request):
    """Applications waiting for the user's step, and the proposal form of a village officer."""
    require(request.user, LOAN_VIEW)
    loans = list(_inbox_loans(request.user)[:200])
    audit.record_persons_shown("loans.inbox", [loan.person_id for loan in loans], user=request.user)
    funds = Fund.objects.prefetch_related("rounds")
    return render(request, "loans/inbox.html", {
        "loans": loans, "can_propose": has_perm(request.user, LOAN_PROPOSE), "funds": funds,
        "today": timezone.localdate()})


@login_required
@require_POST
def propose(request):
    from renkou.registry.models import Person

    require(request.user, LOAN_PROPOSE)
    d = request.POST
    try:
        person = scoped(request.user, Person, CAPTURE).filter(id_number=d.get("id_number", "").strip()).first()
        if person is None:
            raise ValidationError(_("No person with this ID number in your areas."))
        fund = Fund.objects.get(pk=int(d.get("fund", 0)))
        rnd = fund.rounds.get(number=int(d.get("round", 0)))
        loan = services.propose(
            fund=fund, round=rnd, person=person, amount_fen=to_fen(d.get("amount", "")), project=d.get("project", ""),
            household_income_fen=to_fen(d.get("household_income", "")),
            village_average_income_fen=to_fen(d.get("village_average_income", "")),
            listed_from=_date(d.get("listed_from")), listed_to=_date(d.get("listed_to")),
            proposed_on=_date(d.get("proposed_on"), timezone.localdate()), user=request.user)
    except (ValidationError, PermissionDenied, MoneyError, ValueError, TypeError, Fund.DoesNotExist) as exc:
        _errors(request, exc)
        return redirect("loans:inbox")
    messages.success(request, _("Application recorded."))
    return redirect("loans:loan", loan.pk)


def _loan_context(request, loan: Loan) -> dict:
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    sched = services.schedule_of(loan) if loan.schedule else None
    facts = services.loan_facts(loan, as_of)
    paid = services.collected_fen(loan, as_of)
    instalments = []
    if sched:
        left = paid
        for i in sched.instalments:
            fen = services._fen(i.amount)
            on = min(left, fen)
            left -= on
            instalments.append({"i": i, "fen": fen, "paid": on, "late": i.due <= as_of and on < fen})
    return {"loan": loan, "masked": mask(loan.person.id_number) if loan.person.id_number else "",
            "facts": facts, "instalments": instalments, "as_of": as_of, "paid": paid,
            "visits": loan.visits.all(), "collections": loan.collections.all(), "evaluations": loan.evaluations.all(),
            "losses": loan.losses.all(), "reschedulings": loan.reschedulings.all(),
            "parties": [(p, services.PARTY_LABELS[p]) for p in services.PARTIES],
            "signed": [(services.PARTY_LABELS[p], (loan.signatures or {}).get(p, "")) for p in services.PARTIES]}


@login_required
def loan(request, pk):
    """The borrower's file: her application, visits, agreement, schedule, collections, evaluations."""
    require(request.user, LOAN_VIEW)
    obj = services.get_loan(request.user, pk)
    ctx = _loan_context(request, obj)
    u = request.user
    ctx.update(can={"review": obj.state == "proposed" and has_perm(u, LOAN_REVIEW),
                    "visit": obj.state == "reviewed" and has_perm(u, LOAN_MANAGE),
                    "approve": obj.state == "visited" and has_perm(u, LOAN_APPROVE),
                    "sign": obj.state == "approved" and has_perm(u, LOAN_MANAGE),
                    "disburse": obj.state == "signed" and has_perm(u, LOAN_MANAGE),
                    "collect": obj.state == "disbursed" and has_perm(u, LOAN_COLLECT),
                    "manage": obj.state in ("disbursed", "repaid", "written_off") and has_perm(u, LOAN_MANAGE)},
               kinds=Evaluation.Kind.choices, today=timezone.localdate(),
               next_visit=2 if obj.visits.filter(number=1).exists() else 1)
    audit.record_persons_shown("loans.loan", [obj.person_id], obj, user=request.user)
    return render(request, "loans/loan.html", ctx)


@login_required
def agreement(request, pk):
    """The agreement (协议书), printable, with every party's signature."""
    require(request.user, LOAN_VIEW)
    obj = services.get_loan(request.user, pk)
    audit.record_persons_shown("loans.agreement", [obj.person_id], obj, user=request.user)
    return render(request, "loans/agreement.html", _loan_context(request, obj))


def _bool(d, name) -> bool:
    return d.get(name) in ("1", "on", "true", "yes")


@login_required
@require_POST
def step(request, pk, action):
    """One step of a loan, by the services (which refuse what is not the next step or not the user's)."""
    obj = services.get_loan(request.user, pk)
    d, u = request.POST, request.user
    on = _date(d.get("on"), timezone.localdate())
    try:
        if action == "review":
            services.review(obj, on=on, user=u)
        elif action == "visit":
            services.record_visit(obj, number=int(d.get("number", 0)), visited_on=on, visitor=d.get("visitor", ""),
                                  has_plan=_bool(d, "has_plan"), willing_to_work=_bool(d, "willing_to_work"),
                                  income_below_average=_bool(d, "income_below_average"),
                                  able_to_repay=_bool(d, "able_to_repay"), note=d.get("note", ""), user=u)
        elif action == "approve":
            services.approve(obj, on=on, decision=d.get("decision", ""), user=u)
        elif action == "reject":
            services.reject(obj, on=on, reason=d.get("reason", ""), user=u)
        elif action == "sign":
            services.sign(obj, on=on, signatures={p: d.get(p, "") for p in services.PARTIES}, user=u)
        elif action == "disburse":
            services.disburse(obj, on=on, received_by=d.get("received_by", ""), user=u)
        elif action == "collect":
            services.collect(obj, on=on, amount_fen=to_fen(d.get("amount", "")), collector=d.get("collector", ""),
                             idempotency_key=d.get("key") or f"page:{obj.pk}:{on}:{d.get('amount')}:{d.get('nonce')}",
                             user=u)
        elif action == "evaluate":
            services.evaluate(obj, kind=d.get("kind", ""), visited_on=on, evaluator=d.get("evaluator", ""),
                              income_generated_fen=to_fen(d.get("income", "") or "0"), progress=d.get("progress", ""),
                              out_of_poverty=_bool(d, "out_of_poverty"), user=u)
        elif action == "reschedule":
            months = tuple(int(m) for m in d.get("repayment_months", "").replace("，", ",").split(",") if m.strip())
            services.reschedule(obj, on=on, start=_date(d.get("start"), on), months=int(d.get("months", 0)),
                                reason=d.get("reason", ""), repayment_months=months, user=u)
        elif action == "write-off":
            services.write_off(obj, on=on, reason=d.get("reason", ""), user=u)
        elif action == "recover":
            services.recover(obj, on=on, amount_fen=to_fen(d.get("amount", "")), reason=d.get("reason", ""), user=u)
        else:
            raise ValidationError(_("Unknown step."))
        messages.success(request, _("Recorded."))
    except (ValidationError, PermissionDenied, MoneyError, ValueError) as exc:
        _errors(request, exc)
    return redirect("loans:loan", obj.pk)


@login_required
def sheet(request):
    """The collection sheet of a village on a day (printable), and the form to read one back."""
    require(request.user, LOAN_VIEW)
    village = (request.GET.get("village") or "").strip()
    day = _date(request.GET.get("date"), timezone.localdate())
    rows = sheets.sheet_rows(request.user, village, day) if village else []
    audit.record_persons_shown("loans.sheet", [r["loan"].person_id for r in rows], user=request.user,
                               area_code=village)
    villages = (Area.objects.filter(code__in=services.visible_loans(request.user).values("village"))
                .order_by("code"))
    return render(request, "loans/sheet.html", {
        "rows": rows, "village": Area.objects.filter(code=village).first(), "day": day, "villages": villages,
        "can_import": has_perm(request.user, LOAN_COLLECT),
        "total_due": sum(r["overdue_fen"] + r["next_fen"] for r in rows)})


@login_required
@require_POST
def sheet_import(request):
    require(request.user, LOAN_COLLECT)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("loans:sheet")
    out = sheets.import_sheet(request.user, filename=upload.name, content=upload.read())
    if out["errors"]:
        for e in out["errors"][:50]:
            messages.error(request, _("Row %(row)s: %(message)s") % e)
        messages.error(request, _("Nothing was recorded."))
    else:
        messages.success(request, _("%(created)s collections recorded, %(unchanged)s already recorded.") % out)
    return redirect("loans:sheet")


@login_required
def export(request):
    """The loans the user may read, with their figures, as XLSX (audited)."""
    from openpyxl import Workbook

    from renkou.registry.exporter import safe_cell

    require(request.user, LOAN_VIEW)
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    loans = list(services.visible_loans(request.user).select_related("person", "village", "round", "fund")
                 .prefetch_related("collections", "losses", "evaluations").order_by("fund", "round__number", "pk"))
    wb = Workbook()
    ws = wb.active
    ws.title = _("Loans")[:30]
    ws.append([_("Loan"), _("Round"), _("Mother"), _("ID number"), _("Village"), _("State"), _("Disbursed on"),
               _("Amount (yuan)"), _("Principal repaid (yuan)"), _("Outstanding (yuan)"), _("Days late"),
               _("Income generated (yuan)"), _("Out of poverty")])
    for obj in loans:
        f = services.loan_facts(obj, as_of)
        ws.append([obj.pk, obj.round.number, safe_cell(obj.person.name),
                   mask(obj.person.id_number) if obj.person.id_number else "", safe_cell(obj.village.name),
                   str(obj.get_state_display()), obj.disbursed_on, obj.amount_fen / 100,
                   (f.repaid_fen / 100) if f else 0, (f.outstanding_fen / 100) if f else 0, f.days_late if f else 0,
                   (f.income_generated_fen / 100) if f else 0,
                   (_("yes") if f.out_of_poverty else _("no")) if f and f.evaluated else ""])
    audit.record("export", user=request.user, object_type="loans.loan", object_repr=f"loans.xlsx ({len(loans)})",
                 detail={"persons": sorted({obj.person_id for obj in loans}), "as_of": as_of.isoformat()})
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="loans.xlsx"'
    return resp

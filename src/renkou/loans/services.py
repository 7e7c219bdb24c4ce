"""Business actions of 幸福工程 loans, one transaction each, called by pages, API, CLI and tests.

The flow is a server-side state machine; every step names who may take it and refuses the others:

village lists the candidates publicly and proposes (village officer) → township reviews (township
officer) → the project office visits each home twice and records the screening facts (loan officer)
→ the committee approves (county officer, for the city committee) → the agreement is signed by the
committee, the office, the township, the village guarantors and the mother (loan officer) → the
mother receives the money in person (loan officer) → the township collects (township officer or loan
officer) → field evaluations at 6 months and year end (loan officer) → repaid, or written off with a
reason (and recovered later).

Money is on the one ledger, under ``loans/<fund>/``: ``capital/<source>`` (fund sources: donations,
grants), ``cash`` (what the fund holds, never negative), ``out/round-N`` (principal lent in round N and
not yet returned), ``losses`` (written off), ``recoveries``, ``interest``. Repaid principal goes back
to ``cash`` and is lent again in a later round: the ledger says for any date the capital, what is
out (per round), what was repaid and what was lost.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from renkou.core import audit
from renkou.core.models import Area
from renkou.core.roles import (
    LOAN_APPROVE,
    LOAN_COLLECT,
    LOAN_MANAGE,
    LOAN_PROPOSE,
    LOAN_REVIEW,
    LOAN_VIEW,
    LOAN_WORK,
    PERSON_VIEW,
    WORKS_IN_VIEW_AREAS,
    linked_work_of,
)
from renkou.core.scoping import CAPTURE, VIEW, assigned_prefixes, has_perm, linked, scoped
from renkou.ledger import services as ledger
from renkou.ledger.models import Account, Leg
from renkou.ledger.money import format_yuan

from . import metrics, schedules
from .models import Collection, Evaluation, Fund, HomeVisit, Loan, LossEvent, Rescheduling, Round

LISTING_DAYS = 7  # public listing (公示) of the candidates before the village proposes
PARTIES = ("committee", "office", "township", "guarantor", "mother")
PARTY_LABELS = {"committee": ("市幸福工程组委会", "city committee"), "office": ("区项目办", "project office"),
                "township": ("乡镇（街道）", "township"), "guarantor": ("村担保人", "village guarantor"),
                "mother": ("受助母亲", "the mother")}


def _err(field: str, zh: str, en: str) -> ValidationError:
    return ValidationError({field: f"{zh} / {en}"})


def _today(day: dt.date | None) -> dt.date:
    return day or timezone.localdate()


# -- who may do what ----------------------------------------------------------------------------------
def _require(user, perm: str, code: str) -> None:
    """``user=None`` is the command line or the demo (the server's own rights); pages and the API pass
    the signed-in user, who needs the permission and the area among its capture areas."""
    if user is None:
        return
    if not has_perm(user, perm):
        raise PermissionDenied(f"无权执行此操作 ({perm}) / not permitted ({perm})")
    prefixes = assigned_prefixes(user, VIEW if user.role in WORKS_IN_VIEW_AREAS else CAPTURE)
    if prefixes is not None and not any(code.startswith(p) for p in prefixes):
        raise PermissionDenied(f"区划 {code} 不在您的范围内 / area {code} is outside your areas")


def can_view_area(user, code: str) -> bool:
    """Aggregate fund figures of an area (not person-level): a user with LOAN_VIEW assigned above,
    at or below it."""
    if not has_perm(user, LOAN_VIEW):
        return False
    prefixes = assigned_prefixes(user)
    own = prefix_of(code)
    return prefixes is None or any(own.startswith(p) or p.startswith(own) for p in prefixes)


def loan_links(user, model, **_context) -> Q:
    """The persons (and loans) the work "loan" links to a user: the applicants and borrowers of the
    loans in the villages of the user's assigned areas. Registered with ``scoping.link``."""
    prefixes = assigned_prefixes(user)
    q_loans = Q()
    if prefixes is not None:
        q_loans = Q(pk__in=[])
        for p in prefixes:
            q_loans |= Q(village__pk__startswith=p)
    if model is Loan:
        return q_loans
    return Q(pk__in=Loan.objects.filter(q_loans).values("person"))


def visible_loans(user):
    """The loans (person-level: each names a mother) the user may read: by area for the register's
    officers (the one scoping function), through the work "loan" for the loan officer."""
    if user is None:
        return Loan.objects.all()
    if has_perm(user, PERSON_VIEW):
        return scoped(user, Loan)
    if LOAN_WORK in linked_work_of(getattr(user, "role", None)) or getattr(user, "is_superuser", False):
        return linked(user, Loan, LOAN_WORK)
    return Loan.objects.none()


def get_loan(user, pk: int) -> Loan:
    loan = visible_loans(user).select_related("fund", "round", "person", "village").filter(pk=pk).first()
    if loan is None:
        from django.http import Http404

        raise Http404("no such loan")
    return loan


# -- fund, capital, rounds ----------------------------------------------------------------------------
def _acc(fund: Fund, *parts: str, kind: str = Account.Kind.ASSET, allow_negative: bool = False) -> Account:
    return ledger.account(fund.account_code(*parts), kind=kind, program="loans", area_id=fund.office_id,
                          allow_negative=allow_negative)


def cash(fund: Fund) -> Account:
    return _acc(fund, "cash")


def out_account(fund: Fund, number: int) -> Account:
    return _acc(fund, "out", f"round-{number}")


@transaction.atomic
def open_fund(code: str, office: str, name_zh: str, name_en: str, *, user=None) -> Fund:
    office_area = Area.objects.filter(code=office.ljust(12, "0")).first()
    if office_area is None:
        raise _err("office", f"没有区划 {office}", f"no area {office}")
    _require(user, LOAN_MANAGE, office_area.code)
    fund, _ = Fund.objects.get_or_create(code=code, defaults={"office": office_area, "name_zh": name_zh,
                                                               "name_en": name_en})
    cash(fund)
    return fund


CAPITAL_SOURCES = ("donation", "grant")


@transaction.atomic
def add_capital(fund: Fund, amount_fen: int, *, source: str, donor: str, on: dt.date, user=None,
                idempotency_key: str | None = None):
    """Capital given to the fund (a donation or a grant), credited to its source, debited to cash."""
    _require(user, LOAN_MANAGE, fund.office_id)
    if source not in CAPITAL_SOURCES:
        raise _err("source", f"资金来源须为 {'、'.join(CAPITAL_SOURCES)}", f"source must be one of {CAPITAL_SOURCES}")
    if amount_fen <= 0:
        raise _err("amount", "金额须为正数", "the amount must be positive")
    equity = _acc(fund, "capital", source, kind=Account.Kind.EQUITY)
    return ledger.post([ledger.Line(cash(fund), amount_fen, donor[:60]), ledger.Line(equity, -amount_fen, donor[:60])],
                       kind="loan-capital", description=f"{fund.code} 资金 capital: {donor}"[:300], date=on,
                       reference=fund.code, idempotency_key=idempotency_key, user=user)


@transaction.atomic
def open_round(fund: Fund, number: int, opened_on: dt.date, *, note: str = "", user=None) -> Round:
    _require(user, LOAN_MANAGE, fund.office_id)
    last = fund.rounds.order_by("-number").first()
    if last is not None and number != last.number + 1 and not fund.rounds.filter(number=number).exists():
        raise _err("number", f"下一轮应为第 {last.number + 1} 轮", f"the next round is round {last.number + 1}")
    if last is not None and opened_on < last.opened_on and number > last.number:
        raise _err("opened_on", "新一轮不能早于上一轮", "a round cannot open before the previous one")
    rnd, _ = Round.objects.get_or_create(fund=fund, number=number, defaults={"opened_on": opened_on, "note": note})
    out_account(fund, number)
    return rnd


# -- the application's flow ---------------------------------------------------------------------------
def _state(loan: Loan, allowed: tuple[str, ...], action: tuple[str, str]) -> None:
    if loan.state not in allowed:
        raise _err("state", f"此贷款当前状态不能{action[0]}",
                   f"the loan is {loan.state}; cannot {action[1]} (needs: {', '.join(allowed)})")


@transaction.atomic
def propose(*, fund: Fund, round: Round, person, amount_fen: int, project: str, household_income_fen: int,
            village_average_income_fen: int, listed_from: dt.date, listed_to: dt.date, proposed_on: dt.date,
            terms: dict | None = None, user=None) -> Loan:
    """The village proposes a mother after the public listing of the candidates."""
    village = person.registered_area_id
    _require(user, LOAN_PROPOSE, village)
    if round.fund_id != fund.pk:
        raise _err("round", "该轮次不属于此基金", "the round is not this fund's")
    if not village.startswith(fund.office.prefix):
        raise _err("person", "该母亲不在本项目办辖区", "the mother lives outside the project office's area")
    gone = person.death_date or person.exit_date  # she left the register (died, moved out) on that day
    if person.sex != 2 or (gone is not None and gone <= proposed_on) or (person.status != "living" and gone is None):
        raise _err("person", "借款人须为在册健在的妇女", "the borrower must be a living woman of the register")
    if not 5_000_00 <= amount_fen <= 15_000_00:
        raise _err("amount", "每户资助 5,000–15,000 元", "each loan is ¥5,000–15,000")
    if (listed_to - listed_from).days + 1 < LISTING_DAYS:
        raise _err("listed_to", f"公示至少 {LISTING_DAYS} 天", f"the public listing lasts at least {LISTING_DAYS} days")
    if proposed_on <= listed_to:
        raise _err("proposed_on", "公示期满后方可上报", "the village proposes after the public listing ends")
    if not project.strip():
        raise _err("project", "须有项目计划", "a project plan is needed")
    if household_income_fen < 0 or village_average_income_fen <= 0:
        raise _err("household_income", "收入须为非负数", "incomes must not be negative")
    if Loan.objects.filter(person=person).exclude(state__in=[Loan.State.REPAID, Loan.State.REJECTED,
                                                             Loan.State.WRITTEN_OFF]).exists():
        raise _err("person", "该母亲已有未结清的借款或申请", "the mother has an open loan or application")
    data = {"principal": str(Decimal(amount_fen) / 100), "term_months": 24, **(terms or {})}
    data["principal"] = str(Decimal(amount_fen) / 100)
    problems = schedules.Terms.from_dict(data).problems()
    if problems:
        raise _err("terms", "；".join(problems), "bad terms")
    return Loan.objects.create(fund=fund, round=round, person=person, village_id=village, amount_fen=amount_fen,
                               project=project.strip(), household_income_fen=household_income_fen,
                               village_average_income_fen=village_average_income_fen, listed_from=listed_from,
                               listed_to=listed_to, proposed_on=proposed_on, terms=data)


def _township(loan: Loan) -> str:
    return loan.village_id[:9] + "000"


@transaction.atomic
def review(loan: Loan, *, on: dt.date, user=None) -> Loan:
    _require(user, LOAN_REVIEW, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _state(loan, (Loan.State.PROPOSED,), ("审核", "review"))
    if on < loan.proposed_on:
        raise _err("on", "审核日期早于上报日期", "reviewed before it was proposed")
    loan.state, loan.reviewed_on = Loan.State.REVIEWED, on
    loan.save()
    return loan


@transaction.atomic
def record_visit(loan: Loan, *, number: int, visited_on: dt.date, visitor: str, has_plan: bool,
                 willing_to_work: bool, income_below_average: bool, able_to_repay: bool, note: str = "",
                 user=None) -> HomeVisit:
    """One of the project office's two home visits; the second moves the application on."""
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _state(loan, (Loan.State.REVIEWED,), ("入户走访", "record a home visit"))
    if number not in (1, 2):
        raise _err("number", "入户走访为第 1 或第 2 次", "a home visit is the first or the second")
    if loan.visits.filter(number=number).exists():
        raise _err("number", f"第 {number} 次走访已记录", f"visit {number} is already recorded")
    if number == 2 and not loan.visits.filter(number=1).exists():
        raise _err("number", "先记录第 1 次走访", "record the first visit first")
    first = loan.visits.filter(number=1).first()
    if first is not None and visited_on <= first.visited_on:
        raise _err("visited_on", "第 2 次走访须在第 1 次之后的另一天", "the second visit is on a later day than the first")
    if loan.reviewed_on and visited_on < loan.reviewed_on:
        raise _err("visited_on", "走访早于乡镇审核", "visited before the township's review")
    if not visitor.strip():
        raise _err("visitor", "须填写走访人", "the visitor is needed")
    visit = HomeVisit.objects.create(loan=loan, number=number, visited_on=visited_on, visitor=visitor.strip(),
                                     has_plan=has_plan, willing_to_work=willing_to_work,
                                     income_below_average=income_below_average, able_to_repay=able_to_repay, note=note)
    if number == 2:
        loan.state = Loan.State.VISITED
        loan.save()
    return visit


def screening_problems(loan: Loan) -> list[str]:
    visits = list(loan.visits.all())
    out = []
    if len(visits) < 2:
        out.append(f"仅有 {len(visits)} 次入户走访，须两次 / {len(visits)} home visit(s) recorded; two are needed")
    for v in visits:
        for ok, zh, en in ((v.has_plan, "无项目计划", "no project plan"),
                           (v.willing_to_work, "无劳动意愿", "not willing to work"),
                           (v.income_below_average, "收入不低于村平均", "income not below the village average"),
                           (v.able_to_repay, "无还款能力", "not able to repay")):
            if not ok:
                out.append(f"第 {v.number} 次走访：{zh} / visit {v.number}: {en}")
    if loan.household_income_fen >= loan.village_average_income_fen:
        out.append("基线家庭收入不低于村平均 / baseline household income is not below the village average")
    return out


@transaction.atomic
def approve(loan: Loan, *, on: dt.date, decision: str, user=None) -> Loan:
    """The committee approves (entered by the county officer): only after the two home visits found
    every screening condition met."""
    _require(user, LOAN_APPROVE, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    problems = screening_problems(loan)
    if loan.state == Loan.State.REVIEWED and problems:
        raise _err("state", "；".join(p.split(" / ")[0] for p in problems) + "，不能批准",
                   "cannot approve: " + "; ".join(p.split(" / ")[-1] for p in problems))
    _state(loan, (Loan.State.VISITED,), ("批准", "approve"))
    if problems:
        raise _err("state", "；".join(p.split(" / ")[0] for p in problems),
                   "cannot approve: " + "; ".join(p.split(" / ")[-1] for p in problems))
    if not decision.strip():
        raise _err("decision", "须填写组委会决定文号", "the committee's decision reference is needed")
    if on < loan.visits.get(number=2).visited_on:
        raise _err("on", "批准早于入户走访", "approved before the home visits")
    loan.state, loan.approved_on, loan.decision = Loan.State.APPROVED, on, decision.strip()
    loan.save()
    return loan


@transaction.atomic
def reject(loan: Loan, *, on: dt.date, reason: str, user=None) -> Loan:
    perm = {Loan.State.PROPOSED: LOAN_REVIEW, Loan.State.REVIEWED: LOAN_MANAGE,
            Loan.State.VISITED: LOAN_APPROVE}.get(loan.state, LOAN_APPROVE)
    _require(user, perm, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _state(loan, (Loan.State.PROPOSED, Loan.State.REVIEWED, Loan.State.VISITED), ("退回", "reject"))
    if not reason.strip():
        raise _err("reason", "须说明原因", "a reason is needed")
    loan.state, loan.closed_on, loan.note = Loan.State.REJECTED, on, reason.strip()
    loan.save()
    return loan


@transaction.atomic
def sign(loan: Loan, *, on: dt.date, signatures: dict[str, str], user=None) -> Loan:
    """The agreement (协议书), signed by every party; printable from the loan's page."""
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _state(loan, (Loan.State.APPROVED,), ("签订协议", "sign the agreement"))
    missing = [p for p in PARTIES if not (signatures.get(p) or "").strip()]
    if missing:
        raise _err("signatures", "缺少签字：" + "、".join(PARTY_LABELS[p][0] for p in missing),
                   "signatures missing: " + ", ".join(PARTY_LABELS[p][1] for p in missing))
    if signatures["mother"].strip() != loan.person.name:
        raise _err("signatures", "借款人签字须为母亲本人", "the mother signs herself")
    if on < loan.approved_on:
        raise _err("on", "签约早于批准", "signed before approval")
    loan.state, loan.signed_on = Loan.State.SIGNED, on
    loan.signatures = {p: signatures[p].strip() for p in PARTIES}
    loan.save()
    return loan


@transaction.atomic
def disburse(loan: Loan, *, on: dt.date, received_by: str, user=None) -> Loan:
    """The mother receives the money in person; the fund's cash goes out in the loan's round."""
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().select_related("fund", "round", "person").get(pk=loan.pk)
    _state(loan, (Loan.State.SIGNED,), ("放款", "disburse"))
    if received_by.strip() != loan.person.name:
        raise _err("received_by", "资金须由母亲本人领取", "the mother receives the money in person")
    if on < loan.signed_on:
        raise _err("on", "放款早于签约", "disbursed before the agreement was signed")
    if on < loan.round.opened_on:
        raise _err("on", "放款早于本轮开始", "disbursed before the round opened")
    schedule = schedules.build(schedules.Terms.from_dict(loan.terms), on)
    ledger.post([ledger.Line(out_account(loan.fund, loan.round.number), loan.amount_fen, f"loan-{loan.pk}"),
                 ledger.Line(cash(loan.fund), -loan.amount_fen, f"loan-{loan.pk}")],
                kind="loan-disbursement", description=f"放款 disbursement loan {loan.pk}", reference=f"loan-{loan.pk}",
                date=on, idempotency_key=f"loans:disburse:{loan.pk}", user=user)
    loan.state, loan.disbursed_on, loan.received_by = Loan.State.DISBURSED, on, received_by.strip()
    loan.schedule = schedule.as_list()
    loan.save()
    _dirty(loan, on)
    return loan


def _dirty(loan: Loan, on: dt.date) -> None:
    from renkou.indicators import services as ind

    ind.mark_dirty([loan.village_id], [on])


# -- repayment ----------------------------------------------------------------------------------------
def schedule_of(loan: Loan) -> schedules.Schedule:
    return schedules.Schedule.from_list(loan.schedule)


def collected_fen(loan: Loan, until: dt.date | None = None) -> int:
    qs = loan.collections.all()
    if until is not None:
        qs = qs.filter(collected_on__lte=until)
    return int(qs.aggregate(s=Sum("amount_fen"))["s"] or 0)


def _fen(d: Decimal) -> int:
    return int((d * 100).to_integral_value())


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(schedules.CENT)


def outstanding_fen(loan: Loan) -> int:
    if loan.state not in (Loan.State.DISBURSED,):
        return 0
    return _fen(schedule_of(loan).total) - collected_fen(loan)


@transaction.atomic
def collect(loan: Loan, *, on: dt.date, amount_fen: int, idempotency_key: str, collector: str = "", source: str = "",
            user=None) -> Collection:
    """Money collected from the mother on business date ``on`` (partial, early or late); the same
    collection entered twice (same key) is recorded once."""
    done = Collection.objects.filter(idempotency_key=idempotency_key).first()
    if done is not None:
        if done.loan_id != loan.pk or done.amount_fen != amount_fen or done.collected_on != on:
            raise _err("idempotency_key", "该收款编号已用于另一笔收款", "this collection key was used for another collection")
        return done
    _require(user, LOAN_COLLECT, loan.village_id)
    loan = Loan.objects.select_for_update().select_related("fund", "round").get(pk=loan.pk)
    _state(loan, (Loan.State.DISBURSED,), ("收款", "collect"))
    if amount_fen <= 0:
        raise _err("amount", "收款金额须为正数", "the amount collected must be positive")
    if on < loan.disbursed_on:
        raise _err("collected_on", "收款日期早于放款日期", "collected before the loan was disbursed")
    if on > timezone.localdate():
        raise _err("collected_on", "收款日期不能晚于今天", "a collection cannot be dated in the future")
    owed = outstanding_fen(loan)
    if amount_fen > owed:
        raise _err("amount", f"收款 {format_yuan(amount_fen)} 超过尚欠 {format_yuan(owed)}",
                   f"collected {format_yuan(amount_fen)} exceeds the {format_yuan(owed)} owed")
    sched = schedule_of(loan)
    before = collected_fen(loan)
    principal_before = _fen(sched.principal) - _fen(schedules.standing(sched, _yuan(before), on).principal_outstanding)
    principal_after = _fen(sched.principal) - _fen(
        schedules.standing(sched, _yuan(before + amount_fen), on).principal_outstanding)
    principal = principal_after - principal_before
    interest = amount_fen - principal
    lines = [ledger.Line(cash(loan.fund), amount_fen, f"loan-{loan.pk}"),
             ledger.Line(out_account(loan.fund, loan.round.number), -principal, f"loan-{loan.pk}")]
    if interest:
        lines.append(ledger.Line(_acc(loan.fund, "interest", kind=Account.Kind.EQUITY), -interest, f"loan-{loan.pk}"))
    tx = ledger.post(lines, kind="loan-repayment", description=f"还款 repayment loan {loan.pk}",
                     reference=f"loan-{loan.pk}", date=on, idempotency_key=f"loans:collect:{idempotency_key}", user=user)
    row = Collection.objects.create(loan=loan, collected_on=on, amount_fen=amount_fen, collector=collector[:60],
                                    idempotency_key=idempotency_key, source=source[:80], transaction_id=tx.pk,
                                    recorded_by=user if getattr(user, "is_authenticated", False) else None)
    audit.record("create", row, user=user, area_code=loan.village_id,
                 after={"loan": loan.pk, "collected_on": on, "amount_fen": amount_fen})
    if before + amount_fen == _fen(sched.total):
        loan.state, loan.closed_on = Loan.State.REPAID, on
        loan.save()
    _dirty(loan, on)
    return row


@transaction.atomic
def reschedule(loan: Loan, *, on: dt.date, start: dt.date, months: int, reason: str,
               repayment_months: tuple[int, ...] = (), user=None) -> Rescheduling:
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _state(loan, (Loan.State.DISBURSED,), ("调整还款计划", "reschedule"))
    old = schedule_of(loan)
    try:
        new = schedules.reschedule(old, _yuan(collected_fen(loan)), start=start, months=months, reason=reason,
                                   repayment_months=repayment_months)
    except schedules.ScheduleError as exc:
        raise _err("schedule", str(exc), str(exc)) from exc
    row = Rescheduling.objects.create(loan=loan, on=on, reason=reason.strip(), before=old.as_list(), after=new.as_list(),
                                      recorded_by=user if getattr(user, "is_authenticated", False) else None)
    loan.schedule = new.as_list()
    loan.save()
    audit.record("update", loan, user=user, detail={"rescheduled": reason.strip()})
    return row


def _written_off(loan: Loan) -> int:
    return int(loan.losses.filter(kind=LossEvent.Kind.WRITE_OFF).aggregate(s=Sum("amount_fen"))["s"] or 0)


def _recovered(loan: Loan) -> int:
    return int(loan.losses.filter(kind=LossEvent.Kind.RECOVERY).aggregate(s=Sum("amount_fen"))["s"] or 0)


@transaction.atomic
def write_off(loan: Loan, *, on: dt.date, reason: str, user=None) -> LossEvent:
    """The principal still out is written off as lost, with the reason; nothing is deleted."""
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().select_related("fund", "round").get(pk=loan.pk)
    _state(loan, (Loan.State.DISBURSED,), ("核销", "write off"))
    if not reason.strip():
        raise _err("reason", "核销须说明原因", "a write-off needs a reason")
    sched = schedule_of(loan)
    principal = _fen(schedules.standing(sched, _yuan(collected_fen(loan)), on).principal_outstanding)
    tx = ledger.post([ledger.Line(_acc(loan.fund, "losses", kind=Account.Kind.EXPENSE), principal, f"loan-{loan.pk}"),
                      ledger.Line(out_account(loan.fund, loan.round.number), -principal, f"loan-{loan.pk}")],
                     kind="loan-write-off", description=f"核销 write-off loan {loan.pk}: {reason}"[:300],
                     reference=f"loan-{loan.pk}", date=on, user=user)
    row = LossEvent.objects.create(loan=loan, kind=LossEvent.Kind.WRITE_OFF, on=on, amount_fen=principal,
                                   reason=reason.strip(), transaction_id=tx.pk,
                                   recorded_by=user if getattr(user, "is_authenticated", False) else None)
    audit.record("create", row, user=user, area_code=loan.village_id, after={"amount_fen": principal,
                                                                               "reason": reason.strip()})
    loan.state, loan.closed_on = Loan.State.WRITTEN_OFF, on
    loan.save()
    _dirty(loan, on)
    return row


@transaction.atomic
def recover(loan: Loan, *, on: dt.date, amount_fen: int, reason: str, user=None) -> LossEvent:
    """Money recovered on a written-off loan: back to the fund's cash, the loss reduced by as much."""
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().select_related("fund").get(pk=loan.pk)
    _state(loan, (Loan.State.WRITTEN_OFF,), ("追回", "recover"))
    if not reason.strip():
        raise _err("reason", "须说明追回情况", "a recovery needs a reason")
    left = _written_off(loan) - _recovered(loan)
    if not 0 < amount_fen <= left:
        raise _err("amount", f"追回金额须在 0 与 {format_yuan(left)} 之间",
                   f"the amount recovered must be between 0 and {format_yuan(left)}")
    tx = ledger.post([ledger.Line(cash(loan.fund), amount_fen, f"loan-{loan.pk}"),
                      ledger.Line(_acc(loan.fund, "recoveries", kind=Account.Kind.EQUITY), -amount_fen,
                                  f"loan-{loan.pk}")],
                     kind="loan-recovery", description=f"追回 recovery loan {loan.pk}: {reason}"[:300],
                     reference=f"loan-{loan.pk}", date=on, user=user)
    row = LossEvent.objects.create(loan=loan, kind=LossEvent.Kind.RECOVERY, on=on, amount_fen=amount_fen,
                                   reason=reason.strip(), transaction_id=tx.pk,
                                   recorded_by=user if getattr(user, "is_authenticated", False) else None)
    audit.record("create", row, user=user, area_code=loan.village_id, after={"amount_fen": amount_fen, "reason": reason.strip()})
    _dirty(loan, on)
    return row


# -- field evaluations --------------------------------------------------------------------------------
@transaction.atomic
def evaluate(loan: Loan, *, kind: str, visited_on: dt.date, evaluator: str, income_generated_fen: int,
             progress: str, out_of_poverty: bool, user=None) -> Evaluation:
    """A field evaluation at 6 months or at year end: the income the project generated since the
    previous evaluation, its progress, and whether the household is out of poverty."""
    _require(user, LOAN_MANAGE, loan.village_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if loan.state not in (Loan.State.DISBURSED, Loan.State.REPAID, Loan.State.WRITTEN_OFF):
        raise _err("state", "放款后方可评估", "a loan is evaluated after it is disbursed")
    if kind not in Evaluation.Kind.values:
        raise _err("kind", "评估为半年或年终", "an evaluation is at 6 months or at year end")
    if visited_on < loan.disbursed_on:
        raise _err("visited_on", "评估日期早于放款", "evaluated before the loan was disbursed")
    if visited_on > timezone.localdate():
        raise _err("visited_on", "评估日期不能晚于今天", "an evaluation cannot be dated in the future")
    if income_generated_fen < 0:
        raise _err("income_generated", "创收不能为负", "income generated cannot be negative")
    if not evaluator.strip() or not progress.strip():
        raise _err("evaluator", "须填写评估人和项目进展", "the evaluator and the progress are needed")
    if Evaluation.objects.filter(loan=loan, kind=kind, visited_on=visited_on).exists():
        raise _err("visited_on", "该次评估已记录", "this evaluation is already recorded")
    row = Evaluation.objects.create(loan=loan, kind=kind, visited_on=visited_on, evaluator=evaluator.strip(),
                                    income_generated_fen=income_generated_fen, progress=progress.strip(),
                                    out_of_poverty=out_of_poverty)
    _dirty(loan, visited_on)
    return row


# -- figures ------------------------------------------------------------------------------------------
def loan_facts(loan: Loan, as_of: dt.date) -> metrics.LoanFacts | None:
    """The loan reduced to the figures of the metrics, as of a day; ``None`` before disbursement."""
    if loan.disbursed_on is None or loan.disbursed_on > as_of:
        return None
    sched = schedule_of(loan)
    paid = sum(c.amount_fen for c in loan.collections.all() if c.collected_on <= as_of)
    lost = [e for e in loan.losses.all() if e.on <= as_of]
    written = sum(e.amount_fen for e in lost if e.kind == LossEvent.Kind.WRITE_OFF)
    recovered = sum(e.amount_fen for e in lost if e.kind == LossEvent.Kind.RECOVERY)
    st = schedules.standing(sched, _yuan(paid), as_of)
    principal_out = _fen(st.principal_outstanding)
    repaid = _fen(sched.principal) - principal_out
    due = _fen(st.due)
    overdue_principal, days_late = _fen(st.overdue_principal), st.days_late
    if written:
        principal_out, overdue_principal, days_late = 0, 0, 0
    evals = sorted((e for e in loan.evaluations.all() if e.visited_on <= as_of), key=lambda e: (e.visited_on, e.pk))
    return metrics.LoanFacts(
        loan=loan.pk, mother=loan.person_id, round=loan.round.number, office=loan.fund.office_id,
        village=loan.village_id, lent_fen=loan.amount_fen, repaid_fen=repaid, due_fen=due,
        collected_toward_due_fen=min(paid, due), outstanding_fen=principal_out,
        overdue_principal_fen=overdue_principal, days_late=days_late, written_off_fen=written,
        recovered_fen=recovered, income_generated_fen=sum(e.income_generated_fen for e in evals),
        evaluated=bool(evals), out_of_poverty=bool(evals) and evals[-1].out_of_poverty)


def facts_for(prefix: str, as_of: dt.date, *, fund: Fund | None = None, round_number: int | None = None
              ) -> list[metrics.LoanFacts]:
    qs = (Loan.objects.filter(village__pk__startswith=prefix, disbursed_on__isnull=False, disbursed_on__lte=as_of)
          .select_related("round", "fund").prefetch_related("collections", "losses", "evaluations")
          .order_by("disbursed_on", "pk"))
    if fund is not None:
        qs = qs.filter(fund=fund)
    if round_number is not None:
        qs = qs.filter(round__number=round_number)
    return [f for f in (loan_facts(loan, as_of) for loan in qs) if f is not None]


def prefix_of(code: str) -> str:
    from renkou.core import areacodes

    full = areacodes.full_code(code)
    return areacodes.prefix(full, areacodes.level_of(full))


def summary(area: str, as_of: dt.date | None = None, *, user=None) -> dict:
    """The fund figures of an area (its loans' villages) as of a day: the CLI's and the API's summary."""
    as_of = _today(as_of)
    code = area.ljust(12, "0") if len(area) < 12 else area
    if user is not None and not can_view_area(user, code):
        raise PermissionDenied("该地区不在您的范围内 / this area is outside your areas")
    facts = facts_for(prefix_of(code), as_of)
    p = metrics.portfolio(facts)
    by_year: dict[int, int] = {}
    for day, fen in Loan.objects.filter(pk__in=[f.loan for f in facts]).values_list("disbursed_on", "amount_fen"):
        by_year[day.year] = by_year.get(day.year, 0) + fen
    return {"area": code, "as_of": as_of.isoformat(), "mothers": p.mothers, "loans": p.loans, "rounds": p.rounds,
            "lent": _yuan(p.lent_fen), "outstanding": _yuan(p.outstanding_fen), "repaid": _yuan(p.repaid_fen),
            "lost": _yuan(p.lost_fen), "income_generated": _yuan(p.income_generated_fen),
            "out_of_poverty_share": _share(p.out_of_poverty_share), "repayment_rate": _share(p.repayment_rate),
            "par30": _share(p.par30), "arrears_rate": _share(p.arrears_rate), "loss_rate": _share(p.loss_rate),
            "lent_by_round": {str(k): _yuan(v) for k, v in p.by_round.items()},
            "by_round": [_round_row(n, metrics.portfolio(f for f in facts if f.round == n)) for n in p.by_round],
            "lent_by_year": {str(k): _yuan(v) for k, v in sorted(by_year.items())}}


def _round_row(number: int, p: metrics.Portfolio) -> dict:
    return {"round": number, "mothers": p.mothers, "lent": _yuan(p.lent_fen), "outstanding": _yuan(p.outstanding_fen),
            "repaid": _yuan(p.repaid_fen), "lost": _yuan(p.lost_fen), "repayment_rate": _share(p.repayment_rate),
            "par30": _share(p.par30), "income_generated": _yuan(p.income_generated_fen),
            "out_of_poverty_share": _share(p.out_of_poverty_share)}


def _share(x: float | None) -> Decimal | None:
    return None if x is None else Decimal(str(round(x, 4)))


def fund_position(fund: Fund, as_of: dt.date | None = None) -> dict:
    """What the ledger says of a fund on a day: capital, cash, out (per round), lent, repaid, lost."""
    as_of = _today(as_of)
    root = fund.account_code()

    def legs(kind: str, prefix: str):
        return Leg.objects.filter(transaction__posted=True, transaction__kind=kind, transaction__date__lte=as_of,
                                  account__code__startswith=prefix)

    def total(qs) -> int:
        return int(qs.aggregate(s=Sum("amount_fen"))["s"] or 0)

    out_prefix = fund.account_code("out") + "/"
    by_round = {}
    for rnd in fund.rounds.all():
        acc = out_account(fund, rnd.number)
        by_round[rnd.number] = {"lent_fen": total(legs("loan-disbursement", acc.code)),
                                "repaid_fen": -total(legs("loan-repayment", acc.code)),
                                "lost_fen": -total(legs("loan-write-off", acc.code)),
                                "out_fen": ledger.balance(acc, until=as_of)}
    capital_acc = ledger.account(fund.account_code("capital"), kind=Account.Kind.EQUITY, allow_negative=True)
    return {"as_of": as_of, "capital_fen": -ledger.raw_balance(capital_acc, subtree=True, until=as_of),
            "cash_fen": ledger.balance(cash(fund), until=as_of),
            "out_fen": ledger.raw_balance(fund.account_code("out"), subtree=True, until=as_of),
            "lent_fen": total(legs("loan-disbursement", out_prefix)),
            "repaid_fen": -total(legs("loan-repayment", out_prefix)),
            "lost_fen": total(legs("loan-write-off", root + "/losses")) - total(legs("loan-recovery", root + "/cash")),
            "by_round": by_round}

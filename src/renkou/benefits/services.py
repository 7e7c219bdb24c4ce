"""Business actions of benefits (利益导向), one transaction each, called by pages, API, CLI and tests.

Programs → cycles (roster computed on a census date and frozen) → village lists through a server-side
state machine (village proposes → township reviews, public notice of 7 days with objections → county
approves, committing the money) → payment batches → bank file out, bank return in → follow-up
batches for failed payments → sampled verification. Every move of money is a ledger posting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from renkou.core import areacodes, audit, pipeline
from renkou.core.idnumber import mask
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.core.roles import BENEFIT_APPROVE, BENEFIT_MANAGE, BENEFIT_PROPOSE, BENEFIT_REVIEW, BENEFIT_VIEW
from renkou.core.scoping import CAPTURE, code_in_scope, has_perm
from renkou.ledger import services as ledger
from renkou.ledger.models import Account
from renkou.ledger.money import format_yuan, to_fen

from . import bankfile, facts
from .amounts import AmountSpec, cap_per_household, unit_amount
from .models import (
    BankReturn,
    Cycle,
    Entitlement,
    Fund,
    Objection,
    PayeeAccount,
    Payment,
    PaymentBatch,
    Program,
    ProgramVersion,
    RosterList,
    VerificationVisit,
)
from .rules import RuleError, compile_rule, failed_conditions, parse, trace

DATA = Path(__file__).parent / "data" / "programs"
NOTICE_DAYS = 7
PAY_WITHIN_DAYS = 60  # punctuality: paid within this many days after the end of the period


# -- permissions --------------------------------------------------------------------------------------
def _require(user, perm: str, code: str) -> None:
    """``user=None`` is the command line or the demo, which run with the server's own rights; pages and
    the API always pass the signed-in user."""
    if user is None:
        return
    if not has_perm(user, perm):
        raise PermissionDenied(f"无权执行此操作 ({perm}) / not permitted ({perm})")
    if not code_in_scope(user, code, CAPTURE):
        raise PermissionDenied(f"区划 {code} 不在您的范围内 / area {code} is outside your areas")


def can_view(user, code: str) -> bool:
    """Whether the user may see the benefit figures of an area (an area of theirs, above or below)."""
    from renkou.core.scoping import assigned_prefixes, level_prefix

    if not has_perm(user, BENEFIT_VIEW):
        return False
    prefixes = assigned_prefixes(user)
    own = level_prefix(code)
    return prefixes is None or any(own.startswith(p) or p.startswith(own) for p in prefixes)


def visible_cycles(user):
    """Cycles of the counties the user works in (a village officer sees the county's cycles; the rows
    of other villages stay hidden by the scoping function)."""
    from renkou.core.scoping import assigned_prefixes

    if not has_perm(user, BENEFIT_VIEW):
        return Cycle.objects.none()
    qs = Cycle.objects.select_related("program", "area")
    prefixes = assigned_prefixes(user)
    if prefixes is None:
        return qs
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(area__pk__startswith=p[:6])
    return qs.filter(q)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# -- programs -----------------------------------------------------------------------------------------
def check_version(data: dict) -> None:
    """Refuse parameters that do not parse, with the field named."""
    try:
        parse(data.get("eligibility"), "eligibility")
        AmountSpec.from_params(data.get("amount", "0"), data.get("tiers"), data.get("prorate"),
                               data.get("cap_household"))
    except RuleError as exc:
        raise ValidationError({"eligibility": str(exc)}) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError({"amount": str(exc)}) from exc
    if data.get("payee") == ProgramVersion.Payee.FUND and not data.get("fund"):
        raise ValidationError({"fund": "代缴须指定基金 / a fund payee needs the fund"})


@transaction.atomic
def install_program(data: dict, *, user=None) -> Program | None:
    """Create or update a program and its versions from data (the shipped JSON files); a county's
    program is installed only where that county is in the database (``None`` otherwise)."""
    if data.get("area") and not Area.objects.filter(code=areacodes.full_code(data["area"])).exists():
        return None
    for f in data.get("funds", ()):
        Fund.objects.update_or_create(code=f["code"], defaults={
            "name_zh": f["name_zh"], "name_en": f["name_en"], "area_id": areacodes.full_code(f["area"]),
            "bank_name": f["bank_name"], "account_number": f["account_number"]})
    area = areacodes.full_code(data["area"]) if data.get("area") else None
    program, _ = Program.objects.update_or_create(code=data["code"], defaults={
        "name_zh": data["name_zh"], "name_en": data["name_en"], "area_id": area, "unit": data["unit"],
        "cycle": data["cycle"], "basis": data.get("basis", "")})
    for v in data["versions"]:
        save_version(user, program, v)
    return program


def save_version(user, program: Program, v: dict) -> ProgramVersion:
    """Store parameters valid from a date (a new version; the one of the same date is replaced)."""
    check_version(v)
    fund = Fund.objects.get(code=v["fund"]) if v.get("fund") else None
    valid_from = v["valid_from"] if isinstance(v["valid_from"], dt.date) else dt.date.fromisoformat(v["valid_from"])
    if program.cycles.filter(version__valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "已有周期使用该版本，请另建新版本 / a cycle used these parameters: "
                                             "add a new version from a later date"})
    version, _ = ProgramVersion.objects.update_or_create(program=program, valid_from=valid_from, defaults={
        "valid_to": v.get("valid_to") or None, "eligibility": v["eligibility"], "amount": str(v.get("amount", "0")),
        "tiers": v.get("tiers") or [], "prorate": v.get("prorate") or {}, "cap_household": v.get("cap_household") or "",
        "payee": v.get("payee", "self"), "fund": fund, "note": v.get("note", "")})
    return version


def install_shipped_programs(user=None) -> list[Program]:
    installed = [install_program(json.loads(p.read_text(encoding="utf-8")), user=user)
                 for p in sorted(DATA.glob("*.json"))]
    return [p for p in installed if p is not None]


# -- ledger accounts ----------------------------------------------------------------------------------
def accounts(program: Program, county: Area) -> dict[str, Account]:
    root = f"benefits/{program.code}/{county.code}"
    kw = {"program": program.code, "area_id": county.code}
    out = {"funding": ledger.account(f"{root}/funding", name=f"{program.name_zh} 资金来源", kind=Account.Kind.EQUITY,
                                     role="funding", allow_negative=True, **kw)}
    for role, zh in (("budget", "预算(可用)"), ("commitments", "已审批待发放"), ("payable", "已开批次待送银行"),
                     ("clearing", "银行在途"), ("paid", "已发放")):
        out[role] = ledger.account(f"{root}/{role}", name=f"{program.name_zh} {zh}", role=role,
                                   kind=Account.Kind.EXPENSE if role == "paid" else Account.Kind.ASSET,
                                   allow_negative=role == "paid", **kw)
    return out


def payee_account(program: Program, county: Area, fund: Fund | None) -> Account:
    accts = accounts(program, county)
    name = f"fund-{fund.code}" if fund else "families"
    return ledger.account(f"{accts['paid'].code}/{name}", name=(fund.name_zh if fund else "家庭"),
                          kind=Account.Kind.EXPENSE, role="payee", program=program.code, area_id=county.code)


def allocate_budget(user, program: Program, county_code: str, amount, *, note: str = "",
                    today: dt.date | None = None, idempotency_key: str | None = None):
    county = Area.objects.get(code=areacodes.full_code(county_code))
    _require(user, BENEFIT_MANAGE, county.code)
    a = accounts(program, county)
    fen = to_fen(amount)
    if fen <= 0:
        raise ValidationError({"amount": "预算须为正数 / a budget is positive"})
    return ledger.transfer(a["funding"], a["budget"], fen, kind="allocate", date=_today(today), user=user,
                           description=note or f"预算下达 / budget {program.code}", reference=f"program:{program.pk}",
                           idempotency_key=idempotency_key)


# -- cycles -------------------------------------------------------------------------------------------
def _period(program: Program, code: str) -> Period:
    p = Period.parse(code)
    want = "year" if program.cycle == Program.Cycle.YEARLY else "month"
    if p.kind != want:
        raise ValidationError({"period": f"{program.code} 按{'年' if want == 'year' else '月'}发放，期间应为"
                                         f"{'2005' if want == 'year' else '202503'} / the program is paid by "
                                         f"{want}: give a {want} period"})
    return p


def _payee(version: ProgramVersion, unit: facts.Unit, program: Program) -> tuple[str, int | None, str]:
    if version.payee == ProgramVersion.Payee.FUND:
        return "fund", None, version.fund.name_zh
    if version.payee == ProgramVersion.Payee.GUARDIAN and unit.guardian:
        return "family", unit.guardian[0], unit.guardian[1]
    if version.payee == ProgramVersion.Payee.HEAD and unit.head:
        return "family", unit.head[0], unit.head[1]
    return "family", unit.person_id, unit.name


@transaction.atomic
def compute_cycle(user, program: Program, county_code: str, period_code: str, *, census: dt.date | None = None) -> Cycle:
    """Compute the roster of ``program`` in the county for the period from the register and freeze it."""
    county = Area.objects.get(code=areacodes.full_code(county_code[:6]))
    _require(user, BENEFIT_MANAGE, county.code)
    if program.area_id and not county.code.startswith(program.area.prefix):
        raise ValidationError({"area": f"{program.code} 只在 {program.area_id} 实施 / runs only in {program.area_id}"})
    period = _period(program, period_code)
    census = census or period.end
    if Cycle.objects.filter(program=program, area=county, period=period.code).exists():
        raise ValidationError({"period": f"{program.code} {period.code} 的名册已冻结 / the roster of this period "
                                         f"is already frozen"})
    version = program.version_on(census)
    if version is None:
        raise ValidationError({"period": f"{census} 无有效参数 / no parameters valid on {census}"})
    rule = version.eligibility
    predicate = compile_rule(rule)
    spec = AmountSpec.from_params(version.amount, version.tiers, version.prorate, version.cap_household)
    units = facts.gather(user, program, rule, county=county, census=census, period_start=period.start)
    chosen = []
    for u in units:
        if not predicate(u.facts):
            continue
        fen, how = unit_amount(spec, u.facts, period_start=period.start, period_end=period.end, birth=u.birth,
                               died=u.died, valid_from=version.valid_from, valid_to=version.valid_to)
        if fen > 0:
            chosen.append((u, fen, how))
    if spec.cap_household_fen is not None:
        by_house: dict[object, list] = defaultdict(list)
        for i, (u, fen, _how) in enumerate(chosen):
            by_house[u.household_id or u.key].append((i, fen))
        for rows in by_house.values():
            capped = cap_per_household(rows, spec.cap_household_fen)
            for i, fen in capped.items():
                if fen != chosen[i][1]:
                    chosen[i][2]["capped_from_fen"] = chosen[i][1]
                    chosen[i] = (chosen[i][0], fen, chosen[i][2])
        chosen = [c for c in chosen if c[1] > 0]
    villages = set(Area.objects.filter(code__in={u.village for u, _f, _h in chosen}).values_list("code", flat=True))
    cycle = Cycle.objects.create(
        program=program, version=version, area=county, period=period.code, period_start=period.start,
        period_end=period.end, census_date=census, created_by=user if getattr(user, "is_authenticated", False) else None,
        parameters={"version": version.pk, "valid_from": version.valid_from.isoformat(), "eligibility": rule,
                    "amount": version.amount, "tiers": version.tiers, "prorate": version.prorate,
                    "cap_household": version.cap_household, "payee": version.payee,
                    "fund": version.fund.code if version.fund else None})
    lists = {}
    rows = []
    for u, fen, how in chosen:
        village = u.village if u.village in villages else county.code
        if village not in lists:
            lists[village] = RosterList.objects.create(cycle=cycle, village_id=village)
        kind, payee_id, payee_name = _payee(version, u, program)
        _ok, steps = trace(rule, u.facts)
        rows.append({
            "cycle_id": cycle.pk, "roster_list_id": lists[village].pk, "village_id": village, "unit_key": u.key,
            "person_id": u.person_id, "household_id": u.household_id, "name": u.name[:60],
            "id_masked": mask(u.id_number), "persons": u.persons, "amount_fen": fen, "payee_kind": kind,
            "payee_person_id": payee_id, "payee_name": payee_name[:100], "fund_id": version.fund_id,
            "state": Entitlement.State.LISTED, "excluded_reason": "", "facts": json.dumps(u.facts),
            "explanation": json.dumps({"rule": steps, "amount": how, "version": version.pk,
                                       "census_date": census.isoformat(), "records": u.records})})
    # one executemany (SQLite) or COPY (PostgreSQL) for the frozen rows: the ORM's bulk_create spent a
    # third of a large roster's time preparing values
    pipeline.insert_rows(Entitlement, rows)
    cycle.units = len(rows)
    cycle.persons = sum(r["persons"] for r in rows)
    cycle.total_fen = sum(r["amount_fen"] for r in rows)
    cycle.previous = (Cycle.objects.filter(program=program, area=county, period__lt=period.code)
                      .exclude(pk=cycle.pk).order_by("-period").first())
    cycle.changes = _changes(user, cycle, {u.key: u for u in units}, {r["unit_key"] for r in rows}, rule)
    cycle.save()
    return cycle


def _changes(user, cycle: Cycle, seen: dict, keys: set[str], rule) -> dict:
    """Who entered and who left since the previous cycle, and why (re-certification, 复核)."""
    if cycle.previous is None:
        return {"previous": None, "entered": [], "left": []}
    before = dict(cycle.previous.entitlements.exclude(state=Entitlement.State.EXCLUDED)
                  .values_list("unit_key", "name"))
    left_keys = sorted(set(before) - keys)
    missing = [k for k in left_keys if k not in seen]
    if missing:
        ids = [int(k[2:]) for k in missing]
        kw = {"only_persons": ids} if missing[0].startswith("p:") else {"only_households": ids}
        for u in facts.gather(user, cycle.program, rule, county=cycle.area, census=cycle.census_date,
                              period_start=cycle.period_start, use_bounds=False, **kw):
            seen[u.key] = u
    left = []
    for k in left_keys:
        u = seen.get(k)
        if u is None:
            why = [{"fact": "register", "zh": "普查日不在册（死亡、迁出或户已注销）",
                    "en": "not in the register on the census date (died, moved out, household dissolved)"}]
        else:
            why = failed_conditions(rule, u.facts) or [{"fact": "amount", "zh": "本期应补贴月数为 0",
                                                        "en": "no month of the period is entitled"}]
        left.append({"unit": k, "name": before[k], "why": why})
    entered = [{"unit": k, "name": seen[k].name if k in seen else ""} for k in sorted(keys - set(before))]
    return {"previous": cycle.previous.pk, "entered": entered, "left": left}


def moves(cycle: Cycle) -> list[dict]:
    """Units that left this program's roster and appear on another program's in the same county and year
    (an only child died: the parents leave reward support and enter special support)."""
    out = []
    keys = {row["unit"]: row for row in cycle.changes.get("left", [])}
    if not keys:
        return out
    year = cycle.period[:4]
    others = (Entitlement.objects.filter(cycle__area=cycle.area, cycle__period__startswith=year, unit_key__in=keys)
              .exclude(cycle__program=cycle.program).values_list("unit_key", "cycle__program__code",
                                                                 "cycle__program__name_zh").distinct())
    for key, code, name in others:
        out.append({"unit": key, "name": keys[key]["name"], "to_program": code, "to_name": name})
    return out


# -- approval and public notice ------------------------------------------------------------------------
# action → (from states, to state, permission)
TRANSITIONS = {
    "propose": ((RosterList.State.DRAFT,), RosterList.State.PROPOSED, BENEFIT_PROPOSE),
    "send_back": ((RosterList.State.PROPOSED,), RosterList.State.DRAFT, BENEFIT_REVIEW),
    "review": ((RosterList.State.PROPOSED,), RosterList.State.NOTICE, BENEFIT_REVIEW),
    "approve": ((RosterList.State.NOTICE,), RosterList.State.APPROVED, BENEFIT_APPROVE),
}


class TransitionError(ValidationError):
    pass


@transaction.atomic
def transition(user, roster_list: RosterList, action: str, *, today: dt.date | None = None) -> RosterList:
    """The one door through which a list changes state; every check is here, on the server."""
    if action not in TRANSITIONS:
        raise TransitionError(f"未知操作 / unknown action {action!r}")
    rl = RosterList.objects.select_for_update().select_related("cycle__program", "cycle__area").get(pk=roster_list.pk)
    sources, target, perm = TRANSITIONS[action]
    _require(user, perm, rl.village_id)
    if rl.state not in sources:
        raise TransitionError(f"名单处于「{rl.get_state_display()}」，不能{action} / the list is {rl.state}: "
                              f"'{action}' needs {' or '.join(sources)}")
    day = _today(today)
    uid = getattr(user, "pk", None)
    if action == "review" and uid is not None and uid == rl.proposed_by_id:
        raise TransitionError("审核人不能是上报人 / the reviewer cannot be the proposer")
    if action == "approve":
        if uid is not None and uid in (rl.proposed_by_id, rl.reviewed_by_id):
            raise TransitionError("审批人不能是上报人或审核人 / the approver cannot be the proposer or reviewer")
        if day <= rl.notice_until:
            raise TransitionError(f"公示期至 {rl.notice_until} 止，期满后方可审批 / the public notice runs until "
                                  f"{rl.notice_until}: approve after it")
        open_count = rl.objections.filter(state=Objection.State.OPEN).count()
        if open_count:
            raise TransitionError(f"有 {open_count} 件异议未处理 / {open_count} objection(s) still open")
        _commit(user, rl, day)
    before = rl.state
    rl.state = target
    if action == "propose":
        rl.proposed_by, rl.proposed_on = user, day
    elif action == "review":
        rl.reviewed_by, rl.notice_from, rl.notice_until = user, day, day + dt.timedelta(days=NOTICE_DAYS - 1)
    elif action == "send_back":
        rl.proposed_by, rl.proposed_on = None, None
    elif action == "approve":
        rl.approved_by, rl.approved_on = user, day
    rl.save()
    audit.record("transition", rl, user=user, before={"state": before}, after={"state": target},
                 detail={"action": action, "date": day.isoformat()})
    return rl


def _commit(user, rl: RosterList, day: dt.date) -> None:
    rows = rl.entitlements.filter(state=Entitlement.State.LISTED)
    total = rows.aggregate(s=Sum("amount_fen"))["s"] or 0
    a = accounts(rl.cycle.program, rl.cycle.area)
    if total:
        if ledger.balance(a["budget"]) < total:
            raise TransitionError(
                f"超出预算：本名单需 {format_yuan(total)}，可用预算 {format_yuan(ledger.balance(a['budget']))} / "
                f"beyond the budget: the list needs {format_yuan(total)}, "
                f"{format_yuan(ledger.balance(a['budget']))} is available")
        try:
            rl.commitment = ledger.transfer(a["budget"], a["commitments"], total, kind="commit", date=day, user=user,
                                            description=f"审批 {rl.cycle} {rl.village_id}", reference=f"list:{rl.pk}",
                                            idempotency_key=f"commit-list-{rl.pk}")
        except ledger.LedgerError as exc:
            raise TransitionError(str(exc)) from exc
    rows.update(state=Entitlement.State.COMMITTED)


@transaction.atomic
def record_objection(user, roster_list: RosterList, *, raised_by: str, text: str, entitlement: Entitlement | None = None,
                     today: dt.date | None = None) -> Objection:
    rl = RosterList.objects.select_for_update().get(pk=roster_list.pk)
    if user is not None and not (has_perm(user, BENEFIT_PROPOSE) or has_perm(user, BENEFIT_REVIEW)):
        raise PermissionDenied("无权登记异议 / not permitted to record objections")
    _require(user, BENEFIT_VIEW, rl.village_id)
    day = _today(today)
    if rl.state != RosterList.State.NOTICE or not (rl.notice_from <= day <= rl.notice_until):
        raise TransitionError("只能在公示期内登记异议 / objections are recorded during the public notice")
    if entitlement is not None and entitlement.roster_list_id != rl.pk:
        raise TransitionError("该户不在此名单 / not on this list")
    if not text.strip() or not raised_by.strip():
        raise ValidationError({"text": "须填写异议内容和提出人 / give the objection and who raised it"})
    return Objection.objects.create(roster_list=rl, entitlement=entitlement, raised_by=raised_by.strip()[:60],
                                    text=text.strip(), raised_on=day, recorded_by=user)


@transaction.atomic
def resolve_objection(user, objection: Objection, *, upheld: bool, resolution: str,
                      today: dt.date | None = None) -> Objection:
    obj = Objection.objects.select_for_update().select_related("roster_list").get(pk=objection.pk)
    _require(user, BENEFIT_REVIEW, obj.roster_list.village_id)
    if obj.state != Objection.State.OPEN:
        raise TransitionError("异议已处理 / the objection is already resolved")
    if not resolution.strip():
        raise ValidationError({"resolution": "须写明处理意见 / give the resolution"})
    obj.state = Objection.State.UPHELD if upheld else Objection.State.DISMISSED
    obj.resolution, obj.resolved_by, obj.resolved_on = resolution.strip(), user, _today(today)
    obj.save()
    if upheld and obj.entitlement_id:
        Entitlement.objects.filter(pk=obj.entitlement_id, state=Entitlement.State.LISTED).update(
            state=Entitlement.State.EXCLUDED, excluded_reason=resolution.strip()[:300])
    return obj


# -- payments -----------------------------------------------------------------------------------------
def _payable(cycle: Cycle):
    """Committed entitlements with no payment under way or done (never paid, or every payment failed)."""
    busy = Payment.objects.filter(entitlement__cycle=cycle).exclude(state=Payment.State.FAILED).values("entitlement")
    return cycle.entitlements.filter(state=Entitlement.State.COMMITTED).exclude(pk__in=busy)


@transaction.atomic
def issue_batch(user, cycle: Cycle, *, idempotency_key: str, today: dt.date | None = None) -> PaymentBatch:
    """A batch of every payable entitlement of the cycle, payee accounts copied now; posting
    commitments → payable. The same key returns the same batch (a double submission pays nobody twice)."""
    _require(user, BENEFIT_MANAGE, cycle.area_id)
    if not idempotency_key:
        raise ValidationError({"idempotency_key": "required"})
    done = PaymentBatch.objects.filter(idempotency_key=idempotency_key).first()
    if done is not None:
        return done
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    rows = list(_payable(cycle).select_related("fund"))
    person_accounts = {a.person_id: a for a in PayeeAccount.objects.filter(
        person_id__in=[r.payee_person_id for r in rows if r.payee_kind == "family"])}
    payments, missing = [], 0
    last = cycle.batches.order_by("-number").first()
    batch = PaymentBatch.objects.create(cycle=cycle, number=(last.number + 1) if last else 1, follows=last,
                                        idempotency_key=idempotency_key, issued_on=_today(today), created_by=user)
    for r in rows:
        if r.payee_kind == "fund":
            bank, number, holder = r.fund.bank_name, r.fund.account_number, r.fund.name_zh
        else:
            acct = person_accounts.get(r.payee_person_id)
            if acct is None:
                missing += 1
                continue
            bank, number, holder = acct.bank_name, acct.account_number, acct.holder_name
        payments.append(Payment(batch=batch, entitlement=r, amount_fen=r.amount_fen, payee_name=holder,
                                bank_name=bank, account_number=number,
                                reference=f"RK{cycle.pk:05d}{batch.number:02d}{len(payments) + 1:06d}"))
    if not payments:
        raise ValidationError({"batch": f"没有可发放的待遇（{missing} 户缺银行账户） / nothing to pay "
                                        f"({missing} without a bank account)"})
    Payment.objects.bulk_create(payments, batch_size=2000)
    batch.total_fen, batch.count = sum(p.amount_fen for p in payments), len(payments)
    batch.save()
    a = accounts(cycle.program, cycle.area)
    ledger.transfer(a["commitments"], a["payable"], batch.total_fen, kind="issue", date=batch.issued_on, user=user,
                    description=f"发放批次 {batch}", reference=f"batch:{batch.pk}", idempotency_key=f"issue-{batch.pk}")
    batch.missing_accounts = missing
    return batch


@transaction.atomic
def send_batch(user, batch: PaymentBatch, *, today: dt.date | None = None) -> PaymentBatch:
    """The bank file goes to the bank: payable → bank clearing."""
    batch = PaymentBatch.objects.select_for_update().select_related("cycle__program", "cycle__area").get(pk=batch.pk)
    _require(user, BENEFIT_MANAGE, batch.cycle.area_id)
    if batch.state != PaymentBatch.State.ISSUED:
        raise TransitionError("批次已送银行 / the batch was already sent")
    a = accounts(batch.cycle.program, batch.cycle.area)
    ledger.transfer(a["payable"], a["clearing"], batch.total_fen, kind="send", date=_today(today), user=user,
                    description=f"送银行 {batch}", reference=f"batch:{batch.pk}", idempotency_key=f"send-{batch.pk}")
    batch.payments.update(state=Payment.State.SENT)
    batch.state, batch.sent_on = PaymentBatch.State.SENT, _today(today)
    batch.save()
    return batch


def export_batch(user, batch: PaymentBatch, fmt: str) -> tuple[bytes, str]:
    _require(user, BENEFIT_MANAGE, batch.cycle.area_id)
    audit.record("export", batch, user=user, detail={"format": fmt, "payments": batch.count})
    return bankfile.write_batch(batch.payments.order_by("id"), fmt), bankfile.content_type(fmt)


OUTCOMES = {
    "paid": gettext_lazy("paid"), "failed": gettext_lazy("failed (bank's reason)"),
    "unchanged": gettext_lazy("already reconciled, unchanged"), "unknown": gettext_lazy("not a payment of this batch"),
    "duplicate": gettext_lazy("repeated in the file"), "mismatch": gettext_lazy("amount differs from the payment"),
    "error": gettext_lazy("unreadable row"), "conflict": gettext_lazy("already reconciled otherwise; left unchanged"),
}
REFUSING = ("unknown", "duplicate", "mismatch", "error")


class _ReturnImport(pipeline.FileImport):
    """A bank return file against one batch, on the import pipeline: every row checked, then all of
    it applied or none of it (an unknown, repeated, unreadable or mismatched row refuses the file)."""

    spec = bankfile.RETURN_SPEC
    chunk_size = None
    object_type = "benefits.bankreturn"

    def __init__(self, path, *, batch: PaymentBatch, by_ref: dict[str, Payment], day: dt.date, user):
        super().__init__(path, user=user, today=day)
        self.batch, self.by_ref, self.day = batch, by_ref, day
        self.seen: set[str] = set()
        self.entries: list[dict] = []
        self.changed: list[Payment] = []

    def check(self, rows):
        for row in rows:
            parsed = bankfile.parse_row(row)
            ref = row.raw.get("reference", "").strip()
            entry = {"row": row.line, "reference": ref[:60]}
            self.entries.append(entry)
            if parsed is None:
                entry.update(outcome="error", message="; ".join(row.errors))
                continue
            p = self.by_ref.get(parsed.reference)
            if p is None:
                row.reject("流水号：批次中无此流水号 / reference: no such payment in the batch")
                entry.update(outcome="unknown", message=row.errors[-1])
                continue
            if parsed.reference in self.seen:
                row.reject("流水号：文件中重复出现 / reference: repeated in the file")
                entry.update(outcome="duplicate", message=row.errors[-1])
                continue
            self.seen.add(parsed.reference)
            if parsed.amount_fen != p.amount_fen:
                row.reject(f"金额：文件 {format_yuan(parsed.amount_fen)}，应为 {format_yuan(p.amount_fen)} / amount: "
                           f"file {format_yuan(parsed.amount_fen)}, expected {format_yuan(p.amount_fen)}")
                entry.update(outcome="mismatch", message=row.errors[-1])
                continue
            if p.state in (Payment.State.PAID, Payment.State.FAILED):
                same = (p.state == Payment.State.PAID) == parsed.paid
                row.action = "unchanged"
                if same:
                    entry.update(outcome="unchanged", message="")
                else:
                    msg = (f"已对账为「{p.get_state_display()}」，文件称{'成功' if parsed.paid else '失败'}，未改动 / "
                           f"already reconciled as {p.state}, the file says {'paid' if parsed.paid else 'failed'}; "
                           "left unchanged")
                    row.flags.append(msg)
                    entry.update(outcome="conflict", message=msg)
                continue
            row.action = "update"
            row.extra["parsed"], row.extra["payment"] = parsed, p
            entry.update(outcome="paid" if parsed.paid else "failed",
                         message="" if parsed.paid else (parsed.reason or "未说明 / not stated"))

    def write(self, rows):
        for row in rows:
            if row.action != "update":
                continue
            parsed, p = row.extra["parsed"], row.extra["payment"]
            p.settled_on, p.bank_reference = self.day, parsed.bank_reference[:60]
            if parsed.paid:
                p.state = Payment.State.PAID
            else:
                p.state, p.failure_reason = Payment.State.FAILED, (parsed.reason or "未说明 / not stated")[:200]
            self.changed.append(p)

    def finish(self):
        batch = self.batch
        pipeline.update_rows(self.changed, ["state", "settled_on", "bank_reference", "failure_reason"])
        paid: dict[int | None, int] = defaultdict(int)
        failed_total = 0
        for p in self.changed:
            if p.state == Payment.State.PAID:
                paid[p.entitlement.fund_id] += p.amount_fen
            else:
                failed_total += p.amount_fen
        a = accounts(batch.cycle.program, batch.cycle.area)
        funds = {f.pk: f for f in Fund.objects.filter(pk__in=[k for k in paid if k])}
        lines = [ledger.Line(payee_account(batch.cycle.program, batch.cycle.area, funds.get(fund_id)), fen)
                 for fund_id, fen in paid.items()]
        if failed_total:
            lines.append(ledger.Line(a["commitments"], failed_total))
        moved = sum(paid.values()) + failed_total
        if moved:
            lines.append(ledger.Line(a["clearing"], -moved))
            ledger.post(lines, kind="settle", date=self.day, user=self.user,
                        description=f"银行回盘 {batch} {self.source.name}"[:300], reference=f"batch:{batch.pk}")
        if not batch.payments.filter(state__in=[Payment.State.ISSUED, Payment.State.SENT]).exists():
            batch.state = PaymentBatch.State.RECONCILED
            batch.save()
        from renkou.indicators.services import mark_dirty

        mark_dirty({p.entitlement.village_id for p in self.changed}, [batch.cycle.period_start])

    def audit_detail(self):
        return {"batch": self.batch.pk, "paid": sum(1 for p in self.changed if p.state == Payment.State.PAID),
                "failed": sum(1 for p in self.changed if p.state == Payment.State.FAILED)}


@transaction.atomic
def import_return(user, batch: PaymentBatch, *, filename: str, content: bytes,
                  today: dt.date | None = None) -> BankReturn:
    """Reconcile a bank return file, all or nothing: when every row is readable, names a payment of
    the batch once and carries its amount, the paid and failed rows are applied (and rows already
    reconciled left as they are); otherwise nothing changes and the report names each row at fault.
    The same file sent again changes nothing. Every file's report is kept (``BankReturn``)."""
    batch = PaymentBatch.objects.select_for_update().select_related("cycle__program", "cycle__area").get(pk=batch.pk)
    _require(user, BENEFIT_MANAGE, batch.cycle.area_id)
    if batch.state == PaymentBatch.State.ISSUED:
        raise TransitionError("批次尚未送银行 / the batch has not been sent to the bank")
    by_ref = {p.reference: p for p in batch.payments.select_for_update(of=("self",)).select_related("entitlement__fund")}
    day = _today(today)
    digest = hashlib.sha256(content).hexdigest()
    job = None
    with pipeline.spooled(content, filename) as path:
        job = _ReturnImport(path, batch=batch, by_ref=by_ref, day=day, user=user)
        try:
            job.run()
            report = job.entries
        except pipeline.ImportFailed as exc:
            report = [{"row": 0, "reference": "", "outcome": "error", "message": str(exc)}]
    if not report:
        report = [{"row": 0, "reference": "", "outcome": "error", "message": "空文件：没有数据行 / empty file: no rows"}]
    applied = bool(job and job.changed and job.result.written)
    counts: dict[str, int] = defaultdict(int)
    for r in report:
        counts[r["outcome"]] += 1
    report.sort(key=lambda r: r["row"])
    return BankReturn.objects.create(batch=batch, filename=filename[:200], sha256=digest, imported_by=user,
                                     report=report, counts=dict(counts), applied=applied)


# -- verification (抽查回访) ---------------------------------------------------------------------------
@transaction.atomic
def draw_verification(user, cycle: Cycle, *, size: int, seed: int) -> list[VerificationVisit]:
    """A reproducible random sample of paid families: the same seed draws the same payments."""
    _require(user, BENEFIT_MANAGE, cycle.area_id)
    paid = sorted(Payment.objects.filter(entitlement__cycle=cycle, state=Payment.State.PAID).values_list("pk", flat=True))
    chosen = random.Random(seed).sample(paid, min(size, len(paid)))
    visits = [VerificationVisit(cycle=cycle, payment_id=pk, seed=seed) for pk in sorted(chosen)]
    VerificationVisit.objects.bulk_create(visits, ignore_conflicts=True)
    return list(cycle.visits.filter(payment_id__in=chosen))


def record_visit(user, visit: VerificationVisit, *, result: str, note: str = "") -> VerificationVisit:
    _require(user, BENEFIT_PROPOSE if has_perm(user, BENEFIT_PROPOSE) else BENEFIT_MANAGE,
             visit.payment.entitlement.village_id)
    if result not in VerificationVisit.Result.values or not result:
        raise ValidationError({"result": f"未知结果 / unknown result {result!r}"})
    visit.result, visit.note, visit.visited_by = result, note[:300], user
    visit.save()
    return visit


def verification_estimate(cycle: Cycle, confidence: float = 0.95) -> dict:
    from renkou.evaluation.verification import wilson_interval

    done = cycle.visits.exclude(result="")
    n = done.count()
    errors = done.exclude(result=VerificationVisit.Result.CONFIRMED).count()
    out = {"drawn": cycle.visits.count(), "visited": n, "errors": errors, "rate": None, "lower": None, "upper": None}
    if n:
        lo, hi = wilson_interval(errors, n, confidence)
        out.update({"rate": errors / n, "lower": lo, "upper": hi})
    return out


# -- summaries and indicators -------------------------------------------------------------------------
def cycle_totals(cycle: Cycle) -> dict:
    ent = cycle.entitlements.exclude(state=Entitlement.State.EXCLUDED)
    committed = ent.filter(state=Entitlement.State.COMMITTED)
    pays = Payment.objects.filter(entitlement__cycle=cycle)
    paid_ids = set(pays.filter(state=Payment.State.PAID).values_list("entitlement_id", flat=True))
    failed_open = (pays.filter(state=Payment.State.FAILED).exclude(entitlement_id__in=paid_ids)
                   .exclude(entitlement_id__in=pays.exclude(state=Payment.State.FAILED).values("entitlement_id")))
    return {
        "program": cycle.program.code, "period": cycle.period, "area": cycle.area_id,
        "households": ent.exclude(household_id=None).values("household_id").distinct().count(),
        "persons": ent.aggregate(s=Sum("persons"))["s"] or 0, "units": ent.count(),
        "listed_fen": ent.aggregate(s=Sum("amount_fen"))["s"] or 0,
        "committed_fen": committed.aggregate(s=Sum("amount_fen"))["s"] or 0,
        "paid_fen": pays.filter(state=Payment.State.PAID).aggregate(s=Sum("amount_fen"))["s"] or 0,
        "paid_units": len(paid_ids),
        "failed_fen": failed_open.aggregate(s=Sum("amount_fen"))["s"] or 0,
        "failed_units": failed_open.values("entitlement_id").distinct().count(),
    }


def summary(user, area_code: str, period_code: str) -> list[dict]:
    code = areacodes.full_code(area_code)
    if user is not None and not can_view(user, code):
        raise PermissionDenied(f"区划 {code} 不在您的范围内 / area {code} is outside your areas")
    qs = Cycle.objects.filter(area__pk__startswith=code[:6], period__startswith=period_code).select_related("program")
    out = []
    for c in qs.order_by("program__code", "period"):
        t = cycle_totals(c)
        out.append({(k[:-4] if k.endswith("_fen") else k): (str(ledger_yuan(v)) if k.endswith("_fen") else v)
                    for k, v in t.items()} | {"cycle": c.pk})
    return out


def ledger_yuan(fen: int):
    from renkou.ledger.money import yuan

    return yuan(fen)


def coverage(cycle: Cycle) -> tuple[float | None, dict]:
    """Coverage of eligible families (覆盖率): eligible units paid ÷ eligible units on the frozen roster."""
    t = cycle_totals(cycle)
    return (t["paid_units"] / t["units"] if t["units"] else None), {"numerator": t["paid_units"],
                                                                   "denominator": t["units"]}


def punctuality(cycle: Cycle) -> tuple[float | None, dict]:
    """Payment punctuality (及时率): payments paid within PAY_WITHIN_DAYS of the period end ÷ units paid."""
    due = cycle.period_end + dt.timedelta(days=PAY_WITHIN_DAYS)
    paid = Payment.objects.filter(entitlement__cycle=cycle, state=Payment.State.PAID)
    n = paid.count()
    on_time = paid.filter(settled_on__lte=due).count()
    return (on_time / n if n else None), {"numerator": on_time, "denominator": n, "due": due.isoformat()}


def money_by_area_month(user, county_code: str) -> list[dict]:
    """Paid money by township and month (for the chart)."""
    code = areacodes.full_code(county_code)
    if user is not None and not can_view(user, code):
        raise PermissionDenied(f"区划 {code} 不在您的范围内 / area {code} is outside your areas")
    names = dict(Area.objects.filter(code__startswith=code[:6], level=Area.Level.TOWNSHIP).values_list("code", "name"))
    rows: dict[tuple[str, str], int] = defaultdict(int)
    for village, day, fen in (Payment.objects.filter(state=Payment.State.PAID, batch__cycle__area_id=code)
                              .values_list("entitlement__village_id", "settled_on", "amount_fen")):
        town = areacodes.full_code(village[:9])
        rows[(names.get(town, town), f"{day:%Y-%m}")] += fen
    return [{"township": t, "month": m, "yuan": fen / 100} for (t, m), fen in sorted(rows.items())]


def inbox(user):
    """Lists waiting for this user's step, in their areas."""
    from renkou.core.scoping import scoped

    wanted = [a for a, (_src, _t, perm) in TRANSITIONS.items() if has_perm(user, perm) and a != "send_back"]
    states = [s for a in wanted for s in TRANSITIONS[a][0]]
    return (scoped(user, RosterList, CAPTURE).filter(state__in=states)
            .select_related("cycle__program", "village").annotate(n=Count("entitlements"),
                                                                  open=Count("objections", filter=Q(
                                                                      objections__state="open"))))

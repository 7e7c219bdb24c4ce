"""The benefits part of ``renkou demo``: the seed's two local programs paid from the register.

- 改则县 2005: the handbook counts 217 herder one-child households rewarded ¥100 each. The register
  holds no certificates, so the demo issues the one-child parents' certificate (独生子女父母光荣证,
  a benefits fact) to 217 of the herder households with exactly one child, drawn by the demo's seed —
  the calibration, like the synthetic county's 17,078 herders; the roster is then computed from the
  micro-records by the program's rule (herder household, certificate, one child). The lists go
  through the village, the township, a public notice in which one objection is raised and
  dismissed, and the county; one bank payment fails (a wrong account number), the account is
  corrected and the payment re-issued in a follow-up batch: ¥21,700 paid to 217 households.
- 息烽县 2005 (when built): rural one-child and two-daughter households, ¥10 each paid to the
  cooperative medical-insurance fund, not to the families.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from renkou.core import areacodes
from renkou.core.models import Area, User
from renkou.demo import STEPS

GAIZE, XIFENG = "542526", "520122"
GAIZE_HOUSEHOLDS = 217
REVIEW_DAY = dt.date(2006, 1, 5)
APPROVAL_DAY = REVIEW_DAY + dt.timedelta(days=8)
PAY_DAY = dt.date(2006, 1, 20)


def _county_user(code: str):
    return User.objects.filter(role="county_officer", capture_areas__code=areacodes.full_code(code)).first()


def _actor(role: str, village: str):
    """The demo account of that role whose capture areas cover the village, else the system."""
    from renkou.core.scoping import CAPTURE, code_in_scope

    for u in User.objects.filter(role=role).prefetch_related("capture_areas"):
        if code_in_scope(u, village, CAPTURE):
            return u
    return None


def issue_gaize_certificates(seed: int) -> int:
    """One-child certificates to 217 herder households with one child (see the module docstring)."""
    from .facts import gather
    from .models import Certificate, Program

    program = Program.objects.get(code="gaize-herder-one-child")
    county = Area.objects.get(code=areacodes.full_code(GAIZE))
    census = dt.date(2005, 12, 31)
    rule = {"all": [{"fact": "household.herder", "op": "==", "value": True},
                    {"fact": "children.count", "op": "==", "value": 1}]}
    units = [u for u in gather(None, program, rule, county=county, census=census, period_start=dt.date(2005, 1, 1))
             if u.facts["household.herder"] and u.facts["children.count"] == 1]
    units.sort(key=lambda u: u.key)
    chosen = random.Random(seed).sample(units, min(GAIZE_HOUSEHOLDS, len(units)))
    Certificate.objects.bulk_create([
        Certificate(person_id=u.person_id, household_id=u.household_id, area_id=u.village or county.code,
                    kind=Certificate.Kind.ONE_CHILD, number=f"GZ{i + 1:04d}", issued=dt.date(2004, 6, 30))
        for i, u in enumerate(sorted(chosen, key=lambda u: u.key))])
    return len(chosen)


def _walk_lists(cycle, *, objection: bool) -> None:
    from . import services

    county = _county_user(cycle.area_id[:6])
    first = True
    for rl in cycle.lists.order_by("village_id"):
        services.transition(_actor("village_officer", rl.village_id), rl, "propose", today=REVIEW_DAY)
        services.transition(_actor("township_officer", rl.village_id), rl, "review", today=REVIEW_DAY)
        if objection and first:
            e = rl.entitlements.order_by("id").first()
            o = services.record_objection(None, rl, raised_by="村民", entitlement=e, today=REVIEW_DAY + dt.timedelta(2),
                                          text="该户孩子已有弟妹，不应领取独生子女奖励 / the child has a sibling")
            services.resolve_objection(None, o, upheld=False, today=REVIEW_DAY + dt.timedelta(4),
                                       resolution="入户核实：户内仅一孩，异议不成立 / checked at home: one child only")
            first = False
        services.transition(county, rl, "approve", today=APPROVAL_DAY)


def _bank_return(batch, fail: set[int]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["流水号", "金额", "状态", "失败原因", "银行流水号"])
    for p in batch.payments.order_by("id"):
        bad = p.pk in fail
        w.writerow([p.reference, f"{p.amount_fen / 100:.2f}", "失败" if bad else "成功",
                    "账号户名不符" if bad else "", "" if bad else f"B{p.pk:08d}"])
    return buf.getvalue().encode("utf-8")


def _pay(cycle, *, fail_one: bool) -> None:
    from . import services
    from .models import PayeeAccount

    user = _county_user(cycle.area_id[:6])
    heads = cycle.entitlements.filter(payee_kind="family")
    PayeeAccount.objects.bulk_create([
        PayeeAccount(person_id=e.payee_person_id, area_id=e.village_id, bank_name="农村信用社",
                     account_number=f"6217{e.payee_person_id:012d}", holder_name=e.payee_name)
        for e in heads if e.payee_person_id], ignore_conflicts=True)
    batch = services.issue_batch(user, cycle, idempotency_key=f"demo-{cycle.pk}-1", today=PAY_DAY)
    services.send_batch(user, batch, today=PAY_DAY)
    failed = {batch.payments.order_by("id").first().pk} if fail_one else set()
    services.import_return(user, batch, filename="回盘-1.csv", content=_bank_return(batch, failed),
                           today=PAY_DAY + dt.timedelta(days=3))
    if failed:
        p = batch.payments.get(pk=next(iter(failed)))
        acct = PayeeAccount.objects.get(person_id=p.entitlement.payee_person_id)
        acct.account_number = acct.account_number[:-1] + "9"  # the corrected number, after a visit
        acct.save()
        again = services.issue_batch(user, cycle, idempotency_key=f"demo-{cycle.pk}-2", today=PAY_DAY + dt.timedelta(5))
        services.send_batch(user, again, today=PAY_DAY + dt.timedelta(5))
        services.import_return(user, again, filename="回盘-2.csv", content=_bank_return(again, set()),
                               today=PAY_DAY + dt.timedelta(days=7))


def run_gaize(seed: int) -> dict:
    from . import services
    from .models import Program

    program = Program.objects.get(code="gaize-herder-one-child")
    user = _county_user(GAIZE)
    issue_gaize_certificates(seed)
    cycle = services.compute_cycle(user, program, GAIZE, "2005")
    services.allocate_budget(user, program, GAIZE, "21700", today=dt.date(2005, 12, 1),
                             note="2005 年独生子女户奖励预算 / 2005 reward budget")
    _walk_lists(cycle, objection=True)
    _pay(cycle, fail_one=True)
    services.draw_verification(user, cycle, size=20, seed=seed)
    for v in cycle.visits.all():
        services.record_visit(None, v, result="confirmed", note="入户回访 / visited")
    return services.cycle_totals(cycle) | {"cycle": cycle.pk}


def run_xifeng(seed: int) -> dict:
    from . import services
    from .models import Program

    program = Program.objects.get(code="xifeng-ncms-premium")
    user = _county_user(XIFENG)
    cycle = services.compute_cycle(user, program, XIFENG, "2005")
    services.allocate_budget(user, program, XIFENG, f"{cycle.total_fen // 100}", today=dt.date(2005, 12, 1),
                             note="2005 年新农合代缴预算 / 2005 premium budget")
    _walk_lists(cycle, objection=False)
    _pay(cycle, fail_one=False)
    return services.cycle_totals(cycle) | {"cycle": cycle.pk}


def demo_step(ctx, progress) -> None:
    from . import services

    services.install_shipped_programs()
    for code, run in ((GAIZE, run_gaize), (XIFENG, run_xifeng)):
        if not Area.objects.filter(code=areacodes.full_code(code), children__isnull=False).exists():
            continue
        bar = progress(f"利益导向 {code} / benefits of {code}")
        bar(0, 1)
        t = run(ctx.seed)
        bar(1, 1)
        ctx.notes.append(f"benefits {t['program']} {t['period']}: {t['households']:,} households, paid "
                         f"¥{t['paid_fen'] / 100:,.2f} — /benefits/cycles/{t['cycle']}/")


STEPS.append(("benefits", demo_step))

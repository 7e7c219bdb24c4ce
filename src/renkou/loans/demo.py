"""The loans part of ``renkou demo``: Chengguan's (城关区 540102) 幸福工程 fund from micro-records.

The handbook reports: since 2000, 28 poor mothers received ¥5,000–15,000 each for two years, in 4
rounds, ¥211,999 lent (¥118,999 in 2000–2004, ¥93,000 in June 2005), ¥128,389 of income generated,
about 83 % out of poverty, not one fen lost. The demo builds that fund the way the office would:

- capital: a donation of ¥50,000 (2000), a grant of ¥20,000 (2004), a donation of ¥50,000 (2005);
- rounds: June 2000 (6 mothers, ¥35,000), July 2002 (6, ¥39,000), March 2004 (6, ¥44,999), June 2005
  (10, ¥93,000) — rounds 2–4 lend the principal repaid by the earlier rounds again;
- each mother is a real woman of the synthetic Chengguan register: married, aged 20–49 when her
  round opens, living in a village (村委会, a rural class 2xx area) — the register holds no incomes,
  so her household's baseline income (below the village average) is recorded on the application, as
  the village's listing gives it;
- each loan goes through the whole flow (listing, proposal, review, two home visits, approval, the
  agreement, disbursement in person), is repaid in four half-yearly instalments (June and December)
  and collected instalment by instalment, some a few days late, one in two parts;
- field evaluations at 6 months and at year end for the mothers of rounds 1–3 (the handbook's figures
  cover the evaluations before 2005): ¥128,389 of income in all, 15 of the 18 households evaluated
  out of poverty at their latest evaluation (83 %).
"""

from __future__ import annotations

import datetime as dt
import random

from renkou.core.models import Area
from renkou.demo import STEPS

COUNTY = "540102"
FUND = "chengguan"
CAPITAL = ((dt.date(2000, 3, 1), 50_000_00, "donation", "中国人口福利基金会 China Population Welfare Foundation"),
           (dt.date(2004, 1, 10), 20_000_00, "grant", "拉萨市人民政府 Lhasa municipal government"),
           (dt.date(2005, 5, 20), 50_000_00, "donation", "中国人口福利基金会 China Population Welfare Foundation"))
# round → (the day the mothers receive the money, the amounts in yuan)
ROUNDS = {
    1: (dt.date(2000, 6, 15), (5_000, 5_000, 6_000, 6_000, 5_000, 8_000)),
    2: (dt.date(2002, 7, 10), (6_000, 6_500, 7_000, 6_000, 6_500, 7_000)),
    3: (dt.date(2004, 3, 15), (7_000, 7_500, 7_500, 7_000, 8_000, 7_999)),
    4: (dt.date(2005, 6, 20), (9_000, 9_000, 9_000, 9_000, 9_000, 9_000, 9_000, 9_000, 10_500, 10_500)),
}
TERMS = {"term_months": 24, "interest": "none", "amortization": "equal_principal", "repayment_months": [6, 12]}
PROJECTS = ("养殖奶牛 dairy cows", "甜茶馆 sweet-tea house", "藏式家具加工 Tibetan furniture", "蔬菜大棚 vegetable greenhouse",
            "养猪 pig raising", "卡垫编织 carpet weaving", "小卖部 village shop", "运输 haulage")
INCOME_FEN = 12_838_900  # income generated found by the evaluations before 2005
OUT_OF_POVERTY = 15  # of the 18 mothers evaluated
LATE_DAYS = (0, 0, 3, 0, 9, 0, 0, 12)  # some instalments collected a few days after they fell due


def candidates(day: dt.date):
    """Married women aged 20–49 on ``day`` living in the villages of Chengguan and in the register then
    (not dead, not moved out, already entered), one per household."""
    from renkou.registry.models import Person

    villages = list(Area.objects.filter(code__startswith=COUNTY, level=Area.Level.VILLAGE, urban_rural__startswith="2")
                    .values_list("code", flat=True))
    qs = (Person.objects.filter(sex=2, registered_area_id__in=villages, marital_status__startswith="2",
                                birth_date__gt=dt.date(day.year - 50, day.month, day.day),
                                birth_date__lte=dt.date(day.year - 20, day.month, day.day))
          .exclude(death_date__lte=day).exclude(exit_date__lte=day).exclude(entry_date__gt=day).order_by("pk"))
    seen, out = set(), []
    for p in qs:
        if p.household_id in seen:
            continue
        seen.add(p.household_id)
        out.append(p)
    return out


def _incomes(n: int, total: int, rng: random.Random) -> list[int]:
    """``n`` amounts of fen, each a multiple of ¥1 (the last takes the odd yuan), summing to ``total``."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
    parts = [int(total * w / sum(weights)) // 100 * 100 for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def run_chengguan(seed: int) -> dict:
    """Build the fund, all of it or nothing (one transaction)."""
    from django.db import transaction

    with transaction.atomic():
        return _build(seed)


def _build(seed: int) -> dict:
    from . import services

    rng = random.Random(seed)
    fund = services.open_fund(FUND, COUNTY, "城关区幸福工程循环金", "Chengguan Happiness Project revolving fund")
    for day, fen, source, donor in CAPITAL:
        services.add_capital(fund, fen, source=source, donor=donor, on=day, idempotency_key=f"demo:{FUND}:{day}")
    chosen: set[int] = set()
    households: set[int] = set()
    loans = []
    for number, (day, amounts) in ROUNDS.items():
        _collect(loans, until=day)  # what came back before the round, lent again in it
        rnd = services.open_round(fund, number, day - dt.timedelta(days=60))
        pool = [p for p in candidates(day) if p.pk not in chosen and p.household_id not in households]
        picked = sorted(rng.sample(pool, len(amounts)), key=lambda p: p.pk)
        for person, yuan in zip(picked, amounts, strict=True):
            chosen.add(person.pk)
            households.add(person.household_id)
            average = rng.randrange(2_400, 3_600, 100) * 100
            listed = day - dt.timedelta(days=50)
            loan = services.propose(fund=fund, round=rnd, person=person, amount_fen=yuan * 100,
                                    project=rng.choice(PROJECTS), household_income_fen=average - rng.randrange(6, 14) * 100_00,
                                    village_average_income_fen=average, listed_from=listed,
                                    listed_to=listed + dt.timedelta(days=9), proposed_on=listed + dt.timedelta(days=12),
                                    terms=TERMS)
            services.review(loan, on=day - dt.timedelta(days=35))
            for n, back in ((1, 30), (2, 24)):
                services.record_visit(loan, number=n, visited_on=day - dt.timedelta(days=back), visitor="区项目办 次仁",
                                      has_plan=True, willing_to_work=True, income_below_average=True, able_to_repay=True,
                                      note="入户走访 / home visit")
            services.approve(loan, on=day - dt.timedelta(days=14), decision=f"拉萨市幸福工程组委会〔{day.year}〕{number}号")
            services.sign(loan, on=day - dt.timedelta(days=7), signatures={
                "committee": "拉萨市幸福工程组委会", "office": "城关区幸福工程项目办", "township": "乡（街道）计生办",
                "guarantor": "村委会", "mother": person.name})
            loans.append(services.disburse(loan, on=day, received_by=person.name))
    _collect(loans, until=dt.date(2005, 12, 31))
    _evaluate([loan for loan in loans if loan.round.number <= 3], rng)
    return services.summary(COUNTY, dt.date(2005, 12, 31))


def _collect(loans, *, until: dt.date) -> None:
    """Every instalment collected on its day (a few days late for some) up to ``until``; the same
    collection met again is recorded once (its key)."""
    from . import services

    end = until
    for k, loan in enumerate(loans):
        for inst in services.schedule_of(loan).instalments:
            fen = int(inst.amount * 100)
            day = inst.due + dt.timedelta(days=LATE_DAYS[(k + inst.number) % len(LATE_DAYS)])
            if day > end:
                continue
            if k == 3 and inst.number == 2:  # paid in two parts, the rest after the sale of the animals
                half = fen // 2
                services.collect(loan, on=day, amount_fen=half, idempotency_key=f"demo:{loan.pk}:{inst.number}a",
                                 collector="乡计生办", source="demo")
                services.collect(loan, on=day + dt.timedelta(days=20), amount_fen=fen - half,
                                 idempotency_key=f"demo:{loan.pk}:{inst.number}b", collector="乡计生办", source="demo")
                continue
            services.collect(loan, on=day, amount_fen=fen, idempotency_key=f"demo:{loan.pk}:{inst.number}",
                             collector="乡计生办", source="demo")


def _evaluate(loans, rng: random.Random) -> None:
    """Two evaluations per mother before 2005 (at 6 months and at the first year end after it); the
    year-end one finds 15 of the 18 households out of poverty."""
    from . import services
    from .models import Evaluation

    visits = []
    for loan in loans:
        six = loan.disbursed_on + dt.timedelta(days=182)
        year_end = dt.date(six.year if six.month < 12 else six.year + 1, 12, 20)
        visits.append((loan, Evaluation.Kind.SIX_MONTHS, six))
        visits.append((loan, Evaluation.Kind.YEAR_END, year_end))
    incomes = _incomes(len(visits), INCOME_FEN, rng)
    still_poor = set(rng.sample(range(len(loans)), len(loans) - OUT_OF_POVERTY))
    for n, ((loan, kind, day), fen) in enumerate(zip(visits, incomes, strict=True)):
        final = kind == Evaluation.Kind.YEAR_END
        services.evaluate(loan, kind=kind, visited_on=day, evaluator="区项目办 卓嘎", income_generated_fen=fen,
                          progress="项目运转正常 / the project runs" if final else "已起步 / started",
                          out_of_poverty=final and (n // 2) not in still_poor)


def demo_step(ctx, progress) -> None:
    if not Area.objects.filter(code__startswith=COUNTY, level=Area.Level.VILLAGE).exists():
        return
    bar = progress("幸福工程 城关区 / Happiness Project loans of Chengguan")
    bar(0, 1)
    s = run_chengguan(ctx.seed)
    bar(1, 1)
    ctx.notes.append(f"loans {COUNTY}: {s['mothers']} mothers, {s['rounds']} rounds, lent ¥{s['lent']:,.2f}, "
                     f"lost ¥{s['lost']:,.2f} — /loans/")


STEPS.append(("loans", demo_step))

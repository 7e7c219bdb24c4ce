"""Helpers of the benefits tests: a Xifeng premium cycle walked through approval."""

from __future__ import annotations

import datetime as dt

from renkou.benefits import services
from renkou.benefits.models import PayeeAccount

from .conftest import COUNTY

REVIEW_DAY = dt.date(2008, 1, 10)
AFTER_NOTICE = REVIEW_DAY + dt.timedelta(days=7)


def xifeng_cycle(officers, programs, period="2007"):
    return services.compute_cycle(officers["county"], programs["xifeng-ncms-premium"], COUNTY, period)


def approve_all(officers, cycle, *, budget="1000"):
    if budget:
        services.allocate_budget(officers["county"], cycle.program, COUNTY, budget, today=REVIEW_DAY)
    village_officer = {"520122100201": "village_a", "520122100202": "village_b", "520122101201": "village_c"}
    for rl in cycle.lists.all():
        services.transition(officers[village_officer[rl.village_id]], rl, "propose", today=REVIEW_DAY)
        services.transition(officers["township" if rl.village_id.startswith("520122100") else "other_township"], rl,
                            "review", today=REVIEW_DAY)
        services.transition(officers["county"], rl, "approve", today=AFTER_NOTICE)


def accounts_for(entitlements, bank="农村信用社"):
    for e in entitlements:
        if e.payee_person_id:
            PayeeAccount.objects.get_or_create(person_id=e.payee_person_id, defaults={
                "area_id": e.village_id, "bank_name": bank, "account_number": f"6228{e.payee_person_id:012d}",
                "holder_name": e.payee_name})

"""Property: whatever the sequence of approvals, budgets, batches and bank returns, the ledger sums to
zero and the roster, the payments and the ledger agree to the fen."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkou.benefits import services
from renkou.benefits.models import Payment, PaymentBatch
from renkou.ledger import services as ledger

from .conftest import COUNTY
from .helpers import AFTER_NOTICE, REVIEW_DAY, accounts_for

ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("budget"), st.sampled_from(["500", "960", "2000"])),
    st.tuples(st.just("approve"), st.integers(0, 2)),
    st.tuples(st.just("issue"), st.just(0)),
    st.tuples(st.just("send"), st.just(0)),
    st.tuples(st.just("return"), st.lists(st.booleans(), min_size=1, max_size=4)),
), max_size=14)

_keys = itertools.count()


def _apply(officers, cycle, action, arg):
    county = officers["county"]
    if action == "budget":
        services.allocate_budget(county, cycle.program, COUNTY, arg, today=REVIEW_DAY)
    elif action == "approve":
        lists = list(cycle.lists.order_by("village_id"))
        rl = lists[arg % len(lists)]
        who = {"520122100201": "village_a", "520122100202": "village_b", "520122101201": "village_c"}[rl.village_id]
        for actor, step, day in ((who, "propose", REVIEW_DAY), ("township" if rl.village_id.startswith("520122100")
                                                                 else "other_township", "review", REVIEW_DAY),
                                 ("county", "approve", AFTER_NOTICE)):
            services.transition(officers[actor], rl, step, today=day)
    elif action == "issue":
        services.issue_batch(county, cycle, idempotency_key=f"p{next(_keys)}", today=AFTER_NOTICE)
    elif action == "send":
        batch = cycle.batches.filter(state="issued").first()
        if batch:
            services.send_batch(county, batch, today=AFTER_NOTICE)
    elif action == "return":
        batch = cycle.batches.filter(state="sent").first()
        if batch:
            buf = io.StringIO()
            w = csv.writer(buf)
            w.writerow(["流水号", "金额", "状态", "失败原因"])
            for p, ok in zip(batch.payments.order_by("id"), itertools.cycle(arg), strict=False):
                w.writerow([p.reference, f"{p.amount_fen / 100:.2f}", "成功" if ok else "失败", "" if ok else "退回"])
            services.import_return(county, batch, filename="r.csv", content=buf.getvalue().encode(), today=AFTER_NOTICE)


def _sum(qs):
    return sum(qs.values_list("amount_fen", flat=True))


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_roster_payments_and_ledger_reconcile_after_any_sequence(officers, register, programs, actions):
    with transaction.atomic():
        cycle = services.compute_cycle(officers["county"], programs["rural-reward-support"], COUNTY, "2025")
        accounts_for(cycle.entitlements.all())
        for action, arg in actions:
            try:
                with transaction.atomic():
                    _apply(officers, cycle, action, arg)
            except ValidationError:
                pass  # refused (no budget, nothing to pay, wrong state): must change nothing
        a = services.accounts(cycle.program, cycle.area)
        bal = {k: ledger.balance(v, subtree=k == "paid") for k, v in a.items()}
        pays = Payment.objects.filter(batch__cycle=cycle)
        committed = _sum(cycle.entitlements.filter(state="committed"))
        assert ledger.trial_balance() == 0
        assert all(bal[k] >= 0 for k in ("budget", "commitments", "payable", "clearing", "paid"))
        assert bal["funding"] == bal["budget"] + bal["commitments"] + bal["payable"] + bal["clearing"] + bal["paid"]
        assert committed == bal["commitments"] + bal["payable"] + bal["clearing"] + bal["paid"]
        assert bal["paid"] == _sum(pays.filter(state="paid"))
        assert bal["clearing"] == _sum(pays.filter(state="sent"))
        assert bal["payable"] == _sum(pays.filter(state="issued"))
        # nobody is paid twice
        paid = list(pays.filter(state="paid").values_list("entitlement_id", flat=True))
        assert len(paid) == len(set(paid))
        assert all(b.count == b.payments.count() for b in PaymentBatch.objects.filter(cycle=cycle))
        transaction.set_rollback(True)

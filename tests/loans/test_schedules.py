"""Repayment schedules: hand-computed cases and properties (pure, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.loans.schedules import ScheduleError, Terms, add_months, build, reschedule, standing

D = Decimal


def test_grace_and_seasonal_schedule_by_hand():
    # ¥8,000 lent to a herder on 2003-06-15 for 24 months, no interest, equal principal, six months'
    # grace, repaid only in October and November (after the autumn sale of the animals).
    # Months 7..24 after 2003-06-15 run 2004-01-15 .. 2005-06-15; of them October and November:
    # 2004-10-15 and 2004-11-15 only — ¥4,000 each.
    terms = Terms(principal=D("8000"), term_months=24, grace_months=6, repayment_months=(10, 11))
    s = build(terms, dt.date(2003, 6, 15))
    assert [(i.due, i.principal, i.interest) for i in s.instalments] == [
        (dt.date(2004, 10, 15), D("4000.00"), D("0.00")),
        (dt.date(2004, 11, 15), D("4000.00"), D("0.00")),
    ]


def test_flat_interest_equal_principal_with_odd_fen_on_the_last_instalment():
    # ¥10,000 at 6 % flat for 12 months, repaid in 3 seasonal instalments (March, July, November),
    # 1 month's grace, from 2004-01-31: interest 10,000 × 0.06 × 12/12 = ¥600 → 200 a time;
    # principal 10,000 / 3 = 3,333.33, 3,333.33, 3,333.34; the 31st becomes the month's last day.
    terms = Terms(principal=D("10000"), term_months=12, interest="flat", annual_rate=D("0.06"), grace_months=1,
                  repayment_months=(3, 7, 11))
    s = build(terms, dt.date(2004, 1, 31))
    assert [(i.due, i.principal, i.interest) for i in s.instalments] == [
        (dt.date(2004, 3, 31), D("3333.33"), D("200.00")),
        (dt.date(2004, 7, 31), D("3333.33"), D("200.00")),
        (dt.date(2004, 11, 30), D("3333.34"), D("200.00")),
    ]
    assert s.total == D("10600.00")


def test_bullet_repays_everything_at_maturity():
    s = build(Terms(principal=D("5000"), term_months=24, amortization="bullet"), dt.date(2000, 3, 1))
    assert [i.amount for i in s.instalments][-1] == D("5000.00")
    assert sum(i.amount for i in s.instalments[:-1]) == 0
    assert s.maturity == dt.date(2002, 3, 1)


def test_seasonal_months_outside_the_term_fall_back_to_maturity():
    s = build(Terms(principal=D("3000"), term_months=3, repayment_months=(10,)), dt.date(2005, 1, 10))
    assert [(i.due, i.amount) for i in s.instalments] == [(dt.date(2005, 4, 10), D("3000.00"))]


def test_standing_counts_days_late_from_the_oldest_unpaid_instalment():
    s = build(Terms(principal=D("6000"), term_months=12, repayment_months=(6, 12)), dt.date(2004, 1, 1))
    # instalments: 2004-06-01 ¥3,000 and 2004-12-01 ¥3,000; ¥1,000 paid
    st_ = standing(s, D("1000"), dt.date(2004, 7, 31))
    assert (st_.due, st_.overdue, st_.outstanding, st_.days_late) == (D("3000.00"), D("2000.00"), D("5000.00"), 60)
    assert standing(s, D("3000"), dt.date(2004, 7, 31)).days_late == 0


def test_rescheduling_needs_a_reason_and_keeps_the_paid_part():
    s = build(Terms(principal=D("6000"), term_months=12, repayment_months=(6, 12)), dt.date(2004, 1, 1))
    with pytest.raises(ScheduleError, match="reason"):
        reschedule(s, D("1000"), start=dt.date(2004, 7, 1), months=12, reason="  ")
    # 18 months from 2004-07-01 run 2004-08-01 .. 2005-12-01: two Octobers carry the ¥5,000 left
    r = reschedule(s, D("1000"), start=dt.date(2004, 7, 1), months=18, reason="雪灾 snowstorm", repayment_months=(10,))
    assert [(i.due, i.amount) for i in r.instalments] == [
        (dt.date(2004, 6, 1), D("1000.00")),  # what was paid, where it was paid
        (dt.date(2004, 10, 1), D("2500.00")),
        (dt.date(2005, 10, 1), D("2500.00")),
    ]
    assert r.total == s.total and r.reason == "雪灾 snowstorm"


def test_terms_that_give_no_schedule_are_refused():
    with pytest.raises(ScheduleError, match="grace"):
        build(Terms(principal=D("1000"), term_months=6, grace_months=6), dt.date(2004, 1, 1))
    with pytest.raises(ScheduleError, match="positive"):
        build(Terms(principal=D("0"), term_months=6), dt.date(2004, 1, 1))


terms_st = st.builds(
    Terms,
    principal=st.decimals(min_value=D("100"), max_value=D("20000"), places=2),
    term_months=st.integers(2, 36),
    interest=st.sampled_from(["none", "flat"]),
    annual_rate=st.decimals(min_value=D("0"), max_value=D("0.12"), places=3),
    amortization=st.sampled_from(["equal_principal", "bullet"]),
    grace_months=st.integers(0, 1),
    repayment_months=st.lists(st.integers(1, 12), max_size=4, unique=True).map(tuple),
)
days_st = st.dates(min_value=dt.date(1998, 1, 1), max_value=dt.date(2020, 12, 31))


@settings(max_examples=200, deadline=None)
@given(terms_st, days_st)
def test_instalments_sum_to_principal_and_interest_and_balance_never_negative(terms, day):
    s = build(terms, day)
    assert s.principal == terms.principal
    assert s.interest == terms.total_interest
    assert all(i.principal >= 0 and i.interest >= 0 for i in s.instalments)
    assert all(b >= 0 for b in s.balances()) and s.balances()[-1] == 0
    assert [i.due for i in s.instalments] == sorted({i.due for i in s.instalments})
    assert all(i.due > day for i in s.instalments)


@settings(max_examples=200, deadline=None)
@given(terms_st, days_st, st.integers(0, 10_000), st.integers(1, 24), st.text(min_size=1, max_size=5).filter(str.strip))
def test_rescheduling_preserves_what_was_paid_and_what_is_owed(terms, day, permille, months, reason):
    s = build(terms, day)
    paid = (s.total * permille / 10_000).quantize(D("0.01"))
    if paid >= s.total:
        paid = s.total - D("0.01")
    start = max(s.instalments[-1].due, day)
    r = reschedule(s, paid, start=start, months=months, reason=reason)
    assert r.total == s.total
    assert r.principal == s.principal and r.interest == s.interest
    # the instalments the payment covered are unchanged in date and together add up to what was paid
    covered = [i for i in r.instalments if i.due <= start]
    assert sum(i.amount for i in covered) == paid
    before = standing(s, paid, start)
    after = standing(r, paid, start)
    assert after.paid == before.paid and after.outstanding == before.outstanding
    assert all(b >= 0 for b in r.balances())


def test_add_months_clamps_to_the_month_end():
    assert add_months(dt.date(2004, 1, 31), 1) == dt.date(2004, 2, 29)
    assert add_months(dt.date(2003, 11, 30), 3) == dt.date(2004, 2, 29)

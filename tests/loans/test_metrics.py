"""Portfolio metrics: PAR30 per CGAP against the arrears rate, by hand; through the catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from renkou.loans.metrics import LoanFacts, portfolio

from .conftest import VILLAGE_A, VILLAGE_C, mother, propose, to_disbursed


def _f(n, outstanding, overdue=0, days=0, **kw):
    return LoanFacts(loan=n, mother=n, round=1, office="520122000000", village="520122100201",
                     lent_fen=outstanding, outstanding_fen=outstanding, overdue_principal_fen=overdue, days_late=days, **kw)


def test_par30_counts_the_whole_balance_of_late_loans_and_the_arrears_rate_only_what_is_overdue():
    # ¥5,000,000 outstanding: one loan 45 days late owes ¥200,000 of which ¥40,000 is overdue; one 15
    # days late owes ¥300,000 with ¥10,000 overdue (late, but under 30 days); the rest is current.
    p = portfolio([_f(1, 200_000_00, 40_000_00, 45), _f(2, 300_000_00, 10_000_00, 15), _f(3, 4_500_000_00)])
    assert p.outstanding_fen == 5_000_000_00
    assert p.par30_balance_fen == 200_000_00 and p.par30 == pytest.approx(0.04)
    assert p.overdue_principal_fen == 50_000_00 and p.arrears_rate == pytest.approx(0.01)


def test_rates_with_nothing_to_divide_by_are_missing_not_zero():
    p = portfolio([])
    assert (p.par30, p.repayment_rate, p.loss_rate, p.out_of_poverty_share) == (None, None, None, None)


def test_repayment_rate_loss_rate_and_out_of_poverty_share_by_hand():
    p = portfolio([
        _f(1, 0, due_fen=5_000_00, collected_toward_due_fen=5_000_00, evaluated=True, out_of_poverty=True,
           income_generated_fen=3_000_00),
        _f(2, 0, due_fen=5_000_00, collected_toward_due_fen=4_000_00, written_off_fen=1_000_00, recovered_fen=250_00,
           evaluated=True, out_of_poverty=False, income_generated_fen=1_000_00),
        _f(3, 10_000_00),  # not evaluated yet
    ])
    assert p.repayment_rate == pytest.approx(0.9)  # 9,000 ÷ 10,000
    assert p.lost_fen == 750_00 and p.loss_rate == pytest.approx(750_00 / 10_000_00)
    assert (p.evaluated_mothers, p.out_of_poverty_mothers, p.out_of_poverty_share) == (2, 1, 0.5)
    assert p.income_generated_fen == 4_000_00


@pytest.mark.django_db
def test_fund_figures_are_catalog_indicators_by_area(officers, fund):
    from renkou.evaluation.sources import indicator_value
    from renkou.indicators import services as indicators
    from renkou.loans import indicators as ops
    from renkou.loans import services

    a = to_disbursed(propose(fund, mother("卓玛", VILLAGE_A), 6_000_00, terms={"repayment_months": [10]}))
    to_disbursed(propose(fund, mother("梅朵", VILLAGE_C), 10_000_00, terms={"repayment_months": [10]}))
    services.collect(a, on=dt.date(2000, 10, 1), amount_fen=1_000_00, idempotency_key="k")
    # as of 2000-12-31: A owes 5,000 with 2,000 overdue since 10-20 (72 days); C owes 10,000, 5,000 overdue
    assert ops.operand_values("outstanding_fen", ["520122", "520122100", "520122101", "520123"],
                              dt.date(2000, 1, 1), dt.date(2000, 12, 31)) == [15_000_00, 5_000_00, 10_000_00, None]
    assert ops.operand_values("par30_balance_fen", ["520122"], dt.date(2000, 1, 1), dt.date(2000, 12, 31)) == [15_000_00]
    assert ops.operand_values("overdue_principal_fen", ["520122"], dt.date(2000, 1, 1), dt.date(2000, 12, 31)) == [
        7_000_00]
    indicators.load_catalog()
    value, how = indicator_value("loans_arrears_rate", "520122", "2000")
    assert value == Decimal("46.7") and how["inputs"] == {"M{loans.overdue_principal_fen}": 7_000_00,
                                                          "M{loans.outstanding_fen}": 15_000_00}
    assert indicator_value("loans_par30", "520122", "2000")[0] == Decimal("100.0")
    assert indicator_value("loans_lent_yuan", "520122", "2000")[0] == Decimal("16000.00")

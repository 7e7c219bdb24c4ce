"""The application's flow as a server-side state machine, and the fund's money on the one ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from .conftest import VILLAGE_A, VILLAGE_C, mother, propose, signatures, to_disbursed, visit

pytestmark = pytest.mark.django_db


def test_each_step_is_taken_by_its_own_role_in_order(officers, fund):
    from renkou.loans import services

    m = mother("卓玛", VILLAGE_A)
    loan = propose(fund, m, user=officers["village_a"])
    with pytest.raises(PermissionDenied):
        services.review(loan, on=dt.date(2000, 3, 22), user=officers["village_a"])
    loan = services.review(loan, on=dt.date(2000, 3, 22), user=officers["township"])
    visit(loan, 1, dt.date(2000, 3, 25), user=officers["loans"])
    visit(loan, 2, dt.date(2000, 3, 28), user=officers["loans"])
    loan.refresh_from_db()
    assert loan.state == "visited"
    with pytest.raises(PermissionDenied):
        services.approve(loan, on=dt.date(2000, 4, 1), decision="1号", user=officers["loans"])
    services.approve(loan, on=dt.date(2000, 4, 1), decision="组委会〔2000〕1号", user=officers["county"])
    services.sign(loan, on=dt.date(2000, 4, 5), signatures=signatures(loan), user=officers["loans"])
    loan = services.disburse(loan, on=dt.date(2000, 4, 10), received_by="卓玛", user=officers["loans"])
    assert loan.state == "disbursed" and len(loan.schedule) == 24
    pos = services.fund_position(fund, dt.date(2000, 12, 31))
    assert (pos["capital_fen"], pos["cash_fen"], pos["out_fen"], pos["lent_fen"]) == (
        100_000_00, 92_000_00, 8_000_00, 8_000_00)
    assert pos["by_round"][1]["out_fen"] == 8_000_00


def test_disbursing_before_approval_is_refused(officers, fund):
    from renkou.loans import services

    loan = propose(fund, mother("央金", VILLAGE_A))
    services.review(loan, on=dt.date(2000, 3, 22))
    with pytest.raises(ValidationError, match="cannot disburse"):
        services.disburse(loan, on=dt.date(2000, 4, 10), received_by="央金")
    assert services.fund_position(fund)["lent_fen"] == 0


def test_approving_with_one_visit_is_refused_and_a_failed_screening_too(officers, fund):
    from renkou.loans import services

    loan = propose(fund, mother("拉姆", VILLAGE_A))
    services.review(loan, on=dt.date(2000, 3, 22))
    visit(loan, 1, dt.date(2000, 3, 25))
    with pytest.raises(ValidationError, match="1 home visit"):
        services.approve(loan, on=dt.date(2000, 4, 1), decision="1号")
    with pytest.raises(ValidationError, match="later day"):
        visit(loan, 2, dt.date(2000, 3, 25))
    visit(loan, 2, dt.date(2000, 3, 27), able_to_repay=False)
    with pytest.raises(ValidationError, match="visit 2: not able to repay"):
        services.approve(loan, on=dt.date(2000, 4, 1), decision="1号")
    loan.refresh_from_db()
    assert loan.state == "visited" and loan.approved_on is None


def test_skipping_the_review_is_refused(officers, fund):
    from renkou.loans import services

    loan = propose(fund, mother("次仁", VILLAGE_A))
    with pytest.raises(ValidationError, match="cannot record a home visit"):
        visit(loan, 1, dt.date(2000, 3, 25))
    with pytest.raises(ValidationError, match="cannot sign"):
        services.sign(loan, on=dt.date(2000, 4, 5), signatures=signatures(loan))


def test_proposal_needs_the_public_listing_and_a_woman_of_the_fund_area(officers, fund):
    from renkou.loans import services
    from renkou.registry.models import Person

    m = mother("德吉", VILLAGE_A)
    with pytest.raises(ValidationError, match="at least 7 days"):
        services.propose(fund=fund, round=fund.rounds.get(number=1), person=m, amount_fen=8_000_00, project="养鸡",
                         household_income_fen=1, village_average_income_fen=2, listed_from=dt.date(2000, 3, 1),
                         listed_to=dt.date(2000, 3, 3), proposed_on=dt.date(2000, 3, 10))
    with pytest.raises(ValidationError, match="after the public listing"):
        services.propose(fund=fund, round=fund.rounds.get(number=1), person=m, amount_fen=8_000_00, project="养鸡",
                         household_income_fen=1, village_average_income_fen=2, listed_from=dt.date(2000, 3, 1),
                         listed_to=dt.date(2000, 3, 10), proposed_on=dt.date(2000, 3, 10))
    man = Person.objects.create(name="扎西", sex=1, birth_date=dt.date(1970, 1, 1), registered_area_id=VILLAGE_A,
                                resident_area_id=VILLAGE_A, source_key="man1")
    with pytest.raises(ValidationError, match="living woman"):
        propose(fund, man)
    with pytest.raises(PermissionDenied):
        propose(fund, mother("梅朵", VILLAGE_C), user=officers["village_a"])


def test_money_must_be_received_by_the_mother_in_person(officers, fund):
    from renkou.loans import services

    loan = propose(fund, mother("卓嘎", VILLAGE_A))
    services.review(loan, on=dt.date(2000, 3, 22))
    visit(loan, 1, dt.date(2000, 3, 25))
    visit(loan, 2, dt.date(2000, 3, 27))
    services.approve(loan, on=dt.date(2000, 4, 1), decision="1号")
    bad = signatures(loan)
    del bad["guarantor"]
    with pytest.raises(ValidationError, match="village guarantor"):
        services.sign(loan, on=dt.date(2000, 4, 5), signatures=bad)
    services.sign(loan, on=dt.date(2000, 4, 5), signatures=signatures(loan))
    with pytest.raises(ValidationError, match="in person"):
        services.disburse(loan, on=dt.date(2000, 4, 10), received_by="她丈夫")


def test_a_loan_repaid_and_its_principal_relent_in_the_next_round(officers, fund):
    """Capital ¥100,000; round 1 lends ¥60,000 (6 × 10,000) in 2000, repaid by 2002; round 2 lends
    ¥90,000 in 2002 — more than the capital left, possible only with round 1's repaid principal."""
    from renkou.loans import services

    first = []
    for i in range(6):
        loan = propose(fund, mother(f"一轮{i}", VILLAGE_A), 10_000_00, terms={"amortization": "bullet"})
        first.append(to_disbursed(loan, dt.date(2000, 4, 20)))
    for i, loan in enumerate(first):
        services.collect(loan, on=dt.date(2002, 4, 20), amount_fen=10_000_00, idempotency_key=f"r1-{i}")
    pos = services.fund_position(fund, dt.date(2002, 4, 30))
    assert (pos["cash_fen"], pos["out_fen"], pos["repaid_fen"]) == (100_000_00, 0, 60_000_00)
    services.open_round(fund, 2, dt.date(2002, 5, 1))
    for i in range(9):
        loan = propose(fund, mother(f"二轮{i}", VILLAGE_A), 10_000_00, round_number=2, on=dt.date(2002, 5, 10))
        to_disbursed(loan, dt.date(2002, 6, 10))
    pos = services.fund_position(fund, dt.date(2002, 12, 31))
    assert pos["lent_fen"] == 150_000_00 and pos["capital_fen"] == 100_000_00
    assert pos["by_round"][1] == {"lent_fen": 60_000_00, "repaid_fen": 60_000_00, "lost_fen": 0, "out_fen": 0}
    assert pos["by_round"][2]["out_fen"] == 90_000_00 and pos["cash_fen"] == 10_000_00
    # the state of 2001 is still there: round 1 out, nothing repaid
    old = services.fund_position(fund, dt.date(2001, 6, 30))
    assert (old["out_fen"], old["repaid_fen"], old["cash_fen"]) == (60_000_00, 0, 40_000_00)


def test_a_round_cannot_lend_more_than_the_fund_holds(officers, fund):
    from renkou.ledger.services import LedgerError

    loans = [propose(fund, mother(f"母{i}", VILLAGE_A), 15_000_00) for i in range(7)]
    for loan in loans[:6]:
        to_disbursed(loan)
    with pytest.raises(LedgerError, match="would go negative"):
        to_disbursed(loans[6])

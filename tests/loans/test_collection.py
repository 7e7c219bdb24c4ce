"""Collections: partial, early and late, on a business date; idempotent; sheet files all or nothing;
write-off and recovery kept as history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from .conftest import VILLAGE_A, mother, propose, to_disbursed

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(officers, fund):
    # ¥6,000, no interest, 24 months from 2000-04-20, repaid each October: 2000-10-20 and 2001-10-20
    return to_disbursed(propose(fund, mother("卓玛", VILLAGE_A), 6_000_00, terms={"repayment_months": [10]}))


def test_schedule_of_a_seasonal_loan(loan):
    assert [(i["due"], i["principal"]) for i in loan.schedule] == [("2000-10-20", "3000.00"), ("2001-10-20", "3000.00")]


def test_back_dated_partial_and_late_collections_give_the_standing_of_each_date(officers, loan):
    from renkou.loans import services

    services.collect(loan, on=dt.date(2000, 10, 15), amount_fen=1_000_00, idempotency_key="a", user=officers["township"])
    services.collect(loan, on=dt.date(2000, 12, 5), amount_fen=2_000_00, idempotency_key="b", user=officers["loans"])
    loan.refresh_from_db()
    on_nov = services.loan_facts(loan, dt.date(2000, 11, 30))
    # due ¥3,000 on 10-20, ¥1,000 paid: ¥2,000 overdue, 41 days late, the whole ¥5,000 balance at risk
    assert (on_nov.due_fen, on_nov.collected_toward_due_fen, on_nov.overdue_principal_fen, on_nov.days_late,
            on_nov.outstanding_fen) == (3_000_00, 1_000_00, 2_000_00, 41, 5_000_00)
    on_dec = services.loan_facts(loan, dt.date(2000, 12, 31))
    assert (on_dec.overdue_principal_fen, on_dec.days_late, on_dec.outstanding_fen) == (0, 0, 3_000_00)
    # a collection entered later with an earlier business date changes the earlier standing
    services.collect(loan, on=dt.date(2000, 10, 1), amount_fen=500_00, idempotency_key="c")
    assert services.loan_facts(loan, dt.date(2000, 11, 30)).overdue_principal_fen == 1_500_00


def test_the_same_collection_entered_twice_is_recorded_once(officers, loan, fund):
    from renkou.loans import services
    from renkou.loans.models import Collection

    for _ in range(2):
        services.collect(loan, on=dt.date(2000, 10, 15), amount_fen=1_000_00, idempotency_key="twice")
    assert Collection.objects.filter(loan=loan).count() == 1
    assert services.fund_position(fund)["repaid_fen"] == 1_000_00
    with pytest.raises(ValidationError, match="another collection"):
        services.collect(loan, on=dt.date(2000, 10, 15), amount_fen=2_000_00, idempotency_key="twice")


def test_over_payment_is_refused_and_early_full_repayment_closes_the_loan(loan):
    from renkou.loans import services

    with pytest.raises(ValidationError, match="exceeds"):
        services.collect(loan, on=dt.date(2000, 6, 1), amount_fen=6_000_01, idempotency_key="x")
    services.collect(loan, on=dt.date(2000, 6, 1), amount_fen=6_000_00, idempotency_key="y")
    loan.refresh_from_db()
    assert loan.state == "repaid" and loan.closed_on == dt.date(2000, 6, 1)
    early = services.loan_facts(loan, dt.date(2000, 12, 31))
    # paid early: counts toward what fell due (¥3,000) once it falls due, never above it
    assert (early.due_fen, early.collected_toward_due_fen, early.outstanding_fen) == (3_000_00, 3_000_00, 0)


def test_write_off_and_recovery_keep_their_history(officers, loan, fund):
    from renkou.ledger.models import AppendOnlyError
    from renkou.loans import services

    services.collect(loan, on=dt.date(2000, 10, 15), amount_fen=1_000_00, idempotency_key="a")
    with pytest.raises(ValidationError, match="reason"):
        services.write_off(loan, on=dt.date(2003, 1, 10), reason=" ")
    w = services.write_off(loan, on=dt.date(2003, 1, 10), reason="户主病故，无力偿还 / the husband died")
    assert w.amount_fen == 5_000_00
    services.recover(loan, on=dt.date(2003, 8, 1), amount_fen=2_000_00, reason="亲属代还 / paid by relatives")
    with pytest.raises(ValidationError, match="between 0"):
        services.recover(loan, on=dt.date(2003, 8, 2), amount_fen=3_000_01, reason="again")
    pos = services.fund_position(fund, dt.date(2003, 12, 31))
    assert (pos["lost_fen"], pos["out_fen"]) == (3_000_00, 0)
    assert services.fund_position(fund, dt.date(2003, 6, 30))["lost_fen"] == 5_000_00
    with pytest.raises(AppendOnlyError):
        w.delete()
    with pytest.raises(AppendOnlyError):
        w.reason = "changed"
        w.save()
    facts = services.loan_facts(loan, dt.date(2003, 12, 31))
    assert (facts.written_off_fen, facts.recovered_fen, facts.outstanding_fen) == (5_000_00, 2_000_00, 0)


def test_rescheduling_keeps_what_was_paid(loan):
    from renkou.loans import services

    services.collect(loan, on=dt.date(2000, 10, 15), amount_fen=1_000_00, idempotency_key="a")
    r = services.reschedule(loan, on=dt.date(2000, 11, 1), start=dt.date(2000, 11, 1), months=24,
                            reason="雪灾 snowstorm", repayment_months=(10,))
    loan.refresh_from_db()
    assert [(i["due"], i["principal"]) for i in loan.schedule] == [
        ("2000-10-20", "1000.00"), ("2001-10-01", "2500.00"), ("2002-10-01", "2500.00")]
    assert r.before[0]["principal"] == "3000.00"
    assert services.loan_facts(loan, dt.date(2000, 12, 31)).days_late == 0


def _sheet(rows):
    return ("借款编号,收款日期,收款金额,收款人\n" + "\n".join(",".join(r) for r in rows) + "\n").encode()


def test_sheet_with_junk_duplicate_or_over_payment_rows_changes_nothing(officers, loan, fund):
    from renkou.loans import sheets
    from renkou.loans.models import Collection

    other = to_disbursed(propose(fund, mother("央金", VILLAGE_A), 5_000_00))
    content = _sheet([
        [str(loan.pk), "2000-10-15", "1000", "张"],
        [str(other.pk), "2000-10-15", "abc", "张"],  # row 3: junk amount
        [str(loan.pk), "2000-10-15", "1000", "张"],  # row 4: repeats row 2
        [str(other.pk), "2000-10-16", "5000.01", "张"],  # row 5: more than owed
        ["99999", "2000-10-16", "100", "张"],  # row 6: no such loan
    ])
    out = sheets.import_sheet(officers["township"], filename="sheet.csv", content=content)
    assert not out["written"] and Collection.objects.count() == 0
    errors = {e["row"]: e["message"] for e in out["errors"]}
    assert sorted(errors) == [3, 4, 5, 6]
    assert "amount" in errors[3] and "repeats row 2" in errors[4] and "exceeds" in errors[5] and "no loan" in errors[6]


def test_a_good_sheet_is_recorded_once_however_often_it_is_imported(officers, loan, fund):
    from renkou.loans import services, sheets
    from renkou.loans.models import Collection

    content = _sheet([[str(loan.pk), "2000-10-15", "1000", "张"], [str(loan.pk), "2000-10-30", '"2,000.00"', "张"]])
    first = sheets.import_sheet(officers["township"], filename="sheet.csv", content=content)
    again = sheets.import_sheet(officers["township"], filename="sheet-again.csv", content=content)
    assert (first["created"], again["created"], again["unchanged"]) == (2, 0, 2)
    assert Collection.objects.filter(loan=loan).count() == 1 + 1
    assert services.collected_fen(loan) == 3_000_00


def test_collection_sheet_of_a_village_shows_what_is_due_and_late(officers, loan):
    from renkou.loans import sheets

    rows = sheets.sheet_rows(officers["township"], VILLAGE_A, dt.date(2000, 12, 1))
    assert [(r["loan"].pk, r["due_fen"], r["overdue_fen"], r["days_late"], r["next_due"]) for r in rows] == [
        (loan.pk, 3_000_00, 3_000_00, 42, dt.date(2001, 10, 20))]
    assert sheets.sheet_rows(officers["village_c"], VILLAGE_A, dt.date(2000, 12, 1)) == []
    from renkou.loans import services

    services.collect(loan, on=dt.date(2001, 1, 5), amount_fen=6_000_00, idempotency_key="all")
    # repaid in January: gone from the sheets after, still on the sheet of December
    assert sheets.sheet_rows(officers["township"], VILLAGE_A, dt.date(2001, 2, 1)) == []
    assert len(sheets.sheet_rows(officers["township"], VILLAGE_A, dt.date(2000, 12, 1))) == 1

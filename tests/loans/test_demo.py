"""Chengguan's fund from micro-records: the handbook's figures as of 2005-12-31."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest


@pytest.fixture
def chengguan(db, seed_areas):
    """A small synthetic Chengguan (3,000 persons) loaded into the register."""
    from renkou import demo
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = replace(preset("chengguan"), persons=3_000, households_target=1_100, married_women_target=None)
    towns = demo._real_townships("540102")
    if towns:
        params = params.with_changes(township_names=towns)
    result = generate(params, 7)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    return result


@pytest.mark.django_db
def test_chengguan_fund_gives_the_handbook_figures_from_its_micro_records(chengguan, client, make_user, seed_areas):
    from django.core.management import call_command

    from renkou.ledger import services as ledger
    from renkou.loans import demo as loans_demo
    from renkou.loans.models import Collection, Evaluation, Loan

    s = loans_demo.run_chengguan(7)
    assert (s["mothers"], s["loans"], s["rounds"]) == (28, 28, 4)
    assert s["lent"] == Decimal("211999.00") and s["lost"] == Decimal("0.00")
    assert s["lent_by_year"] == {"2000": Decimal("35000.00"), "2002": Decimal("39000.00"),
                                 "2004": Decimal("44999.00"), "2005": Decimal("93000.00")}
    assert sum(v for y, v in s["lent_by_year"].items() if y < "2005") == Decimal("118999.00")
    assert s["income_generated"] == Decimal("128389.00")
    assert [(r["round"], r["mothers"], r["lent"], r["lost"]) for r in s["by_round"]] == [
        (1, 6, Decimal("35000.00"), Decimal("0.00")), (2, 6, Decimal("39000.00"), Decimal("0.00")),
        (3, 6, Decimal("44999.00"), Decimal("0.00")), (4, 10, Decimal("93000.00"), Decimal("0.00"))]
    assert sum(r["income_generated"] for r in s["by_round"]) == Decimal("128389.00")
    assert s["out_of_poverty_share"] == Decimal("0.8333")
    # the figures come from the records: 28 women of the register, each through the whole flow
    loans = list(Loan.objects.select_related("person"))
    assert all(loan.person.sex == 2 and loan.visits.count() == 2 and len(loan.signatures) == 5 for loan in loans)
    assert all(20 <= (loan.disbursed_on - loan.person.birth_date).days // 365.25 <= 49 for loan in loans)
    assert len({loan.person.household_id for loan in loans}) == 28
    assert all(loan.household_income_fen < loan.village_average_income_fen for loan in loans)
    assert sum(e.income_generated_fen for e in Evaluation.objects.filter(visited_on__lt=dt.date(2005, 1, 1))) == 12_838_900
    assert Collection.objects.count() > 60 and ledger.trial_balance() == 0
    # rounds 1 and 2 are repaid; what round 4 lent came partly from their principal
    assert Loan.objects.filter(round__number__in=[1, 2], state="repaid").count() == 12
    # the command line says the same
    from io import StringIO

    out = StringIO()
    call_command("loans", "summary", "--area", "540102", "--as-of", "2005-12-31", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["mothers"], data["rounds"], data["lent"], data["income_generated"], data["lost"]) == (
        28, 4, "211999.00", "128389.00", "0.00")
    assert Decimal(data["out_of_poverty_share"]) == Decimal("0.8333")
    # a mother of round 4 pays her first instalment (due 2005-12-20) 12 days late, in 2006: late at the
    # year end but under 30 days — in the arrears rate and the repayment rate, not in PAR30
    late = [loan for loan in loans if loan.round.number == 4 and loan.collections.filter(
        collected_on__lte=dt.date(2005, 12, 31)).count() == 0]
    assert len(late) == 1
    owed = sum(loan.amount_fen // 4 for loan in late)
    assert Decimal(data["par30"]) == 0
    assert Decimal(data["arrears_rate"]) == round(Decimal(owed) / Decimal(int(Decimal(data["outstanding"]) * 100)), 4)
    # and the fund's page shows the same to the district's loan officer
    client.force_login(make_user("chengguan_loans", "loan_officer", view=[seed_areas["540102000000"]]))
    page = client.get("/loans/?area=540102&as_of=2005-12-31").content.decode()
    assert 'data-figure="lent">¥211,999.00' in page and "¥128,389.00" in page and "83.3 %" in page

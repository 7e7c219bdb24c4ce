"""Sampled payment verification (抽查回访): a seeded sample and a Wilson interval of the error rate."""

from __future__ import annotations

import pytest

from renkou.benefits import services
from renkou.benefits.models import Payment
from renkou.evaluation.verification import wilson_interval

from .conftest import COUNTY, VILLAGE_A, family
from .helpers import AFTER_NOTICE, accounts_for, approve_all


@pytest.fixture
def paid_cycle(officers, register, programs):
    import datetime as dt

    for i in range(8):  # eight more one-child households: ten paid in all
        family(f"S{i}", VILLAGE_A, father_born=dt.date(1970, 1, 1), mother_born=dt.date(1971, 1, 1),
               children=[(1, dt.date(1995, 1, 1), None)])
    cycle = services.compute_cycle(officers["county"], programs["xifeng-ncms-premium"], COUNTY, "2007")
    approve_all(officers, cycle)
    accounts_for(cycle.entitlements.all())
    batch = services.issue_batch(officers["county"], cycle, idempotency_key="v", today=AFTER_NOTICE)
    services.send_batch(officers["county"], batch, today=AFTER_NOTICE)
    Payment.objects.filter(batch=batch).update(state="paid", settled_on=AFTER_NOTICE)
    return cycle


@pytest.mark.django_db
def test_the_same_seed_draws_the_same_families(officers, paid_cycle):
    a = [v.payment_id for v in services.draw_verification(officers["county"], paid_cycle, size=4, seed=2005)]
    assert len(a) == 4
    paid_cycle.visits.all().delete()
    b = [v.payment_id for v in services.draw_verification(officers["county"], paid_cycle, size=4, seed=2005)]
    assert a == b
    paid_cycle.visits.all().delete()
    c = [v.payment_id for v in services.draw_verification(officers["county"], paid_cycle, size=4, seed=7)]
    assert c != a


@pytest.mark.django_db
def test_the_error_rate_comes_with_a_wilson_interval(officers, paid_cycle):
    visits = services.draw_verification(officers["county"], paid_cycle, size=5, seed=1)
    for v, result in zip(visits, ["confirmed", "confirmed", "not_received", "confirmed"], strict=False):
        services.record_visit(officers["village_a"], v, result=result)
    est = services.verification_estimate(paid_cycle)
    lo, hi = wilson_interval(1, 4)
    assert (est["drawn"], est["visited"], est["errors"], est["rate"]) == (5, 4, 1, 0.25)
    assert (est["lower"], est["upper"]) == (lo, hi)
    assert 0.04 < lo < 0.05 and 0.69 < hi < 0.70  # Wilson 95 %: 1 of 4 → 4.6 % – 69.9 %


@pytest.mark.django_db
def test_punctuality_and_coverage_of_a_paid_cycle(officers, paid_cycle):
    value, how = services.coverage(paid_cycle)
    assert value == 1.0 and how == {"numerator": 10, "denominator": 10}
    value, how = services.punctuality(paid_cycle)
    assert value == 1.0 and how["due"] == "2008-02-29"


@pytest.mark.django_db
def test_coverage_indicator_source_for_the_assessment(officers, paid_cycle):
    from decimal import Decimal

    from renkou.benefits.indicators import indicator_value

    value, how = indicator_value("benefit_coverage", "520122", "2007")
    assert value == Decimal("100.0") and (how["numerator"], how["denominator"]) == (10, 10)
    assert indicator_value("benefit_punctuality", "520122", "2007")[0] == Decimal("100.0")
    assert indicator_value("benefit_coverage", "520122", "1999")[0] is None

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
def test_coverage_and_punctuality_are_catalog_indicators_the_assessment_reads(officers, paid_cycle):
    """Ten families paid; two payments then reported failed and one paid late: coverage 8 of 10,
    punctuality 7 of 8, through the catalog (module source ``benefits``) and the assessment's door."""
    import datetime as dt
    from decimal import Decimal

    from renkou.evaluation.sources import indicator_value
    from renkou.indicators import services as indicators
    from renkou.indicators.models import Indicator

    indicators.load_catalog()
    assert Indicator.objects.get(code="benefit_coverage").numerator == "M{benefits.paid_units}"
    pays = list(Payment.objects.filter(entitlement__cycle=paid_cycle).order_by("pk"))
    Payment.objects.filter(pk__in=[pays[0].pk, pays[1].pk]).update(state="failed", settled_on=None)
    Payment.objects.filter(pk=pays[2].pk).update(settled_on=dt.date(2008, 3, 1))  # due by 2008-02-29
    value, how = indicator_value("benefit_coverage", "520122", "2007")
    assert value == Decimal("80.0") and (how["numerator"], how["denominator"]) == (8, 10)
    assert how["inputs"] == {"M{benefits.eligible_units}": 10, "M{benefits.paid_units}": 8}
    assert indicator_value("benefit_punctuality", "520122", "2007")[0] == Decimal("87.5")
    assert indicator_value("benefit_paid_yuan", "520122", "2007")[0] == Decimal("80.00")  # 8 × ¥10
    missing, why = indicator_value("benefit_coverage", "520122", "1999")
    assert missing is None and "missing" in why


@pytest.mark.django_db
def test_a_module_operand_that_does_not_exist_is_refused_when_the_catalog_loads(tmp_path):
    from renkou.indicators import services as indicators

    bad = tmp_path / "catalog.yaml"
    bad.write_text("indicators:\n  - {code: x, name_zh: x, name_en: x, numerator: 'M{benefits.no_such}', "
                   "denominator: '1', type: ratio}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no_such"):
        indicators.load_catalog(bad)
    bad.write_text("indicators:\n  - {code: x, name_zh: x, name_en: x, numerator: 'M{benefits}', "
                   "denominator: '1', type: ratio}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="M{module.operand}"):
        indicators.load_catalog(bad)

"""Indicator values counted from the register for a township and a period, with their provenance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from renkou.evaluation import sources


@pytest.fixture
def register(seed_areas):
    """Village 红岩村 of 永靖镇: 8 residents all year, 2 births in 2005 (a boy in hospital, a girl at home),
    1 death; a person of 温泉镇 that must not count."""
    from renkou.registry.models import Event, Person

    village, other = "520122100201", "520122101201"
    people = [Person.objects.create(name=f"p{i}", sex=1 + i % 2, birth_date=dt.date(1970 + i, 1, 1),
                                    resident_area_id=village, registered_area_id=village) for i in range(8)]
    Person.objects.create(name="x", sex=1, birth_date=dt.date(1980, 1, 1), resident_area_id=other)
    boy = Person.objects.create(name="b", sex=1, birth_date=dt.date(2005, 3, 1), resident_area_id=village)
    girl = Person.objects.create(name="g", sex=2, birth_date=dt.date(2005, 6, 1), resident_area_id=village)
    people[0].death_date = dt.date(2005, 8, 1)
    people[0].status = "dead"
    people[0].save()
    Event.objects.create(kind="birth", event_date=boy.birth_date, registration_date=dt.date(2005, 3, 10),
                         area_id=village, subject=boy, delivery_place="hospital", state="registered")
    Event.objects.create(kind="birth", event_date=girl.birth_date, registration_date=dt.date(2005, 12, 1),
                         area_id=village, subject=girl, delivery_place="home", state="registered")
    Event.objects.create(kind="death", event_date=people[0].death_date, area_id=village, subject=people[0])
    Event.objects.create(kind="birth", event_date=dt.date(2005, 2, 1), area_id=other, subject=boy, is_current=False)


@pytest.mark.django_db
def test_birth_rate_is_births_over_mean_population(register):
    value, why = sources.indicator_value("crude_birth_rate", "520122100000", "2005")
    # start of 2005: 8 residents; end: 8 − 1 death + 2 births = 9; mean 8.5; 2 ÷ 8.5 × 1000 = 235.29
    assert why["population_start"] == 8 and why["population_end"] == 9
    assert value == Decimal("235.29") and why["numerator"] == 2 and why["denominator"] == "8.5"
    assert why["drill"]["prefix"] == "520122100"


@pytest.mark.django_db
def test_other_register_indicators(register):
    assert sources.indicator_value("natural_increase_rate", "520122100", "2005")[0] == Decimal("117.65")  # 1 ÷ 8.5
    assert sources.indicator_value("sex_ratio_at_birth", "520122100", "2005")[0] == Decimal("100.00")
    assert sources.indicator_value("hospital_delivery_rate", "520122100", "2005")[0] == Decimal("50.00")
    assert sources.indicator_value("registration_completeness", "520122100", "2005")[0] == Decimal("50.00")
    assert sources.indicator_value("crude_birth_rate", "520122100", "2004")[0] == Decimal("0.00")


@pytest.mark.django_db
def test_an_indicator_the_register_cannot_give_is_missing_not_zero(register):
    value, why = sources.indicator_value("self_governance_coverage", "520122100", "2005")
    assert value is None and "missing" in why

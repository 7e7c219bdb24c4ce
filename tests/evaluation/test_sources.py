"""Assessment items read indicator values from the indicators engine: the hand-computed values of a
small register, with their provenance, are the engine's stored values (one source)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from renkou.evaluation import sources

TOWNSHIP = "520122100000"  # 永靖镇


@pytest.fixture
def register(seed_areas):
    """Village 红岩村 of 永靖镇: 8 registered residents all year, 2 births in 2005 (a boy in hospital
    registered after 9 days, a girl at home registered after 6 months), 1 death; a person of 温泉镇
    and a superseded birth there that must not count. The default catalog is loaded."""
    from renkou.indicators import services
    from renkou.registry.models import Event, Person

    village, other = "520122100201", "520122101201"
    people = [Person.objects.create(name=f"p{i}", sex=1 + i % 2, birth_date=dt.date(1970 + i, 1, 1),
                                    resident_area_id=village, registered_area_id=village) for i in range(8)]
    Person.objects.create(name="x", sex=1, birth_date=dt.date(1980, 1, 1), resident_area_id=other,
                          registered_area_id=other)
    boy = Person.objects.create(name="b", sex=1, birth_date=dt.date(2005, 3, 1), resident_area_id=village,
                                registered_area_id=village)
    girl = Person.objects.create(name="g", sex=2, birth_date=dt.date(2005, 6, 1), resident_area_id=village,
                                 registered_area_id=village)
    people[0].death_date = dt.date(2005, 8, 1)
    people[0].status = "dead"
    people[0].save()
    Event.objects.create(kind="birth", event_date=boy.birth_date, registration_date=dt.date(2005, 3, 10),
                         area_id=village, subject=boy, delivery_place="hospital", state="registered")
    Event.objects.create(kind="birth", event_date=girl.birth_date, registration_date=dt.date(2005, 12, 1),
                         area_id=village, subject=girl, delivery_place="home", state="registered")
    Event.objects.create(kind="death", event_date=people[0].death_date, area_id=village, subject=people[0],
                         registration_date=people[0].death_date, state="registered")
    Event.objects.create(kind="birth", event_date=dt.date(2005, 2, 1), area_id=other, subject=boy, is_current=False)
    services.load_catalog()


def stored(code: str, area: str = TOWNSHIP, period: str = "2005"):
    from renkou.indicators.models import IndicatorValue

    return IndicatorValue.objects.get(indicator__code=code, area_id=area, period=period)


@pytest.mark.django_db
def test_birth_rate_is_births_over_mean_population(register):
    value, why = sources.indicator_value("cbr", "520122100", "2005")
    # start of 2005: 8 residents; end: 8 − 1 death + 2 births = 9; mean 8.5; 2 ÷ 8.5 × 1000 = 235.29…
    assert why["numerator"] == 2 and why["denominator"] == 8.5
    assert (Decimal(why["numerator"]) / Decimal(str(why["denominator"])) * 1000).quantize(Decimal("0.01")) \
        == Decimal("235.29")
    assert value == Decimal("235.3")  # the catalog publishes the birth rate to 1 decimal
    assert why["inputs"] == {"R{births}": 2, "R{mean_population}": 8.5}
    assert why["unit"] == "‰" and why["name_en"] and why["definition_version"] == 1 and len(why["inputs_hash"]) == 64


@pytest.mark.django_db
def test_value_is_the_engines_stored_value_of_the_same_cell(register):
    from renkou.indicators import services

    services.compute("520122", "2005", level=4)  # the engine's own run: county down to townships
    for code, expected in (("cbr", "235.3"), ("natural_increase", "117.6"), ("srb", "100.0"),
                           ("hospital_delivery_rate", "50.00")):
        value, why = sources.indicator_value(code, TOWNSHIP, "2005")
        row = stored(code)
        assert value == row.value == Decimal(expected), code
        assert why["indicator_value"] == row.pk and why["inputs_hash"] == row.inputs_hash
        assert why["numerator"] == row.numerator and why["denominator"] == row.denominator


@pytest.mark.django_db
def test_registration_completeness_is_timely_births_over_expected_births(register):
    # 1 birth registered within 30 days ÷ (reference birth rate 9.2‰ × mean population 8.5) × 100
    value, why = sources.indicator_value("registration_completeness", TOWNSHIP, "2005")
    assert why["numerator"] == 1 and why["denominator"] == pytest.approx(0.0782)
    assert value == Decimal("1278.77")


@pytest.mark.django_db
def test_nothing_stored_computes_the_unit_once_then_reads_the_store(register, monkeypatch):
    from renkou.indicators import services
    from renkou.indicators.models import ComputedScope, IndicatorValue

    assert not IndicatorValue.objects.exists()
    sources.indicator_value("cbr", TOWNSHIP, "2005")
    scope = ComputedScope.objects.get()
    assert (scope.root_id, scope.period, scope.level) == (TOWNSHIP, "2005", 4)
    monkeypatch.setattr(services, "compute", lambda *a, **k: pytest.fail("computed twice"))
    assert sources.indicator_value("srb", TOWNSHIP, "2005")[0] == Decimal("100.0")


@pytest.mark.django_db
def test_a_year_without_births_is_zero_not_missing(register):
    assert sources.indicator_value("cbr", TOWNSHIP, "2004")[0] == Decimal("0.0")


@pytest.mark.django_db
def test_drill_down_link_is_the_indicators_value_page(register):
    from django.urls import reverse

    _value, why = sources.indicator_value("hospital_delivery_rate", TOWNSHIP, "2005")
    assert why["url"] == reverse("indicators:value", args=[stored("hospital_delivery_rate").pk])


@pytest.mark.django_db
def test_an_indicator_without_data_is_missing_not_zero(register):
    value, why = sources.indicator_value("self_governance_coverage", TOWNSHIP, "2005")  # no yearly form entered
    assert value is None and "missing" in why and why["url"]


@pytest.mark.django_db
def test_a_zero_denominator_is_missing(register):
    value, why = sources.indicator_value("srb", "520122101", "2005")  # 温泉镇: no births at all
    assert value is None and why["denominator"] == 0 and "missing" in why


@pytest.mark.django_db
def test_a_code_outside_the_catalog_is_missing(register):
    value, why = sources.indicator_value("crude_birth_rate", TOWNSHIP, "2005")
    assert value is None and "catalog" in why["missing"]

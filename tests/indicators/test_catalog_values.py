"""Every catalog indicator on a hand-computed register: a dozen persons and their events in Xifeng.

Registered persons (ages at 2004-12-31 → 2005-12-31):
  village A: W1 ♀ 1980-05-01 married (24→25), M1 ♂ 1978 married to W1, W2 ♀ 1975-02-01 married (29→30),
             M3 ♂ 1940-03-03 (64→65), M7 ♂ 1960 moved out 2005-10-01;
  village C: W3 ♀ 1950 widowed (54→55), W4 ♀ 1990-07-01 single (14→15), M2 ♂ 1935 died 2005-06-01,
             M6 ♂ 1970 moved in 2005-07-01.
  migrant F5 ♀ 1985 living in A, household registration elsewhere.
Births: B1 W1 2005-03-01 ♂ 1st hospital (timely); B2 W2 2005-08-01 ♀ 2nd home (registered after 46 days);
        B3 W2 2003-05-01 ♂ 1st hospital registered 2005-02-01 (late report → 2005);
        B4 W1 2005-11-01 ♀ 2nd health centre, died 2005-11-03 (a birth and a death);
        B5 F5 2005-04-01 ♂, a migrant child (not in the registered population).
Registered population: start 9 (W1 W2 W3 W4 M1 M2 M3 M7 B3), end 10 (W1 W2 W3 W4 M1 M3 M6 B1 B2 B3): mean 9.5.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from renkou.indicators import services
from renkou.indicators.models import DataElement, DataValue, IndicatorValue

from .conftest import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_C


@pytest.fixture
def hand_world(world):
    from renkou.registry.models import ServiceRecord

    w = world
    w1 = w.person(sex=2, born="1980-05-01", marital="21", area=VILLAGE_A)
    m1 = w.person(sex=1, born="1978-01-01", marital="21", area=VILLAGE_A, spouse=w1)
    w2 = w.person(sex=2, born="1975-02-01", marital="21", area=VILLAGE_A)
    w.person(sex=1, born="1940-03-03", area=VILLAGE_A)
    m7 = w.person(sex=1, born="1960-01-01", area=VILLAGE_A, status="moved_out")
    w.event("move_out", m7, "2005-10-01")
    w.person(sex=2, born="1950-01-01", marital="30", area=VILLAGE_C)
    w.person(sex=2, born="1990-07-01", area=VILLAGE_C)
    m2 = w.person(sex=1, born="1935-06-01", area=VILLAGE_C)
    w.death(m2, "2005-06-01")
    m6 = w.person(sex=1, born="1970-01-01", area=VILLAGE_C, marital="21")
    w.event("move_in", m6, "2005-07-01")
    w.event("marriage", m6, "2005-09-01")
    f5 = w.person(sex=2, born="1985-01-01", marital="21", area=VILLAGE_A, registered=False, migrant="inflow")
    w.birth(w1, "2005-03-01", sex=1, order=1, place="hospital", registered="2005-03-10")
    w.birth(w2, "2005-08-01", sex=2, order=2, place="home", registered="2005-09-15")
    w.birth(w2, "2003-05-01", sex=1, order=1, place="hospital", registered="2005-02-01")
    b4, _ = w.birth(w1, "2005-11-01", sex=2, order=2, place="health_centre", registered="2005-11-05")
    w.death(b4, "2005-11-03", registered="2005-11-05")
    w.birth(f5, "2005-04-01", sex=1, order=1, child_registered=False)
    for person, kind, day in ((w1, "contraceptive_method", "2005-12-01"), (w2, "prenatal_care", "2005-06-01")):
        ServiceRecord.objects.create(person=person, type=kind, date=dt.date.fromisoformat(day), provider="乡卫生院",
                                     area_id=VILLAGE_A, consent_noted=True)
    del m1
    services.load_catalog()
    el = {e.code: e for e in DataElement.objects.all()}
    for code, area, period, value, dis in (
        ("villages_with_charter", VILLAGE_A, "2005", 1, ""), ("villages_with_charter", VILLAGE_C, "2005", 0, ""),
        ("villages_total", VILLAGE_A, "2005", 1, ""), ("villages_total", VILLAGE_C, "2005", 1, ""),
        ("publicity_sessions", TOWNSHIP, "200503", 3, ""), ("publicity_sessions", TOWNSHIP, "200511", 2, ""),
        ("publicity_sessions", TOWNSHIP, "200601", 7, ""),
        ("people_reached", TOWNSHIP, "200503", 300, ""), ("people_reached", TOWNSHIP, "200511", 200, ""),
        ("women_served", TOWNSHIP, "200506", 10, "married"), ("women_served", TOWNSHIP, "200506", 4, "unmarried"),
    ):
        DataValue.objects.create(element=el[code], area_id=area, period=period, value=value, disaggregation=dis)
    services.compute(COUNTY, "2005", level=4)
    services.compute(COUNTY, "2005SY", level=3)
    return w


def values(area=COUNTY, period="2005"):
    return {v.indicator.code: v.value for v in IndicatorValue.objects.filter(area_id=area, period=period)
            .select_related("indicator")}


EXPECTED_COUNTY_2005 = {
    "cbr": "421.1", "cdr": "210.5", "natural_increase": "210.5", "srb": "100.0", "gfr": "1600.0", "tfr": "6.00",
    "asfr_15_19": "0.0", "asfr_20_24": "2000.0", "asfr_25_29": "2000.0", "asfr_30_34": "2000.0", "asfr_35_49": None,
    "first_birth_share": "50.00", "second_birth_share": "50.00", "third_plus_birth_share": "0.00",
    "hospital_delivery_rate": "75.00", "contraceptive_prevalence": "50.00",
    "child_dependency": "50.00", "old_age_dependency": "16.67", "total_dependency": "66.67",
    "population_end": "10", "mean_population": "9.5", "resident_population_end": "12", "inflow_population_end": "2",
    "women_15_49_end": "3", "married_women_15_49_end": "2", "late_birth_share": "25.00",
    "registration_completeness": "2288.33", "self_governance_coverage": "50.00",
    "publicity_sessions": "5", "people_reached": "500", "trainings": None, "screenings": None,
    "mobile_service_trips": None, "mobile_service_km": None, "women_served": "14", "persons_served_register": "2",
    "people_reached_per_session": "100.0", "births_count": "4", "deaths_count": "2", "marriages_count": "1",
    "move_in_count": "1", "move_out_count": "1", "migrant_arrivals_count": "0", "migrant_departures_count": "0",
    "births_provisional_count": "0", "deaths_provisional_count": "0",
}


def test_every_catalog_indicator_has_its_hand_computed_value(hand_world):
    from renkou.indicators.models import Indicator

    got = values()
    assert set(EXPECTED_COUNTY_2005) <= set(got)
    # the rest come from the modules' catalog fragments (M{…}); the hand world has no module records
    extra = Indicator.objects.filter(code__in=set(got) - set(EXPECTED_COUNTY_2005))
    assert all("M{" in i.numerator + i.denominator for i in extra) and "benefit_coverage" in {i.code for i in extra}
    assert all(got[i.code] is None for i in extra)
    for code, want in EXPECTED_COUNTY_2005.items():
        assert got[code] == (None if want is None else Decimal(want)), code


def test_township_values_add_only_its_villages(hand_world):
    got = values(TOWNSHIP)
    # village A: start W1 W2 M1 M3 M7 B3 = 6, end W1 W2 M1 M3 B1 B2 B3 = 7; 4 births, 1 death (the newborn)
    assert got["mean_population"] == Decimal("6.5")
    assert got["cbr"] == Decimal("615.4") and got["cdr"] == Decimal("153.8")
    assert got["self_governance_coverage"] == Decimal("100.00")


def test_statistical_year_runs_october_to_september(hand_world):
    got = values(period="2005SY")
    # births B1, B2 and the late B3 (found 2005-02-01); B4 in November is in 2006SY.
    # population 2004-09-30: 9; 2005-09-30: W1 W2 W3 W4 M1 M3 M6 M7 B1 B2 B3 = 11; mean 10
    assert got["births_count"] == Decimal("3") and got["mean_population"] == Decimal("10.0")
    assert got["cbr"] == Decimal("300.0")


def test_values_keep_their_provenance(hand_world):
    v = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    assert v.inputs == {"R{births}": 4.0, "R{mean_population}": 9.5}
    assert v.numerator == 4.0 and v.denominator == 9.5 and v.definition_version == 1 and len(v.inputs_hash) == 64


def test_a_newborn_who_died_counts_in_births_and_deaths(hand_world):
    # 永靖镇 (village A): B1, B2, B3 (late report) and B4 were born there, and B4, two days old, is its only death
    got = values(TOWNSHIP)
    assert got["births_count"] == Decimal("4") and got["deaths_count"] == Decimal("1")
    # … and is in no population at the year's end: W1 W2 M1 M3 B1 B2 B3 (M7 moved out)
    assert got["population_end"] == Decimal("7")
    # 温泉镇 (village C): no birth, M2 its only death
    other = values(VILLAGE_C[:9] + "000")
    assert other["births_count"] == Decimal("0") and other["deaths_count"] == Decimal("1")

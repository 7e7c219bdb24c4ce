"""Logic checks (逻辑校验) as pure functions, on hand-made cases."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.registry import checks
from renkou.registry.checks import EventFacts, PersonFacts

from .conftest import id_for

TODAY = dt.date(2025, 6, 1)


def rules(findings):
    return {(f.rule, f.severity) for f in findings}


def test_id_number_agreeing_with_birth_date_and_sex_passes():
    born = dt.date(1990, 4, 5)
    p = PersonFacts(name="王芳", sex=2, birth_date=born, id_number=id_for(born, 2))
    assert checks.check_person(p, TODAY) == []


def test_id_number_disagreeing_with_birth_date_and_sex_is_two_errors():
    p = PersonFacts(name="王芳", sex=1, birth_date=dt.date(1990, 4, 6), id_number=id_for(dt.date(1990, 4, 5), 2))
    assert rules(checks.check_person(p, TODAY)) == {("id_birth_date", "error"), ("id_sex", "error")}


def test_wrong_check_digit_blocks_until_confirmed():
    born = dt.date(1970, 1, 1)
    number = id_for(born, 11, wrong_check=True)
    p = PersonFacts(name="刘强", sex=1, birth_date=born, id_number=number)
    found = checks.check_person(p, TODAY)
    assert rules(found) == {("id_check_digit", "error")}
    assert "check character should be" in found[0].message and found[0].fix
    assert checks.check_person(PersonFacts(**{**p.__dict__, "id_confirmed": True}), TODAY) == []


def test_formula_or_digits_in_a_name_is_an_error():
    assert ("name_junk", "error") in rules(checks.check_person(PersonFacts(name="=HYPERLINK(1)", sex=1,
                                                                           birth_date=dt.date(2000, 1, 1)), TODAY))
    assert ("name_junk", "error") in rules(checks.check_person(PersonFacts(name="张3", sex=1,
                                                                           birth_date=dt.date(2000, 1, 1)), TODAY))


# Civil Code art. 1047: men may marry at 22, women at 20 (completed years, 周岁). TODAY is 2025-06-01.
LEGAL_AGE_BOUNDARIES = [
    # sex, born one day too late (age − 1 year + 364 days), born exactly the legal age before
    (2, dt.date(2005, 6, 2), dt.date(2005, 6, 1)),  # a woman: 19 years 364 days / exactly 20
    (1, dt.date(2003, 6, 2), dt.date(2003, 6, 1)),  # a man: 21 years 364 days / exactly 22
]


@pytest.mark.parametrize(("sex", "a_day_short", "of_age"), LEGAL_AGE_BOUNDARIES)
def test_married_a_day_below_the_legal_age_is_flagged_and_at_the_legal_age_is_not(sex, a_day_short, of_age):
    assert checks.age_on(a_day_short, TODAY) == checks.age_on(of_age, TODAY) - 1
    young = PersonFacts(name="陈静", sex=sex, birth_date=a_day_short, marital_status="21")
    found = checks.check_person(young, TODAY)
    assert rules(found) == {("married_under_age", "warning")}
    assert "below the legal marriage age" in found[0].en and found[0].field == "marital_status"
    assert checks.check_person(PersonFacts(name="陈静", sex=sex, birth_date=of_age, marital_status="21"), TODAY) == []
    # never married: no age rule applies
    assert checks.check_person(PersonFacts(name="陈静", sex=sex, birth_date=a_day_short, marital_status="10"),
                               TODAY) == []


@pytest.mark.parametrize(("sex", "a_day_short", "of_age"), LEGAL_AGE_BOUNDARIES)
def test_marriage_a_day_before_the_legal_age_is_flagged_and_on_the_birthday_is_not(sex, a_day_short, of_age):
    other = PersonFacts(name="乙", sex=3 - sex, birth_date=dt.date(1990, 1, 1))

    def marriage(born):
        person = PersonFacts(name="甲", sex=sex, birth_date=born)
        # the husband is the subject, the wife the spouse (docs/formats.md)
        him, her = (person, other) if sex == 1 else (other, person)
        return EventFacts(kind="marriage", event_date=TODAY, registration_date=TODAY, area_code="520122100201",
                          subject=him, spouse=her)

    found = checks.check_event(marriage(a_day_short), TODAY)
    assert rules(found) == {("marriage_age", "warning")}
    who = "the person" if sex == 1 else "the spouse"
    assert found[0].en == f"{who} was below the legal marriage age"
    assert checks.check_event(marriage(of_age), TODAY) == []


def _birth(mother_born, day, **kw):
    mother = PersonFacts(name="母", sex=2, birth_date=mother_born)
    child = PersonFacts(name="子", sex=1, birth_date=day)
    return EventFacts(kind="birth", event_date=day, registration_date=day, area_code="520122100201", subject=child,
                      mother=mother, **kw)


def test_mother_age_warns_outside_15_to_49_and_rejects_outside_10_to_60():
    day = dt.date(2024, 5, 1)
    assert checks.check_event(_birth(dt.date(2000, 1, 1), day), TODAY) == []  # 24
    assert rules(checks.check_event(_birth(dt.date(2009, 5, 2), day), TODAY)) == {("mother_age", "warning")}  # 14
    assert rules(checks.check_event(_birth(dt.date(1974, 5, 1), day), TODAY)) == {("mother_age", "warning")}  # 50
    assert rules(checks.check_event(_birth(dt.date(2014, 5, 2), day), TODAY)) == {("mother_age", "error")}  # 9
    assert rules(checks.check_event(_birth(dt.date(1963, 4, 30), day), TODAY)) == {("mother_age", "error")}  # 61


def test_birth_to_mother_of_nine_is_rejected():
    found = checks.check_event(_birth(dt.date(2015, 1, 1), dt.date(2024, 5, 1)), TODAY)
    assert [f.rule for f in checks.blocking(found)] == ["mother_age"]
    assert "aged 9" in found[0].en


def test_sibling_births_less_than_24_weeks_apart_are_an_error_and_under_nine_months_a_warning():
    day = dt.date(2024, 5, 1)
    near = _birth(dt.date(1995, 1, 1), day, mother_other_births=((day - dt.timedelta(days=100), 1),))
    assert rules(checks.check_event(near, TODAY)) == {("sibling_interval", "error")}
    close = _birth(dt.date(1995, 1, 1), day, mother_other_births=((day - dt.timedelta(days=200), 1),))
    assert rules(checks.check_event(close, TODAY)) == {("sibling_interval", "warning")}
    far = _birth(dt.date(1995, 1, 1), day, mother_other_births=((day - dt.timedelta(days=400), 1),))
    assert checks.check_event(far, TODAY) == []


def test_twins_one_day_apart_are_not_a_sibling_interval_problem():
    day = dt.date(2024, 5, 1)
    twins = _birth(dt.date(1995, 1, 1), day, plurality=2, birth_order=2,
                   mother_other_births=((day - dt.timedelta(days=1), 2),))
    assert checks.check_event(twins, TODAY) == []


def test_birth_order_must_follow_the_mothers_registered_children():
    day = dt.date(2024, 5, 1)
    earlier = ((dt.date(2019, 1, 1), 1), (dt.date(2021, 3, 1), 1))
    ok = _birth(dt.date(1990, 1, 1), day, birth_order=3, mother_other_births=earlier)
    assert checks.check_event(ok, TODAY) == []
    wrong = _birth(dt.date(1990, 1, 1), day, birth_order=2, mother_other_births=earlier)
    found = checks.check_event(wrong, TODAY)
    assert rules(found) == {("birth_order", "warning")} and "2 earlier registered children" in found[0].en


def test_no_event_after_death_and_no_second_death():
    dead = PersonFacts(name="周", sex=1, birth_date=dt.date(1940, 1, 1), status="dead", death_date=dt.date(2020, 1, 1))
    move = EventFacts(kind="residence_change", event_date=dt.date(2021, 1, 1), registration_date=dt.date(2021, 1, 1),
                      subject=dead)
    assert rules(checks.check_event(move, TODAY)) == {("event_after_death", "error")}
    death = EventFacts(kind="death", event_date=dt.date(2020, 1, 1), registration_date=dt.date(2020, 1, 5),
                       subject=dead)
    assert rules(checks.check_event(death, TODAY)) == {("already_dead", "error")}


def test_area_must_be_valid_at_the_event_date():
    e = EventFacts(kind="residence_change", event_date=dt.date(2021, 1, 1), registration_date=dt.date(2021, 1, 1),
                   area_code="520122100201", area_valid_to=dt.date(2020, 12, 31),
                   subject=PersonFacts(name="周", sex=1, birth_date=dt.date(1980, 1, 1)))
    assert rules(checks.check_event(e, TODAY)) == {("area_not_valid", "error")}


def test_late_birth_registration_is_a_warning_counted_in_the_period_found():
    day = dt.date(2024, 1, 1)
    e = _birth(dt.date(1995, 1, 1), day)
    late = EventFacts(**{**e.__dict__, "registration_date": dt.date(2024, 3, 15)})
    assert rules(checks.check_event(late, TODAY)) == {("late_registration", "warning")}


def test_inflow_migrant_cannot_arrive_at_their_own_registered_place():
    me = PersonFacts(name="吴", sex=1, birth_date=dt.date(1990, 1, 1), registered_area="520122100201")
    e = EventFacts(kind="migrant_arrival", event_date=dt.date(2024, 1, 1), registration_date=dt.date(2024, 1, 2),
                   area_code="520122100201", subject=me)
    assert rules(checks.check_event(e, TODAY)) == {("inflow_at_home", "error")}


def test_marriage_of_a_married_person_is_an_error():
    him = PersonFacts(name="甲", sex=1, birth_date=dt.date(1990, 1, 1), marital_status="21")
    her = PersonFacts(name="乙", sex=2, birth_date=dt.date(1992, 1, 1))
    e = EventFacts(kind="marriage", event_date=dt.date(2024, 1, 1), registration_date=dt.date(2024, 1, 1),
                   subject=him, spouse=her)
    assert rules(checks.check_event(e, TODAY)) == {("already_married", "error")}

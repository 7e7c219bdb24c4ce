"""Fixtures of the register: officers of every level in Xifeng (息烽县), persons, ID numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.core.idnumber import check_character

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
VILLAGE_B = "520122100202"  # 新华村, 永靖镇
VILLAGE_C = "520122101201"  # 温泉村, 温泉镇
TOWNSHIP = "520122100000"
OTHER_TOWNSHIP = "520122101000"
COUNTY = "520122000000"


def id_for(born: dt.date, seq: int, *, wrong_check: bool = False) -> str:
    """A well-formed Xifeng ID number; odd ``seq`` = male, even = female."""
    body = f"520122{born:%Y%m%d}{seq:03d}"
    check = check_character(body)
    if wrong_check:
        check = "0" if check != "0" else "1"
    return body + check


@pytest.fixture
def officers(seed_areas, make_user):
    a = seed_areas
    return {
        "village_a": make_user("cun_a", "village_officer", capture=[a[VILLAGE_A]]),
        "village_b": make_user("cun_b", "village_officer", capture=[a[VILLAGE_B]]),
        "township": make_user("xiang", "township_officer", capture=[a[TOWNSHIP]]),
        "other_township": make_user("xiang2", "township_officer", capture=[a[OTHER_TOWNSHIP]]),
        "county": make_user("xian", "county_officer", capture=[a[COUNTY]]),
        "auditor": make_user("shenji", "auditor", view=[a[COUNTY]]),
    }


@pytest.fixture
def people(officers):
    """A married couple in village A (she born 1995-03-10), a man in village B, a woman in village C."""
    from renkou.registry import services

    county = officers["county"]
    mk = services.create_person
    mother = mk(user=county, name="李秀英", sex=2, birth_date=dt.date(1995, 3, 10), marital_status="21",
                id_number=id_for(dt.date(1995, 3, 10), 42), registered_area=VILLAGE_A)
    father = mk(user=county, name="王建国", sex=1, birth_date=dt.date(1993, 7, 1), marital_status="21",
                id_number=id_for(dt.date(1993, 7, 1), 31), registered_area=VILLAGE_A)
    b_man = mk(user=county, name="张伟", sex=1, birth_date=dt.date(1980, 1, 2), registered_area=VILLAGE_B)
    c_woman = mk(user=county, name="赵敏", sex=2, birth_date=dt.date(1990, 5, 5), registered_area=VILLAGE_C)
    return {"mother": mother, "father": father, "b_man": b_man, "c_woman": c_woman}

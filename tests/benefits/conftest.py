"""Fixtures of benefits: officers of every level in Xifeng (息烽县) and a small register built by hand."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇 (rural, class 220)
VILLAGE_B = "520122100202"  # 新华村, 永靖镇
VILLAGE_C = "520122101201"  # 温泉村, 温泉镇
TOWNSHIP = "520122100000"
OTHER_TOWNSHIP = "520122101000"
COUNTY = "520122000000"

_seq = itertools.count(1)


@pytest.fixture
def officers(seed_areas, make_user):
    a = seed_areas
    return {
        "village_a": make_user("cun_a", "village_officer", capture=[a[VILLAGE_A]]),
        "village_b": make_user("cun_b", "village_officer", capture=[a[VILLAGE_B]]),
        "village_c": make_user("cun_c", "village_officer", capture=[a[VILLAGE_C]]),
        "township": make_user("xiang", "township_officer", capture=[a[TOWNSHIP]]),
        "other_township": make_user("xiang2", "township_officer", capture=[a[OTHER_TOWNSHIP]]),
        "county": make_user("xian", "county_officer", capture=[a[COUNTY]]),
        "county2": make_user("xian2", "county_officer", capture=[a[COUNTY]]),
        "auditor": make_user("shenji", "auditor", view=[a[COUNTY]]),
    }


def person(name, sex, born, village, household=None, rel="", mother=None, father=None, died=None, **kw):
    from renkou.registry.models import Person

    return Person.objects.create(
        name=name, sex=sex, birth_date=born, registered_area_id=village, resident_area_id=village,
        household=household, relation_to_head=rel, mother=mother, father=father,
        status="dead" if died else "living", death_date=died, exit_date=died, source_key=f"t{next(_seq)}", **kw)


def household(number, village, **kw):
    from renkou.registry.models import Household

    return Household.objects.create(number=number, area_id=village, **kw)


def family(number, village, *, father_born, mother_born, children=(), herder=False, urban=False):
    """A couple heading a household and their children: ``children`` = [(sex, born, died or None), …]."""
    h = household(number, village, herder=herder)
    f = person(f"{number}父", 1, father_born, village, h, "02", herder=herder)
    m = person(f"{number}母", 2, mother_born, village, h, "10", herder=herder)
    h.head = f
    h.save()
    kids = [person(f"{number}子{i}", sex, born, village, h, "20" if sex == 1 else "30", mother=m, father=f,
                   died=died, herder=herder) for i, (sex, born, died) in enumerate(children, 1)]
    return {"household": h, "father": f, "mother": m, "children": kids}


@pytest.fixture
def programs(db):
    from renkou.benefits import services

    services.install_shipped_programs()
    from renkou.benefits.models import Program

    return {p.code: p for p in Program.objects.all()}


@pytest.fixture
def register(officers):
    """Four Xifeng households (see each comment) — every village in the fixture's areas is rural (220)."""
    d = dt.date
    return {
        # one son: Xifeng premium; the parents 65 and 63 in 2025: reward support
        "one_son": family("H1", VILLAGE_A, father_born=d(1960, 4, 1), mother_born=d(1962, 8, 1),
                          children=[(1, d(1985, 2, 1), None)]),
        # two daughters: Xifeng premium
        "two_daughters": family("H2", VILLAGE_A, father_born=d(1975, 1, 1), mother_born=d(1977, 1, 1),
                                children=[(2, d(2000, 1, 1), None), (2, d(2003, 1, 1), None)]),
        # a son and a daughter: neither
        "mixed": family("H3", VILLAGE_B, father_born=d(1978, 1, 1), mother_born=d(1980, 1, 1),
                        children=[(1, d(2004, 1, 1), None), (2, d(2006, 1, 1), None)]),
        # young family in village C: children born 2021-12-15, 2022-05-10, 2023-06-01, 2025-03-20
        "young": family("H4", VILLAGE_C, father_born=d(1992, 1, 1), mother_born=d(1994, 1, 1),
                        children=[(1, d(2021, 12, 15), None), (2, d(2022, 5, 10), None),
                                  (1, d(2023, 6, 1), None), (2, d(2025, 3, 20), None)]),
    }

"""Fixtures of loans: a fund of 息烽县's project office, its officers and mothers of the register."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
VILLAGE_B = "520122100202"  # 新华村, 永靖镇
VILLAGE_C = "520122101201"  # 温泉村, 温泉镇
TOWNSHIP = "520122100000"
COUNTY = "520122000000"

_seq = itertools.count(1)


@pytest.fixture
def officers(seed_areas, make_user):
    a = seed_areas
    return {
        "village_a": make_user("cun_a", "village_officer", capture=[a[VILLAGE_A]]),
        "village_c": make_user("cun_c", "village_officer", capture=[a[VILLAGE_C]]),
        "township": make_user("xiang", "township_officer", capture=[a[TOWNSHIP]]),
        "county": make_user("xian", "county_officer", capture=[a[COUNTY]]),
        "loans": make_user("daikuan", "loan_officer", view=[a[COUNTY]]),
        "loans_other": make_user("daikuan2", "loan_officer", view=[a["520122101000"]]),
        "auditor": make_user("shenji", "auditor", view=[a[COUNTY]]),
    }


def mother(name, village, born=dt.date(1975, 3, 1)):
    from renkou.registry.models import Person

    return Person.objects.create(name=name, sex=2, birth_date=born, registered_area_id=village,
                                 resident_area_id=village, status="living", source_key=f"m{next(_seq)}")


@pytest.fixture
def fund(seed_areas):
    from renkou.loans import services

    f = services.open_fund("xifeng", "520122", "息烽县幸福工程", "Xifeng Happiness Project")
    services.add_capital(f, 100_000_00, source="donation", donor="中国人口福利基金会", on=dt.date(2000, 1, 10))
    services.open_round(f, 1, dt.date(2000, 3, 1))
    return f


def propose(fund, person, amount=8_000_00, *, round_number=1, user=None, on=dt.date(2000, 3, 20), terms=None):
    from renkou.loans import services

    return services.propose(fund=fund, round=fund.rounds.get(number=round_number), person=person, amount_fen=amount,
                            project="养猪 raise pigs", household_income_fen=1_800_00,
                            village_average_income_fen=2_600_00, listed_from=on - dt.timedelta(days=14),
                            listed_to=on - dt.timedelta(days=5), proposed_on=on, terms=terms, user=user)


def visit(loan, number, on, user=None, **facts):
    from renkou.loans import services

    f = {"has_plan": True, "willing_to_work": True, "income_below_average": True, "able_to_repay": True, **facts}
    return services.record_visit(loan, number=number, visited_on=on, visitor="项目办 王", user=user, **f)


def signatures(loan):
    return {"committee": "市组委会 李", "office": "项目办 王", "township": "永靖镇 张", "guarantor": "村委 赵",
            "mother": loan.person.name}


def to_disbursed(loan, on=dt.date(2000, 4, 20)):
    """The loan through every step, as the server's own rights (the demo's path)."""
    from renkou.loans import services

    services.review(loan, on=on - dt.timedelta(days=25))
    visit(loan, 1, on - dt.timedelta(days=20))
    visit(loan, 2, on - dt.timedelta(days=15))
    services.approve(loan, on=on - dt.timedelta(days=10), decision="组委会〔2000〕1号")
    services.sign(loan, on=on - dt.timedelta(days=5), signatures=signatures(loan))
    return services.disburse(loan, on=on, received_by=loan.person.name)

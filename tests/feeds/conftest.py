"""Fixtures of department feeds: Xifeng (息烽县) with its officers, a background register of 200
persons drawn from common names (for Splink's u estimates) and a handful of persons made by hand."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from renkou.core.idnumber import check_character

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
VILLAGE_B = "520122100202"  # 新华村, 永靖镇
VILLAGE_C = "520122101201"  # 温泉村, 温泉镇
COUNTY = "520122000000"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰建国玉梅"


def id_of(born: dt.date, seq: int, county: str = "520122") -> str:
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + check_character(body)


def id15_of(born: dt.date, seq: int, county: str = "520122") -> str:
    return f"{county}{born:%y%m%d}{seq:03d}"


def make_person(name, sex, born, village=VILLAGE_A, **kw):
    from renkou.registry.models import Person

    return Person.objects.create(name=name, sex=sex, birth_date=born, registered_area_id=village,
                                 resident_area_id=village, **kw)


@pytest.fixture
def officers(seed_areas, make_user):
    a = seed_areas
    return {"county": make_user("xian", "county_officer", capture=[a[COUNTY]]),
            "village_a": make_user("cun_a", "village_officer", capture=[a[VILLAGE_A]]),
            "village_c": make_user("cun_c", "village_officer", capture=[a[VILLAGE_C]]),
            "peer": make_user("peer", "machine_peer", capture=[a[COUNTY]]),
            "auditor": make_user("shenji", "auditor", view=[a[COUNTY]])}


@pytest.fixture
def background(seed_areas):
    """200 persons with common names, dates and villages: what two different persons share by chance."""
    rng = random.Random(5)
    out = []
    for _ in range(200):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(24000))
        village = rng.choice((VILLAGE_A, VILLAGE_B, VILLAGE_C))
        out.append(make_person(name, rng.choice((1, 2)), born, village))
    return out


@pytest.fixture
def sources(officers):
    from renkou.feeds import services

    return {s.code: s for s in services.install_shipped_sources(COUNTY, user=officers["county"])}


def write_csv(path, header, rows, encoding="utf-8"):
    import csv

    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


BIRTH_HEADER = ["出生医学证明编号", "新生儿姓名", "性别", "出生日期时间", "母亲户籍地编码", "母亲姓名", "母亲身份证号",
                "父亲姓名", "父亲身份证号"]
HUKOU_HEADER = ["业务流水号", "公民身份号码", "姓名", "性别", "出生日期", "变动日期", "户籍地行政区划", "变动类别",
                "母亲姓名", "父亲姓名"]


@pytest.fixture
def families(background):
    """李秀英 and 王建国 with their son 王小明 (红岩村), 赵桂兰 and her daughter 张丽娟 (新华村), 孙平
    (温泉村, 15-digit-era card) and 周玉梅 who died in June 2005 (温泉村), over the background register."""
    from renkou.registry.models import Event

    mother = make_person("李秀英", 2, dt.date(1980, 3, 10), id_number=id_of(dt.date(1980, 3, 10), 42))
    father = make_person("王建国", 1, dt.date(1978, 6, 1), id_number=id_of(dt.date(1978, 6, 1), 11))
    child = make_person("王小明", 1, dt.date(2005, 3, 1), mother=mother, father=father)
    mother2 = make_person("赵桂兰", 2, dt.date(1982, 7, 7), VILLAGE_B)
    girl = make_person("张丽娟", 2, dt.date(2005, 4, 2), VILLAGE_B, mother=mother2)
    old = make_person("孙平", 1, dt.date(1930, 5, 6), VILLAGE_C, id_number=id_of(dt.date(1930, 5, 6), 17))
    dead = make_person("周玉梅", 2, dt.date(1935, 2, 2), VILLAGE_C, id_number=id_of(dt.date(1935, 2, 2), 24),
                       status="dead", death_date=dt.date(2005, 6, 9))
    death = Event.objects.create(kind="death", subject=dead, event_date=dt.date(2005, 6, 9), area_id=VILLAGE_C,
                                 state="registered")
    for c in (child, girl):
        Event.objects.create(kind="birth", subject=c, mother=c.mother, event_date=c.birth_date, area_id=c.registered_area_id,
                             state="registered")
    return {"mother": mother, "father": father, "child": child, "mother2": mother2, "girl": girl, "old": old,
            "dead": dead, "death": death}

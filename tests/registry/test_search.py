"""Person search: every form of query finds exactly the expected persons, within scope, merged excluded;
the search keys are kept on every path that writes persons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from renkou.registry.duplicates import pinyin_text
from renkou.registry.models import Household, Person
from renkou.registry.search import name_fields, pinyin_keys, search_persons

from .conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C, id_for

SAN_ID = id_for(dt.date(1985, 4, 12), 71)


@pytest.fixture
def town(officers):
    """Persons in villages A, B (永靖镇) and C (温泉镇), one household, one merged record."""
    from renkou.registry import services

    u = officers["county"]
    hh = Household.objects.create(number="5201221002010007", area_id=VILLAGE_A, source_key="H7")

    def mk(name, area, born, sex=1, **kw):
        return services.create_person(user=u, name=name, sex=sex, birth_date=born, registered_area=area, **kw)

    p = {
        "san": mk("张三", VILLAGE_A, dt.date(1985, 4, 12), id_number=SAN_ID, household=hh, relation_to_head="02"),
        "sanfeng": mk("张三丰", VILLAGE_A, dt.date(1960, 1, 1), household=hh, relation_to_head="50"),
        "shan": mk("单雄", VILLAGE_A, dt.date(1970, 2, 2)),
        "zeng": mk("曾小明", VILLAGE_B, dt.date(1990, 3, 3)),
        "zhangwei": mk("张伟", VILLAGE_C, dt.date(1980, 5, 5)),
        "gone": mk("张三", VILLAGE_A, dt.date(1950, 6, 6)),
    }
    Person.objects.filter(pk=p["gone"].pk).update(record_state=Person.Record.MERGED, merged_into=p["san"])
    Person.objects.filter(pk=p["san"].pk).update(source_key="520122P0000042")
    return p


def names(user, q):
    return sorted((p.name, p.birth_date.year) for p in search_persons(user, q))


def found(user, q, town):
    ids = set(search_persons(user, q).values_list("pk", flat=True))
    return {k for k, p in town.items() if p.pk in ids}


def test_keys_of_a_name():
    assert pinyin_keys("张三") == ("zhangsan", "", "zs")
    key, alt, initials = pinyin_keys("单雄")
    assert (alt, initials) == ("shanxiong", "sx") and key.endswith("xiong") and key != alt
    assert pinyin_keys("曾小明")[1] in ("", "zengxiaoming") and "zengxiaoming" in pinyin_keys("曾小明")[:2]
    assert pinyin_keys("扎西次仁")[0] == "zhaxiciren"
    assert pinyin_keys("") == ("", "", "")
    for name in ("张三", "单雄", "曾小明", "扎西次仁", " 李 A1 ", "欧阳娜娜"):
        assert name_fields(name)[0] == pinyin_text(name)  # the stored name_pinyin is unchanged


@pytest.mark.parametrize("q", ["zhangsan", "zhang san", "Zhang San", "ZHANGSAN", " zhang  san ", "zhang-san"])
def test_pinyin_with_or_without_spaces_in_any_case(officers, town, q):
    assert found(officers["county"], q, town) == {"san", "sanfeng"}


def test_pinyin_prefix_and_initials(officers, town):
    county = officers["county"]
    assert found(county, "zhangsanf", town) == {"sanfeng"}
    assert found(county, "zhang", town) == {"san", "sanfeng", "zhangwei"}
    assert found(county, "zs", town) == {"san", "sanfeng"}
    assert found(county, "zsf", town) == {"sanfeng"}
    assert found(county, "zw", town) == {"zhangwei"}


def test_polyphonic_surnames_are_found_by_either_reading(officers, town):
    county = officers["county"]
    assert found(county, "shanxiong", town) == {"shan"}
    assert found(county, pinyin_keys("单雄")[0], town) == {"shan"}  # the character's commonest reading
    assert found(county, "Zeng Xiaoming", town) == {"zeng"}


def test_chinese_name_prefix(officers, town):
    county = officers["county"]
    assert found(county, "张三", town) == {"san", "sanfeng"}
    assert found(county, "张三丰", town) == {"sanfeng"}
    assert found(county, "张", town) == {"san", "sanfeng", "zhangwei"}
    assert found(county, "王", town) == set()


def test_id_number_whole_or_prefix_household_number_and_record_key(officers, town):
    county = officers["county"]
    assert found(county, SAN_ID, town) == {"san"}
    assert found(county, SAN_ID[:6] + " " + SAN_ID[6:], town) == {"san"}  # blanks are dropped
    assert found(county, SAN_ID[:10], town) == {"san"}
    assert found(county, "5201221002010007", town) == {"san", "sanfeng"}
    assert found(county, "520122P0000042", town) == {"san"}
    assert found(county, "nothing-like-this", town) == set()
    assert found(county, "", town) == set()


def test_nothing_outside_the_users_scope(officers, town):
    assert found(officers["village_a"], "zhang", town) == {"san", "sanfeng"}
    assert found(officers["village_b"], "zhang", town) == set()
    assert found(officers["village_b"], "zengxiaoming", town) == {"zeng"}
    assert found(officers["other_township"], "张", town) == {"zhangwei"}
    assert found(officers["other_township"], SAN_ID, town) == set()
    assert found(officers["other_township"], "5201221002010007", town) == set()


def test_merged_records_are_never_found(officers, town):
    county = officers["county"]
    assert "gone" not in found(county, "张三", town) | found(county, "zhangsan", town) | found(county, "zs", town)


def test_the_search_page_and_the_api(client, officers, town):
    client.force_login(officers["county"])
    page = client.get("/registry/", {"q": "zhang san"}).content.decode()
    assert "张三丰" in page and "张伟" not in page
    rows = client.get("/api/registry/persons", {"q": "shanxiong"}).json()
    items = rows["items"] if isinstance(rows, dict) else rows
    assert [r["name"] for r in items] == ["单雄"]


def _keys_ok(qs) -> bool:
    return all((p.pinyin_key, p.pinyin_alt, p.pinyin_initials) == pinyin_keys(p.name) for p in qs) and qs.exists()


def test_services_keep_the_keys_on_create_and_on_rename(officers, town):
    from renkou.registry import services

    assert _keys_ok(Person.objects.all())
    services.update_person(user=officers["county"], person=town["zhangwei"], name="单伟")
    p = Person.objects.get(pk=town["zhangwei"].pk)
    assert p.pinyin_alt == "shanwei" and found(officers["county"], "shanwei", town) == {"zhangwei"}


def test_import_writes_the_keys(tmp_path, officers):
    from renkou.registry.importer import import_file

    (tmp_path / "p.csv").write_text(
        "person_key,name,sex,birth_date,area_code\n"
        f"K1,单田芳,1,1934-12-17,{VILLAGE_A}\nK2,曾国藩,1,1911-11-26,{VILLAGE_B}\n", encoding="utf-8")
    r = import_file("persons", tmp_path / "p.csv", user=officers["county"], today=dt.date(2025, 1, 1),
                    mode="valid-rows")
    assert r.created == 2
    assert _keys_ok(Person.objects.all())
    assert set(search_persons(officers["county"], "shantianfang").values_list("source_key", flat=True)) == {"K1"}
    assert set(search_persons(officers["county"], "zgf").values_list("source_key", flat=True)) == {"K2"}


def test_loader_writes_the_keys_and_later_persons_get_new_keys(officers):
    from renkou.registry import services
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import CountyParams

    load_synthetic(generate(CountyParams("520122", persons=300), 3), find_duplicates=False)
    assert _keys_ok(Person.objects.all())
    top = Person.objects.order_by("-pk").first().pk
    # rows written under explicit keys: the database's own numbering continues after them
    p = services.create_person(user=officers["county"], name="单田芳", sex=1, birth_date=dt.date(1934, 12, 17),
                               registered_area=VILLAGE_A)
    assert p.pk > top and p.pinyin_alt == "shantianfang"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pattern indexes")
def test_postgresql_has_pattern_indexes_for_the_prefix_searches(db):
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Person._meta.db_table])
        defs = [r[0] for r in cur.fetchall()]
    for column in ("name", "pinyin_key", "pinyin_alt", "pinyin_initials", "id_number"):
        assert any(f"({column} varchar_pattern_ops)" in d for d in defs), column

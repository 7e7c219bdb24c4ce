"""Linkage of department records to the register: exact ID numbers, the mother's ID number, Splink."""

from __future__ import annotations

import datetime as dt

from .conftest import BIRTH_HEADER, HUKOU_HEADER, VILLAGE_A, VILLAGE_B, VILLAGE_C, id15_of, write_csv


def test_birth_notice_links_by_the_mothers_id_and_by_match_weight(tmp_path, officers, sources, families):
    """王小明's notice carries his mother's ID number: linked by it. 章丽娟's notice is 张丽娟 typed with a
    homophone, day and month swapped and no ID number at all: Splink links her on the pinyin, the
    swapped date, her village and her mother's name. 刘洋's birth is in no register: not found."""
    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord

    f = write_csv(tmp_path / "bn-2005-04.csv", BIRTH_HEADER, [
        ["BN001", "王小明", "男", "2005-03-01 08:30", VILLAGE_A, "李秀英", families["mother"].id_number, "王建国", ""],
        ["BN002", "章丽娟", "女", "2005-02-04 11:00", VILLAGE_B, "赵桂兰", "", "", ""],
        ["BN003", "刘洋", "男", "2005-05-05 23:10", VILLAGE_C, "陈静", "", "", ""],
    ])
    got = services.receive(user=officers["county"], source=sources["weisheng-birth-notice"], path=f)
    assert got.result.ok and got.result.created == 3
    counts = services.link_source(user=officers["county"], source=sources["weisheng-birth-notice"])
    recs = {r.record_key: r for r in FeedRecord.objects.all()}
    assert (recs["BN001"].status, recs["BN001"].rule, recs["BN001"].person) == ("auto_linked", "mother_id",
                                                                                 families["child"])
    assert recs["BN001"].event.subject == families["child"]
    assert (recs["BN002"].status, recs["BN002"].rule, recs["BN002"].person) == ("auto_linked", "splink",
                                                                                 families["girl"])
    assert recs["BN002"].match_weight >= sources["weisheng-birth-notice"].auto_weight
    cand = recs["BN002"].candidates.get()
    assert cand.levels["name"] == 2 and cand.levels["birth_date"] == 2 and cand.levels["mother"] == 1
    assert cand.weights["name"] > 0 and cand.weights["birth_date"] > 0
    assert recs["BN003"].status == "not_found" and recs["BN003"].person is None
    assert counts == {"records": 3, "id_number": 0, "mother_id": 1, "splink": 1, "queued": 0, "not_found": 1}


def test_hukou_records_link_by_id_number_old_15_digit_numbers_too(tmp_path, officers, sources, families):
    """A death with the deceased's 18-digit number finds the register's death; 孙平's 15-digit number of
    the old card is converted and found, but the register has no death of his: to the queue."""
    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord

    f = write_csv(tmp_path / "hukou.csv", HUKOU_HEADER, [
        ["HK1", families["dead"].id_number, "周玉梅", "2", "19350202", "20050609", VILLAGE_C, "死亡注销", "", ""],
        ["HK2", id15_of(dt.date(1930, 5, 6), 17), "孙平", "1", "19300506", "20050701", VILLAGE_C, "死亡注销", "", ""],
    ])
    assert services.receive(user=officers["county"], source=sources["gongan-hukou"], path=f).result.ok
    services.link_source(user=officers["county"], source=sources["gongan-hukou"])
    hk1, hk2 = FeedRecord.objects.get(record_key="HK1"), FeedRecord.objects.get(record_key="HK2")
    assert (hk1.status, hk1.rule, hk1.event) == ("auto_linked", "id_number", families["death"])
    assert hk2.id_state == "converted" and hk2.id_number == families["old"].id_number
    assert (hk2.status, hk2.rule, hk2.person, hk2.event) == ("queued", "id_number", families["old"], None)
    assert list(hk2.candidates.values_list("person", flat=True)) == [families["old"].pk]


def test_a_near_match_waits_in_the_queue_with_its_candidates(tmp_path, officers, sources, families):
    """王小明 in another village of the township, born three weeks off, no parents named: neither clearly
    the same person nor clearly not — the queue, with him as the candidate."""
    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord

    f = write_csv(tmp_path / "bn.csv", BIRTH_HEADER, [
        ["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""]])
    services.receive(user=officers["county"], source=sources["weisheng-birth-notice"], path=f)
    services.link_source(user=officers["county"], source=sources["weisheng-birth-notice"])
    r = FeedRecord.objects.get()
    source = sources["weisheng-birth-notice"]
    assert r.status == "queued", r.match_weight
    assert source.review_weight <= r.match_weight < source.auto_weight
    assert r.candidates.first().person == families["child"]


def test_the_register_read_as_columns_is_the_table_of_its_parties(officers, families):
    """The register's persons read straight into Arrow columns give the table that one Party per person
    would: names and keys, an empty field as null, a sex other than 1 or 2 as null, the registered area
    before the resident one and its township."""
    from renkou.feeds import linkage, services
    from renkou.registry.models import Person

    Person.objects.filter(pk=families["girl"].pk).update(sex=0, pinyin_alt="", registered_area=None)
    # a parent not among the persons read (merged away here; or registered and living elsewhere)
    Person.objects.filter(pk=families["mother2"].pk).update(record_state=Person.Record.MERGED)
    table = services._register_table(officers["county"], VILLAGE_A[:6])
    rows = list(services._register_persons(officers["county"], VILLAGE_A[:6]).values_list(
        "pk", "name", "pinyin_key", "pinyin_alt", "pinyin_initials", "sex", "birth_date", "resident_area_id",
        "registered_area_id", "mother__pinyin_key", "father__pinyin_key").order_by("pk"))
    parties = [linkage.Party(pk, name, key, alt, ini, sex, born, reg or res, mk, fk)
               for pk, name, key, alt, ini, sex, born, res, reg, mk, fk in rows]
    assert table.to_pylist() == [p.row() for p in parties] and table.num_rows == len(rows) >= 4
    girl = next(r for r in table.to_pylist() if r["unique_id"] == families["girl"].pk)
    home = families["girl"].resident_area_id
    assert girl["sex"] is None and girl["name_alt"] == girl["name_key"] and girl["area"] == home
    assert girl["township"] == home[:9]
    assert girl["mother_key"] == families["mother2"].pinyin_key and girl["mother_key"]
    assert families["mother2"].pk not in {r["unique_id"] for r in table.to_pylist()}
    assert services._register_table(officers["county"], "999999").num_rows == 0

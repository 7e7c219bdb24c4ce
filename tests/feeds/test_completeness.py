"""Completeness per source, area and month, and the module operands, counted by hand."""

from __future__ import annotations

import datetime as dt

from .conftest import BIRTH_HEADER, VILLAGE_A, VILLAGE_B, VILLAGE_C, write_csv


def _setup(tmp_path, officers, sources, families):
    """Births of March–April 2005: the register has 王小明 (红岩村, March) and 张丽娟 (新华村, April).
    The hospital sends: 王小明 (linked by his mother's ID), 章丽娟 (linked by match weight), 刘洋
    (April, not in the register, then declared), a near 王小明 (March, queued, then rejected)."""
    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord

    source = sources["weisheng-birth-notice"]
    f = write_csv(tmp_path / "bn.csv", BIRTH_HEADER, [
        ["BN1", "王小明", "男", "2005-03-01", VILLAGE_A, "李秀英", families["mother"].id_number, "", ""],
        ["BN2", "章丽娟", "女", "2005-02-04", VILLAGE_B, "赵桂兰", "", "", ""],
        ["BN3", "刘洋", "男", "2005-04-20", VILLAGE_C, "陈静", "", "", ""],
        ["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""],
    ])
    services.receive(user=officers["county"], source=source, path=f)
    services.link_source(user=officers["county"], source=source)
    return source, {r.record_key: r for r in FeedRecord.objects.all()}


def test_completeness_counts_each_outcome_by_month(tmp_path, officers, sources, families):
    from renkou.feeds import services

    source, recs = _setup(tmp_path, officers, sources, families)
    assert [recs[k].status for k in ("BN1", "BN2", "BN3", "BN9")] == ["auto_linked", "auto_linked", "not_found",
                                                                      "queued"]
    services.decide(user=officers["county"], record=recs["BN9"], decision="reject", reason="重复上报")
    rows = services.completeness("520122", dt.date(2005, 2, 1), dt.date(2005, 4, 30), sources=[source])
    by = {r["month"]: r for r in rows}
    # BN2's swapped date reads 4 February: its month is February
    assert [by[m]["received"] for m in ("2005-02", "2005-03", "2005-04")] == [1, 2, 1]
    assert (by["2005-02"]["auto_linked"], by["2005-03"]["auto_linked"], by["2005-03"]["rejected"]) == (1, 1, 1)
    assert (by["2005-04"]["not_found"], by["2005-04"]["missing"]) == (1, 1)
    # the register's births: 王小明 in March (confirmed by BN1), 张丽娟 in April (confirmed by BN2)
    assert (by["2005-03"]["register_events"], by["2005-03"]["confirmed_events"]) == (1, 1)
    assert (by["2005-04"]["register_events"], by["2005-04"]["confirmed_events"],
            by["2005-04"]["unconfirmed_events"]) == (1, 1, 0)
    services.decide(user=officers["county"], record=recs["BN3"], decision="missing")
    april = services.completeness("520122101", dt.date(2005, 4, 1), dt.date(2005, 4, 30), sources=[source])[0]
    assert (april["received"], april["declared"], april["missing"], april["not_found"]) == (1, 1, 1, 0)
    # 温泉镇's register births of April: the declared 刘洋, confirmed by the notice that revealed it
    assert (april["register_events"], april["confirmed_events"]) == (1, 1)
    total = services.totals(services.completeness("520122", dt.date(2005, 1, 1), dt.date(2005, 12, 31),
                                                  sources=[source]))[source.code]
    assert (total["received"], total["auto_linked"], total["declared"], total["rejected"]) == (4, 2, 1, 1)


def test_module_operands_per_area_prefix(tmp_path, officers, sources, families):
    """Xifeng 2005: two register births, both confirmed by the hospital; one birth found missing (刘洋).
    In 永靖镇 the same two; in 温泉镇 none and the missing one."""
    from renkou.feeds.indicators import operand_values

    _setup(tmp_path, officers, sources, families)
    start, end = dt.date(2005, 1, 1), dt.date(2005, 12, 31)
    prefixes = ["520122", "520122100", "520122101"]
    assert operand_values("register_births", prefixes, start, end) == [2.0, 2.0, 0.0]
    assert operand_values("births_confirmed_health", prefixes, start, end) == [2.0, 2.0, 0.0]
    assert operand_values("births_missing", prefixes, start, end) == [1.0, 0.0, 1.0]
    assert operand_values("records", prefixes, start, end) == [4.0, 3.0, 1.0]
    assert operand_values("queued", prefixes, start, end) == [1.0, 1.0, 0.0]
    assert operand_values("register_births", ["520122"], dt.date(2005, 4, 1), dt.date(2005, 4, 30)) == [1.0]
    # no department record of 1999: nothing to count, not zero
    assert operand_values("register_births", ["520122"], dt.date(1999, 1, 1), dt.date(1999, 12, 31)) == [None]
    # all areas at once (grouped queries) equal one count per area, for every operand
    from renkou.feeds.indicators import OPERANDS, value

    more = prefixes + ["520122100201", "5201", "520123"]
    for operand in OPERANDS:
        got = operand_values(operand, more, start, end)
        assert got[:-1] == [float(value(operand, p, start, end)) for p in more[:-1]], operand
        assert got[-1] is None, operand


def test_the_catalog_fragment_names_only_feeds_operands():
    from pathlib import Path

    import yaml

    from renkou.feeds import indicators

    doc = yaml.safe_load((Path(indicators.__file__).parent / "data" / "indicators.yaml").read_text(encoding="utf-8"))
    import re

    used = {m for i in doc["indicators"] for part in (i["numerator"], i["denominator"])
            for m in re.findall(r"M\{feeds\.(\w+)\}", part)}
    assert used and used <= set(indicators.OPERANDS)
    assert {i["code"] for i in doc["indicators"]} >= {"feeds_births_confirmed_health"}


def test_register_events_confirmed_by_no_source_at_all(tmp_path, officers, sources, families):
    """周玉梅's registered death of June 2005 in 温泉村: no hukou record yet, then one confirms it."""
    from renkou.feeds import services

    from .conftest import HUKOU_HEADER

    hukou = sources["gongan-hukou"]
    june = services.completeness("520122", dt.date(2005, 6, 1), dt.date(2005, 6, 30), sources=[hukou])[0]
    assert (june["register_events"], june["unconfirmed_events"], june["unconfirmed_any"]) == (1, 1, 1)
    f = write_csv(tmp_path / "hk.csv", HUKOU_HEADER, [
        ["HK1", families["dead"].id_number, "周玉梅", "2", "19350202", "20050609", VILLAGE_C, "死亡注销", "", ""]])
    services.receive(user=officers["county"], source=hukou, path=f)
    services.link_source(user=officers["county"], source=hukou)
    june = services.completeness("520122", dt.date(2005, 6, 1), dt.date(2005, 6, 30), sources=[hukou])[0]
    assert (june["confirmed_events"], june["unconfirmed_events"], june["unconfirmed_any"]) == (1, 0, 0)


def test_the_share_of_births_confirmed_by_a_hospital_is_a_catalog_indicator_the_assessment_reads(
        tmp_path, officers, sources, families):
    """Xifeng 2005: both register births confirmed by a hospital notice (100 %); one birth the register
    lacks: 1 of 3 births found missing (33.3 %)."""
    from decimal import Decimal

    from renkou.evaluation.sources import indicator_value
    from renkou.indicators import services as indicators
    from renkou.indicators.models import Indicator

    _setup(tmp_path, officers, sources, families)
    indicators.load_catalog()
    assert Indicator.objects.get(code="feeds_births_confirmed_health").numerator == "M{feeds.births_confirmed_health}"
    value, how = indicator_value("feeds_births_confirmed_health", "520122", "2005")
    assert value == Decimal("100.0") and how["inputs"] == {"M{feeds.births_confirmed_health}": 2,
                                                          "M{feeds.register_births}": 2}
    assert indicator_value("feeds_births_missing_rate", "520122", "2005")[0] == Decimal("33.3")


def test_completeness_of_a_township_by_its_full_code(tmp_path, officers, sources, families):
    """永靖镇 520122100000 is the prefix 520122100: its two records (红岩村, 新华村), not 温泉镇's."""
    from renkou.feeds import services

    _setup(tmp_path, officers, sources, families)
    rows = services.completeness_for(officers["county"], "520122100000", "2005",
                                     source_code="weisheng-birth-notice")
    assert {r["area"] for r in rows} == {"520122100"}
    assert sum(r["received"] for r in rows) == 3
    assert sum(r["received"] for r in services.completeness_for(None, "520122101", "2005")) == 1

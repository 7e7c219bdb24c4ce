"""Receiving department files: mappings as data, idempotency, all-or-nothing with row-numbered errors."""

from __future__ import annotations

import json

import pytest

from .conftest import BIRTH_HEADER, VILLAGE_A, VILLAGE_B, write_csv

GOOD = [["BN1", "王小明", "男", "2005-03-01 08:30", VILLAGE_A, "李秀英", "", "王建国", ""],
        ["BN2", "张丽娟", "女", "2005/04/02", VILLAGE_B, "赵桂兰", "", "", ""]]


def test_resending_a_file_changes_nothing(tmp_path, officers, sources):
    from renkou.feeds import services
    from renkou.feeds.models import FeedFile, FeedRecord

    source = sources["weisheng-birth-notice"]
    f = write_csv(tmp_path / "a.csv", BIRTH_HEADER, GOOD)
    first = services.receive(user=officers["county"], source=source, path=f)
    assert first.result.ok and first.result.created == 2 and not first.repeated
    again = services.receive(user=officers["county"], source=source, path=f)
    assert again.repeated and again.file == first.file and again.result is None
    # the same records in another file (re-exported with one more): only the new one is written
    g = write_csv(tmp_path / "b.csv", BIRTH_HEADER,
                  [*GOOD, ["BN3", "刘洋", "男", "2005-05-05", VILLAGE_A, "陈静", "", "", ""]])
    third = services.receive(user=officers["county"], source=source, path=g)
    assert third.result.created == 1 and third.result.unchanged == 2
    assert FeedFile.objects.count() == 2 and FeedRecord.objects.count() == 3
    assert FeedFile.objects.get(name="b.csv").repeated == 2


def test_unknown_codes_junk_dates_and_repeated_keys_are_named_by_row_and_nothing_is_written(tmp_path, officers,
                                                                                             sources):
    from renkou.feeds import services
    from renkou.feeds.models import FeedFile, FeedRecord

    f = write_csv(tmp_path / "bad.csv", BIRTH_HEADER, [
        GOOD[0],
        ["BN2", "张丽娟", "不详", "2005-04-02", VILLAGE_B, "赵桂兰", "", "", ""],
        ["BN3", "刘洋", "男", "2005-13-45", VILLAGE_A, "陈静", "", "", ""],
        ["BN1", "王小明", "男", "2005-03-01", VILLAGE_A, "李秀英", "", "", ""],
        ["BN5", "何军", "男", "2005-03-01", "130982100000", "李秀", "", "", ""],
        ["BN6", "", "男", "2005-03-01", VILLAGE_A, "", "", "", ""],
    ])
    got = services.receive(user=officers["county"], source=sources["weisheng-birth-notice"], path=f)
    res = got.result
    assert not res.ok and not res.written and got.file is None
    assert res.rejected == 5 and res.total == 6
    reasons = {r.line: " ".join(r.errors) for r in res.rows}
    assert "性别(性别 sex): 代码 不详 不在映射的代码表中" in reasons[3]
    assert "出生日期时间(事件日期 event_date): 日期 2005-13-45 不符合映射的日期格式" in reasons[4]
    assert "重复(第 2 行)" in reasons[5]
    assert "区划 130982100000 不在 息烽县" in reasons[6]
    assert "母亲姓名(母亲姓名 mother_name): 必填" in reasons[7]
    assert FeedFile.objects.count() == 0 and FeedRecord.objects.count() == 0


def test_a_file_in_another_encoding_than_the_mapping_says_is_refused(tmp_path, officers, sources):
    """民政's mapping says GB18030; a UTF-8 file with Chinese text is refused as a whole, naming both."""
    from renkou.feeds import services
    from renkou.feeds.importer import ImportFailed
    from renkou.feeds.models import FeedRecord

    header = ["登记证字号", "登记日期", "女方户籍地", "女方姓名", "女方证件号", "男方姓名", "男方证件号", "登记类别"]
    f = write_csv(tmp_path / "m.csv", header, [["J1", "2005年05月01日", VILLAGE_A, "李秀英", "", "王建国", "", "结婚"]],
                  encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        services.receive(user=officers["county"], source=sources["minzheng-marriage"], path=f)
    assert "m.csv 的编码是 utf-8" in exc.value.zh and "gb18030" in exc.value.zh
    g = write_csv(tmp_path / "m2.csv", header, [["J1", "2005年05月01日", VILLAGE_A, "李秀英", "", "王建国", "", "结婚"]],
                  encoding="gb18030")
    got = services.receive(user=officers["county"], source=sources["minzheng-marriage"], path=g)
    assert got.result.ok
    r = FeedRecord.objects.get()
    assert (r.kind, r.name, r.spouse_name, str(r.event_date)) == ("marriage", "李秀英", "王建国", "2005-05-01")


def test_a_mapping_naming_a_column_the_file_lacks_refuses_the_file(tmp_path, officers, sources):
    from renkou.feeds import services
    from renkou.feeds.importer import ImportFailed

    f = write_csv(tmp_path / "short.csv", BIRTH_HEADER[:-1], [GOOD[0][:-1]])
    with pytest.raises(ImportFailed) as exc:
        services.receive(user=officers["county"], source=sources["weisheng-birth-notice"], path=f)
    assert "父亲身份证号" in exc.value.zh


def test_a_new_source_is_only_data_json_files_too_and_mappings_are_versioned(tmp_path, officers, seed_areas):
    """市场监管 sends JSON with its own field names and its own codes for townships: a county officer
    creates the source with a mapping, no code; a changed mapping is version 2, files name theirs."""
    from renkou.feeds import services
    from renkou.feeds.mapping import MappingInvalid
    from renkou.feeds.models import FeedRecord

    spec = {"format": "json", "kind": "business",
            "columns": {"record_key": "regNo", "name": "operator", "id_number": "certNo", "event_date": "regDate",
                        "area": "placeCode"},
            "codes": {"area": {"YJ": "520122100201"}}, "date_formats": ["%Y%m%d"]}
    source = services.create_source(user=officers["county"], county_code="520122", code="scjg-business",
                                    name_zh="市场监管个体工商户", name_en="Market regulation: businesses",
                                    department="market", spec=spec)
    f = tmp_path / "biz.json"
    f.write_text(json.dumps({"records": [{"regNo": "G1", "operator": "王建国", "certNo": "", "regDate": "20050301",
                                          "placeCode": "YJ"},
                                         {"regNo": "G2", "operator": "李秀英", "certNo": "", "regDate": "20050302",
                                          "placeCode": "WQ"}]}, ensure_ascii=False), encoding="utf-8")
    bad = services.receive(user=officers["county"], source=source, path=f)
    assert not bad.result.ok and "placeCode(地区 area): 代码 WQ 不在映射的代码表中" in bad.result.rows[0].errors[0]
    assert bad.result.rows[0].line == 3
    with pytest.raises(MappingInvalid) as exc:
        services.save_mapping(user=officers["county"], source=source,
                              spec={**spec, "codes": {"area": {"YJ": "520122100201", "WQ": "温泉"}}})
    assert "温泉 in the area table is not a division code" in str(exc.value)
    v2 = services.save_mapping(user=officers["county"], source=source,
                               spec={**spec, "codes": {"area": {"YJ": "520122100201", "WQ": "520122101201"}}})
    assert v2.version == 2 and services.save_mapping(user=officers["county"], source=source, spec=v2.spec) == v2
    got = services.receive(user=officers["county"], source=source, path=f)
    assert got.result.ok and got.file.mapping == v2
    assert dict(FeedRecord.objects.values_list("record_key", "area_id")) == {"G1": "520122100201",
                                                                             "G2": "520122101201"}


def test_only_the_countys_officers_and_machine_peers_send_files(tmp_path, officers, sources):
    from django.core.exceptions import PermissionDenied

    from renkou.feeds import services
    from renkou.feeds.models import FeedFile

    f = write_csv(tmp_path / "a.csv", BIRTH_HEADER, GOOD)
    with pytest.raises(PermissionDenied):
        services.receive(user=officers["village_a"], source=sources["weisheng-birth-notice"], path=f)
    got = services.receive(user=officers["peer"], source=sources["weisheng-birth-notice"], path=f,
                           via=FeedFile.Via.API)
    assert got.result.ok and got.file.via == "api" and got.file.received_by == officers["peer"]


def test_an_xlsx_source_reads_its_sheet_and_names_rows_as_the_spreadsheet_shows_them(tmp_path, officers, sources):
    from openpyxl import Workbook

    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord

    source = sources["weisheng-birth-notice"]
    services.save_mapping(user=officers["county"], source=source, spec={**source.mapping().spec, "format": "xlsx"})
    wb = Workbook()
    ws = wb.active
    ws.append(BIRTH_HEADER)
    ws.append(GOOD[0])
    ws.append(["BN2", "张丽娟", "女", "2005-02-30", VILLAGE_B, "赵桂兰", "", "", ""])
    wb.save(tmp_path / "bn.xlsx")
    bad = services.receive(user=officers["county"], source=source, path=tmp_path / "bn.xlsx")
    assert not bad.result.ok and [r.line for r in bad.result.rows] == [3]
    ws.delete_rows(3)
    wb.save(tmp_path / "bn2.xlsx")
    got = services.receive(user=officers["county"], source=source, path=tmp_path / "bn2.xlsx")
    assert got.result.ok and got.file.mapping.version == 2
    assert FeedRecord.objects.get().name == "王小明"
    from renkou.feeds.importer import ImportFailed

    with pytest.raises(ImportFailed):  # a CSV for an XLSX source
        services.receive(user=officers["county"], source=source,
                         path=write_csv(tmp_path / "x.csv", BIRTH_HEADER, [GOOD[1]]))

"""Import: column spec, encodings, all-or-nothing, error report, idempotency, flags."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from renkou.core.models import AuditEvent
from renkou.registry.importer import ImportFailed, import_file, write_report
from renkou.registry.models import DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord

from .conftest import VILLAGE_A, VILLAGE_B, id_for

TODAY = dt.date(2025, 6, 1)
HH = "household_key,area_code,head_key,kind,established_date\nH1,{a},P1,family,2015-01-01\nH2,{b},P3,family,2010-05-01\n"
MOTHER_ID = id_for(dt.date(1990, 2, 3), 22)
FATHER_ID = id_for(dt.date(1988, 8, 8), 11)
CHILD_ID = id_for(dt.date(2020, 6, 1), 13)
OLD_ID = id_for(dt.date(1950, 1, 9), 35, wrong_check=True)
PERSONS_ZH = (
    "人员编号,公民身份号码,姓名,性别,出生日期,民族,婚姻状况,户编号,与户主关系,现住地区划代码,户籍类别,人员状态,母亲人员编号,父亲人员编号,配偶人员编号\n"
    f"P1,{FATHER_ID},王大山,1,1988-08-08,01,21,H1,02,{VILLAGE_A},registered,present,,,P2\n"
    f"P2,{MOTHER_ID},李红,2,1990-02-03,01,21,H1,10,{VILLAGE_A},registered,present,,,P1\n"
    f"P4,{CHILD_ID},王小山,1,2020-06-01,01,10,H1,20,{VILLAGE_A},registered,present,P2,P1,\n"
    f"P3,{OLD_ID},赵老汉,1,1950-01-09,01,30,H2,02,{VILLAGE_B},registered,present,,,\n"
)
EVENTS = (
    "record_id,kind,person_key,event_date,registration_date,registration_state,area_code,mother_key,father_key,"
    "spouse_key,birth_order,plurality,delivery_place,from_code,to_code\n"
    f"E1,marriage,P1,2015-05-01,2015-05-01,registered,{VILLAGE_A},,,P2,,,,,\n"
    f"E2,birth,P4,2020-06-01,2020-06-10,registered,{VILLAGE_A},P2,P1,,1,1,hospital,,\n"
)


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.fixture
def county(tmp_path, officers):
    """Households and persons of two villages imported as the county officer."""
    u = officers["county"]
    import_file("households", write(tmp_path, "hh.csv", HH.format(a=VILLAGE_A, b=VILLAGE_B)), user=u, today=TODAY)
    r = import_file("persons", write(tmp_path, "p.csv", PERSONS_ZH), user=u, today=TODAY)
    return r


def snapshot():
    return (Person.objects.count(), Household.objects.count(), Event.objects.count(), ServiceRecord.objects.count(),
            Finding.objects.count(), DuplicateCandidate.objects.count())


def test_chinese_headers_import_persons_with_links_heads_and_a_flagged_legacy_number(county):
    assert (county.created, county.rejected, county.flagged) == (4, 0, 1)
    father, mother, child = (Person.objects.get(source_key=k) for k in ("P1", "P2", "P4"))
    assert (father.spouse_id, mother.spouse_id, child.mother_id, child.father_id) == (mother.pk, father.pk,
                                                                                      mother.pk, father.pk)
    assert Household.objects.get(source_key="H1").head_id == father.pk
    old = Person.objects.get(source_key="P3")
    assert old.id_state == "check_digit_mismatch"
    f = Finding.objects.get(person=old)
    assert (f.rule, f.severity, f.status) == ("id_check_digit", "error", "open")
    # one audit event for the file; every person it created names it (who, when, which file)
    batch = AuditEvent.objects.get(action="import", object_type="registry.persons")
    assert set(Person.objects.values_list("import_batch", flat=True)) == {batch.pk}
    assert batch.actor.username == "xian" and batch.object_repr == "p.csv"
    assert len(batch.detail["file_sha256"]) == 64 and batch.detail["created_keys"] == ["P1", "P3"]
    assert batch.detail["created"] == 4
    assert Household.objects.get(source_key="H1").import_batch == AuditEvent.objects.get(
        action="import", object_type="registry.households").pk


def test_reimporting_the_same_files_changes_nothing(tmp_path, county, officers):
    u = officers["county"]
    import_file("events", write(tmp_path, "e.csv", EVENTS), user=u, today=TODAY)
    before, audits = snapshot(), AuditEvent.objects.count()
    r1 = import_file("households", write(tmp_path, "hh.csv", HH.format(a=VILLAGE_A, b=VILLAGE_B)), user=u,
                     today=TODAY)
    r2 = import_file("persons", write(tmp_path, "p.csv", PERSONS_ZH), user=u, today=TODAY)
    r3 = import_file("events", write(tmp_path, "e.csv", EVENTS), user=u, today=TODAY)
    assert [(r.unchanged, r.created, r.updated) for r in (r1, r2, r3)] == [(2, 0, 0), (4, 0, 0), (2, 0, 0)]
    assert snapshot() == before and AuditEvent.objects.count() == audits


def test_gbk_file_is_read(tmp_path, officers):
    p = write(tmp_path, "hh.csv", f"户编号,住址区划代码,户类别\nH9,{VILLAGE_A},family\n", "gbk")
    r = import_file("households", p, user=officers["county"], today=TODAY)
    assert r.created == 1 and Household.objects.get(source_key="H9").area_id == VILLAGE_A


def test_undecodable_file_is_refused_as_a_whole(tmp_path, officers):
    p = tmp_path / "junk.csv"
    p.write_bytes(b"\xff\xfe\xfa" * 1001)  # a UTF-16 byte-order mark, then an odd number of bytes
    with pytest.raises(ImportFailed, match="not valid UTF-16 encoding"):
        import_file("persons", p, user=officers["county"])
    p.write_bytes(b"person_key,name\n\x81\x30\xff\xff\n")  # neither UTF-8 nor GB18030
    with pytest.raises(ImportFailed, match="line 2 is not UTF-8, line 2 is not GBK/GB18030"):
        import_file("persons", p, user=officers["county"])
    assert snapshot() == (0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_with_a_byte_order_mark_is_read(tmp_path, officers, encoding):
    text = f"户编号,住址区划代码,户类别,住址\nH9,{VILLAGE_A},family,河东村3组\n"
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    p = tmp_path / "hh.csv"
    p.write_bytes(bom + text.encode(encoding))
    r = import_file("households", p, user=officers["county"], today=TODAY)
    assert (r.created, r.rejected) == (1, 0)
    assert Household.objects.get(source_key="H9").address == "河东村3组"


def test_utf16_without_a_byte_order_mark_is_named(tmp_path, officers):
    p = tmp_path / "hh.csv"
    p.write_bytes(f"household_key,area_code\nH9,{VILLAGE_A}\n".encode("utf-16-le"))
    with pytest.raises(ImportFailed, match="UTF-16 without a byte-order mark"):
        import_file("households", p, user=officers["county"])


def test_nul_byte_rejects_its_row_naming_the_field(tmp_path, officers):
    p = write(tmp_path, "hh.csv", f"household_key,area_code,address\nH1,{VILLAGE_A},东街1号\n"
                                  f"H2,{VILLAGE_A},东街\x002号\nH3,{VILLAGE_A},东街3号\n")
    r = import_file("households", p, user=officers["county"], mode="valid-rows", today=TODAY)
    assert (r.created, r.rejected) == (2, 1)
    [bad] = r.rows
    assert bad.line == 3 and bad.raw["household_key"] == "H2"
    assert bad.errors == ["address: 含 NUL 字节(二进制内容) / contains a NUL byte (binary content)"]
    assert sorted(Household.objects.values_list("source_key", flat=True)) == ["H1", "H3"]


def test_extra_cells_at_the_end_of_a_row_are_reported_with_their_count(tmp_path, officers):
    p = write(tmp_path, "hh.csv", f"household_key,area_code,address\nH1,{VILLAGE_A},东街1号,,\n"
                                  f"H2,{VILLAGE_A},东街,2号,3单元\n")
    r = import_file("households", p, user=officers["county"], mode="valid-rows", today=TODAY)
    # trailing empty cells (as spreadsheets save them) are harmless; two cells with text are not
    assert (r.created, r.rejected) == (1, 1)
    [bad] = r.rows
    assert bad.line == 3 and "row 3 has 2 cell(s) beyond the header's 3 columns" in bad.errors[0]


def test_birth_date_before_1890_is_rejected_naming_row_and_field(tmp_path, officers):
    u = officers["county"]
    import_file("households", write(tmp_path, "hh.csv", HH.format(a=VILLAGE_A, b=VILLAGE_B)), user=u)
    p = write(tmp_path, "p.csv", "person_key,name,sex,birth_date,household_key,area_code\n"
                                 f"P1,王大山,1,1800-01-01,H1,{VILLAGE_A}\nP2,李红,2,1890-01-01,H1,{VILLAGE_A}\n"
                                 f"P3,李明,1,2025-06-02,H1,{VILLAGE_A}\n")
    r = import_file("persons", p, user=u, mode="valid-rows", today=TODAY)
    assert (r.created, r.rejected) == (1, 2)
    by_key = {row.raw["person_key"]: row for row in r.rows}
    assert by_key["P1"].line == 2 and by_key["P1"].errors[0].startswith(
        "[birth_too_early] birth_date: 出生日期 1800-01-01 早于 1890-01-01")
    assert "birth_future" in by_key["P3"].errors[0]  # after the import date
    assert Person.objects.get().source_key == "P2"  # 1890-01-01 itself is possible (flagged as over 120)


def test_file_over_the_size_limit_is_refused_with_the_limit_named(tmp_path, officers, settings):
    settings.RENKOU_IMPORT_MAX_BYTES = 1000
    p = write(tmp_path, "hh.csv", "household_key,area_code\n" + "".join(f"H{i},{VILLAGE_A}\n" for i in range(100)))
    with pytest.raises(ImportFailed, match="over the import limit of 0.0 MiB.*RENKOU_IMPORT_MAX_BYTES"):
        import_file("households", p, user=officers["county"])
    assert Household.objects.count() == 0


def test_missing_columns_are_named(tmp_path, officers):
    p = write(tmp_path, "p.csv", "人员编号,姓名\nP1,张三\n")
    with pytest.raises(ImportFailed) as exc:
        import_file("persons", p, user=officers["county"])
    assert "sex" in str(exc.value) and "birth_date" in str(exc.value) and "出生日期" in str(exc.value)


def test_huge_garbage_file_is_refused_without_changes(tmp_path, officers):
    p = tmp_path / "big.csv"
    with open(p, "wb") as fh:
        fh.write(b"lorem,ipsum\n" + b"x" * 5_000_000)
    with pytest.raises(ImportFailed, match="lacks required"):
        import_file("persons", p, user=officers["county"])
    assert snapshot() == (0, 0, 0, 0, 0, 0)


def test_one_bad_row_rejects_the_file_and_the_report_can_be_fixed_and_reimported(tmp_path, officers):
    u = officers["county"]
    import_file("households", write(tmp_path, "hh.csv", HH.format(a=VILLAGE_A, b=VILLAGE_B)), user=u)
    bad = PERSONS_ZH.replace("1950-01-09", "1950-13-09").replace("王小山", "=HYPERLINK(\"x\")")
    r = import_file("persons", write(tmp_path, "p.csv", bad), user=u, today=TODAY)
    assert (r.rejected, r.written, Person.objects.count()) == (2, False, 0)
    report = tmp_path / "report.csv"
    assert write_report(r, report) == 2
    with open(report, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][-2:] == ["结果 result", "原因 reason"] and rows[0][:2] == ["人员编号", "公民身份号码"]
    by_key = {row[0]: row for row in rows[1:]}
    assert "not a date" in by_key["P3"][-1]
    assert by_key["P4"][2] == "'=HYPERLINK(\"x\")"  # escaped in the report, not run
    assert "name_junk" in by_key["P4"][-1]
    # valid-rows: the two good rows land
    r = import_file("persons", write(tmp_path, "p.csv", bad), user=u, mode="valid-rows", today=TODAY)
    assert (r.created, r.rejected) == (2, 2)
    # the user fixes the report and imports it again
    fixed = report.read_text(encoding="utf-8-sig").replace("1950-13-09", "1950-01-09") \
        .replace("'=HYPERLINK(\"\"x\"\")", "王小山")
    r = import_file("persons", write(tmp_path, "fixed.csv", fixed), user=u, today=TODAY)
    assert (r.created, r.rejected) == (2, 0)
    assert Person.objects.get(source_key="P4").mother.source_key == "P2"


def test_dry_run_writes_nothing(tmp_path, officers):
    r = import_file("households", write(tmp_path, "hh.csv", HH.format(a=VILLAGE_A, b=VILLAGE_B)),
                    user=officers["county"], dry_run=True)
    assert r.created == 2 and Household.objects.count() == 0


def test_exact_id_duplicate_is_rejected_and_probable_duplicate_is_queued(tmp_path, county, officers):
    shifted = id_for(dt.date(1990, 2, 5), 22)
    more = ("人员编号,公民身份号码,姓名,性别,出生日期,户编号,现住地区划代码\n"
            f"P8,{MOTHER_ID},李红,2,1990-02-03,H2,{VILLAGE_B}\n"
            f"P9,{shifted},李虹,2,1990-02-05,H2,{VILLAGE_B}\n")
    r = import_file("persons", write(tmp_path, "more.csv", more), user=officers["county"], mode="valid-rows",
                    today=TODAY)
    by_line = {row.raw["person_key"]: row for row in r.rows}
    assert "exact duplicate" in " ".join(by_line["P8"].errors)
    assert any("probable duplicate of P2" in f for f in by_line["P9"].flags)
    c = DuplicateCandidate.objects.get()
    assert {c.person_a.source_key, c.person_b.source_key} == {"P2", "P9"}
    assert "similar_id_number" in c.reasons and "same_pinyin" in c.reasons
    # the queue's own audit record follows the file's event, which keeps the key its rows carry
    # (no row had to be moved to another key)
    batch = AuditEvent.objects.filter(action="import", object_type="registry.persons").latest("pk")
    queued = AuditEvent.objects.get(object_type="registry.duplicatecandidate", object_id=str(c.pk))
    assert r.audit_event == batch.pk == Person.objects.get(source_key="P9").import_batch < queued.pk
    assert queued.action == "create"


def test_village_officer_cannot_import_into_another_village(tmp_path, officers):
    r = import_file("households", write(tmp_path, "hh.csv", HH.format(a=VILLAGE_A, b=VILLAGE_B)),
                    user=officers["village_a"])
    assert (r.rejected, Household.objects.count()) == (1, 0)
    assert [row.line for row in r.rows] == [3]  # the rows of the report only
    assert "outside your capture areas" in r.rows[0].errors[0]


def test_events_and_services_import_with_checks(tmp_path, county, officers):
    u = officers["county"]
    r = import_file("events", write(tmp_path, "e.csv", EVENTS), user=u, today=TODAY)
    assert (r.created, r.rejected, r.flagged) == (2, 0, 0)
    assert Event.objects.get(source_key="E2").state == "registered"
    bad = EVENTS.replace("E2,birth,P4,2020-06-01", "E3,birth,P4,2020-06-01").replace("P2,P1,,1", "P1,P1,,1")
    r = import_file("events", write(tmp_path, "e2.csv", bad), user=u, today=TODAY, mode="valid-rows")
    assert r.rejected == 1 and "mother_sex" in " ".join(r.rows[0].errors) and r.rows[0].line == 3
    svc = ("record_id,person_key,service,service_date,area_code,provider,consent,consent_date\n"
           f"S1,P2,prenatal_care,2020-03-01,{VILLAGE_A},township_station,yes,2020-03-01\n"
           f"S2,P2,prenatal_care,2020-04-01,{VILLAGE_A},township_station,no,\n")
    r = import_file("services", write(tmp_path, "s.csv", svc), user=u, today=TODAY, mode="valid-rows")
    assert (r.created, r.rejected) == (1, 1) and "consent" in r.rows[0].errors[0] and r.rows[0].line == 3


def test_xlsx_import(tmp_path, officers):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["household_key", "area_code", "kind", "established_date"])
    ws.append(["HX", VILLAGE_A, "family", dt.datetime(2001, 2, 3)])
    p = tmp_path / "hh.xlsx"
    wb.save(p)
    r = import_file("households", p, user=officers["county"])
    assert r.created == 1 and Household.objects.get(source_key="HX").established == dt.date(2001, 2, 3)


def test_confirming_a_legacy_number_closes_its_finding(county, officers):
    from django.core.exceptions import PermissionDenied

    from renkou.registry import services

    old = Person.objects.get(source_key="P3")
    with pytest.raises(PermissionDenied):
        services.confirm_legacy_id(user=officers["township"], person=old, reason="核对旧身份证原件")
    services.confirm_legacy_id(user=officers["county"], person=old, reason="核对旧身份证原件")
    f = Finding.objects.get(person=old)
    assert (f.status, f.decided_by, f.reason) == ("fixed", officers["county"], "核对旧身份证原件")
    assert services.check_person_record(old, TODAY) == []


def test_report_has_every_rejected_row_when_more_are_kept_than_in_memory(tmp_path, officers, monkeypatch, capsys):
    from django.core.management import CommandError, call_command

    from renkou.core import pipeline

    monkeypatch.setattr(pipeline, "KEEP_ROWS", 2)
    rows = "".join(f"H{i},{VILLAGE_A},family,2015-13-0{i}\n" for i in range(1, 6))
    p = write(tmp_path, "hh.csv", "household_key,area_code,kind,established_date\n" + rows + f"H9,{VILLAGE_A},family,\n")
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="5 row"):
        call_command("import", "households", str(p), "--report", str(report), "--user", "xian")
    out = capsys.readouterr().out
    assert "line 2:" in out and "line 3:" in out and "3 more rejected row(s)" in out
    assert f"report: {report} (5 rows)" in out
    with open(report, encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert [r[0] for r in lines[1:]] == ["H1", "H2", "H3", "H4", "H5"]
    assert all(r[-2] == "拒绝 rejected" and "not a date" in r[-1] for r in lines[1:])
    assert Household.objects.count() == 0

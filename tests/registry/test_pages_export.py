"""Export page: scoped, masked by default, full ID numbers only for a role allowed to export, audited,
formula-safe."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from renkou.core.idnumber import mask
from renkou.core.models import AuditEvent
from renkou.registry.models import Person

from .conftest import TOWNSHIP, VILLAGE_A, VILLAGE_C


def download(r) -> list[tuple]:
    assert r.status_code == 200, r.content.decode()[:2000] if hasattr(r, "content") else r
    data = b"".join(r.streaming_content)
    if r["Content-Disposition"].endswith('.csv"'):
        return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_village_officer_may_not_export_at_all_nor_unmasked(client, officers, people):
    client.force_login(officers["village_a"])
    page = client.get("/registry/export/")
    assert page.status_code == 200 and 'id="export-form"' not in page.content.decode()
    for unmasked in ("", "on"):
        r = client.post("/registry/export/", {"kind": "persons", "area": VILLAGE_A, "format": "xlsx",
                                              "unmasked": unmasked})
        assert r.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_township_officer_downloads_masked_ids_by_default_and_the_export_is_audited(client, officers, people):
    mother = people["mother"]
    client.force_login(officers["township"])
    form = client.get("/registry/export/").content.decode()
    assert 'name="unmasked"' in form and 'id="export-form"' in form
    r = client.post("/registry/export/", {"kind": "persons", "area": VILLAGE_A, "format": "xlsx"})
    assert r["Content-Disposition"].startswith("attachment") and f"persons-{VILLAGE_A}-" in r["Content-Disposition"]
    rows = download(r)
    header, body = rows[0], rows[1:]
    ids = {row[header.index("姓名")]: row[header.index("公民身份号码")] for row in body}
    assert ids["李秀英"] == mask(mother.id_number) != mother.id_number
    assert set(ids) == {"李秀英", "王建国"}  # village A only
    audit = AuditEvent.objects.get(action="export")
    assert (audit.actor_username, audit.detail["rows"], audit.detail["masked"], audit.area_code) == \
        ("xiang", 2, True, VILLAGE_A)


def test_unmasked_export_for_a_role_allowed_to(client, officers, people):
    client.force_login(officers["county"])
    r = client.post("/registry/export/", {"kind": "persons", "area": TOWNSHIP, "format": "csv", "unmasked": "on",
                                          "layout": "machine"})
    rows = download(r)
    header, body = rows[0], rows[1:]
    assert people["mother"].id_number in {row[header.index("id_number")] for row in body}
    assert AuditEvent.objects.get(action="export").detail["masked"] is False


def test_export_is_scoped_and_formula_safe(client, officers, people):
    Person.objects.create(name="@cmd", sex=1, birth_date=dt.date(1980, 1, 1), registered_area_id=VILLAGE_A,
                          resident_area_id=VILLAGE_A)
    client.force_login(officers["township"])
    r = client.post("/registry/export/", {"kind": "persons", "area": VILLAGE_C, "format": "xlsx"})
    assert r.status_code == 200 and "area" in r.context["form"].errors  # another township's village
    rows = download(client.post("/registry/export/", {"kind": "persons", "area": VILLAGE_A, "format": "csv"}))
    assert "'@cmd" in {row[rows[0].index("姓名")] for row in rows[1:]}


@pytest.fixture
def records(officers, people):
    """A household, a marriage and a service in village A (永靖镇), and one of each in village C (温泉镇)."""
    from renkou.registry import services
    from renkou.registry.models import Event

    county = officers["county"]
    mother, father, c_woman = people["mother"], people["father"], people["c_woman"]
    services.create_household(user=county, number="H-A", area=VILLAGE_A, source_key="520122H0001", address="红岩村3组")
    services.create_household(user=county, number="H-C", area=VILLAGE_C, source_key="520122H0002")
    Event.objects.create(kind="marriage", event_date=dt.date(2018, 5, 1), registration_date=dt.date(2018, 5, 2),
                         subject=father, spouse=mother, area_id=VILLAGE_A, state="registered", source_key="520122E01")
    Event.objects.create(kind="death", event_date=dt.date(2020, 1, 1), subject=people["b_man"], area_id=VILLAGE_C,
                         state="declared", source_key="520122E02")
    services.record_service(user=county, person=mother, type="prenatal_care", date=dt.date(2024, 3, 1),
                            provider="township_station", consent_noted=True, source_key="520122S01")
    services.record_service(user=county, person=c_woman, type="cervical_screening", date=dt.date(2024, 4, 1),
                            provider="county_station", consent_noted=True, source_key="520122S02")
    return people


EXPECTED_ROWS = {  # the township's rows only, in the columns the import reads back
    "households": ("household_key", [{"household_key": "520122H0001", "area_code": VILLAGE_A, "address": "红岩村3组"}]),
    "events": ("record_id", [{"record_id": "520122E01", "kind": "marriage", "event_date": "2018-05-01",
                              "registration_date": "2018-05-02", "registration_state": "registered",
                              "area_code": VILLAGE_A}]),
    "services": ("record_id", [{"record_id": "520122S01", "service": "prenatal_care", "service_date": "2024-03-01",
                                "area_code": VILLAGE_A, "provider": "township_station", "consent": "yes"}]),
}


@pytest.mark.parametrize("kind", ["households", "events", "services"])
def test_every_kind_exports_the_rows_of_the_area(client, officers, records, kind):
    client.force_login(officers["county"])
    rows = download(client.post("/registry/export/", {"kind": kind, "area": TOWNSHIP, "format": "xlsx",
                                                      "layout": "machine"}))
    header, body = list(rows[0]), rows[1:]
    key, expected = EXPECTED_ROWS[kind]
    assert header[0] == key
    got = [{c: str(row[header.index(c)] or "") for c in want} for row, want in zip(body, expected, strict=False)]
    assert len(body) == len(expected) and got == expected  # village C's record is outside the township
    if kind == "events":
        row = dict(zip(header, body[0], strict=True))
        assert (row["person_key"], row["spouse_key"]) == (str(records["father"].pk), str(records["mother"].pk))
    if kind == "services":
        assert dict(zip(header, body[0], strict=True))["person_key"] == str(records["mother"].pk)
    audit = AuditEvent.objects.get(action="export")
    assert audit.detail["filter"] == {"kind": kind, "area": TOWNSHIP} and audit.detail["rows"] == 1


def _workbook(r):
    assert r.status_code == 200
    return load_workbook(io.BytesIO(b"".join(r.streaming_content)))


def test_export_for_people_has_chinese_headers_code_names_and_a_named_sheet(client, officers, people):
    client.force_login(officers["county"])
    wb = _workbook(client.post("/registry/export/", {"kind": "persons", "area": VILLAGE_A, "format": "xlsx"}))
    assert wb.sheetnames == ["人口信息"]
    rows = list(wb.active.iter_rows(values_only=True))
    header = rows[0]
    mother = next(dict(zip(header, row, strict=True)) for row in rows[1:] if "李秀英" in row)
    # the code and its name from the GB tables side by side; the area by code and by name
    assert (mother["性别代码"], mother["性别"]) == ("2", "女")
    assert (mother["民族代码"], mother["民族"]) == ("01", "汉族")
    assert (mother["婚姻状况代码"], mother["婚姻状况"]) == ("21", "初婚")
    assert (mother["现住地区划代码"], mother["现住地"]) == (VILLAGE_A, "红岩村")
    assert mother["户籍类别"] == "户籍人口" and mother["人员状态"] == "在世" and mother["牧业人口"] == "否"
    assert mother["公民身份号码"] == mask(people["mother"].id_number)  # masked as in the import format
    assert not any(h.isascii() for h in header if h != "ID")  # every header in Chinese


def test_export_for_people_in_english_when_the_reader_reads_english(client, officers, people):
    from django.conf import settings

    client.force_login(officers["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    wb = _workbook(client.post("/registry/export/", {"kind": "events", "area": VILLAGE_A, "format": "xlsx"}))
    assert wb.sheetnames == ["Events"]
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Record number", "Event", "Person (person key)")


def test_machine_export_imports_again_unchanged(tmp_path, officers, people):
    from renkou.registry import exporter, importer

    for i, p in enumerate(Person.objects.order_by("pk"), 1):  # records as an import leaves them: with their keys
        Person.objects.filter(pk=p.pk).update(source_key=f"P{i:03d}")
    path = tmp_path / "persons.csv"
    n = exporter.export(user=officers["county"], kind="persons", path=path, layout="machine", unmasked=True)
    result = importer.import_file("persons", path, user=officers["county"], dry_run=True)
    assert n == 4 and (result.rejected, result.created, result.unchanged) == (0, 0, 4), \
        [(r.line, r.errors) for r in result.rows if r.errors]


def test_export_command_writes_english_or_machine_headers(tmp_path, officers, people):
    from django.core.management import call_command

    english, machine = tmp_path / "en.csv", tmp_path / "m.csv"
    call_command("export", "persons", str(english), user="xian", lang="en")
    call_command("export", "persons", str(machine), user="xian", layout="machine")
    first = {p: p.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[:4] for p in (english, machine)}
    assert first[english] == ["Person key", "ID number", "Name", "Sex code"]
    assert first[machine] == ["person_key", "id_number", "name", "sex"]

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
    ids = {row[header.index("name")]: row[header.index("id_number")] for row in body}
    assert ids["李秀英"] == mask(mother.id_number) != mother.id_number
    assert set(ids) == {"李秀英", "王建国"}  # village A only
    audit = AuditEvent.objects.get(action="export")
    assert (audit.actor_username, audit.detail["rows"], audit.detail["masked"], audit.area_code) == \
        ("xiang", 2, True, VILLAGE_A)


def test_unmasked_export_for_a_role_allowed_to(client, officers, people):
    client.force_login(officers["county"])
    r = client.post("/registry/export/", {"kind": "persons", "area": TOWNSHIP, "format": "csv", "unmasked": "on"})
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
    assert "'@cmd" in {row[rows[0].index("name")] for row in rows[1:]}


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
    rows = download(client.post("/registry/export/", {"kind": kind, "area": TOWNSHIP, "format": "xlsx"}))
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

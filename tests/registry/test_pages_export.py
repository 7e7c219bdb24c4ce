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


@pytest.mark.parametrize("kind", ["households", "events", "services"])
def test_every_kind_exports(client, officers, people, kind):
    client.force_login(officers["county"])
    rows = download(client.post("/registry/export/", {"kind": kind, "area": TOWNSHIP, "format": "xlsx"}))
    assert rows and rows[0][0] in ("household_key", "record_id")
    assert AuditEvent.objects.get(action="export").detail["filter"] == {"kind": kind, "area": TOWNSHIP}

"""Nobody reads or writes outside their areas: pages, API and exports, and the audit of reads."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.exceptions import PermissionDenied

from renkou.core.models import AuditEvent
from renkou.registry import exporter

from .conftest import VILLAGE_A, VILLAGE_B

# (officer, person) → may the officer see the person?
MATRIX = [
    ("village_a", "mother", True), ("village_a", "b_man", False), ("village_a", "c_woman", False),
    ("village_b", "b_man", True), ("village_b", "mother", False),
    ("township", "mother", True), ("township", "b_man", True), ("township", "c_woman", False),
    ("other_township", "c_woman", True), ("other_township", "mother", False),
    ("county", "c_woman", True), ("auditor", "mother", False),
]


def test_person_page_and_api_follow_the_scope(client, officers, people):
    """The whole matrix in one test (one set-up of areas and people)."""
    for who, whom, visible in MATRIX:
        client.force_login(officers[who])
        person = people[whom]
        views = AuditEvent.objects.filter(action="view", object_id=str(person.pk),
                                          actor_username=officers[who].username)
        before = views.count()
        page = client.get(f"/registry/persons/{person.pk}/")
        api = client.get(f"/api/registry/persons/{person.pk}")
        if visible:
            assert page.status_code == 200 and person.name in page.content.decode(), (who, whom)
            assert api.status_code == 200 and api.json()["name"] == person.name, (who, whom)
            assert views.count() == before + 2, (who, whom)
        else:
            assert page.status_code in (403, 404) and person.name not in page.content.decode(), (who, whom)
            assert api.status_code in (403, 404), (who, whom)
            assert views.count() == before, (who, whom)


def test_search_lists_only_the_scope_and_masks_id_numbers(client, officers, people):
    client.force_login(officers["township"])
    html = client.get("/registry/", {"q": "l"}).content.decode()  # pinyin: li xiu ying
    assert "李秀英" in html and people["mother"].id_number not in html and "520122********0424"[:6] in html
    client.force_login(officers["village_b"])
    assert "李秀英" not in client.get("/registry/", {"q": "李"}).content.decode()
    rows = client.get("/api/registry/persons", {"q": "zhang"}).json()["items"]
    assert [r["name"] for r in rows] == ["张伟"] and rows[0]["id_number_masked"] == ""


def test_village_officer_cannot_act_on_another_village_through_the_api(client, officers, people):
    client.force_login(officers["village_b"])
    r = client.post("/api/registry/births", json.dumps({
        "child_name": "王二", "child_sex": 1, "event_date": "2024-03-01", "registration_date": "2024-03-02",
        "area": VILLAGE_A, "mother_id": people["mother"].pk}), content_type="application/json")
    assert r.status_code == 404  # the mother is not even visible
    client.force_login(officers["village_a"])
    r = client.post("/api/registry/births", json.dumps({
        "child_name": "王二", "child_sex": 1, "event_date": "2024-03-01", "registration_date": "2024-03-02",
        "area": VILLAGE_B, "mother_id": people["mother"].pk}), content_type="application/json")
    assert r.status_code == 403


def test_export_is_scoped_masked_escaped_and_audited(tmp_path, officers, people):
    path = tmp_path / "p.csv"
    n = exporter.export(user=officers["township"], kind="persons", path=path, layout="machine")
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert n == 3 and sorted(r["name"] for r in rows) == ["张伟", "李秀英", "王建国"]
    mother = next(r for r in rows if r["name"] == "李秀英")
    assert mother["id_number"] == people["mother"].id_number[:6] + "********" + people["mother"].id_number[-4:]
    e = AuditEvent.objects.get(action="export")
    assert e.detail["rows"] == 3 and e.detail["masked"] is True and e.actor_username == "xiang"
    with pytest.raises(PermissionDenied):
        exporter.export(user=officers["village_a"], kind="persons", path=path)  # no export permission


def test_formula_cells_are_escaped():
    assert [exporter.safe_cell(x) for x in ("=1+1", "+86", "-3", "@SUM(A1)", "李", None, 7)] == \
        ["'=1+1", "'+86", "'-3", "'@SUM(A1)", "李", "", "7"]


def test_auditor_sees_no_register_page(client, officers, people):
    client.force_login(officers["auditor"])
    assert client.get("/registry/", {"q": "李"}).status_code == 403
    assert client.get("/api/registry/persons", {"q": "li"}).status_code == 403

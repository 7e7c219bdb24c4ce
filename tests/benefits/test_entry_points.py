"""Pages and API: no step can be skipped from the browser or the API, and the pages show the roster."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from renkou.benefits import services
from renkou.benefits.models import RosterList

from .conftest import VILLAGE_A
from .helpers import REVIEW_DAY, xifeng_cycle

PASSWORD = "Correct-Horse-9"


def _client(user):
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["village_a", "township", "county", "other_township", "auditor"])
def test_the_api_refuses_to_approve_a_draft_list_whoever_asks(officers, register, programs, who):
    cycle = xifeng_cycle(officers, programs)
    rl = cycle.lists.get(village_id=VILLAGE_A)
    for action in ("approve", "review", "send_back"):
        r = _client(officers[who]).post(f"/api/benefits/lists/{rl.pk}/{action}")
        assert r.status_code in (403, 404, 422), (who, action, r.status_code)
    assert RosterList.objects.get(pk=rl.pk).state == "draft"


@pytest.mark.django_db
def test_the_api_walks_a_list_only_in_order(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    rl = cycle.lists.get(village_id=VILLAGE_A)
    assert _client(officers["township"]).post(f"/api/benefits/lists/{rl.pk}/review").status_code == 422
    r = _client(officers["village_a"]).post(f"/api/benefits/lists/{rl.pk}/propose")
    assert (r.status_code, r.json()) == (200, {"id": rl.pk, "state": "proposed"})
    r = _client(officers["county"]).post(f"/api/benefits/lists/{rl.pk}/approve")
    assert r.status_code == 422 and RosterList.objects.get(pk=rl.pk).state == "proposed"
    r = _client(officers["other_township"]).post(f"/api/benefits/lists/{rl.pk}/review")
    assert r.status_code == 404  # not even visible outside its areas


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["village_a", "township", "county", "other_township"])
def test_the_page_refuses_to_skip_a_step(officers, register, programs, who):
    cycle = xifeng_cycle(officers, programs)
    rl = cycle.lists.get(village_id=VILLAGE_A)
    c = _client(officers[who])
    r = c.post(f"/benefits/lists/{rl.pk}/approve/")
    assert r.status_code in (302, 404)
    assert RosterList.objects.get(pk=rl.pk).state == "draft"
    if r.status_code == 302:
        page = c.get("/benefits/inbox/")
        assert page.status_code == 200


@pytest.mark.django_db
def test_the_roster_page_shows_each_row_with_its_explanation(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    html = _client(officers["county"]).get(f"/benefits/cycles/{cycle.pk}/").content.decode()
    assert "H1父" in html and "children.count" in html and "¥10.00" in html
    en = Client()
    en.login(username="xian", password=PASSWORD)
    en.cookies["django_language"] = "en"
    html = en.get(f"/benefits/cycles/{cycle.pk}/").content.decode()
    assert "Roster" in html and "explanation" in html


@pytest.mark.django_db
def test_the_notice_masks_id_numbers(officers, register, programs):
    from renkou.registry.models import Person

    Person.objects.filter(pk=register["one_son"]["father"].pk).update(id_number="520122196004010013")
    cycle = xifeng_cycle(officers, programs, "2008")
    rl = cycle.lists.get(village_id=VILLAGE_A)
    services.transition(officers["village_a"], rl, "propose", today=REVIEW_DAY)
    html = _client(officers["village_a"]).get(f"/benefits/lists/{rl.pk}/notice/").content.decode()
    assert "520122********0013" in html and "520122196004010013" not in html


@pytest.mark.django_db
def test_the_api_roster_and_summary(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    c = _client(officers["county"])
    rows = c.get(f"/api/benefits/cycles/{cycle.pk}/roster").json()
    assert sorted((r["name"], r["amount"], r["payee_kind"]) for r in rows) == [("H1父", "10.00", "fund"),
                                                                             ("H2父", "10.00", "fund")]
    summary = c.get("/api/benefits/summary?area=520122&period=2007").json()
    assert summary[0]["program"] == "xifeng-ncms-premium" and summary[0]["households"] == 2
    assert summary[0]["listed"] == "20.00"
    # a village officer of another village sees no row of village A
    assert _client(officers["village_b"]).get(f"/api/benefits/cycles/{cycle.pk}/roster").json() == []


@pytest.mark.django_db
def test_the_program_editor_refuses_a_bad_rule_naming_it(officers, register, programs):
    c = _client(officers["county"])
    r = c.post("/benefits/programs/xifeng-ncms-premium/", {
        "valid_from": "2010-01-01", "eligibility": json.dumps({"fact": "household.rural", "op": "==", "value": 1}),
        "amount": "10", "payee": "fund", "fund": "xifeng-ncms"})
    assert r.status_code == 200 and "compare household.rural with == or != true/false" in r.content.decode()
    r = c.post("/benefits/programs/xifeng-ncms-premium/", {
        "valid_from": "2010-01-01", "eligibility": json.dumps({"fact": "household.rural", "op": "==", "value": True}),
        "amount": "12", "payee": "fund", "fund": "xifeng-ncms"})
    assert r.status_code == 302
    assert programs["xifeng-ncms-premium"].version_on(__import__("datetime").date(2010, 6, 1)).amount == "12"


@pytest.mark.django_db
def test_batch_ledger_and_chart_pages_show_the_money(officers, register, programs):
    import datetime as dt

    from .helpers import AFTER_NOTICE, approve_all

    cycle = xifeng_cycle(officers, programs)
    approve_all(officers, cycle)
    batch = services.issue_batch(officers["county"], cycle, idempotency_key="pg", today=AFTER_NOTICE)
    services.send_batch(officers["county"], batch, today=AFTER_NOTICE)
    refs = list(batch.payments.values_list("reference", flat=True))
    content = ("流水号,金额,状态\n" + "".join(f"{r},10.00,成功\n" for r in refs)).encode()
    services.import_return(officers["county"], batch, filename="r.csv", content=content, today=dt.date(2008, 2, 1))
    c = _client(officers["county"])
    html = c.get(f"/benefits/batches/{batch.pk}/").content.decode()
    assert refs[0] in html and "¥20.00" in html
    html = c.get("/benefits/ledger/?program=xifeng-ncms-premium&area=520122000000&account="
                 "benefits/xifeng-ncms-premium/520122000000/budget").content.decode()
    assert "¥980.00" in html and "commit" in html
    html = c.get("/benefits/").content.decode()
    assert "<svg" in html and "2008-02" in html
    r = c.get(f"/benefits/batches/{batch.pk}/file.csv")
    assert r["Content-Type"].startswith("text/csv") and refs[0] in r.content.decode("utf-8-sig")
    assert c.get("/benefits/inbox/").status_code == 200
    assert "xifeng-ncms" in c.get("/benefits/programs/xifeng-ncms-premium/").content.decode()

"""The registers kept on pages: lists with their totals, forms writing all or nothing, scope by area,
XLSX equal to the list, event photos checked by content, the API and ``renkou bureau list``."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest

from renkou.bureau import registers, services

XIFENG, YONGJING, WENQUAN = "520122000000", "520122100000", "520122101000"
HONGYAN = "520122100201"
RENQIU = "130982000000"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def people(seed_areas, make_user):
    a = seed_areas
    return {
        "county": make_user("xian", "county_officer", capture=[a[XIFENG]]),
        "township": make_user("xiang", "township_officer", capture=[a[YONGJING]]),
        "other": make_user("renqiu", "county_officer", capture=[a[RENQIU]]),
        "auditor": make_user("shenji", "auditor", view=[a[XIFENG]]),
    }


@pytest.fixture
def records(seed_areas):
    """Events, trips, a screening campaign and supplies of Xifeng by hand (figures in the comments)."""
    e1 = services.record_event(area=YONGJING, kind="publicity", held_on=dt.date(2005, 3, 1), place="永靖镇会议室",
                               reached=320, leaflets=40)
    e2 = services.record_event(area=WENQUAN, kind="campaign", held_on=dt.date(2005, 4, 1), place="温泉镇集市",
                               reached=180, leaflets=25, handbooks=5)
    services.record_event(area=YONGJING, kind="training", held_on=dt.date(2006, 1, 9), place="县党校", reached=50)
    # 2005: reached 320 + 180 = 500, leaflets 65, handbooks 5
    van = services.facility(XIFENG, "mobile", "流动服务车一号")
    services.trip(van, area=YONGJING, on=dt.date(2005, 5, 1), km=120)
    services.trip(van, area=WENQUAN, on=dt.date(2005, 6, 1), km=85)  # 205 km
    camp = services.screening_campaign(XIFENG, "二〇〇五年妇检", dt.date(2005, 3, 1))
    for n, outcome in enumerate(("none", "none", "found", "treated", "cured", "referred"), start=1):
        services.screen(camp, area=HONGYAN, number=str(n), examined_on=dt.date(2005, 3, 2), consent=True,
                        outcome=outcome)
    # screened 6, found 4 (all but "none"), treated 2 (treated or cured), cured 1, referred 1
    station = services.facility(YONGJING, "township_station", "永靖镇服务所")
    other_station = services.facility(WENQUAN, "township_station", "温泉镇服务所")
    services.receive(station, "避孕套", 100, on=dt.date(2005, 1, 5))
    services.issue(station, "避孕套", 60, on=dt.date(2005, 2, 5))
    services.receive(other_station, "避孕药", 30, on=dt.date(2005, 1, 6))
    return {"e1": e1, "e2": e2, "van": van, "camp": camp, "station": station, "other_station": other_station}


def _tfoot(html: str) -> list[str]:
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", foot, re.S)]


def _rows(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr data-pk.*?</tr>", body, re.S)]


@pytest.mark.django_db
def test_lists_show_the_rows_and_totals_of_the_area_and_year(records, people, client):
    client.force_login(people["county"])
    page = client.get(f"/bureau/registers/events/?area={XIFENG}&year=2005").content.decode()
    rows = _rows(page)
    assert [r[5] for r in rows] == ["永靖镇会议室", "温泉镇集市"]
    assert [r[6] for r in rows] == ["320", "180"]
    assert _tfoot(page)[6:9] == ["500", "65", "5"]
    trips = client.get(f"/bureau/registers/trips/?area={XIFENG}&year=2005").content.decode()
    assert _tfoot(trips)[3] == "205"
    camps = client.get("/bureau/registers/campaigns/?year=2005").content.decode()
    assert _rows(camps)[0][3:8] == ["6", "4", "2", "1", "1"]
    supplies = client.get(f"/bureau/registers/supplies/?area={YONGJING}").content.decode()
    assert _tfoot(supplies)[4:6] == ["100", "60"]
    stock = re.search(r"<table class=\"grid\" data-stock>.*?</table>", supplies, re.S).group(0)
    assert "永靖镇服务所" in stock and ">40<" in stock and "温泉镇服务所" not in stock
    # the same figures as the service (one source of truth for pages, API and CLI)
    t = registers.table(None, registers.get("events"), area=XIFENG, year=2005)
    assert t["totals"] == {"reached": 500, "leaflets": 65, "handbooks": 5, "photos": 0} and t["count"] == 2


@pytest.mark.django_db
def test_fund_line_list_counts_budget_and_spending(seed_areas, people, client):
    line = services.fund_line(XIFENG, 2005, "per_head", "人头经费")
    services.allocate(line, 500_000_00, on=dt.date(2005, 1, 10))
    services.spend(line, 120_000_50, on=dt.date(2005, 3, 1), payee="县服务站")
    client.force_login(people["county"])
    page = client.get("/bureau/registers/funds/?year=2005").content.decode()
    assert _rows(page)[0][4:7] == ["¥500,000.00", "¥120,000.50", "¥379,999.50"]
    assert _tfoot(page)[4:7] == ["¥500,000.00", "¥120,000.50", "¥379,999.50"]


@pytest.mark.django_db
def test_the_form_creates_the_record_audited(seed_areas, people, client):
    from renkou.bureau.models import Event
    from renkou.core.models import AuditEvent

    client.force_login(people["township"])
    resp = client.post("/bureau/registers/events/new/", {
        "area": HONGYAN, "kind": "publicity", "campaign": "care_for_girls", "organiser": "association",
        "held_on": "2005-07-01", "place": "红岩村村委会", "audience": "育龄妇女", "reached": "86", "leaflets": "30",
        "handbooks": "4"})
    assert resp.status_code == 302
    e = Event.objects.get()
    assert (e.area_id, e.kind, e.campaign, e.organiser, e.held_on, e.reached, e.leaflets, e.handbooks) == (
        HONGYAN, "publicity", "care_for_girls", "association", dt.date(2005, 7, 1), 86, 30, 4)
    created = AuditEvent.objects.get(action="create", object_type="bureau.event")
    assert created.actor == people["township"]
    resp = client.post(f"/bureau/registers/events/{e.pk}/", {
        "area": HONGYAN, "kind": "publicity", "campaign": "", "organiser": "bureau", "held_on": "2005-07-01",
        "place": "红岩村村委会", "reached": "90", "leaflets": "30", "handbooks": "4"})
    assert resp.status_code == 302
    e.refresh_from_db()
    assert e.reached == 90 and AuditEvent.objects.filter(action="update", object_type="bureau.event").exists()


@pytest.mark.django_db
def test_bad_input_names_the_field_and_rule_and_writes_nothing(records, people, client, settings):
    from renkou.bureau.models import Event, FundLine, SupplyMovement
    from renkou.ledger.models import Transaction

    settings.LANGUAGE_CODE = "en"
    client.force_login(people["county"])
    before = Event.objects.count()
    resp = client.post("/bureau/registers/events/new/?", {
        "area": YONGJING, "kind": "dance", "organiser": "bureau", "held_on": "2005-13-01", "place": "x",
        "reached": "-5", "leaflets": "0", "handbooks": "0"}, HTTP_ACCEPT_LANGUAGE="en")
    page = resp.content.decode()
    assert resp.status_code == 400 and Event.objects.count() == before
    assert "Nothing was written" in page
    errors = re.findall(r"<li>(.*?)</li>", re.search(r'role="alert">(.*?)</div>', page, re.S).group(1))
    named = {e.split(":")[0].lower() for e in errors}
    assert {"kind", "held on", "people reached"} <= named
    assert any(e.startswith("People reached:") and "greater than or equal to 0" in e for e in errors)
    # an issue beyond the station's stock (40 left)
    resp = client.post("/bureau/registers/supplies/new/", {
        "station": records["station"].pk, "item": "避孕套", "kind": "issue", "quantity": "41", "on": "2005-03-01"})
    assert resp.status_code == 400 and "Quantity: more than the stock of 避孕套 (40)" in resp.content.decode()
    assert SupplyMovement.objects.count() == 3
    # spending beyond the budget: neither the new line nor its budget is written
    resp = client.post("/bureau/registers/funds/new/", {
        "area": XIFENG, "year": "2005", "kind": "other", "name": "宣传费", "add_budget": "100", "add_spending": "150",
        "payee": "印刷厂", "posted_on": "2005-02-01"})
    assert resp.status_code == 400 and "Add spending (yuan): more than is left of the budget (¥100.00)" in resp.content.decode()
    assert not FundLine.objects.exists() and not Transaction.objects.exists()
    # a trip with a vehicle that is not a mobile service vehicle is not offered
    resp = client.post("/bureau/registers/trips/new/", {
        "vehicle": records["station"].pk, "area": YONGJING, "on": "2005-03-01", "km": "10"})
    assert resp.status_code == 400 and "Vehicle: Select a valid choice" in resp.content.decode()


@pytest.mark.django_db
def test_a_township_officer_sees_and_edits_only_its_own(records, people, client):
    from renkou.bureau.models import Event

    client.force_login(people["township"])
    page = client.get("/bureau/registers/events/?year=2005").content.decode()
    assert [r[5] for r in _rows(page)] == ["永靖镇会议室"]
    assert client.get(f"/bureau/registers/events/{records['e2'].pk}/").status_code == 404
    assert client.get(f"/bureau/registers/events/{records['e1'].pk}/").status_code == 200
    resp = client.post("/bureau/registers/events/new/", {
        "area": WENQUAN, "kind": "publicity", "organiser": "bureau", "held_on": "2005-07-01", "place": "温泉",
        "reached": "10", "leaflets": "0", "handbooks": "0"})
    assert resp.status_code == 400 and Event.objects.filter(place="温泉").count() == 0
    assert client.get(f"/bureau/registers/events/?area={WENQUAN}").status_code == 404
    # the county's vehicle serves the township: its officer records the trip in its own township only
    from renkou.bureau.models import VehicleTrip

    trip = {"vehicle": records["van"].pk, "area": YONGJING, "on": "2005-09-01", "km": "42", "purpose": "送药具"}
    assert client.post("/bureau/registers/trips/new/", trip).status_code == 302
    assert client.post("/bureau/registers/trips/new/", {**trip, "area": WENQUAN}).status_code == 400
    assert list(VehicleTrip.objects.filter(on=dt.date(2005, 9, 1)).values_list("area_id", "km")) == [(YONGJING, 42)]
    supplies = client.get("/bureau/registers/supplies/").content.decode()
    assert "温泉镇服务所" not in supplies and "永靖镇服务所" in supplies
    # staff: personal data of staff, by the scoping function, each read audited
    services.add_staff(area=YONGJING, kind="full_time", name="甲", started_on=dt.date(2004, 1, 1))
    services.add_staff(area=WENQUAN, kind="full_time", name="乙", started_on=dt.date(2004, 1, 1))
    staff = client.get("/bureau/registers/staff/?year=2005").content.decode()
    assert [r[2] for r in _rows(staff)] == ["甲"]
    from renkou.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="view", object_type="bureau.staffpost",
                                     actor=people["township"]).exists()
    # another county sees nothing of Xifeng
    client.force_login(people["other"])
    assert client.get(f"/bureau/registers/events/?area={XIFENG}").status_code == 404
    assert client.get(f"/bureau/registers/events/{records['e1'].pk}/").status_code == 404
    assert _rows(client.get("/bureau/registers/events/").content.decode()) == []
    assert client.get(f"/api/bureau/registers/events?area={XIFENG}").status_code == 404
    # an auditor reads the events of its county, writes nothing, and sees no staff names
    client.force_login(people["auditor"])
    assert len(_rows(client.get("/bureau/registers/events/?year=2005").content.decode())) == 2
    assert client.get("/bureau/registers/events/new/").status_code == 403
    assert "甲" not in client.get("/bureau/registers/staff/").content.decode()


@pytest.mark.django_db
def test_the_xlsx_equals_the_list(records, people, client):
    from openpyxl import load_workbook

    services.record_event(area=YONGJING, kind="publicity", held_on=dt.date(2005, 8, 1), place="=HYPERLINK(1)",
                          reached=7)
    client.force_login(people["county"])
    page = client.get(f"/bureau/registers/events/?area={XIFENG}&year=2005").content.decode()
    wb = load_workbook(io.BytesIO(client.get(f"/bureau/registers/events/export.xlsx?area={XIFENG}&year=2005").content))
    cells = [[c.value for c in row] for row in wb.active.iter_rows()]
    header, body, total = cells[0], cells[1:-1], cells[-1]
    thead = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert header == [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>(.*?)</th>", thead)][:10]
    listed = _rows(page)
    assert len(body) == len(listed) == 3
    for xrow, lrow in zip(body, listed, strict=True):
        assert xrow[5] == lrow[5] or xrow[5] == "'" + lrow[5]
        assert [f"{v:,}" for v in xrow[6:10]] == lrow[6:10]
    assert body[2][5] == "'=HYPERLINK(1)"
    assert total[6:10] == [507, 65, 5, 0]
    assert [f"{v:,}" for v in total[6:10]] == _tfoot(page)[6:10]


@pytest.mark.django_db
def test_photos_are_checked_by_content_and_served_only_in_scope(records, people, client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from renkou.bureau.models import EventPhoto

    settings.MEDIA_ROOT = str(tmp_path / "media")
    e1 = records["e1"]
    client.force_login(people["township"])
    url = f"/bureau/events/{e1.pk}/photos/"
    resp = client.post(url, {"image": SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", "image/jpeg")})
    assert resp.status_code == 400 and "照片：不是 JPEG 或 PNG 图片" in resp.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = client.post(url, {"image": SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", "image/jpeg")})
    assert resp.status_code == 400 and "photo: not a JPEG or PNG image" in resp.content.decode()
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    resp = client.post(url, {"image": SimpleUploadedFile("big.png", big, "image/png")})
    assert resp.status_code == 400 and "at most 5 MB" in resp.content.decode()
    assert not EventPhoto.objects.exists() and not (tmp_path / "media" / "bureau" / "events").exists() or not any(
        (tmp_path / "media" / "bureau" / "events").iterdir())
    resp = client.post(url, {"image": SimpleUploadedFile("scan.gif", PNG, "image/gif"), "caption": "会场"})
    assert resp.status_code == 302
    photo = EventPhoto.objects.get()
    assert (photo.content_type, photo.size, photo.area_id) == ("image/png", len(PNG), YONGJING)
    stored = tmp_path / "media" / photo.image.name
    assert photo.image.name.startswith("bureau/events/") and stored.read_bytes() == PNG
    served = client.get(f"/bureau/photos/{photo.pk}/")
    assert served["Content-Type"] == "image/png" and b"".join(served.streaming_content) == PNG
    assert client.post(f"/bureau/events/{records['e2'].pk}/photos/",
                       {"image": SimpleUploadedFile("a.png", PNG)}).status_code == 404
    client.force_login(people["other"])
    assert client.get(f"/bureau/photos/{photo.pk}/").status_code == 404
    client.force_login(people["county"])
    assert client.get(f"/bureau/photos/{photo.pk}/").status_code == 200


@pytest.mark.django_db
def test_api_and_cli_give_the_lists_values(records, people, client, capsys):
    from django.core.management import call_command

    client.force_login(people["county"])
    api = client.get(f"/api/bureau/registers/trips?area={XIFENG}&year=2005").json()
    assert [r["km"] for r in api["rows"]] == [120, 85] and api["totals"] == {"km": 205}
    assert [r["on"] for r in api["rows"]] == ["2005-05-01", "2005-06-01"]
    camp = client.get("/api/bureau/registers/campaigns?year=2005").json()
    assert {k: camp["rows"][0][k] for k in ("screened", "found", "treated", "cured", "referred")} == {
        "screened": 6, "found": 4, "treated": 2, "cured": 1, "referred": 1}
    client.force_login(people["township"])
    supplies = client.get("/api/bureau/registers/supplies").json()
    assert supplies["stock"] == [{"station": "永靖镇服务所", "item": "避孕套", "received": 100, "issued": 60,
                                  "stock": 40}]
    call_command("bureau", "list", "events", "--area", "520122", "--year", "2005", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert [r["reached"] for r in out["rows"]] == [320, 180] and out["totals"]["reached"] == 500
    call_command("bureau", "list", "supplies", "--area", XIFENG, "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert {(s["station"], s["item"]): s["stock"] for s in out["stock"]} == {
        ("永靖镇服务所", "避孕套"): 40, ("温泉镇服务所", "避孕药"): 30}

"""Pages: the value table, the drill-down from a value to the births behind it (scoped, audited),
report tables as XLSX, ADX/JSON export, data entry with approval."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from renkou.core.models import AuditEvent
from renkou.indicators import services
from renkou.indicators.models import Approval, DataElement, DataValue, IndicatorValue

from .conftest import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_C


@pytest.fixture
def computed(world, seed_areas, make_user):
    w1 = world.person(sex=2, born="1980-05-01", marital="21", area=VILLAGE_A)
    w2 = world.person(sex=2, born="1982-05-01", marital="21", area=VILLAGE_C)
    for _ in range(3):
        world.person(sex=1, born="1970-01-01", area=VILLAGE_A)
    world.birth(w1, "2005-03-01", sex=1)
    world.birth(w2, "2005-04-01", sex=2)
    services.load_catalog()
    el = DataElement.objects.get(code="people_reached")
    DataValue.objects.create(element=el, area_id=TOWNSHIP, period="200503", value=120)
    services.compute(COUNTY, "2005", level=4)
    return {"county": make_user("xian", "county_officer", capture=[seed_areas[COUNTY]]),
            "village": make_user("cun", "village_officer", capture=[seed_areas[VILLAGE_A]]),
            "township": make_user("xiang", "township_officer", capture=[seed_areas[TOWNSHIP]])}


def test_value_table_links_each_value_to_its_detail(client, computed):
    client.force_login(computed["county"])
    html = client.get("/indicators/?area=520122&period=2005&group=vital").content.decode()
    cbr = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    # mean population (5 + 7) / 2 = 6, 2 births → 333.3‰
    assert cbr.value == Decimal("333.3")
    assert f'href="/indicators/value/{cbr.pk}/">333.3</a>' in html


def test_drill_down_reaches_the_births_within_the_users_scope_and_is_audited(client, computed):
    cbr = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    client.force_login(computed["county"])
    page = client.get(f"/indicators/value/{cbr.pk}/").content.decode()
    # how it is computed, in words: no expression language on the page
    assert '<p class="formula" id="formula">出生率 = 出生人数 ÷ 平均人口 × 1000‰</p>' in page
    assert "<li>平均人口 = (期初人口 + 期末人口) ÷ 2</li>" in page
    assert "R{" not in page and "per_thousand" not in page and "千分率（每千人）" in page
    births = client.get(f"/indicators/value/{cbr.pk}/records/0/").content.decode()
    assert "<td>2005-03-01</td>" in births and "<td>2005-04-01</td>" in births  # both births
    logged = AuditEvent.objects.filter(action="view", object_type="indicators.drilldown.events").get()
    assert logged.detail["operand"] == "R{births}" and logged.actor == computed["county"]
    client.force_login(computed["village"])  # the village officer's scope: only village A's birth
    births = client.get(f"/indicators/value/{cbr.pk}/records/0/").content.decode()
    assert "<td>2005-03-01</td>" in births and "2005-04-01" not in births


def test_value_page_in_english_says_how_the_value_is_computed(client, computed):
    from django.conf import settings

    srb = IndicatorValue.objects.get(indicator__code="srb", area_id=COUNTY, period="2005")
    client.force_login(computed["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/indicators/value/{srb.pk}/").content.decode()
    assert ('<p class="formula" id="formula">sex ratio at birth = births (male) ÷ births (female) × 100</p>'
            in page)
    assert "How it is computed" in page and "per 100 (e.g. boys per 100 girls)" in page
    assert "出生" not in page and "R{" not in page and "per_hundred" not in page


def test_drill_down_reaches_the_persons_present_at_the_end_within_the_users_scope(client, computed, world):
    from renkou.registry.models import Person

    gone = world.person(sex=1, born="1960-01-01", area=VILLAGE_A, died="2005-06-01")
    cbr = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    client.force_login(computed["county"])
    page = client.get(f"/indicators/value/{cbr.pk}/records/1/").content.decode()  # R{mean_population}
    names = {p.name for p in Person.objects.exclude(pk=gone.pk)}
    assert "<h1>平均人口 = 7 " in page and all(f"<td>{n}</td>" in page for n in names)
    assert f"<td>{gone.name}</td>" not in page  # died before the end of the period
    client.force_login(computed["village"])  # village A: the mother, three men and her child
    page = client.get(f"/indicators/value/{cbr.pk}/records/1/").content.decode()
    assert "<h1>平均人口 = 5 " in page
    assert AuditEvent.objects.filter(object_type="indicators.drilldown.persons").count() == 2


def test_annual_report_xlsx_by_township_with_total(client, computed):
    client.force_login(computed["county"])
    resp = client.get("/indicators/report/?area=520122&period=2005&format=xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = {ws.cell(r, 1).value: r for r in range(7, ws.max_row + 1)}
    headers = [ws.cell(5, c).value for c in range(1, ws.max_column + 1)]
    births = headers.index("出生人数") + 1
    assert ws.cell(rows[TOWNSHIP], births).value == 1 and ws.cell(rows[COUNTY], births).value == 2
    assert ws.cell(rows[COUNTY], 2).value == "合计 total"
    assert ws._charts, "a native bar chart of the birth rate"
    assert AuditEvent.objects.filter(action="export", object_type="indicators.report").exists()


def test_adx_and_json_exports_carry_the_data_values(client, computed):
    client.force_login(computed["county"])
    adx = ET.fromstring(client.get("/indicators/export/?area=520122&period=2005").content)
    ns = {"a": "urn:ihe:qrph:adx:2015"}
    group = adx.find("a:group", ns)
    assert group.get("orgUnit") == TOWNSHIP and group.get("period") == "2005-03-01/P1M"
    assert group.get("dataSet") == "activity_monthly"
    assert group.find("a:dataValue", ns).attrib == {"dataElement": "people_reached", "value": "120"}
    data = json.loads(client.get("/indicators/export/?area=520122&period=2005&format=json").content)
    assert data["dataValues"][0] | {} == {"dataElement": "people_reached", "period": "200503", "orgUnit": TOWNSHIP,
                                         "categoryOptionCombo": "default", "attributeOptionCombo": "default",
                                         "value": "120", "comment": None, "followup": False}


def test_entry_page_saves_and_an_approved_form_is_locked(client, computed, seed_areas):
    client.force_login(computed["county"])
    url = "/indicators/entry/"
    base = {"dataset": "activity_monthly", "area": TOWNSHIP, "period": "200506"}
    client.post(url, {**base, "action": "save", "v:trainings:": "3", "v:women_served:married": "5"})
    assert DataValue.objects.get(element__code="trainings", period="200506").value == 3
    client.post(url, {**base, "action": "complete"})
    client.post(url, {**base, "action": "approve:3"})  # refused: the township has not approved
    assert not Approval.objects.exists()
    client.force_login(computed["township"])
    client.post(url, {**base, "action": "approve:4"})
    client.force_login(computed["county"])
    client.post(url, {**base, "action": "approve:3"})
    assert sorted(Approval.objects.values_list("level", flat=True)) == [3, 4]
    client.post(url, {**base, "action": "save", "v:trainings:": "9"})
    assert DataValue.objects.get(element__code="trainings", period="200506").value == 3
    page = client.get(url, base).content.decode()
    assert "locked" in page or "锁定" in page


def test_home_panel_shows_the_headline_figures(client, computed):
    client.force_login(computed["county"])
    html = client.get("/").content.decode()
    assert "333.3‰" in html


def test_api_gives_values_with_numerator_and_denominator(client, computed):
    client.force_login(computed["village"])  # a village officer may read the county's aggregate figures
    rows = client.get("/api/indicators/values", {"area": "520122", "period": "2005", "indicator": "cbr"}).json()
    assert rows == [{"code": "cbr", "name": "出生率", "area": COUNTY, "area_name": "息烽县", "period": "2005",
                     "value": 333.3, "unit": "‰", "numerator": 2.0, "denominator": 6.0}]
    assert client.get("/api/indicators/values", {"area": "130982", "period": "2005"}).status_code == 403


def test_value_page_shows_provisional_births_beside_the_official_count(client, world, seed_areas, make_user):
    mother = world.person(sex=2, born="1980-05-01", marital="21", area=VILLAGE_A)
    world.birth(mother, "2005-03-01", registered="2005-03-10")
    world.birth(world.person(sex=2, born="1982-05-01", marital="21", area=VILLAGE_C), "2005-06-01",
                registered="2005-06-03")
    world.birth(mother, "2005-12-20", state="declared")
    services.load_catalog()
    services.compute(COUNTY, "2005", level=4)
    value = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    assert value.numerator == 2  # official: the two registered births
    client.force_login(make_user("xian2", "county_officer", capture=[seed_areas[COUNTY]]))
    page = client.get(f"/indicators/value/{value.pk}/").content.decode()
    row = re.search(r'<td>出生人数</td><td class="num">(.*?)</td>', page, re.S).group(1)
    assert row.startswith("2<br>") and "另有 1 例待核实（已申报、尚未登记，未计入）" in row

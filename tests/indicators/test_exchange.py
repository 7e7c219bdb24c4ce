"""ADX and DHIS2 JSON exchange: the ADX export is valid against the ADX schema written from the IHE
QRPH profile (exported as a dateTime, every group with its data set, one attribute per category),
and a DHIS2-shaped reading of the JSON data value set gives back every stored value."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from lxml import etree

from renkou.core.periods import Period
from renkou.indicators import exchange, services
from renkou.indicators.models import DataElement, DataValue

from .conftest import TOWNSHIP, VILLAGE_A

NS = {"a": "urn:ihe:qrph:adx:2015"}
SPAN = "20041001-20051231"  # the calendar year 2005 and the statistical year 2005SY
pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(seed_areas):
    services.load_catalog()
    by_age = DataElement.objects.create(code="screened_by_age", name_zh="按年龄筛查人数", name_en="screened by age",
                                        categories=["sex", "age_group"], disaggregations=["2|15-19", "2|20-24"])
    reached = DataElement.objects.get(code="people_reached")
    women = DataElement.objects.get(code="women_served")
    charter = DataElement.objects.get(code="villages_with_charter")
    rows = [(reached, "", TOWNSHIP, "200507", 120), (reached, "", TOWNSHIP, "2005Q3", 300),
            (women, "married", TOWNSHIP, "200507", 40), (women, "unmarried", TOWNSHIP, "200507", 7),
            (charter, "", TOWNSHIP, "2005", 9), (by_age, "2|15-19", VILLAGE_A, "2005SY", 11),
            (by_age, "2|20-24", VILLAGE_A, "2005SY", 23)]
    for element, dis, area, period, value in rows:
        DataValue.objects.create(element=element, disaggregation=dis, area_id=area, period=period, value=value)
    return rows


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(exchange.ADX_SCHEMA)))


def test_adx_export_is_valid_against_the_adx_schema(stored):
    text = exchange.export("520122", SPAN, fmt="adx")
    doc = etree.fromstring(text.encode())
    schema = _schema()
    assert schema.validate(doc), schema.error_log
    exported = dt.datetime.fromisoformat(doc.get("exported"))
    assert exported.tzinfo is not None and abs(exported - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_the_schema_refuses_what_the_old_export_wrote(stored):
    schema = _schema()
    old = ('<adx xmlns="urn:ihe:qrph:adx:2015" exported="renkou"><group orgUnit="520122100000" '
           'period="2005-07-01/P1M" dataSet="activity_monthly"><dataValue dataElement="trainings" value="3"/>'
           '</group></adx>')
    assert not schema.validate(etree.fromstring(old))  # exported must be a dateTime
    no_form = old.replace('exported="renkou"', 'exported="2026-01-01T00:00:00+00:00"').replace(
        ' dataSet="activity_monthly"', "")
    assert not schema.validate(etree.fromstring(no_form))  # every group carries its data set
    bad_period = old.replace('exported="renkou"', 'exported="2026-01-01T00:00:00+00:00"').replace(
        "2005-07-01/P1M", "200507")
    assert not schema.validate(etree.fromstring(bad_period))


def test_every_adx_group_carries_its_data_set_and_each_category_is_an_attribute(stored):
    doc = etree.fromstring(exchange.export("520122", SPAN, fmt="adx").encode())
    groups = {(g.get("orgUnit"), g.get("period"), g.get("dataSet")): g for g in doc.findall("a:group", NS)}
    assert set(groups) == {
        (TOWNSHIP, "2005-07-01/P1M", "activity_monthly"), (TOWNSHIP, "2005-07-01/P3M", "activity_monthly"),
        (TOWNSHIP, "2005-01-01/P1Y", "self_governance_yearly"),
        (VILLAGE_A, "2004-10-01/P1Y", exchange.CATALOG_DATASET)}  # an element on no form: the catalog's code
    month = groups[(TOWNSHIP, "2005-07-01/P1M", "activity_monthly")]
    assert [dict(v.attrib) for v in month.findall("a:dataValue", NS)] == [
        {"dataElement": "people_reached", "value": "120"},
        {"dataElement": "women_served", "marital_status": "married", "value": "40"},
        {"dataElement": "women_served", "marital_status": "unmarried", "value": "7"}]
    year = groups[(VILLAGE_A, "2004-10-01/P1Y", exchange.CATALOG_DATASET)]
    assert [dict(v.attrib) for v in year.findall("a:dataValue", NS)] == [
        {"dataElement": "screened_by_age", "sex": "2", "age_group": "15-19", "value": "11"},
        {"dataElement": "screened_by_age", "sex": "2", "age_group": "20-24", "value": "23"}]
    assert "disaggregation" not in exchange.export("520122", SPAN, fmt="adx")


def test_a_named_data_set_is_carried_by_every_group(stored):
    doc = etree.fromstring(exchange.export("520122", SPAN, fmt="adx", dataset="activity_monthly").encode())
    assert {g.get("dataSet") for g in doc.findall("a:group", NS)} == {"activity_monthly"}
    assert _schema().validate(doc)


@pytest.mark.parametrize(("code", "dhis2"), [("2005", "2005"), ("2005S2", "2005S2"), ("2005Q3", "2005Q3"),
                                             ("200507", "200507"), ("20050715", "20050715"), ("2005SY", "2004Oct")])
def test_periods_have_their_dhis2_identifier_and_read_back(code, dhis2):
    period = Period.parse(code)
    assert exchange.dhis2_period(period) == dhis2
    assert exchange.parse_dhis2_period(dhis2) == period


def test_the_statistical_year_is_the_october_financial_year():
    p = exchange.parse_dhis2_period("2004Oct")
    assert (p.start, p.end) == (dt.date(2004, 10, 1), dt.date(2005, 9, 30))
    with pytest.raises(ValueError):
        exchange.parse_dhis2_period("2005SY")


def _import_dhis2(text: str) -> dict[tuple[str, str, str, str], Decimal]:
    """What a DHIS2 receiver does with a data value set: every value keyed by element, period,
    organisation unit and category option combination (no Renkou code involved but the period table)."""
    body = json.loads(text)
    out: dict[tuple[str, str, str, str], Decimal] = {}
    for dv in body["dataValues"]:
        assert set(dv) >= {"dataElement", "period", "orgUnit", "value"}
        period = exchange.parse_dhis2_period(dv["period"])
        key = (dv["dataElement"], period.code, dv["orgUnit"], dv.get("categoryOptionCombo", "default"))
        assert dv.get("attributeOptionCombo", "default") == "default"
        assert key not in out, "one value per element, period, unit and combination"
        out[key] = Decimal(dv["value"])
    return out


def test_a_dhis2_import_of_the_json_export_reproduces_every_value(stored):
    imported = _import_dhis2(exchange.export("520122", SPAN, fmt="json"))
    expected = {(e.code, Period.parse(p).code, area, dis or "default"): Decimal(v) for e, dis, area, p, v in stored}
    assert imported == expected
    periods = {json.loads(exchange.export("520122", SPAN, fmt="json"))["dataValues"][i]["period"]
               for i in range(len(stored))}
    assert periods == {"200507", "2005Q3", "2005", "2004Oct"}

"""The audit entry shows recorded values by field label and value name, never as a stored dict."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from tests.registry.conftest import VILLAGE_A


@pytest.mark.django_db
def test_audit_entry_lists_fields_by_label_and_values_by_name(client, seed_areas, make_user):
    from renkou.core.models import AuditEvent
    from renkou.registry import services

    county = make_user("xian", "county_officer", capture=[seed_areas["520122000000"]])
    auditor = make_user("shenji", "auditor", view=[seed_areas["520122000000"]])
    mother = services.create_person(user=county, name="李秀英", sex=2, birth_date=dt.date(1980, 3, 10),
                                    marital_status="21", registered_area=VILLAGE_A)
    event = services.declare_event(user=county, kind="birth", event_date=dt.date(2005, 3, 1),
                                   registration_date=dt.date(2005, 3, 2), area=VILLAGE_A, mother=mother,
                                   birth_order=1, plurality=1, delivery_place="hospital",
                                   child={"name": "王小明", "sex": 1})
    services.verify_event(user=county, event=event)
    entry = AuditEvent.objects.filter(action="update", object_type="registry.event").order_by("pk").last()
    client.force_login(auditor)
    html = client.get(f"/audit/{entry.pk}/").content.decode()
    rows = dict(re.findall(r'<tr class="changed"><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td></tr>', html))
    assert rows["状态"] == "已核实"  # state: verified, by its name
    assert "'state'" not in html and "{" not in re.sub(r"<[^>]+>", "", html.split("<main>")[1])
    assert "<dd>事件 #" in html  # the object by its model's name, not registry.event
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/audit/{entry.pk}/").content.decode()
    rows = dict(re.findall(r'<tr class="changed"><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td></tr>', html))
    assert rows["state"] == "verified" and "<dd>event #" in html


@pytest.mark.django_db
def test_a_list_page_view_is_named_in_words_with_the_number_of_persons(client, seed_areas, make_user):
    from renkou.core import audit

    county = make_user("xian", "county_officer", capture=[seed_areas["520122000000"]])
    auditor = make_user("shenji", "auditor", view=[seed_areas["520122000000"]])
    entry = audit.record_persons_shown("registry.event_queue", [3, 1, 2, 3], user=county, area_code=VILLAGE_A,
                                       detail={"page_number": 1})
    assert entry.object_repr == "registry.event_queue (3)"  # recorded as the page's code and the count
    client.force_login(auditor)
    listing = client.get("/audit/").content.decode()
    assert "<td>待办事件列表 3 人</td>" in listing and "registry.event_queue" not in listing
    html = client.get(f"/audit/{entry.pk}/").content.decode()
    assert "<dd>待办事件列表 3 人</dd>" in html
    assert "<dt>页码</dt><dd>1</dd>" in html and "<dt>页</dt><dd>待办事件列表</dd>" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/audit/{entry.pk}/").content.decode()
    assert "<dd>list of events to handle 3 persons</dd>" in html and "<dt>page number</dt><dd>1</dd>" in html


@pytest.mark.django_db
def test_a_drill_down_is_named_by_indicator_period_and_operand():
    from types import SimpleNamespace

    from django.utils import translation

    from renkou.core.templatetags.audit_display import audit_repr

    event = SimpleNamespace(object_type="indicators.drilldown.events", object_repr="cbr 520122000000 2005 R{births}",
                            detail={"operand": "R{births}", "page": 1})
    with translation.override("zh-hans"):
        assert audit_repr(event) == "cbr · 520122000000 · 2005年 · 出生人数"  # no catalog here: the code
    with translation.override("en"):
        assert audit_repr(event) == "cbr · 520122000000 · 2005 · births"
    odd = SimpleNamespace(object_type="indicators.drilldown.events", object_repr="as recorded", detail={})
    assert audit_repr(odd) == "as recorded"


@pytest.mark.django_db
def test_a_record_is_named_in_the_sites_language_whatever_the_language_of_the_request(seed_areas, make_user):
    from django.utils import translation

    from renkou.core import audit
    from renkou.registry import services

    county = make_user("xian", "county_officer", capture=[seed_areas["520122000000"]])
    person = services.create_person(user=county, name="赵敏", sex=2, birth_date=dt.date(1990, 1, 1),
                                    registered_area=VILLAGE_A)
    event = services.declare_event(user=county, kind="death", event_date=dt.date(2020, 1, 1), area=VILLAGE_A,
                                   subject=person)
    with translation.override("en"):
        entry = audit.record("view", event, user=county)
    assert entry.object_repr.startswith("死亡 2020-01-01")

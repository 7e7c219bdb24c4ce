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

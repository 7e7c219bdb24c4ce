"""Imports all or nothing with row- and field-named errors; a township officer's own area only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from renkou.bureau import importer, services

GOOD = ("区划代码,类别,日期,地点,受众人数,组织者\n"
        "520122100000,publicity,2005-03-01,永靖镇会议室,320,bureau\n"
        "520122100000,campaign,2005-04-01,永靖镇集市,410,\n")


@pytest.fixture
def township_officer(seed_areas, make_user):
    return make_user("xiang", "township_officer", capture=[seed_areas["520122100000"]],
                     view=[seed_areas["520122100000"]])


@pytest.mark.django_db
def test_event_file_is_written_once(township_officer):
    from renkou.bureau.models import Event

    res = importer.import_file(township_officer, "events", filename="e.csv", content=GOOD.encode(),
                               today=dt.date(2006, 1, 1))
    assert res["ok"] and res["created"] == 2, res
    again = importer.import_file(township_officer, "events", filename="e.csv", content=GOOD.encode(),
                                 today=dt.date(2006, 1, 1))
    assert again["created"] == 0 and Event.objects.count() == 2
    assert sorted(Event.objects.values_list("reached", flat=True)) == [320, 410]


@pytest.mark.django_db
def test_bad_rows_name_row_field_and_rule_and_write_nothing(township_officer):
    from renkou.bureau.models import Event

    bad = GOOD + ("520122100000,dance,2005-13-01,x,-5,\n"
                  "520122101000,publicity,2005-05-01,温泉镇,100,\n")
    res = importer.import_file(township_officer, "events", filename="bad.csv", content=bad.encode(),
                               today=dt.date(2006, 1, 1))
    assert not res["ok"] and Event.objects.count() == 0
    errors = {e["row"]: e["message"] for e in res["errors"]}
    assert set(errors) == {4, 5}
    assert "kind" in errors[4] and "held_on" in errors[4] and "reached" in errors[4]
    assert "area" in errors[5] and "outside your areas" in errors[5]


@pytest.mark.django_db
def test_screening_without_consent_is_refused(seed_areas):
    from renkou.bureau.models import ScreeningRecord

    camp = services.screening_campaign("540102000000", "普查", dt.date(2005, 3, 1))
    content = (f"普查编号,区划代码,检查编号,检查日期,知情同意,结果\n{camp.pk},540102000000,1,2005-03-02,是,cured\n"
               f"{camp.pk},540102000000,2,2005-03-02,否,none\n").encode()
    res = importer.import_file(None, "screening", filename="s.csv", content=content, today=dt.date(2006, 1, 1))
    assert not res["ok"] and ScreeningRecord.objects.count() == 0
    assert res["errors"][0]["row"] == 3 and "consent" in res["errors"][0]["message"]


@pytest.mark.django_db
def test_township_officer_sees_and_edits_only_its_own(township_officer, seed_areas):
    from renkou.bureau.models import StaffPost
    from renkou.core.models import AuditEvent

    services.add_staff(area="520122100000", kind="full_time", name="甲", started_on=dt.date(2004, 1, 1))
    services.add_staff(area="520122101000", kind="full_time", name="乙", started_on=dt.date(2004, 1, 1))
    seen = services.visible_staff(township_officer)
    assert list(seen.values_list("name", flat=True)) == ["甲"]
    assert AuditEvent.objects.filter(action="view", object_type="bureau.staffpost").exists()
    with pytest.raises(PermissionDenied):
        services.add_staff(area="520122101000", kind="full_time", name="丙", started_on=dt.date(2004, 1, 1),
                           user=township_officer)
    station = services.facility("520122101000", "township_station", "温泉镇服务所")
    with pytest.raises(PermissionDenied):
        services.receive(station, "避孕药", 10, on=dt.date(2005, 1, 1), user=township_officer)
    assert StaffPost.objects.count() == 2


@pytest.mark.django_db
def test_supplies_are_issued_only_from_stock(seed_areas):
    from django.core.exceptions import ValidationError

    station = services.facility("540102000000", "supplies", "药具站")
    services.receive(station, "避孕套", 100, on=dt.date(2005, 1, 1))
    services.issue(station, "避孕套", 60, on=dt.date(2005, 1, 2))
    with pytest.raises(ValidationError, match="quantity"):
        services.issue(station, "避孕套", 41, on=dt.date(2005, 1, 3))
    assert services.stock(station, "避孕套") == 40

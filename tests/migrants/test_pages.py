"""The migrant-service officer's pages: figures equal the services', lists hold whom they should, the
actions go through the state machine, bad input names its field or rule, scope by role and area.

The world, counted on 31 December 2005 (``?month=2005-12``), in 息烽县:

=====  ==========  =========  ==========  ==============  ==================================
who    direction   lives      arrived     state           lists of 红岩村 (village A)
=====  ==========  =========  ==========  ==============  ==================================
王芳   inflow      红岩村     2005-12-20  unconfirmed     arrivals, unconfirmed
陈丽   inflow      红岩村     2005-10-01  unconfirmed     unconfirmed, overdue (> 30 days)
刘洋   inflow      红岩村     2004-06-01  reconfirm       reconfirm
李强   inflow      温泉村     2005-12-05  inflow          — (温泉村: county lists only)
张伟   outflow     任丘        —          floating        —
=====  ==========  =========  ==========  ==============  ==================================
"""

from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from django.conf import settings

from renkou.core.idnumber import check_character, mask
from renkou.migrants import services
from renkou.migrants.models import Agreement, MigrantRecord, Party, Transition
from renkou.registry.models import Person
from tests.registry.conftest import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_C, id_for

MONTH = "month=2005-12"
RENQIU = "130982000000"


def _number(county: str, born: dt.date, seq: int) -> str:
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + check_character(body)


def _migrant(name, sex, born, seq, village, state, arrived):
    return Person.objects.create(name=name, sex=sex, birth_date=born, marital_status="20",
                                 id_number=_number("130982", born, seq), registered_area=None,
                                 home_code="130982100000", resident_area_id=village, migrant_status=state,
                                 entry_date=arrived)


@pytest.fixture
def world(officers, make_user, seed_areas):
    fang = _migrant("王芳", 2, dt.date(1990, 1, 1), 2, VILLAGE_A, "unconfirmed", dt.date(2005, 12, 20))
    li = _migrant("陈丽", 2, dt.date(1988, 2, 2), 4, VILLAGE_A, "unconfirmed", dt.date(2005, 10, 1))
    yang = _migrant("刘洋", 1, dt.date(1982, 3, 3), 5, VILLAGE_A, "reconfirm", dt.date(2004, 6, 1))
    qiang = _migrant("李强", 1, dt.date(1985, 4, 4), 7, VILLAGE_C, "inflow", dt.date(2005, 12, 5))
    wei = Person.objects.create(name="张伟", sex=1, birth_date=dt.date(1980, 5, 1), id_number=id_for(dt.date(1980, 5, 1), 3),
                                registered_area_id=VILLAGE_A, resident_area_id="130982100000",
                                migrant_status="floating")
    services.build_records(COUNTY)
    rec = {p.name: MigrantRecord.objects.get(person=p) for p in (fang, li, yang, qiang, wei)}
    party = Party.objects.create(name="红岩村房东甲", kind="landlord", contact="13800000000", area_id=VILLAGE_A)
    agreement = Agreement.objects.create(number="XF-2005-001", party=party, area_id=VILLAGE_A,
                                         start=dt.date(2005, 1, 1), end=dt.date(2005, 12, 31),
                                         party_provides="及时报告租户到达和离开\n配合上门服务",
                                         bureau_provides="免费生殖健康检查")
    agreement.migrants.set([rec["王芳"], rec["陈丽"]])
    other = make_user("xian_renqiu", "county_officer", capture=[seed_areas[RENQIU]])
    return SimpleNamespace(rec=rec, agreement=agreement, other=other, **officers)


def _get(client, user, url, lang="zh-hans"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(url)


def _records(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'data-record="(\d+)"', html)}


def _counts(html: str) -> dict[str, int]:
    return {w: int(n) for w, n in re.findall(r'data-list="(\w+)" data-count="(\d+)"', html)}


# ------------------------------------------------------------------------------------ home


@pytest.mark.django_db
def test_home_counts_by_state_are_the_summarys_in_words(client, world):
    r = _get(client, world.county, f"/migrants/?area={COUNTY}&{MONTH}")
    html = r.content.decode()
    s = services.summary(COUNTY, "2005-12", as_of=dt.date(2005, 12, 31))
    assert s["by_state"] == {"inflow": {"unconfirmed": 2, "reconfirm": 1, "inflow": 1}, "outflow": {"floating": 1}}
    for label, n in (("待确认", 2), ("需重新确认", 1), ("已登记流入", 1), ("流动", 1)):
        assert f"<td>{label}</td><td class=\"num\">{n}</td>" in html
    assert ">unconfirmed<" not in html and ">reconfirm<" not in html  # words, never codes
    assert f'data-inflow="{s["inflow"]}"' in html and s["inflow"] == 4 and s["outflow"] == 1
    # hand-counted: arrivals of December 王芳 and 李强; unconfirmed 王芳, 陈丽; reconfirm 刘洋; overdue 陈丽
    assert _counts(html) == {"arrivals": 2, "unconfirmed": 2, "reconfirm": 1, "overdue": 1}
    assert s["agreements_in_force"] == 1 and '<div class="v">1</div><div class="l">有效服务协议' in html
    assert "<svg" in html  # the chart, rendered on the server


@pytest.mark.django_db
def test_home_in_english_names_states_in_english(client, world):
    html = _get(client, world.village_a, f"/migrants/?{MONTH}", lang="en").content.decode()
    assert "<td>unconfirmed</td><td class=\"num\">2</td>" in html
    assert "<td>needs reconfirmation</td><td class=\"num\">1</td>" in html
    assert _counts(html) == {"arrivals": 1, "unconfirmed": 2, "reconfirm": 1, "overdue": 1}


# ------------------------------------------------------------------------------------ lists


@pytest.mark.django_db
@pytest.mark.parametrize(("which", "village", "county"), [
    ("arrivals", {"王芳"}, {"王芳", "李强"}),
    ("unconfirmed", {"王芳", "陈丽"}, {"王芳", "陈丽"}),
    ("reconfirm", {"刘洋"}, {"刘洋"}),
    ("overdue", {"陈丽"}, {"陈丽"}),
])
def test_lists_hold_whom_they_should_in_the_officers_scope(client, world, which, village, county):
    from renkou.core.models import AuditEvent

    ids = {name: r.pk for name, r in world.rec.items()}
    html = _get(client, world.village_a, f"/migrants/lists/{which}/?{MONTH}").content.decode()
    assert _records(html) == {ids[n] for n in village}
    assert mask(world.rec["王芳"].person.id_number) in html or which in ("reconfirm", "overdue")
    assert world.rec["王芳"].person.id_number not in html  # masked in lists
    seen = AuditEvent.objects.filter(object_type="migrants.migrantrecord", action="view",
                                     actor=world.village_a).last()
    assert seen.detail["list"] == which and set(seen.detail["persons"]) == {world.rec[n].person_id for n in village}
    html = _get(client, world.county, f"/migrants/lists/{which}/?area={COUNTY}&{MONTH}").content.decode()
    assert _records(html) == {ids[n] for n in county}
    html = _get(client, world.other, f"/migrants/lists/{which}/?{MONTH}").content.decode()
    assert _records(html) == set()


@pytest.mark.django_db
def test_a_village_officer_cannot_ask_for_the_county(client, world):
    assert _get(client, world.village_a, f"/migrants/?area={COUNTY}").status_code == 404
    assert _get(client, world.village_a, f"/migrants/lists/unconfirmed/?area={VILLAGE_C}").status_code == 404
    assert _get(client, world.auditor, "/migrants/").status_code == 403


@pytest.mark.django_db
def test_list_export_is_masked_formula_safe_and_audited(client, world):
    from openpyxl import load_workbook

    from renkou.core.models import AuditEvent

    Party.objects.filter(pk=world.agreement.party_id).update(name="=HYPERLINK(\"x\")")
    MigrantRecord.objects.filter(pk=world.rec["陈丽"].pk).update(party=world.agreement.party)
    assert _get(client, world.village_a, f"/migrants/lists/unconfirmed/export.xlsx?{MONTH}").status_code == 403
    r = _get(client, world.township, f"/migrants/lists/unconfirmed/export.xlsx?{MONTH}")
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][:4] == ("姓名", "公民身份号码", "流向", "状态")
    body = {row[0]: row for row in rows[1:]}
    assert set(body) == {"王芳", "陈丽"}
    assert body["陈丽"][1] == mask(world.rec["陈丽"].person.id_number) and body["陈丽"][3] == "待确认"
    assert body["陈丽"][6] == "'=HYPERLINK(\"x\")"
    assert body["陈丽"][8] == "2005-10-01"
    event = AuditEvent.objects.filter(action="export", object_type="migrants.migrantrecord").last()
    assert set(event.detail["persons"]) == {world.rec["王芳"].person_id, world.rec["陈丽"].person_id}


# ------------------------------------------------------------------------------------ a migrant


@pytest.mark.django_db
def test_migrant_page_says_where_she_lives_and_is_registered(client, world):
    from renkou.core.models import AuditEvent

    fang = world.rec["王芳"]
    MigrantRecord.objects.filter(pk=fang.pk).update(address="红岩村 3 组 5 号", party=world.agreement.party)
    html = _get(client, world.village_a, f"/migrants/records/{fang.pk}/").content.decode()
    assert "红岩村 3 组 5 号" in html and "红岩村房东甲 (房东)" in html
    assert "<dd>红岩村</dd>" in html  # lives in
    assert "任丘市" in html and "户籍所在地" in html  # registered in: home_code 130982100000 → its county
    assert "2005-12-20" in html and mask(fang.person.id_number) in html
    assert AuditEvent.objects.filter(action="view", object_type="migrants.migrantrecord",
                                     object_id=str(fang.pk), actor=world.village_a).exists()


@pytest.mark.django_db
def test_confirm_and_departure_change_state_and_write_transitions(client, world):
    fang, yang = world.rec["王芳"], world.rec["刘洋"]
    client.force_login(world.village_a)
    r = client.post(f"/migrants/records/{fang.pk}/transition/", {"to": "inflow", "reason": "上门核实",
                                                                 "address": "红岩村 1 组"})
    assert r.status_code == 302
    fang.refresh_from_db()
    assert (fang.state, fang.address) == ("inflow", "红岩村 1 组")
    t = Transition.objects.get(record=fang)
    assert (t.from_state, t.to_state, t.reason, t.by) == ("unconfirmed", "inflow", "上门核实", world.village_a)
    r = client.post(f"/migrants/records/{yang.pk}/transition/", {"to": "left", "reason": "已返乡", "on": "2006-01-05"})
    yang.refresh_from_db()
    assert (yang.state, yang.departure_date) == ("left", dt.date(2006, 1, 5))
    assert Transition.objects.filter(record=yang, from_state="reconfirm", to_state="left").count() == 1
    html = client.get(f"/migrants/records/{yang.pk}/").content.decode()
    assert "已返乡" in html and "2006-01-05" in html


@pytest.mark.django_db
def test_a_refused_transition_names_the_rule_and_changes_nothing(client, world):
    fang = world.rec["王芳"]
    client.force_login(world.village_a)
    r = client.post(f"/migrants/records/{fang.pk}/transition/", {"to": "reconfirm", "reason": "试"}, follow=True)
    html = r.content.decode()
    assert "状态规则" in html and "“待确认”" in html and "已登记流入" in html and "“需重新确认”" in html
    fang.refresh_from_db()
    assert fang.state == "unconfirmed" and not Transition.objects.filter(record=fang).exists()
    # no reason: the field is named
    r = client.post(f"/migrants/records/{fang.pk}/transition/", {"to": "inflow", "reason": ""})
    assert r.status_code == 400 and "原因: 这个字段是必填项。" in r.content.decode()
    fang.refresh_from_db()
    assert fang.state == "unconfirmed"


@pytest.mark.django_db
def test_another_countys_officer_sees_none_and_gets_404(client, world):
    fang = world.rec["王芳"]
    r = _get(client, world.other, f"/migrants/?{MONTH}")
    assert r.status_code == 200 and _counts(r.content.decode()) == {"arrivals": 0, "unconfirmed": 0, "reconfirm": 0,
                                                                      "overdue": 0}
    assert "王芳" not in r.content.decode()
    assert _get(client, world.other, f"/migrants/records/{fang.pk}/").status_code == 404
    assert _get(client, world.village_a, f"/migrants/records/{world.rec['李强'].pk}/").status_code == 404
    client.force_login(world.other)
    assert client.post(f"/migrants/records/{fang.pk}/transition/", {"to": "inflow", "reason": "x"}).status_code == 404
    fang.refresh_from_db()
    assert fang.state == "unconfirmed"


# ------------------------------------------------------------------------------------ agreements


@pytest.mark.django_db
def test_printable_agreement_shows_parties_period_and_the_migrants(client, world):
    a = world.agreement
    html = _get(client, world.township, f"/migrants/agreements/{a.pk}/").content.decode()
    assert "XF-2005-001" in html and "红岩村房东甲 (房东)" in html and "13800000000" in html
    assert "自 2005-01-01 至 2005-12-31" in html
    assert "及时报告租户到达和离开" in html and "免费生殖健康检查" in html
    assert "data-print" in html and 'class="no-print"' in html
    assert "王芳" in html and mask(world.rec["王芳"].person.id_number) in html
    assert world.rec["王芳"].person.id_number not in html
    assert _get(client, world.village_a, f"/migrants/agreements/{a.pk}/").status_code == 403
    assert _get(client, world.other, f"/migrants/agreements/{a.pk}/").status_code == 404
    listing = _get(client, world.township, "/migrants/agreements/").content.decode()
    assert "XF-2005-001" in listing
    assert "XF-2005-001" not in _get(client, world.other, "/migrants/agreements/").content.decode()


@pytest.mark.django_db
def test_agreement_form_names_the_field_and_records_nothing_half(client, world):
    client.force_login(world.township)
    good = {"number": "XF-2006-002", "party_name": "永靖镇砖厂", "party_kind": "employer", "party_contact": "",
            "area": TOWNSHIP, "start": "2006-01-01", "end": "2006-12-31", "party_provides": "报告新招用人员\n安排服务时间",
            "bureau_provides": "免费检查", "migrants": world.rec["王芳"].person.id_number}
    r = client.post("/migrants/agreements/new/", {**good, "end": "2005-06-30"})
    assert r.status_code == 400 and 'data-field="end"' in r.content.decode() and "终止日期早于起始日期" in r.content.decode()
    r = client.post("/migrants/agreements/new/", {**good, "area": "520122101000"})
    html = r.content.decode()
    assert r.status_code == 400 and 'data-field="area"' in html and "不在您的管辖范围" in html
    r = client.post("/migrants/agreements/new/", {**good, "migrants": world.rec["李强"].person.id_number})
    assert r.status_code == 400 and 'data-field="migrants"' in r.content.decode()
    r = client.post("/migrants/agreements/new/", {**good, "number": "XF-2005-001"})
    assert r.status_code == 400 and 'data-field="number"' in r.content.decode()
    assert not Agreement.objects.filter(number="XF-2006-002").exists()
    assert not Party.objects.filter(name="永靖镇砖厂").exists()
    r = client.post("/migrants/agreements/new/", good)
    a = Agreement.objects.get(number="XF-2006-002")
    assert r.status_code == 302 and r["Location"] == f"/migrants/agreements/{a.pk}/"
    assert (a.party.name, a.party.kind, a.area_id, a.start, a.end) == ("永靖镇砖厂", "employer", TOWNSHIP,
                                                                       dt.date(2006, 1, 1), dt.date(2006, 12, 31))
    assert a.party_provides == "报告新招用人员\n安排服务时间"
    assert list(a.migrants.all()) == [world.rec["王芳"]]
    client.force_login(world.village_a)
    assert client.post("/migrants/agreements/new/", {**good, "number": "X3"}).status_code == 403


@pytest.mark.django_db
def test_agreements_export(client, world):
    from openpyxl import load_workbook

    Party.objects.filter(pk=world.agreement.party_id).update(contact="+86 138")
    r = _get(client, world.county, "/migrants/agreements/export.xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][0] == "协议编号"
    assert rows[1] == ("XF-2005-001", "红岩村房东甲", "房东", "'+86 138", "红岩村", VILLAGE_A, "2005-01-01", "2005-12-31",
                       "及时报告租户到达和离开; 配合上门服务", "免费生殖健康检查", 2)
    assert _get(client, world.village_a, "/migrants/agreements/export.xlsx").status_code == 403
    other = list(load_workbook(io.BytesIO(_get(client, world.other, "/migrants/agreements/export.xlsx").content))
                 .active.values)
    assert len(other) == 1


@pytest.mark.django_db
def test_menu_entry_for_migrant_officers_only(client, world):
    assert 'href="/migrants/"' in _get(client, world.village_a, "/").content.decode()
    assert 'href="/migrants/"' not in _get(client, world.auditor, "/").content.decode()


@pytest.mark.django_db
def test_the_demos_summary_counts_on_the_reference_date(world):
    """A married migrant woman born in 1960 was 45 on 31 December 2005 (the register's reference date)
    and is past 49 today: the demo's note counts her, as it counts 王芳 (15) and 陈丽 (17)."""
    import numpy as np

    from renkou.migrants import demo

    _migrant("吴霞", 2, dt.date(1960, 7, 1), 8, VILLAGE_A, "inflow", dt.date(2003, 1, 1))
    ctx = SimpleNamespace(results={"520122": SimpleNamespace(reference_date=np.datetime64("2005-12-31"))},
                          notes=[], seed=1)
    demo.demo_step(ctx, lambda label: (lambda done, total: None))
    assert "3 married women 15–49 among the inflow" in ctx.notes[0]
    assert "5 inflow" in ctx.notes[0]

"""Event pages: every kind declared from the person page or by ID number, within the capture scope,
then verified and registered on the event page; corrections and services from the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from renkou.registry import services
from renkou.registry.models import Event, Person, ServiceRecord

from .conftest import VILLAGE_A, VILLAGE_B, id_for

TODAY = dt.date.today()
DAY = TODAY - dt.timedelta(days=5)


def declare(client, kind, **data):
    data = {"event_date": DAY.isoformat(), "registration_date": TODAY.isoformat(), "area": VILLAGE_A, **data}
    return client.post(f"/registry/events/{kind}/new/", data)


def step(client, event, name, reason=""):
    r = client.post(f"/registry/events/{event.pk}/", {"step": name, "reason": reason})
    assert r.status_code == 302, r.content.decode()[:2000]
    event.refresh_from_db()
    return event


def verify_and_register(client, officers, event):
    client.force_login(officers["county"])
    assert step(client, event, "verify").state == "verified"
    assert step(client, event, "register").state == "registered"
    return event


@pytest.fixture
def single(officers):
    """An unmarried man and woman of village A, and a man of village B with an ID number."""
    mk = services.create_person
    county = officers["county"]
    return {
        "man": mk(user=county, name="陈志强", sex=1, birth_date=dt.date(1994, 4, 4), registered_area=VILLAGE_A,
                  id_number=id_for(dt.date(1994, 4, 4), 51)),
        "woman": mk(user=county, name="刘芳", sex=2, birth_date=dt.date(1996, 6, 6), registered_area=VILLAGE_A,
                    id_number=id_for(dt.date(1996, 6, 6), 62)),
        "b_man": mk(user=county, name="周杰", sex=1, birth_date=dt.date(1985, 8, 8), registered_area=VILLAGE_B,
                    id_number=id_for(dt.date(1985, 8, 8), 71)),
    }


def test_village_officer_declares_a_death_by_id_number_and_the_county_registers_it(client, officers, people):
    father, mother = people["father"], people["mother"]
    client.force_login(officers["village_a"])
    r = declare(client, "death", subject=father.id_number, spouse=mother.id_number)
    event = Event.objects.get(kind="death")
    assert r.status_code == 302 and r["Location"] == f"/registry/events/{event.pk}/"
    assert (event.state, event.subject, event.spouse, event.declared_by) == ("declared", father, mother,
                                                                              officers["village_a"])
    page = client.get(r["Location"]).content.decode()
    assert 'value="verify"' not in page  # a village officer declares, never verifies
    verify_and_register(client, officers, event)
    father.refresh_from_db()
    mother.refresh_from_db()
    assert (father.status, father.death_date, mother.marital_status) == ("dead", DAY, "30")


def test_death_from_the_person_page_starts_with_that_person(client, officers, people):
    father = people["father"]
    client.force_login(officers["village_a"])
    page = client.get(f"/registry/persons/{father.pk}/").content.decode()
    assert f'/registry/events/death/new/?person={father.pk}' in page
    assert f'/registry/persons/{father.pk}/services/new/' in page
    form = client.get(f"/registry/events/death/new/?person={father.pk}").content.decode()
    assert f'value="#{father.pk}"' in form and father.name in form
    assert f'value="#{people["mother"].pk}"' not in form  # no spouse link recorded on the person
    assert "<select name=\"subject\"" not in form and "<select name=\"spouse\"" not in form


def test_move_out_from_the_person_page(client, officers, people):
    father = people["father"]
    client.force_login(officers["village_a"])
    r = declare(client, "move_out", subject=f"#{father.pk}", to_code="110101")
    assert r.status_code == 302
    event = Event.objects.get(kind="move_out")
    assert (event.subject, event.to_code) == (father, "110101")
    client.force_login(officers["township"])
    assert step(client, event, "verify").verified_by == officers["township"]
    client.force_login(officers["county"])
    assert step(client, event, "register").state == "registered"
    father.refresh_from_db()
    assert father.status == "moved_out"


def test_registered_marriage_sets_both_spouses_married(client, officers, single):
    man, woman = single["man"], single["woman"]
    client.force_login(officers["village_a"])
    r = declare(client, "marriage", subject=f"#{man.pk}", spouse=woman.id_number)
    assert r.status_code == 302, r.content.decode()[:3000]
    event = Event.objects.get(kind="marriage")
    verify_and_register(client, officers, event)
    man.refresh_from_db()
    woman.refresh_from_db()
    assert (man.marital_status, woman.marital_status) == ("21", "21")


def test_a_person_outside_the_capture_areas_is_refused_with_a_clear_message(client, officers, people, single):
    client.force_login(officers["village_a"])
    b_man = single["b_man"]
    r = declare(client, "death", subject=b_man.id_number)
    assert r.status_code == 200
    page = r.content.decode()
    assert "在您的录入范围内找不到身份证号或记录号为" in page and b_man.id_number in page
    assert "在您的录入范围内找不到" in page
    r = declare(client, "marriage", subject=f"#{single['woman'].pk}", spouse=b_man.id_number)
    assert "在您的录入范围内找不到身份证号或记录号为" in r.content.decode()
    assert client.get(f"/registry/events/death/new/?person={b_man.pk}").status_code == 404
    assert not Event.objects.exists()
    # the service refuses too, whatever a page or a script passes
    with pytest.raises(services.PermissionDenied, match="this person is outside your areas"):
        services.declare_event(user=officers["village_a"], kind="death", event_date=DAY, registration_date=TODAY,
                               area=VILLAGE_A, subject=b_man)


def test_marriage_needs_the_spouse(client, officers, single):
    client.force_login(officers["village_a"])
    r = declare(client, "marriage", subject=f"#{single['man'].pk}")
    assert r.status_code == 200 and not Event.objects.exists()
    form = r.context["form"]
    assert list(form.errors) == ["spouse"] and [e.code for e in form.errors.as_data()["spouse"]] == ["required"]
    # shown at the spouse field, in the page's language
    assert '<ul class="errorlist" id="id_spouse_error"><li>这个字段是必填项。</li></ul>' in r.content.decode()


def test_migrant_arrival_of_a_person_new_to_the_register(client, officers, people):
    client.force_login(officers["village_a"])
    r = declare(client, "migrant_arrival", from_code="511621", new_name="黄磊", new_sex="1",
                new_birth_date="1988-02-02")
    assert r.status_code == 302, r.content.decode()[:3000]
    event = Event.objects.get(kind="migrant_arrival")
    newcomer = event.subject
    assert (newcomer.name, newcomer.record_state, newcomer.home_code, newcomer.resident_area_id) == \
        ("黄磊", "provisional", "511621", VILLAGE_A)
    verify_and_register(client, officers, event)
    newcomer.refresh_from_db()
    assert (newcomer.record_state, newcomer.migrant_status) == ("active", "inflow")


def test_every_kind_has_a_form(client, officers, people):
    client.force_login(officers["village_a"])
    index = client.get("/registry/events/new/").content.decode()
    for kind in ("birth", "death", "marriage", "divorce", "move_in", "move_out", "migrant_arrival",
                 "migrant_departure", "residence_change"):
        assert f'data-kind="{kind}"' in index
        url = "/registry/events/birth/new/" if kind == "birth" else f"/registry/events/{kind}/new/"
        assert client.get(url).status_code == 200
    assert client.get("/registry/events/adoption/new/").status_code == 404
    client.force_login(officers["auditor"])
    assert client.get("/registry/events/death/new/").status_code == 403


def test_birth_form_names_parents_by_id_number_within_scope(client, officers, people, single):
    client.force_login(officers["village_a"])
    form = client.get(f"/registry/events/birth/new/?mother={people['mother'].pk}").content.decode()
    assert '<select name="mother"' not in form and f'value="#{people["mother"].pk}"' in form
    base = {"name": "王小红", "sex": "2", "event_date": DAY.isoformat(), "registration_date": TODAY.isoformat(),
            "area": VILLAGE_A, "birth_order": "1", "plurality": "1", "delivery_place": "hospital"}
    r = client.post("/registry/events/birth/new/", {**base, "mother": people["mother"].id_number,
                                                     "father": single["b_man"].id_number})
    assert r.status_code == 200 and "在您的录入范围内找不到身份证号或记录号为" in r.content.decode()
    r = client.post("/registry/events/birth/new/", {**base, "mother": people["mother"].id_number,
                                                     "father": f"#{people['father'].pk}"})
    assert r.status_code == 302
    e = Event.objects.get(kind="birth")
    assert (e.mother, e.father, e.subject.name) == (people["mother"], people["father"], "王小红")


def test_birth_form_looks_up_the_mother_and_suggests_the_birth_order(client, officers, people, single):
    from renkou.core.idnumber import mask

    mother = people["mother"]
    Person.objects.filter(pk=mother.pk).update(spouse=people["father"])
    for born in ("2018-04-01", "2021-09-09"):  # two children of hers already in the register
        Person.objects.create(name="王孩", sex=1, birth_date=dt.date.fromisoformat(born), mother=mother,
                              registered_area_id=VILLAGE_A, resident_area_id=VILLAGE_A)
    client.force_login(officers["village_a"])
    before = Event.objects.count()
    page = client.post("/registry/events/birth/new/", {"mother": mother.id_number, "name": "王小红",
                                                        "sex": "2", "birth_order": "9", "lookup": "1"})
    html = page.content.decode()
    assert Event.objects.count() == before  # looking up declares nothing
    found = re.search(r'<span class="found" id="mother-found">(.*?)</span>', html, re.S).group(1)
    assert "李秀英" in found and mask(mother.id_number) in found and "1995-03-10" in found
    assert "2 个孩子在册" in found
    # birth order 2 + 1 = 3, pre-filled and editable (the 9 typed before the look-up is replaced)
    assert re.search(r'<input type="number" name="birth_order" value="3"', html)
    assert 'value="王小红"' in html and f'value="{mother.id_number}"' in html  # what was typed stays
    assert f'value="#{people["father"].pk}"' in html  # her husband of the register, suggested
    # the officer keeps the suggestion or corrects it; the declaration carries what was submitted
    base = {"name": "王小红", "sex": "2", "event_date": DAY.isoformat(), "registration_date": TODAY.isoformat(),
            "area": VILLAGE_A, "plurality": "1", "delivery_place": "hospital", "mother": mother.id_number}
    assert client.post("/registry/events/birth/new/", {**base, "birth_order": "4"}).status_code == 302
    assert Event.objects.get(kind="birth").birth_order == 4


def test_birth_form_look_up_finds_nobody_outside_the_capture_scope(client, officers, people):
    client.force_login(officers["village_a"])
    html = client.post("/registry/events/birth/new/", {"mother": people["c_woman"].pk and f"#{people['c_woman'].pk}",
                                                        "lookup": "1"}).content.decode()
    assert 'id="mother-found"' not in html and "赵敏" not in html
    assert "在您的录入范围内找不到身份证号或记录号为" in re.search(r'id="mother-not-found">(.*?)</span>', html).group(1)
    # the mother chosen from her person page: the suggestion is there at once (no children yet: 1)
    html = client.get(f"/registry/events/birth/new/?mother={people['mother'].pk}").content.decode()
    assert re.search(r'<input type="number" name="birth_order" value="1"', html)


def test_correction_page_makes_a_new_version(client, officers, people):
    client.force_login(officers["village_a"])
    declare(client, "death", subject=f"#{people['father'].pk}")
    event = Event.objects.get(kind="death")
    assert "submit-correction" not in client.get(f"/registry/events/{event.pk}/").content.decode()
    step(client, event, "correction", reason="死亡日期有误")
    assert event.flag_correction
    page = client.get(f"/registry/events/{event.pk}/").content.decode()
    assert f"/registry/events/{event.pk}/correct/" in page
    fixed = DAY - dt.timedelta(days=1)
    r = client.post(f"/registry/events/{event.pk}/correct/", {
        "event_date": fixed.isoformat(), "registration_date": TODAY.isoformat(), "area": VILLAGE_A,
        "spouse": people["mother"].id_number, "note": "日期已更正"})
    assert r.status_code == 302, r.content.decode()[-3000:]
    new = Event.objects.get(kind="death", is_current=True)
    assert r.status_code == 302 and r["Location"] == f"/registry/events/{new.pk}/"
    assert (new.version, new.supersedes_id, new.event_date, new.spouse, new.state) == \
        (2, event.pk, fixed, people["mother"], "declared")
    event.refresh_from_db()
    assert (event.is_current, event.event_date) == (False, DAY)
    assert f'href="/registry/events/{new.pk}/"' in client.get(f"/registry/events/{event.pk}/").content.decode()


def test_service_record_page_needs_consent(client, officers, people):
    mother = people["mother"]
    client.force_login(officers["village_a"])
    data = {"type": "prenatal_care", "date": DAY.isoformat(), "provider": "永靖镇卫生院", "area": VILLAGE_A}
    r = client.post(f"/registry/persons/{mother.pk}/services/new/", data)
    assert r.status_code == 200 and "consent" in r.content.decode() and not ServiceRecord.objects.exists()
    r = client.post(f"/registry/persons/{mother.pk}/services/new/", {**data, "consent_noted": "on"})
    assert r.status_code == 302
    s = ServiceRecord.objects.get()
    assert (s.person, s.type, s.consent_noted, s.consent_date) == (mother, "prenatal_care", True, TODAY)
    client.force_login(officers["village_b"])
    assert client.get(f"/registry/persons/{mother.pk}/services/new/").status_code == 404


def test_person_page_offers_no_declaration_outside_the_capture_areas(client, officers, people):
    client.force_login(officers["auditor"])
    father = people["father"]
    assert client.get(f"/registry/persons/{father.pk}/").status_code == 403  # auditors see no persons
    client.force_login(officers["county"])
    assert "/registry/events/death/new/" in client.get(f"/registry/persons/{father.pk}/").content.decode()
    dead = Person.objects.get(pk=father.pk)
    dead.status = "dead"
    dead.save()
    assert "/registry/events/death/new/" not in client.get(f"/registry/persons/{father.pk}/").content.decode()

"""Every page that shows persons' data leaves a ``view`` audit event naming the persons it showed (by
record id) and the page: event pages and queues, declaration forms, check findings, duplicates, the
search, households and the indicator drill-down."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.core.models import AuditEvent
from renkou.registry import services
from renkou.registry.models import DuplicateCandidate, Finding
from tests.registry.conftest import COUNTY, VILLAGE_A

BORN = dt.date(2024, 3, 1)


@pytest.fixture
def birth(officers, people):
    """A declared birth in village A: the child 王小明 of 李秀英 and 王建国."""
    return services.declare_event(user=officers["village_a"], child={"name": "王小明", "sex": 1}, kind="birth",
                                  event_date=BORN, registration_date=BORN + dt.timedelta(days=5), area=VILLAGE_A,
                                  mother=people["mother"], father=people["father"], birth_order=1, plurality=1,
                                  delivery_place="hospital")


def _views(page: str, user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="view", detail__page=page, actor=user).order_by("id"))


def _one_view(client, url: str, page: str, user) -> AuditEvent:
    before = len(_views(page, user))
    r = client.get(url)
    assert r.status_code == 200, url
    views = _views(page, user)
    assert len(views) == before + 1, url
    return views[-1]


@pytest.mark.django_db
def test_the_event_page_records_the_persons_it_names(client, officers, people, birth):
    user = officers["county"]
    client.force_login(user)
    ev = _one_view(client, f"/registry/events/{birth.pk}/", "registry.event", user)
    assert ev.object_type == "registry.event" and ev.object_id == str(birth.pk)
    assert ev.detail["persons"] == sorted([birth.subject_id, people["mother"].pk, people["father"].pk])
    assert ev.area_code == VILLAGE_A


@pytest.mark.django_db
def test_the_event_queue_records_the_persons_of_its_page(client, officers, people, birth):
    user = officers["township"]
    client.force_login(user)
    page = client.get("/registry/queue/events/?state=declared").content.decode()
    assert "王小明" in page
    ev = _views("registry.event_queue", user)[-1]
    assert ev.object_type == "registry.event_queue" and ev.detail["persons"] == [birth.subject_id]
    assert ev.detail["events"] == [birth.pk] and ev.detail["state"] == "declared"


@pytest.mark.django_db
def test_declaration_and_correction_forms_record_the_person_they_show(client, officers, people, birth):
    user = officers["village_a"]
    client.force_login(user)
    mother = people["mother"]
    ev = _one_view(client, f"/registry/events/death/new/?person={mother.pk}", "registry.declare_event", user)
    assert (ev.object_type, ev.object_id, ev.detail["persons"]) == ("registry.person", str(mother.pk), [mother.pk])
    ev = _one_view(client, f"/registry/persons/{mother.pk}/services/new/", "registry.record_service", user)
    assert ev.detail["persons"] == [mother.pk]
    services.request_correction(user=officers["township"], event=birth, reason="出生日期有误")
    ev = _one_view(client, f"/registry/events/{birth.pk}/correct/", "registry.correct_event", user)
    assert ev.object_id == str(birth.pk) and mother.pk in ev.detail["persons"]


@pytest.mark.django_db
def test_finding_lists_record_the_persons_they_name(client, officers, people):
    b_man = people["b_man"]
    Finding.objects.create(area_id=b_man.registered_area_id, person=b_man, rule="test_rule", severity="warning",
                           message="检查 / check")
    user = officers["county"]
    client.force_login(user)
    page = client.get("/registry/queue/checks/").content.decode()
    assert "张伟" in page
    assert _views("registry.check_queue", user)[-1].detail["persons"] == [b_man.pk]
    ev = _one_view(client, f"/registry/checks/?area={COUNTY}", "registry.check_report", user)
    assert ev.detail["persons"] == [b_man.pk] and ev.area_code == COUNTY


@pytest.mark.django_db
def test_the_duplicate_queue_records_both_persons_of_each_pair(client, officers, people):
    a, b = people["b_man"], people["c_woman"]
    cand = DuplicateCandidate.objects.create(area_id=a.registered_area_id, person_a=a, person_b=b, score=0.9,
                                             reasons=["name"])
    user = officers["county"]
    client.force_login(user)
    ev = _one_view(client, "/registry/queue/duplicates/", "registry.duplicate_queue", user)
    assert ev.detail["persons"] == sorted([a.pk, b.pk]) and ev.detail["candidates"] == [cand.pk]
    client.get(f"/registry/queue/duplicates/{cand.pk}/")  # the review page records each record it shows
    shown = AuditEvent.objects.filter(action="view", detail__duplicate_review=cand.pk)
    assert sorted(int(e.object_id) for e in shown) == sorted([a.pk, b.pk])


@pytest.mark.django_db
def test_search_household_and_person_pages_record_who_they_show(client, officers, people, birth):
    user = officers["county"]
    client.force_login(user)
    ev = _one_view(client, "/registry/?q=李秀英", "registry.search", user)
    assert ev.detail["persons"] == [people["mother"].pk] and ev.detail["q"] == "李秀英"
    mother = people["mother"]
    client.get(f"/registry/persons/{mother.pk}/")
    related = _views("registry.person.related", user)[-1]  # her child and husband, named on her page
    assert related.detail["person"] == mother.pk
    assert related.detail["persons"] == sorted([birth.subject_id, people["father"].pk])
    assert AuditEvent.objects.filter(action="view", object_type="registry.person", object_id=str(mother.pk),
                                     actor=user).exists()  # the record itself, as before


@pytest.mark.django_db
def test_a_household_view_records_its_members(client, officers, people):
    from renkou.registry.models import Household

    h = Household.objects.create(number="HH-1", area_id=VILLAGE_A, address="红岩村1组")
    for p in (people["mother"], people["father"]):
        p.household = h
        p.save()
    user = officers["county"]
    client.force_login(user)
    ev = _one_view(client, f"/registry/households/{h.pk}/", "registry.household", user)
    assert ev.object_type == "registry.household" and ev.object_id == str(h.pk)
    assert ev.detail["persons"] == sorted([people["mother"].pk, people["father"].pk])


@pytest.mark.django_db
def test_an_empty_list_records_nothing(client, officers):
    user = officers["county"]
    client.force_login(user)
    client.get("/registry/queue/events/?state=declared")
    assert _views("registry.event_queue", user) == []


@pytest.mark.django_db
def test_the_indicator_drill_down_records_the_persons_of_its_page(client, world, seed_areas, make_user):
    from renkou.indicators import services as indicators
    from renkou.indicators.models import IndicatorValue

    mother = world.person(sex=2, born="1980-05-01", marital="21", area=VILLAGE_A)
    child, _ = world.birth(mother, "2005-03-01", sex=1)
    indicators.load_catalog()
    indicators.compute(COUNTY, "2005", level=4)
    cbr = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    user = make_user("xian2", "county_officer", capture=[seed_areas[COUNTY]])
    client.force_login(user)
    client.get(f"/indicators/value/{cbr.pk}/records/0/")  # R{births}: the birth events
    births = AuditEvent.objects.get(object_type="indicators.drilldown.events", actor=user)
    client.get(f"/indicators/value/{cbr.pk}/records/1/")  # R{mean_population}: the persons present
    persons = AuditEvent.objects.get(object_type="indicators.drilldown.persons", actor=user)
    assert births.detail["persons"] == [child.pk]
    assert persons.detail["persons"] == sorted([mother.pk, child.pk])

"""An auditor reviews who did what: the personal data in audit events is masked on the page and in the
API; the full values are shown only to a reader whom the scoping function grants the person, and that
showing is itself audited."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.core import audit_query
from renkou.core.models import AuditEvent
from tests.registry.conftest import id_for

BORN = dt.date(1995, 3, 10)
FULL_ID = id_for(BORN, 42)
MASKED_ID = FULL_ID[:6] + "********" + FULL_ID[-4:]


def _person_create(mother) -> AuditEvent:
    return AuditEvent.objects.get(action="create", object_type="registry.person", object_id=str(mother.pk))


def _rename(user, person, name="李秀兰"):
    from renkou.core.actor import acting_as

    with acting_as(user, via="web"):
        person.name = name
        person.save()
    return AuditEvent.objects.filter(action="update", object_type="registry.person",
                                     object_id=str(person.pk)).latest("id")


def test_masks_of_names_dates_and_ids():
    assert audit_query.mask_name("张三") == "张*" and audit_query.mask_name("欧阳明月") == "欧***"
    assert audit_query.mask_date_to_year("1995-03-10") == "1995"
    assert audit_query.mask_values("registry.person", {"id_number": FULL_ID, "name": "李秀英", "sex": 2,
                                                       "birth_date": "1995-03-10", "name_pinyin": "li xiu ying"}) \
        == {"id_number": MASKED_ID, "name": "李**", "sex": 2, "birth_date": "1995", "name_pinyin": "l**********"}
    assert audit_query.mask_repr("registry.person", f"李秀英 {MASKED_ID}") == f"李** {MASKED_ID}"
    assert audit_query.mask_repr("core.area", f"红岩村 {FULL_ID}") == f"红岩村 {MASKED_ID}"  # a stray ID too
    assert audit_query.mask_values("core.area", {"name": "红岩村"}) == {"name": "红岩村"}  # not a person


@pytest.mark.django_db
def test_the_auditor_sees_a_persons_write_masked_on_the_page(client, officers, people):
    event = _rename(officers["county"], people["mother"])
    client.force_login(officers["auditor"])
    page = client.get(f"/audit/{event.pk}/?full=1").content.decode()
    assert "李*" in page and "李秀英" not in page and "李秀兰" not in page
    assert MASKED_ID in page and FULL_ID not in page
    assert "1995" in page and "1995-03-10" not in page
    assert 'class="changed"><td>姓名</td>' in page  # the change is still visible as a change
    created = client.get(f"/audit/{_person_create(people['mother']).pk}/").content.decode()
    assert MASKED_ID in created and FULL_ID not in created and "李秀英" not in created
    listing = client.get("/audit/?object_type=registry.person").content.decode()
    assert "李**" in listing and "李秀英" not in listing and "王建国" not in listing
    assert not AuditEvent.objects.filter(object_type="core.auditevent").exists()  # nothing was unmasked


@pytest.mark.django_db
def test_the_auditor_gets_masked_values_from_the_api(client, officers, people):
    _rename(officers["county"], people["mother"])
    client.force_login(officers["auditor"])
    r = client.get("/api/audit", {"object_type": "registry.person", "full": "true"})
    items = r.json()["items"]
    assert r.status_code == 200 and len(items) == 5  # four creates and one update
    body = r.content.decode()
    assert FULL_ID not in body and "李秀英" not in body and "1995-03-10" not in body
    mother = [i for i in items if i["object_id"] == str(people["mother"].pk)]
    created = next(i for i in mother if i["action"] == "create")
    assert created["after"]["id_number"] == MASKED_ID and created["after"]["birth_date"] == "1995"
    assert created["after"]["name"] == "李**" and created["object_repr"] == "李**"
    update = next(i for i in mother if i["action"] == "update")
    assert update["before"]["name"] == "李**" and update["after"]["name"] == "李**"
    assert not AuditEvent.objects.filter(object_type="core.auditevent").exists()


@pytest.mark.django_db
def test_only_a_reader_whose_scope_grants_the_person_may_see_the_full_values(officers, people):
    event = _person_create(people["mother"])  # 李秀英 lives in village A
    assert audit_query.entitled_to_full(officers["village_a"], event)
    assert not audit_query.entitled_to_full(officers["village_b"], event)
    assert not audit_query.entitled_to_full(officers["auditor"], event)
    shown = audit_query.shown(officers["village_b"], event, full=True)
    assert not shown.full and shown.after["name"] == "李**"
    shown = audit_query.shown(officers["village_a"], event, full=True)
    assert shown.full and shown.after["name"] == "李秀英" and shown.after["id_number"] == FULL_ID
    record = AuditEvent.objects.get(object_type="core.auditevent")
    assert record.actor == officers["village_a"] and record.object_id == str(event.pk)
    assert record.detail["unmasked"] is True and record.detail["object_id"] == str(people["mother"].pk)


@pytest.mark.django_db
def test_an_entitled_reader_asks_for_the_full_values_and_the_showing_is_audited(client, make_user, officers,
                                                                                 people):
    admin = make_user("root", superuser=True)
    event = _person_create(people["mother"])
    client.force_login(admin)
    page = client.get(f"/audit/{event.pk}/").content.decode()
    assert "李秀英" not in page and "?full=1" in page  # masked first, with the way to ask
    assert "个人信息已脱敏。" in page and "显示完整信息（将记入审计日志）" in page
    assert not AuditEvent.objects.filter(object_type="core.auditevent").exists()
    page = client.get(f"/audit/{event.pk}/?full=1").content.decode()
    assert "李秀英" in page and FULL_ID in page and "1995-03-10" in page
    assert "本次查看已记入审计日志" in page
    shown = AuditEvent.objects.get(object_type="core.auditevent")
    assert shown.actor == admin and shown.action == "view" and shown.object_id == str(event.pk)
    r = client.get("/api/audit", {"object_type": "registry.person", "full": "true"})
    created = next(i for i in r.json()["items"] if i["object_id"] == str(people["mother"].pk))
    assert created["after"]["id_number"] == FULL_ID
    assert AuditEvent.objects.filter(object_type="core.auditevent").count() == 1 + 4

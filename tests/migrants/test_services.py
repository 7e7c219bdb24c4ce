"""Building records from the register, transitions with who/when/why, notifications, scope."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied

from renkou.core.idnumber import check_character
from renkou.core.scoping import scoped
from renkou.migrants import services, states
from renkou.migrants.models import MigrantRecord, Transition
from renkou.registry.models import Event, Person
from tests.registry.conftest import COUNTY, VILLAGE_A, VILLAGE_C, id_for


def _number(county: str, born: dt.date, seq: int) -> str:
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + check_character(body)


@pytest.fixture
def migrants(officers):
    """Two inflow migrants (from Renqiu, one with only an ID number) and one outflow person."""
    a = Person.objects.create(name="王芳", sex=2, birth_date=dt.date(1990, 1, 1), marital_status="20",
                              id_number=_number("130982", dt.date(1990, 1, 1), 2), registered_area=None,
                              home_code="130982100000", resident_area_id=VILLAGE_A, migrant_status="unconfirmed",
                              entry_date=dt.date(2026, 11, 5))
    b = Person.objects.create(name="李强", sex=1, birth_date=dt.date(1985, 3, 1),
                              id_number=_number("542526", dt.date(1985, 3, 1), 1), registered_area=None,
                              resident_area_id=VILLAGE_C, migrant_status="inflow")
    c = Person.objects.create(name="张伟", sex=1, birth_date=dt.date(1980, 5, 1), id_number=id_for(dt.date(1980, 5, 1), 3),
                              registered_area_id=VILLAGE_A, resident_area_id="130982100000", migrant_status="floating")
    local = Person.objects.create(name="本地", sex=1, birth_date=dt.date(1970, 1, 1), registered_area_id=VILLAGE_A,
                                  resident_area_id=VILLAGE_A)
    return SimpleNamespace(a=a, b=b, c=c, local=local, built=services.build_records(COUNTY))


def test_build_from_register(migrants):
    assert migrants.built == {"inflow": 2, "outflow": 1}
    a = MigrantRecord.objects.get(person=migrants.a)
    assert (a.direction, a.state, a.registration_code, a.registration_source, a.arrival_date) == (
        "inflow", "unconfirmed", "130982100000", "home_code", dt.date(2026, 11, 5))
    b = MigrantRecord.objects.get(person=migrants.b)
    assert (b.state, b.registration_code, b.registration_source) == ("inflow", "542526000000", "id_number")
    c = MigrantRecord.objects.get(person=migrants.c)
    assert (c.direction, c.state, c.registered_area_id, c.resident_code) == (
        "outflow", "floating", VILLAGE_A, "130982100000")
    assert not MigrantRecord.objects.filter(person=migrants.local).exists()
    assert services.build_records(COUNTY) == {"inflow": 0, "outflow": 0}  # idempotent


def test_register_inflow_sends_arrival_in_the_transaction(migrants, officers):
    record = MigrantRecord.objects.get(person=migrants.a)
    with mock.patch("renkou.migrants.exchange_hooks.send", return_value="msg") as send:
        services.register_inflow(user=officers["village_a"], record=record, reason="visited", address="红岩村 3 组")
    record.refresh_from_db()
    assert (record.state, record.address) == ("inflow", "红岩村 3 组")
    kind, kw = send.call_args.args[0], send.call_args.kwargs
    assert kind == "notification" and kw["area_code"] == "130982100000"
    assert kw["payload"]["event"] == "arrival" and kw["payload"]["id_number"] == migrants.a.id_number
    assert kw["payload"]["date"] == "2026-11-05" and kw["payload"]["residence_area"] == VILLAGE_A
    t = Transition.objects.get(record=record)
    assert (t.from_state, t.to_state, t.by, t.reason) == ("unconfirmed", "inflow", officers["village_a"], "visited")


def test_no_route_still_succeeds(migrants, officers):
    record = MigrantRecord.objects.get(person=migrants.a)
    services.register_inflow(user=officers["village_a"], record=record)  # no exchange installed: None
    assert MigrantRecord.objects.get(pk=record.pk).state == "inflow"


def test_departure_and_refused_transition(migrants, officers):
    record = MigrantRecord.objects.get(person=migrants.b)
    with mock.patch("renkou.migrants.exchange_hooks.send") as send:
        services.record_departure(user=officers["county"], record=record, on=dt.date(2026, 12, 1))
    assert send.call_args.kwargs["payload"]["event"] == "departure"
    record.refresh_from_db()
    assert (record.state, record.departure_date) == ("left", dt.date(2026, 12, 1))
    with pytest.raises(states.Refused):
        services.transition(user=officers["county"], record=record, to="inflow", reason="back")
    assert Transition.objects.filter(record=record).count() == 1
    with pytest.raises(states.Refused):
        services.transition(user=officers["county"], record=MigrantRecord.objects.get(person=migrants.a),
                            to="inflow", reason=" ")


def test_scope(migrants, officers):
    a = MigrantRecord.objects.get(person=migrants.a)
    b = MigrantRecord.objects.get(person=migrants.b)
    c = MigrantRecord.objects.get(person=migrants.c)
    assert set(scoped(officers["township"], MigrantRecord)) == {a, c}  # 永靖镇: a lives there, c registered there
    assert set(scoped(officers["other_township"], MigrantRecord)) == {b}
    assert set(scoped(officers["county"], MigrantRecord)) == {a, b, c}
    with pytest.raises(PermissionDenied):
        services.transition(user=officers["other_township"], record=a, to="inflow", reason="x")
    from django.http import Http404

    with pytest.raises(Http404):
        services.view_record(officers["other_township"], a.pk)
    assert services.view_record(officers["township"], a.pk).person == migrants.a


def test_arrival_and_departure_notifications_twice_once(migrants, officers, make_user):
    make_user("root", superuser=True)
    msg = SimpleNamespace(sender="130982", area_code="520122", payload={
        "event": "arrival", "id_number": migrants.local.id_number or "", "name": "本地", "sex": 1,
        "birth_date": "1970-01-01", "date": "2026-10-01", "residence_area": "130982100000",
        "residence_address": "任丘市 某路 1 号", "note": ""})
    migrants.local.id_number = id_for(dt.date(1970, 1, 1), 5)
    migrants.local.save()
    msg.payload["id_number"] = migrants.local.id_number
    services.handle_notification(msg)
    services.handle_notification(msg)
    rec = MigrantRecord.objects.get(person=migrants.local, direction="outflow")
    assert (rec.state, rec.arrival_date, rec.resident_code, rec.reported_by) == (
        "unconfirmed", dt.date(2026, 10, 1), "130982100000", "130982")
    msg.payload.update(event="departure", date="2026-11-20")
    services.handle_notification(msg)
    rec.refresh_from_db()
    assert rec.departure_date == dt.date(2026, 11, 20)
    assert MigrantRecord.objects.filter(person=migrants.local).count() == 1
    # a person this node does not hold: only the message's fields
    stranger = _number("520122", dt.date(2000, 2, 2), 4)
    msg.payload.update(event="arrival", id_number=stranger, name="陌生", date="2026-10-02")
    services.handle_notification(msg)
    services.handle_notification(msg)
    rec = MigrantRecord.objects.get(id_number=stranger)
    assert (rec.person, rec.name, rec.state, rec.registration_source) == (None, "陌生", "unconfirmed", "id_number")


def test_death_notification_becomes_declared_event_once(migrants, make_user):
    make_user("root", superuser=True)
    msg = SimpleNamespace(sender="130982", area_code="520122", payload={
        "event": "death", "id_number": migrants.c.id_number, "name": "张伟", "sex": 1, "birth_date": "1980-05-01",
        "date": "2026-11-02", "residence_area": "130982100000", "residence_address": "", "note": ""})
    first = services.handle_notification(msg)
    second = services.handle_notification(msg)
    assert first.pk == second.pk and Event.objects.filter(subject=migrants.c, kind="death").count() == 1
    assert first.state == Event.State.DECLARED
    migrants.c.refresh_from_db()
    assert migrants.c.status == Person.Status.LIVING  # never a direct change of the register


def test_summary(migrants):
    s = services.summary(COUNTY, "2026-11")
    assert (s["inflow"], s["outflow"], s["married_women_15_49"]) == (2, 1, 1)
    assert s["by_state"] == {"inflow": {"inflow": 1, "unconfirmed": 1}, "outflow": {"floating": 1}}
    assert s["enquiries"] == {"sent": 0, "answered": 0, "overdue": 0, "open": 0}


def test_cli_summary_json(migrants):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("migrants", "summary", "--area", "520122", "--period", "2026-11", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["inflow"], data["outflow"], data["by_state"]["outflow"]) == (2, 1, {"floating": 1})


def test_cli_build_again_nothing_new(migrants):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("migrants", "build", "--county", "520122", stdout=out)
    assert json.loads(out.getvalue()) == {"inflow": 0, "outflow": 0}
    assert MigrantRecord.objects.count() == 3


def test_indicator_operands(migrants, officers):
    from renkou.indicators import providers
    from renkou.migrants import indicators

    assert "migrants" in {p.name for p in providers.providers()}
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    assert indicators.operand_values("arrivals", ["520122"], start, end) == [1.0]
    assert indicators.operand_values("confirmed_30", ["520122"], start, end) == [0.0]
    record = MigrantRecord.objects.get(person=migrants.a)
    services.register_inflow(user=officers["village_a"], record=record, reason="visited")
    Transition.objects.filter(record=record).update(at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    assert indicators.operand_values("confirmed_30", ["520122"], start, end) == [1.0]
    assert indicators.operand_values("outflow", ["520122"], start, end) == [1.0]


def test_grouped_operands_equal_the_count_of_each_area(migrants, officers):
    """All areas at once (one grouped query, rolled up) give what one query per area gives."""
    from renkou.core.models import Area
    from renkou.migrants import indicators

    services.register_inflow(user=officers["village_a"], record=MigrantRecord.objects.get(person=migrants.a),
                             reason="visited")
    codes = list(Area.objects.filter(code__startswith="520122").values_list("code", flat=True)[:40])
    prefixes = ["520122"] + sorted({c[:9] for c in codes}) + codes[:10]
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    for operand in indicators.OPERANDS:
        assert indicators.operand_values(operand, prefixes, start, end) == [
            float(indicators.value(operand, p, start, end)) for p in prefixes], operand
    assert indicators.operand_values("inflow", ["520122"], start, end)[0] >= 1

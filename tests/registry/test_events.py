"""Event registration: the state machine on the server, actors, corrections as versions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renkou.core.models import AuditEvent
from renkou.registry import services
from renkou.registry.models import Event, Finding, Person

from .conftest import VILLAGE_A, VILLAGE_B

BORN = dt.date(2024, 3, 1)


def declare_birth(officers, people, **kw):
    args = {"kind": "birth", "event_date": BORN, "registration_date": BORN + dt.timedelta(days=5), "area": VILLAGE_A,
            "mother": people["mother"], "father": people["father"], "birth_order": 1, "plurality": 1,
            "delivery_place": "hospital"}
    args.update(kw)
    return services.declare_event(user=officers["village_a"], child={"name": "王小明", "sex": 1}, **args)


def test_birth_goes_declared_verified_registered_with_the_actor_of_each_step(officers, people):
    e = declare_birth(officers, people)
    child = e.subject
    assert (e.state, child.record_state, child.mother_id) == ("declared", "provisional", people["mother"].pk)
    assert e.declared_by == officers["village_a"]
    e = services.verify_event(user=officers["township"], event=e)
    assert (e.state, e.verified_by) == ("verified", officers["township"])
    e = services.register_event(user=officers["county"], event=e)
    assert (e.state, e.registered_by) == ("registered", officers["county"])
    child.refresh_from_db()
    assert child.record_state == "active" and child.name_pinyin == "wang xiao ming"
    steps = list(AuditEvent.objects.filter(action="transition", object_id=str(e.pk)).order_by("id")
                 .values_list("detail__step", "actor_username"))
    assert steps == [("declare", "cun_a"), ("verify", "xiang"), ("register", "xian")]


def test_steps_cannot_be_skipped_or_done_by_the_wrong_role(officers, people):
    e = declare_birth(officers, people)
    with pytest.raises(ValidationError, match="needs verified"):
        services.register_event(user=officers["county"], event=e)
    with pytest.raises(PermissionDenied):
        services.verify_event(user=officers["village_a"], event=e)
    with pytest.raises(PermissionDenied):  # a township officer of another township
        services.verify_event(user=officers["other_township"], event=e)
    e = services.verify_event(user=officers["township"], event=e)
    with pytest.raises(PermissionDenied):  # registering is the county's step
        services.register_event(user=officers["township"], event=e)
    assert Event.objects.get(pk=e.pk).state == "verified"


def test_village_officer_cannot_declare_in_another_village(officers, people):
    with pytest.raises(PermissionDenied):
        declare_birth(officers, people, area=VILLAGE_B)
    assert not Person.objects.filter(name="王小明").exists()


def test_rejected_event_cannot_be_verified_and_a_correction_is_a_new_version(officers, people):
    e = declare_birth(officers, people)
    services.reject_event(user=officers["township"], event=e, reason="出生医学证明日期不符")
    with pytest.raises(ValidationError, match="rejected"):
        services.verify_event(user=officers["township"], event=e)
    new = services.correct_event(user=officers["village_a"], event=e, event_date=BORN,
                                 registration_date=BORN + dt.timedelta(days=6))
    old = Event.objects.get(pk=e.pk)
    assert (old.is_current, old.flag_rejected, old.registration_date) == (False, True, BORN + dt.timedelta(days=5))
    assert (new.version, new.supersedes_id, new.state, new.flag_rejected) == (2, e.pk, "declared", False)
    assert services.verify_event(user=officers["township"], event=new).state == "verified"
    with pytest.raises(ValidationError, match="superseded"):
        services.verify_event(user=officers["township"], event=old)


def test_warnings_pass_only_with_a_reason(officers, people):
    # registered 75 days after the birth: a late report (warning)
    e = declare_birth(officers, people, registration_date=BORN + dt.timedelta(days=75))
    assert list(Finding.objects.filter(event=e).values_list("rule", "status")) == [("late_registration", "open")]
    with pytest.raises(services.CheckFailed) as exc:
        services.verify_event(user=officers["township"], event=e)
    assert [f.rule for f in exc.value.findings] == ["late_registration"]
    e = services.verify_event(user=officers["township"], event=e, reason="母亲产后住院，家属迟报")
    assert e.state == "verified" and e.warnings_reason == "母亲产后住院，家属迟报"
    f = Finding.objects.get(event=e)
    assert (f.status, f.decided_by) == ("passed", officers["township"])


def test_errors_refuse_the_declaration(officers, people):
    with pytest.raises(services.CheckFailed) as exc:  # the father as mother
        declare_birth(officers, people, mother=people["father"], father=None)
    assert "mother_sex" in {f.rule for f in exc.value.findings}
    assert not Event.objects.exists() and not Person.objects.filter(name="王小明").exists()


def test_registered_death_makes_the_person_dead_and_the_spouse_widowed(officers, people):
    d = dt.date(2025, 1, 10)
    e = services.declare_event(user=officers["village_a"], kind="death", event_date=d, registration_date=d,
                               area=VILLAGE_A, subject=people["father"], spouse=people["mother"])
    services.verify_event(user=officers["township"], event=e)
    services.register_event(user=officers["county"], event=e)
    father, mother = (Person.objects.get(pk=people[k].pk) for k in ("father", "mother"))
    assert (father.status, father.death_date, mother.marital_status) == ("dead", d, "30")
    with pytest.raises(services.CheckFailed, match="event_after_death"):
        services.declare_event(user=officers["village_a"], kind="residence_change", event_date=dt.date(2025, 2, 1),
                               registration_date=dt.date(2025, 2, 1), area=VILLAGE_A, subject=father)


def test_exact_id_duplicate_is_refused(officers, people):
    with pytest.raises(ValidationError, match="already in the register"):
        services.create_person(user=officers["county"], name="李秀英", sex=2, birth_date=dt.date(1995, 3, 10),
                               id_number=people["mother"].id_number, registered_area=VILLAGE_B)


def test_service_needs_consent_noted(officers, people):
    with pytest.raises(ValidationError, match="consent"):
        services.record_service(user=officers["village_a"], person=people["mother"], type="prenatal_care",
                                date=dt.date(2024, 1, 5), provider="乡卫生院")
    s = services.record_service(user=officers["village_a"], person=people["mother"], type="prenatal_care",
                                date=dt.date(2024, 1, 5), provider="乡卫生院", consent_noted=True)
    assert s.area_id == VILLAGE_A and s.consent_noted

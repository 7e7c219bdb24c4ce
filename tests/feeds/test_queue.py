"""Decisions on the reconciliation queue, each with its effect on the register and in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from .conftest import (
    BIRTH_HEADER,
    HUKOU_HEADER,
    VILLAGE_A,
    VILLAGE_B,
    VILLAGE_C,
    id_of,
    make_person,
    write_csv,
)


def _feed(tmp_path, officers, source, header, rows):
    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord

    f = write_csv(tmp_path / f"{source.code}.csv", header, rows)
    assert services.receive(user=officers["county"], source=source, path=f).result.ok
    services.link_source(user=officers["county"], source=source)
    return {r.record_key: r for r in FeedRecord.objects.filter(source=source)}


def test_link_decision_links_the_candidate_and_changes_nothing_in_the_register(tmp_path, officers, sources,
                                                                                families):
    from renkou.core.models import AuditEvent
    from renkou.feeds import services
    from renkou.registry.models import Event, Person

    recs = _feed(tmp_path, officers, sources["weisheng-birth-notice"], BIRTH_HEADER,
                 [["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""]])
    record = recs["BN9"]
    assert record.status == "queued"
    persons, events = Person.objects.count(), Event.objects.count()
    with pytest.raises(PermissionDenied):  # 新华村 is not 红岩村's officer's
        services.decide(user=officers["village_a"], record=record, decision="link", person=families["child"])
    services.decide(user=officers["county"], record=record, decision="link", person=families["child"])
    record.refresh_from_db()
    assert (record.status, record.rule, record.person, record.decided_by) == ("linked", "decision",
                                                                               families["child"], officers["county"])
    assert record.event.kind == "birth" and record.event.subject == families["child"]
    assert (Person.objects.count(), Event.objects.count()) == (persons, events)
    logged = AuditEvent.objects.get(action="decide", object_id=str(record.pk))
    assert logged.actor_username == "xian" and logged.detail["decision"] == "link"
    assert logged.before["status"] == "queued" and logged.after["person"] == families["child"].pk
    with pytest.raises(ValidationError):  # decided once
        services.decide(user=officers["county"], record=record, decision="reject", reason="重复")


def test_missing_birth_is_declared_through_the_register_and_goes_the_normal_way(tmp_path, officers, sources,
                                                                                 families):
    """刘洋 is in no register: the officer declares the birth; the register holds a *declared* birth with a
    provisional child, which the county then verifies and registers like any other."""
    from renkou.feeds import services
    from renkou.registry import services as registry
    from renkou.registry.models import Person

    recs = _feed(tmp_path, officers, sources["weisheng-birth-notice"], BIRTH_HEADER,
                 [["BN3", "刘洋", "男", "2006-08-05", VILLAGE_A, "李秀英", families["mother"].id_number, "", ""]])
    record = recs["BN3"]
    assert record.status == "not_found"
    services.decide(user=officers["village_a"], record=record, decision="missing")
    record.refresh_from_db()
    event = record.event
    assert record.status == "declared" and event.kind == "birth" and event.state == "declared"
    assert event.subject.name == "刘洋" and event.subject.record_state == Person.Record.PROVISIONAL
    assert event.mother == families["mother"] and event.area_id == VILLAGE_A
    assert event.note.startswith("部门信息 weisheng-birth-notice BN3")
    registry.verify_event(user=officers["county"], event=event, reason="核实出生医学证明")
    registry.register_event(user=officers["county"], event=event, reason="核实出生医学证明")
    event.refresh_from_db()
    assert event.state == "registered" and Person.objects.get(pk=event.subject_id).record_state == "active"


def test_missing_death_of_a_linked_person_is_declared_for_that_person(tmp_path, officers, sources, families):
    from renkou.feeds import services

    recs = _feed(tmp_path, officers, sources["gongan-hukou"], HUKOU_HEADER,
                 [["HK2", families["old"].id_number, "孙平", "1", "19300506", "20050701", VILLAGE_C, "死亡注销", "", ""]])
    record = recs["HK2"]
    assert record.status == "queued" and record.person == families["old"]
    with pytest.raises(PermissionDenied):  # 温泉村 is not 红岩村's officer's
        services.decide(user=officers["village_a"], record=record, decision="missing", person=families["old"])
    services.decide(user=officers["village_c"], record=record, decision="missing", person=families["old"])
    record.refresh_from_db()
    assert (record.event.kind, record.event.subject, record.event.state) == ("death", families["old"], "declared")
    assert record.event.event_date == dt.date(2005, 7, 1)
    families["old"].refresh_from_db()
    assert families["old"].status == "living"  # until the death is registered


def test_source_wrong_is_rejected_with_a_reason_and_audited(tmp_path, officers, sources, families):
    from renkou.core.models import AuditEvent
    from renkou.feeds import services
    from renkou.registry.models import Event

    recs = _feed(tmp_path, officers, sources["weisheng-birth-notice"], BIRTH_HEADER,
                 [["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""]])
    record = recs["BN9"]
    with pytest.raises(ValidationError):
        services.decide(user=officers["county"], record=record, decision="reject", reason="  ")
    events = Event.objects.count()
    services.decide(user=officers["county"], record=record, decision="reject", reason="医院重复上报")
    record.refresh_from_db()
    assert (record.status, record.reason, record.person) == ("rejected", "医院重复上报", None)
    assert Event.objects.count() == events
    assert AuditEvent.objects.get(action="decide", object_id=str(record.pk)).detail["reason"] == "医院重复上报"


def test_the_queue_shows_an_officer_the_records_of_their_areas_only(tmp_path, officers, sources, families):
    from renkou.feeds import services

    _feed(tmp_path, officers, sources["weisheng-birth-notice"], BIRTH_HEADER,
          [["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""],
           ["BN8", "孙小平", "男", "2005-03-23", VILLAGE_C, "吴娟", "", "孙平", ""]])
    queued = set(services.queue(officers["county"]).values_list("record_key", flat=True))
    assert "BN9" in queued
    assert "BN9" not in set(services.queue(officers["village_c"]).values_list("record_key", flat=True))
    assert not services.queue(officers["auditor"]).exists()


def test_an_id_typed_once_wrong_is_linked_without_it(tmp_path, officers, sources, families, background):
    """A number with a wrong check character is no usable number: the record is linked as one without it."""
    from renkou.feeds.models import FeedRecord

    bad = families["mother"].id_number[:17] + ("0" if families["mother"].id_number[17] != "0" else "1")
    make_person("何军", 1, dt.date(1990, 1, 1), VILLAGE_A, id_number=id_of(dt.date(1990, 1, 1), 77))
    _feed(tmp_path, officers, sources["gongan-hukou"], HUKOU_HEADER,
          [["HK7", bad, "李秀英", "2", "19800310", "20050801", VILLAGE_A, "迁出", "", ""]])
    r = FeedRecord.objects.get(record_key="HK7")
    assert r.id_state == "check_digit_mismatch" and r.rule == "splink" and r.person == families["mother"]
    assert r.status == "queued"  # her move out is not in the register: an officer decides


def test_only_the_countys_feed_managers_link_and_edit_mappings(officers, sources):
    from renkou.feeds import services

    source = sources["weisheng-birth-notice"]
    for who in ("village_a", "peer", "auditor"):
        with pytest.raises(PermissionDenied):
            services.link_source(user=officers[who], source=source)
        with pytest.raises(PermissionDenied):
            services.save_mapping(user=officers[who], source=source, spec={**source.mapping().spec, "kind": "death"})
    assert source.mappings.count() == 1


def test_an_interrupted_linkage_leaves_everything_as_it_was_and_runs_again(tmp_path, officers, sources, families,
                                                                           monkeypatch):
    """The writes of a run are one transaction: a failure while writing (as a kill would) leaves the
    records unlinked, without candidates, and the next run links them."""
    from renkou.feeds import services
    from renkou.feeds.models import Candidate, FeedRecord, LinkRun

    f = write_csv(tmp_path / "bn.csv", BIRTH_HEADER,
                  [["BN1", "王小明", "男", "2005-03-01", VILLAGE_A, "李秀英", families["mother"].id_number, "", ""],
                   ["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""]])
    services.receive(user=officers["county"], source=sources["weisheng-birth-notice"], path=f)

    def broken(*args, **kwargs):
        raise RuntimeError("power cut")

    with monkeypatch.context() as m:
        m.setattr(services, "_write_outcomes", broken)
        with pytest.raises(RuntimeError):
            services.link_source(user=officers["county"], source=sources["weisheng-birth-notice"])
    assert set(FeedRecord.objects.values_list("status", flat=True)) == {"received"}
    assert not Candidate.objects.exists() and not LinkRun.objects.exists()
    counts = services.link_source(user=officers["county"], source=sources["weisheng-birth-notice"])
    assert (counts["mother_id"], counts["queued"]) == (1, 1)

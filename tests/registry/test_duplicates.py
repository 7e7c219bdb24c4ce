"""Probable duplicates: polyphone-aware keys, the review queue, merge keeping events and links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from renkou.core.models import AuditEvent
from renkou.registry import duplicates, services
from renkou.registry.models import DuplicateCandidate, Event, Person

from .conftest import VILLAGE_A


def test_polyphone_surnames_meet_their_homophones():
    assert "shanxiongxin" in duplicates.name_keys("单雄信")  # 单 read shan as a surname
    assert duplicates.name_keys("单雄信") & duplicates.name_keys("善雄信")
    assert duplicates.name_keys("曾乐") & duplicates.name_keys("增乐")
    assert not duplicates.name_keys("王芳") & duplicates.name_keys("李芳")


def test_match_needs_name_birth_window_and_a_link():
    a = duplicates.Candidate(1, "张伟", dt.date(1980, 1, 2), 1, None, VILLAGE_A, None)
    b = duplicates.Candidate(2, "章伟", dt.date(1980, 1, 5), 1, None, VILLAGE_A, None)
    score, reasons = duplicates.match(a, b)
    assert (score, reasons) == (0.7, ["same_pinyin", "birth_dates_3_days_apart", "same_area"])
    far = duplicates.Candidate(3, "张伟", dt.date(1980, 1, 12), 1, None, VILLAGE_A, None)
    assert duplicates.match(a, far) == (0.0, [])
    elsewhere = duplicates.Candidate(4, "张伟", dt.date(1980, 1, 2), 1, None, "520122101201", None)
    assert duplicates.match(a, elsewhere) == (0.0, [])


def test_similar_id_numbers():
    assert duplicates.similar_id_numbers("520122198001020011", "520122198010020011")  # swapped 0/1
    assert duplicates.similar_id_numbers("520122198001020011", "520122198001050011")  # other birth date
    assert not duplicates.similar_id_numbers("520122198001020011", "520122198001020027")


@pytest.fixture
def pair(officers, people):
    """A birth declared twice for one child (two records of 王小明), queued as probable duplicates."""
    day = dt.date(2024, 3, 1)
    kw = {"kind": "birth", "event_date": day, "registration_date": day, "area": VILLAGE_A,
          "mother": people["mother"], "father": people["father"], "birth_order": 1, "plurality": 1}
    first = services.declare_event(user=officers["village_a"], child={"name": "王小明", "sex": 1}, **kw)
    with pytest.raises(services.CheckFailed, match="sibling_interval"):
        services.declare_event(user=officers["village_a"], child={"name": "王晓明", "sex": 1}, **kw)
    second_child = services.create_person(user=officers["village_a"], name="王晓明", sex=1, birth_date=day,
                                          registered_area=VILLAGE_A)
    services.record_service(user=officers["village_a"], person=second_child, type="postnatal_visit",
                            date=dt.date(2024, 3, 20), provider="乡卫生院", consent_noted=True)
    return first, second_child


def test_merge_keeps_events_services_and_links_and_is_audited(officers, pair):
    first, second = pair
    cand = DuplicateCandidate.objects.get()
    assert {cand.person_a_id, cand.person_b_id} == {first.subject_id, second.pk}
    assert Event.objects.get(pk=first.pk).flag_duplicate is False  # queued after the declaration
    with pytest.raises(PermissionDenied):
        services.merge_persons(user=officers["township"], candidate=cand, keep=first.subject)
    kept = services.merge_persons(user=officers["county"], candidate=cand, keep=first.subject, note="同一婴儿")
    dropped = Person.objects.get(pk=second.pk)
    assert (dropped.record_state, dropped.merged_into_id) == ("merged", kept.pk)
    assert list(kept.services.values_list("type", flat=True)) == ["postnatal_visit"]
    assert kept.events.count() == 1 and kept.mother_id is not None
    cand.refresh_from_db()
    assert (cand.status, cand.decided_by) == ("merged", officers["county"])
    merge = AuditEvent.objects.get(action="merge")
    assert merge.detail["merged"] == second.pk and merge.actor_username == "xian"


def test_dismiss_needs_a_note(officers, pair):
    cand = DuplicateCandidate.objects.get()
    with pytest.raises(Exception, match="two people"):
        services.dismiss_duplicate(user=officers["county"], candidate=cand, note="")
    services.dismiss_duplicate(user=officers["county"], candidate=cand, note="双胞胎，已核实")
    assert DuplicateCandidate.objects.get().status == "dismissed"


def test_blocked_search_finds_exactly_the_pairs_of_comparing_every_pair():
    """The blocks (and the skipped comparisons of two numbered records in a mother or area block)
    lose no pair the rule accepts: the same pairs, scores and reasons as comparing all pairs."""
    import itertools
    import random

    from renkou.registry.duplicates import Candidate, find_pairs, match

    rng = random.Random(7)
    names = ["张伟", "章伟", "单丽", "善丽", "曾强", "曾强", "李娜", "乐乐"]
    base = dt.date(1990, 3, 1)
    numbers = ["522523199003010013", "522523199003100013", "522523199030010013", "520122199003010024"]
    records = []
    for pk in range(1, 241):
        n = rng.choice([None, None, "", "12345678901234", *numbers, f"5201221990030{rng.randrange(10**5):05d}"])
        records.append(Candidate(pk, rng.choice(names), base + dt.timedelta(days=rng.randrange(20)),
                                 rng.choice([1, 2, None]), rng.choice([None, 1, 2]), rng.choice(["", "A", "B"]), n))
    brute = {(a.pk, b.pk): match(a, b) for a, b in itertools.combinations(records, 2) if match(a, b)[0] > 0}
    found = {(a.pk, b.pk): (s, r) for a, b, s, r in find_pairs(records)}
    assert found == brute and len(brute) > 50
    # both kinds of pair are there: with and without an ID number on each side
    by_pk = {r.pk: r for r in records}
    assert any(by_pk[a].id_number and by_pk[b].id_number for a, b in found)
    assert any(not by_pk[a].id_number or not by_pk[b].id_number for a, b in found)

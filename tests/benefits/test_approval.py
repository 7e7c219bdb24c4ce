"""Approval and public notice (审批与公示): a server-side state machine no caller can skip."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renkou.benefits import services
from renkou.benefits.models import Entitlement, Objection, RosterList
from renkou.ledger import services as ledger

from .conftest import COUNTY, VILLAGE_A
from .helpers import AFTER_NOTICE, REVIEW_DAY, xifeng_cycle

ACTORS = ("village_a", "village_b", "township", "other_township", "county", "auditor")
# (state, action) → the only actor allowed; everything else is refused
ALLOWED = {("draft", "propose"): "village_a", ("proposed", "review"): "township",
           ("proposed", "send_back"): "township", ("notice", "approve"): "county"}
STATES = ("draft", "proposed", "notice", "approved")


def _list_in(state, officers, cycle):
    rl = cycle.lists.get(village_id=VILLAGE_A)
    path = {"draft": [], "proposed": [("village_a", "propose")],
            "notice": [("village_a", "propose"), ("township", "review")],
            "approved": [("village_a", "propose"), ("township", "review"), ("county", "approve")]}[state]
    for who, action in path:
        services.transition(officers[who], rl, action, today=AFTER_NOTICE if action == "approve" else REVIEW_DAY)
    return RosterList.objects.get(pk=rl.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
def test_every_transition_is_refused_unless_the_right_role_in_the_right_area_takes_the_next_step(
        officers, register, programs, state):
    cycle = xifeng_cycle(officers, programs)
    services.allocate_budget(officers["county"], cycle.program, COUNTY, "100", today=REVIEW_DAY)
    rl = _list_in(state, officers, cycle)
    for action in services.TRANSITIONS:
        for who in ACTORS:
            if ALLOWED.get((state, action)) == who:
                continue
            with pytest.raises((PermissionDenied, ValidationError)):
                services.transition(officers[who], rl, action, today=AFTER_NOTICE)
            assert RosterList.objects.get(pk=rl.pk).state == state, (state, action, who)


@pytest.mark.django_db
def test_the_reviewer_opens_a_seven_day_notice_and_approval_waits_for_its_end(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    services.allocate_budget(officers["county"], cycle.program, COUNTY, "100", today=REVIEW_DAY)
    rl = _list_in("notice", officers, cycle)
    assert (rl.notice_from, (rl.notice_until - rl.notice_from).days) == (REVIEW_DAY, 6)
    with pytest.raises(ValidationError, match="public notice runs until"):
        services.transition(officers["county"], rl, "approve", today=rl.notice_until)
    services.transition(officers["county"], rl, "approve", today=AFTER_NOTICE)
    assert RosterList.objects.get(pk=rl.pk).state == "approved"


@pytest.mark.django_db
def test_an_open_objection_blocks_approval_and_an_upheld_one_removes_the_family(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    services.allocate_budget(officers["county"], cycle.program, COUNTY, "100", today=REVIEW_DAY)
    rl = _list_in("notice", officers, cycle)
    h2 = rl.entitlements.get(household__number="H2")
    obj = services.record_objection(officers["village_a"], rl, raised_by="村民 李四", entitlement=h2,
                                    text="该户已迁往城镇", today=REVIEW_DAY)
    with pytest.raises(ValidationError, match="objection"):
        services.transition(officers["county"], rl, "approve", today=AFTER_NOTICE)
    with pytest.raises(PermissionDenied):  # another township cannot decide it
        services.resolve_objection(officers["other_township"], obj, upheld=True, resolution="x")
    services.resolve_objection(officers["township"], obj, upheld=True, resolution="核实属实，移出名单",
                               today=REVIEW_DAY)
    services.transition(officers["county"], rl, "approve", today=AFTER_NOTICE)
    states = dict(rl.entitlements.values_list("household__number", "state"))
    assert states == {"H1": "committed", "H2": "excluded"}
    assert Entitlement.objects.get(pk=h2.pk).excluded_reason == "核实属实，移出名单"
    # only H1's ¥10 is committed
    a = services.accounts(cycle.program, cycle.area)
    assert ledger.balance(a["commitments"]) == 1_000 and ledger.balance(a["budget"]) == 9_000


@pytest.mark.django_db
def test_objections_are_recorded_only_during_the_notice(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    rl = _list_in("proposed", officers, cycle)
    with pytest.raises(ValidationError, match="public notice"):
        services.record_objection(officers["village_a"], rl, raised_by="x", text="y", today=REVIEW_DAY)
    rl = _list_in("notice", officers, xifeng_cycle(officers, programs, "2008"))
    with pytest.raises(ValidationError, match="public notice"):
        services.record_objection(officers["village_a"], rl, raised_by="x", text="y", today=AFTER_NOTICE)
    assert not Objection.objects.exists()


@pytest.mark.django_db
def test_approving_beyond_the_budget_is_refused_with_the_amounts(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    services.allocate_budget(officers["county"], cycle.program, COUNTY, "15", today=REVIEW_DAY)
    rl = _list_in("notice", officers, cycle)
    with pytest.raises(ValidationError, match=r"beyond the budget: the list needs ¥20.00, ¥15.00 is available"):
        services.transition(officers["county"], rl, "approve", today=AFTER_NOTICE)
    assert RosterList.objects.get(pk=rl.pk).state == "notice"
    assert not rl.entitlements.filter(state="committed").exists()
    services.allocate_budget(officers["county"], cycle.program, COUNTY, "5", today=REVIEW_DAY)
    services.transition(officers["county"], rl, "approve", today=AFTER_NOTICE)
    assert RosterList.objects.get(pk=rl.pk).state == "approved"


@pytest.mark.django_db
def test_the_same_person_cannot_take_two_steps(officers, register, programs, make_user, seed_areas):
    boss = make_user("root", superuser=True)
    cycle = xifeng_cycle(officers, programs)
    rl = cycle.lists.get(village_id=VILLAGE_A)
    services.transition(boss, rl, "propose", today=REVIEW_DAY)
    with pytest.raises(ValidationError, match="reviewer cannot be the proposer"):
        services.transition(boss, rl, "review", today=REVIEW_DAY)


@pytest.mark.django_db
def test_a_township_officer_never_reviews_another_townships_list(officers, register, programs):
    cycle = xifeng_cycle(officers, programs)
    rl = _list_in("proposed", officers, cycle)
    with pytest.raises(PermissionDenied, match="outside your areas"):
        services.transition(officers["other_township"], rl, "review", today=REVIEW_DAY)
    assert [r.pk for r in services.inbox(officers["township"])] == [rl.pk]
    assert list(services.inbox(officers["other_township"])) == []

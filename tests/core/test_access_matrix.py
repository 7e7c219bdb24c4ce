"""Who sees and does what: every role of the demo, in its own county and in another, against every
page, API endpoint, export and admin view (role × permission × area).

The routes are enumerated from the URL resolver, which holds the pages, the admin and every route of
the django-ninja API, so a new page joins the matrix by itself: a route missing from :data:`ROUTES`
fails :func:`test_every_route_is_in_the_matrix` until its expectation is written down.

The world: one person (李秀英, ID number known) in 红岩村 of 息烽县 (Xifeng, the "home" county),
with a household, a declared birth, a check finding, a probable duplicate and the indicators of
2005; a published township assessment of Xifeng with a verification sample that drew her household;
the same in 任丘市 (Renqiu, the "other" county) with a person of its own.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from renkou.core.idnumber import check_character, mask

XIFENG, RENQIU = "520122000000", "130982000000"
VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
TOWNSHIP_A = "520122100000"  # 永靖镇
OTHER_TOWNSHIP = "520122101000"  # 温泉镇
NAME, OTHER_NAME = "李秀英", "任丘测试人"
ROLES = ("village", "township", "county", "evaluator", "loans", "auditor", "peer")
PERSON_ROLES_HOME = {("village", "home"), ("township", "home"), ("county", "home"), ("peer", "home")}

# Assessment access to Xifeng's scheme (evaluation.services.scheme_access)
MANAGERS = {("county", "home"), ("evaluator", "home")}
READERS = MANAGERS | {("auditor", "home"), ("loans", "home")}
UNIT_OFFICERS = {("township", "home")}  # the officer of 永靖镇, an assessed unit


def _id(born: dt.date, seq: int, county: str = "520122") -> str:
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + check_character(body)


SCHEME = """
code: {code}
name_zh: {name}
name_en: {name} (en)
year: 2005
period: "2005"
level: township
total_points: 20
units: {{parent: "{parent}", level: township}}
themes:
  - code: A
    name_zh: 工作
    name_en: work
    items:
      - {{code: A1, name_zh: 服务质量, name_en: service quality, points: 10,
         source: {{inspection: quality}}, rule: {{type: band, lo: 80}}}}
      - {{code: A2, name_zh: 报表, name_en: reports, points: 10, target: 100,
         source: {{inspection: reports}}, rule: {{type: deduction_per_unit, per_unit: 0.5}}}}
grades:
  - {{code: first, name_zh: 一等, name_en: first, min_points: 15}}
  - {{code: fail, name_zh: 不合格, name_en: not passed}}
"""


@dataclass
class World:
    users: dict = field(default_factory=dict)  # (role, "home"|"other") → user
    tokens: dict = field(default_factory=dict)  # (role, where) → bearer token of a machine peer
    objs: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.objs[key]


def _assess(county_code: str, code: str, name: str, manager):
    from renkou.evaluation import services as ev

    scheme = ev.import_scheme(user=manager, text=SCHEME.format(code=code, name=name, parent=county_code[:6]))
    for i, unit in enumerate(ev.scheme_units(scheme)):
        ev.set_inspection_score(user=manager, scheme=scheme, unit=unit, sheet="quality", value=70 + 3 * i)
        ev.set_inspection_score(user=manager, scheme=scheme, unit=unit, sheet="reports", value=100 - i % 4)
    run = ev.publish_run(user=manager, run=ev.compute_run(user=manager, scheme=scheme))
    sample = ev.draw_sample(user=manager, scheme=scheme, households_per_unit=3, seed=7)
    return scheme, run, sample


@pytest.fixture
def world(seed_areas, make_user, settings, tmp_path):
    from renkou.core import audit
    from renkou.core.models import ApiToken, Area
    from renkou.indicators import services as indicators
    from renkou.indicators.models import IndicatorValue
    from renkou.registry.models import DuplicateCandidate, Event, Finding, Household, Person

    a = seed_areas
    renqiu_town = Area.objects.filter(code__startswith="130982", level=4).order_by("code").first()
    renqiu_village = Area.objects.create(code=renqiu_town.code[:9] + "201", name="测试村", level=5,
                                         parent=renqiu_town)
    w = World()
    homes = {"home": {"village": a[VILLAGE_A], "township": a[TOWNSHIP_A], "county": a[XIFENG]},
             "other": {"village": renqiu_village, "township": renqiu_town, "county": a[RENQIU]}}
    for where, places in homes.items():
        county = places["county"]
        w.users[("village", where)] = make_user(f"cun_{where}", "village_officer", capture=[places["village"]])
        w.users[("township", where)] = make_user(f"xiang_{where}", "township_officer", capture=[places["township"]])
        w.users[("county", where)] = make_user(f"xian_{where}", "county_officer", capture=[county])
        w.users[("evaluator", where)] = make_user(f"kaohe_{where}", "evaluator", view=[county])
        w.users[("loans", where)] = make_user(f"loans_{where}", "loan_officer", view=[county])
        w.users[("auditor", where)] = make_user(f"shenji_{where}", "auditor", view=[county])
        w.users[("peer", where)] = make_user(f"peer_{where}", "machine_peer", capture=[county])
        w.tokens[("peer", where)] = ApiToken.issue(w.users[("peer", where)], "matrix")[1]

    born = dt.date(1995, 3, 10)
    household = Household.objects.create(number="5201221002010001", area=a[VILLAGE_A])
    person = Person.objects.create(name=NAME, sex=2, birth_date=born, id_number=_id(born, 42), id_state="valid",
                                   marital_status="21", registered_area=a[VILLAGE_A], resident_area=a[VILLAGE_A],
                                   household=household, relation_to_head="02")
    twin = Person.objects.create(name=NAME, sex=2, birth_date=born, registered_area=a[VILLAGE_A],
                                 resident_area=a[VILLAGE_A])
    child = Person.objects.create(name="王小明", sex=1, birth_date=dt.date(2005, 3, 1), registered_area=a[VILLAGE_A],
                                  resident_area=a[VILLAGE_A], mother=person, household=household)
    household.head = person
    household.save()
    birth = Event.objects.create(kind="birth", subject=child, mother=person, event_date=dt.date(2005, 3, 1),
                                 registration_date=dt.date(2005, 3, 9), area=a[VILLAGE_A], state="registered")
    declared = Event.objects.create(kind="death", subject=twin, event_date=dt.date(2005, 6, 1),
                                    registration_date=dt.date(2005, 6, 2), area=a[VILLAGE_A], state="declared")
    finding = Finding.objects.create(area=a[VILLAGE_A], person=person, rule="matrix_rule", severity="warning",
                                     message=f"{NAME} 的记录需要核对", message_en="record to check")
    duplicate = DuplicateCandidate.objects.create(area=a[VILLAGE_A], person_a=person, person_b=twin, score=0.95,
                                                  reasons=["name", "birth_date"])
    other_household = Household.objects.create(number="1309821002010001", area=renqiu_village)
    other = Person.objects.create(name=OTHER_NAME, sex=1, birth_date=dt.date(1980, 1, 2),
                                  id_number=_id(dt.date(1980, 1, 2), 31, "130982"), id_state="valid",
                                  registered_area=renqiu_village, resident_area=renqiu_village,
                                  household=other_household)

    indicators.load_catalog()
    indicators.compute(XIFENG, "2005", level=4)
    cbr = IndicatorValue.objects.get(indicator__code="cbr", area_id=XIFENG, period="2005")

    scheme, run, sample = _assess(XIFENG, "xifeng-2005", "息烽乡镇考核二〇〇五", w.users[("county", "home")])
    o_scheme, o_run, o_sample = _assess(RENQIU, "renqiu-2005", "任丘乡镇考核二〇〇五", w.users[("county", "other")])
    from renkou.evaluation.models import SampledHousehold

    assert SampledHousehold.objects.filter(sample=sample, household=household).exists()

    # marker events of a kind whose summary names no person (a person's name is masked for auditors)
    logged = audit.record("view", user=w.users[("county", "home")], object_type="registry.event",
                          object_repr="审计标记-息烽", area_code=person.audit_area())
    other_logged = audit.record("view", user=w.users[("county", "other")], object_type="registry.event",
                                object_repr="审计标记-任丘", area_code=other.audit_area())
    w.objs.update(_benefits(w))
    w.objs.update(_loans(w, person))
    w.objs.update(_feeds(w, person))
    settings.MEDIA_ROOT = str(tmp_path / "media")
    w.objs.update(_bureau(w))
    w.objs.update(_migrants(person))
    settings.HOME = tmp_path / "home"
    w.objs.update(_exchange(w, person))
    w.objs.update(person=person, twin=twin, household=household, birth=birth, declared=declared, finding=finding,
                  duplicate=duplicate, other=other, cbr=cbr, scheme=scheme, run=run, sample=sample,
                  o_scheme=o_scheme, o_run=o_run, o_sample=o_sample, audit=logged, other_audit=other_logged)
    return w


def _exchange(w: World, person) -> dict:
    """This node is Xifeng's; 永靖镇's officer sent an enquiry about 李秀英 (who lives in 红岩村) to Renqiu's
    node, which serves the registration area named."""
    from django.db import transaction

    from renkou.exchange import services, signing

    services.init_node("xifeng", "息烽县", prefixes=["520122"])
    services.set_peer("renqiu", name="任丘市", url="http://127.0.0.1:1",
                      public_key=signing.public_text(signing.new_private_key()), prefixes=["130982"])
    with transaction.atomic():
        msg = services.send("enquiry", area_code="130982100000", person=person, user=w.users[("township", "home")],
                            payload={"id_number": person.id_number, "name": person.name, "sex": person.sex,
                                     "birth_date": person.birth_date.isoformat(), "asks": ["registered"],
                                     "reason": "办理生育服务"})
    return {"enquiry_uid": msg.uid}


BENEFIT_DAY = dt.date(2008, 1, 10)  # the list is reviewed and its public notice opens


def _feeds(w: World, person) -> dict:
    """Xifeng's hospital birth notices: a file received, and a record of 红岩村 naming 李秀英 waiting in
    the reconciliation queue with her as the candidate."""
    from renkou.feeds import services as feeds
    from renkou.feeds.models import Candidate, FeedFile, FeedRecord

    source = {s.code: s for s in feeds.install_shipped_sources(XIFENG, user=w.users[("county", "home")])}[
        "weisheng-birth-notice"]
    feed_file = FeedFile.objects.create(source=source, mapping=source.mapping(), name="矩阵出生证明.csv",
                                        sha256="0" * 64, rows=1, records=1)
    record = FeedRecord.objects.create(source=source, file=feed_file, line=2, record_key="MATRIX1", kind="death",
                                       event_date=dt.date(2005, 7, 1), month="2005-07", area_id=VILLAGE_A, name=NAME,
                                       sex=2, birth_date=person.birth_date, status="queued", match_weight=8.5)
    Candidate.objects.create(record=record, person=person, match_weight=8.5, match_probability=0.9,
                             levels={"name": 1, "sex": 1}, weights={"name": 9.1, "sex": 1.0})
    return {"feed_source": source, "feed_file": feed_file, "feed_record": record}


def _benefits(w: World) -> dict:
    """Xifeng's premium for one-child households, 2007: 李秀英's household (one son) on 红岩村's list,
    proposed, reviewed, objected to and the objection dismissed, approved after the notice, then paid in
    one batch to the fund."""
    from renkou.benefits import services as benefits

    benefits.install_shipped_programs()
    from renkou.benefits.models import Program

    county, program = w.users[("county", "home")], Program.objects.get(code="xifeng-ncms-premium")
    cycle = benefits.compute_cycle(county, program, XIFENG, "2007")
    benefits.allocate_budget(county, program, XIFENG, "1000", today=BENEFIT_DAY)
    roster_list = cycle.lists.get(village_id=VILLAGE_A)
    benefits.transition(w.users[("village", "home")], roster_list, "propose", today=BENEFIT_DAY)
    benefits.transition(w.users[("township", "home")], roster_list, "review", today=BENEFIT_DAY)
    objection = benefits.record_objection(w.users[("village", "home")], roster_list, raised_by="村民",
                                          text="核对该户子女数", today=BENEFIT_DAY)
    benefits.resolve_objection(w.users[("township", "home")], objection, upheld=False, resolution="经核实无误",
                               today=BENEFIT_DAY)
    benefits.transition(county, roster_list, "approve", today=BENEFIT_DAY + dt.timedelta(days=7))
    batch = benefits.issue_batch(county, cycle, idempotency_key="matrix-batch", today=BENEFIT_DAY)
    # the next year's list, proposed: it waits in the inbox of 永靖镇's officer
    waiting = benefits.compute_cycle(county, program, XIFENG, "2008").lists.get(village_id=VILLAGE_A)
    benefits.transition(w.users[("village", "home")], waiting, "propose", today=BENEFIT_DAY)
    return {"program": program, "cycle": cycle, "roster_list": roster_list, "objection": objection, "batch": batch,
            "waiting_list": waiting}


def _bureau(w: World) -> dict:
    """A publicity session of 永靖镇 on the bureau's register (4,321 people reached), with a photo."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from renkou.bureau import services as bureau

    event = bureau.record_event(area=TOWNSHIP_A, kind="publicity", held_on=dt.date(2005, 5, 4), place="矩阵宣传会场",
                                reached=4_321)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
    photo = bureau.attach_photo(w.users[("township", "home")], event, SimpleUploadedFile("m.png", png))
    return {"bureau_event": event, "bureau_photo": photo}
def _migrants(person) -> dict:
    """李秀英 as an unconfirmed inflow migrant of 红岩村 who arrived on 20 December 2005, covered by a
    landlord's service agreement of her village."""
    from renkou.migrants.models import Agreement, MigrantRecord, Party

    record = MigrantRecord.objects.create(person=person, direction="inflow", state="unconfirmed",
                                          resident_area_id=VILLAGE_A, arrival_date=dt.date(2005, 12, 20),
                                          registration_code=VILLAGE_A, registration_source="registered_area")
    party = Party.objects.create(name="矩阵房东", kind="landlord", area_id=VILLAGE_A)
    agreement = Agreement.objects.create(number="MATRIX-2005-1", party=party, area_id=VILLAGE_A,
                                         start=dt.date(2005, 1, 1), end=dt.date(2005, 12, 31))
    agreement.migrants.set([record])
    return {"migrant": record, "migrant_agreement": agreement}


def _loans(w: World, person) -> dict:
    """Xifeng's 幸福工程 fund: 李秀英 of 红岩村 borrowed ¥8,000 in 2020, through every step of the flow,
    each taken by its own role of Xifeng."""
    from renkou.loans import services as loans

    fund = loans.open_fund("xifeng-matrix", "520122", "息烽幸福工程矩阵", "Xifeng matrix fund")
    loans.add_capital(fund, 50_000_00, source="donation", donor="基金会", on=dt.date(2020, 1, 2))
    rnd = loans.open_round(fund, 1, dt.date(2020, 2, 1))
    loan = loans.propose(fund=fund, round=rnd, person=person, amount_fen=8_000_00, project="养鸡",
                         household_income_fen=1_000_00, village_average_income_fen=3_000_00,
                         listed_from=dt.date(2020, 2, 1), listed_to=dt.date(2020, 2, 10),
                         proposed_on=dt.date(2020, 2, 12), user=w.users[("village", "home")])
    loans.review(loan, on=dt.date(2020, 2, 15), user=w.users[("township", "home")])
    for n in (1, 2):
        loans.record_visit(loan, number=n, visited_on=dt.date(2020, 2, 16 + n), visitor="项目办", has_plan=True,
                           willing_to_work=True, income_below_average=True, able_to_repay=True,
                           user=w.users[("loans", "home")])
    loans.approve(loan, on=dt.date(2020, 3, 1), decision="组委会1号", user=w.users[("county", "home")])
    loans.sign(loan, on=dt.date(2020, 3, 5), user=w.users[("loans", "home")], signatures={
        "committee": "组委会", "office": "项目办", "township": "永靖镇", "guarantor": "村委会", "mother": NAME})
    loans.disburse(loan, on=dt.date(2020, 3, 10), received_by=NAME, user=w.users[("loans", "home")])
    return {"loan": loan, "loan_fund": fund}


# ---------------------------------------------------------------------------------------
# The expectation table
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """How to call a route and what it should show to whom.

    ``kind``:
      person     — person-level data: the readers of 李秀英 (PERSON_ROLES_HOME, or ``readers``) get 200
                   and ``shows`` (full ID number, or masked); everyone else gets 403/404 (``lists``:
                   or an empty 200) and never sees her.
      assessment — Xifeng's assessment: ``readers`` get 200 with the marker, everyone else 403/404
                   without it.
      benefit    — Xifeng's benefit figures (cycles, batches, ledger, summaries) without persons:
                   ``readers`` get 200 with the marker, everyone else 403/404 (``lists``: or an empty
                   200) without it; no one sees a person on it.
      aggregate  — areas, indicators, demography: no one sees any person on it.
      audit      — the audit log: auditors, of their own county's events only.
      accounts   — accounts of the county (user managers); no person on it.
      action     — POST only; who may act is asserted by the action tests named in ``note``.
      no-data    — sign-in, language, health, documentation: nothing of anyone.
    """

    kind: str
    url: object = None  # callable(world) → path (with query), or None for POST-only routes
    readers: frozenset = frozenset()
    shows: str = "name"  # person: "full" ID number, "masked" ID number, or "name" only
    marker: object = None  # callable(world) → text that proves the data is on the page
    lists: bool = False
    note: str = ""


def P(url, shows="name", lists=False, readers=PERSON_ROLES_HOME, marker=None):
    return Route("person", url, frozenset(readers), shows, marker, lists)


def A(url, readers, marker=lambda w: "息烽乡镇考核二〇〇五", lists=False):
    return Route("assessment", url, frozenset(readers), marker=marker, lists=lists)


def B(url, readers, marker, lists=False):
    return Route("benefit", url, frozenset(readers), marker=marker, lists=lists)


def G(url):
    return Route("aggregate", url)


def N(url=None):
    return Route("no-data", url)


def ACT(note):
    return Route("action", note=note)


_person = lambda w: w["person"].pk  # noqa: E731
_api_person_readers = {("village", "home"), ("township", "home"), ("county", "home"), ("peer", "home")}
# pages that also need aggregate.view, which a machine peer has not
_page_person_readers = {("village", "home"), ("township", "home"), ("county", "home")}
# benefit.view in Xifeng: its officers of every level and its auditor (figures; the rows of persons are
# the person readers' only)
BENEFIT_READERS = _page_person_readers | {("auditor", "home")}
_cycle = lambda w: w["cycle"].pk  # noqa: E731
_premium = lambda w: '"program": "xifeng-ncms-premium"'  # noqa: E731
_reference = lambda w: w["batch"].payments.order_by("pk").first().reference  # noqa: E731
_ACT_LIST = "benefits/test_approval.py, test_entry_points.py (the list's state machine, role and area)"
_ACT_FEED = "feeds/test_import.py, test_queue.py (files and linkage: feed.manage of the county, feed.submit)"
_ACT_PAY = "benefits/test_payments.py, test_entry_points.py (budget and batches: benefit.manage of the county)"

# loans: figures for every LOAN_VIEW role of Xifeng; the mother for the register's officers of her
# village and the county's loan officer (not the machine peer, which has no loan.view)
LOAN_READERS = _page_person_readers | {("loans", "home"), ("auditor", "home")}
LOAN_PERSON_READERS = _page_person_readers | {("loans", "home")}
_ACT_LOAN = "loans/test_flow.py, test_entry_points.py (each step by its own role and area, refused out of order)"

# the bureau's registers: aggregate.view in Xifeng (an event of 永靖镇: not its village's officer), written by
# aggregate.capture within the capture areas
BUREAU_READERS = {("township", "home"), ("county", "home"), ("evaluator", "home"), ("loans", "home"),
                  ("auditor", "home")}
BUREAU_WRITERS = {("township", "home"), ("county", "home")}
# migrant.agreement (and person.export) in Xifeng: its township and county officers
MIGRANT_AGREEMENT_HOME = {("township", "home"), ("county", "home")}
# the exchange's officers (exchange.view) of Xifeng, whose areas hold the case's end here
EXCHANGE_READERS = {("township", "home"), ("county", "home")}

ROUTES: dict[str, Route] = {
    # web
    "home": G(lambda w: "/"),
    "login": N(lambda w: "/accounts/login/"),
    "logout": N(),
    "set_language": N(),
    "healthz": N(lambda w: "/healthz"),
    "idnumber": N(lambda w: "/idnumber/"),
    "areas": G(lambda w: "/areas/"),
    "area": G(lambda w: f"/areas/{VILLAGE_A}/"),
    "audit": Route("audit", lambda w: "/audit/?action=view&object_type=registry.event",
                   marker=lambda w: "审计标记-息烽"),
    "audit-detail": Route("audit", lambda w: f"/audit/{w['audit'].pk}/", marker=lambda w: "审计标记-息烽"),
    "users": Route("accounts", lambda w: "/users/", frozenset({("county", "home")}), marker=lambda w: "cun_home"),
    # register
    "registry:search": P(lambda w: f"/registry/?q={w['household'].number}", "masked", lists=True),
    "registry:person": P(lambda w: f"/registry/persons/{_person(w)}/", "full"),
    "registry:record-service": P(lambda w: f"/registry/persons/{_person(w)}/services/new/"),
    "registry:household": P(lambda w: f"/registry/households/{w['household'].pk}/", "masked"),
    "registry:event": P(lambda w: f"/registry/events/{w['birth'].pk}/"),
    "registry:correct-event": P(lambda w: f"/registry/events/{w['birth'].pk}/correct/", "full",
                                marker=lambda w: w["person"].id_number),
    "registry:declare": Route("person", lambda w: "/registry/events/new/", lists=True),
    "registry:declare-birth": Route("person", lambda w: "/registry/events/birth/new/", lists=True),
    "registry:declare-event": Route("person", lambda w: "/registry/events/death/new/", lists=True),
    "registry:event-queue": P(lambda w: "/registry/queue/events/", lists=True,
                              readers={("township", "home"), ("county", "home"), ("village", "home"),
                                       ("peer", "home")}),
    "registry:check-queue": P(lambda w: "/registry/queue/checks/", lists=True),
    "registry:duplicate-queue": P(lambda w: "/registry/queue/duplicates/", lists=True),
    "registry:duplicate": P(lambda w: f"/registry/queue/duplicates/{w['duplicate'].pk}/"),
    "registry:check-report": P(lambda w: f"/registry/checks/?area={VILLAGE_A}", lists=True),
    "registry:export": Route("person", lambda w: "/registry/export/", lists=True, note="POST: test_export_matrix"),
    # indicators: the drill-down shows persons, scoped
    "indicators:home": G(lambda w: "/indicators/?area=520122&period=2005"),
    "indicators:value": G(lambda w: f"/indicators/value/{w['cbr'].pk}/"),
    "indicators:records": P(lambda w: f"/indicators/value/{w['cbr'].pk}/records/1/", lists=True,
                            readers=_page_person_readers),
    "indicators:report": G(lambda w: "/indicators/report/?area=520122&period=2005"),
    "indicators:export": G(lambda w: "/indicators/export/?area=520122&period=2005"),
    "indicators:entry": G(lambda w: "/indicators/entry/"),
    # demography
    "demography:home": G(lambda w: "/demography/"),
    "demography:area": G(lambda w: "/demography/area/520122/"),
    # assessment
    "evaluation:home": A(lambda w: "/evaluation/", READERS | UNIT_OFFICERS, lists=True),
    "evaluation:scheme": A(lambda w: f"/evaluation/schemes/{w['scheme'].pk}/", READERS | UNIT_OFFICERS),
    "evaluation:scheme-edit": A(lambda w: f"/evaluation/schemes/{w['scheme'].pk}/edit/", MANAGERS),
    "evaluation:scheme-export": A(lambda w: f"/evaluation/schemes/{w['scheme'].pk}/export.yaml",
                                  READERS | UNIT_OFFICERS),
    "evaluation:targets": A(lambda w: f"/evaluation/schemes/{w['scheme'].pk}/targets/", READERS),
    "evaluation:contract": A(lambda w: f"/evaluation/schemes/{w['scheme'].pk}/contract/{TOWNSHIP_A[:9]}/",
                             READERS | UNIT_OFFICERS),
    "evaluation:inspections": A(lambda w: f"/evaluation/schemes/{w['scheme'].pk}/inspections/", READERS),
    "evaluation:compute": ACT("test_assessment_actions_only_for_the_areas_managers"),
    "evaluation:sample-new": ACT("test_assessment_actions_only_for_the_areas_managers"),
    "evaluation:run": A(lambda w: f"/evaluation/runs/{w['run'].pk}/", READERS | UNIT_OFFICERS,
                        marker=lambda w: w["run"].content_hash),
    "evaluation:publish": ACT("test_assessment_actions_only_for_the_areas_managers"),
    "evaluation:run-delete": ACT("test_assessment_actions_only_for_the_areas_managers"),
    "evaluation:run-xlsx": A(lambda w: f"/evaluation/runs/{w['run'].pk}/ranking.xlsx", READERS,
                             marker=lambda w: w["run"].content_hash),
    "evaluation:methods": A(lambda w: f"/evaluation/runs/{w['run'].pk}/methods/", READERS,
                            marker=lambda w: "永靖镇"),
    "evaluation:appeal": ACT("test_appeals_only_by_the_units_officers_and_the_areas_managers"),
    "evaluation:scorecard": A(lambda w: f"/evaluation/runs/{w['run'].pk}/units/{TOWNSHIP_A[:9]}/",
                              READERS | UNIT_OFFICERS),
    "evaluation:appeal-decide": ACT("test_assessment_actions_only_for_the_areas_managers"),
    "evaluation:sample": A(lambda w: f"/evaluation/samples/{w['sample'].pk}/", MANAGERS,
                           marker=lambda w: w["household"].number),
    "evaluation:departments": A(lambda w: "/evaluation/departments/520122/", READERS, marker=lambda w: "县直部门考核"),
    "evaluation:field-sheet": P(lambda w: f"/evaluation/samples/{w['sample'].pk}/sheet/{TOWNSHIP_A[:9]}/",
                                "masked", readers=MANAGERS),
    # benefits: programs are published policy; rosters and notices name persons, scoped to their villages
    "benefits:home": B(lambda w: "/benefits/", BENEFIT_READERS, lists=True,
                       marker=lambda w: f'href="/benefits/cycles/{_cycle(w)}/"'),
    "benefits:inbox": B(lambda w: "/benefits/inbox/", {("township", "home")}, lists=True,
                        marker=lambda w: f'href="/benefits/lists/{w["waiting_list"].pk}/notice/"'),
    "benefits:program": G(lambda w: "/benefits/programs/xifeng-ncms-premium/"),
    "benefits:cycle": P(lambda w: f"/benefits/cycles/{_cycle(w)}/", "masked", lists=True,
                        readers=_page_person_readers),
    "benefits:budget": ACT(_ACT_PAY),
    "benefits:issue": ACT(_ACT_PAY),
    "benefits:verification": B(lambda w: f"/benefits/cycles/{_cycle(w)}/verification/", BENEFIT_READERS,
                               marker=lambda w: f'href="/benefits/cycles/{_cycle(w)}/"'),
    "benefits:notice": P(lambda w: f"/benefits/lists/{w['roster_list'].pk}/notice/", "masked",
                         readers=_page_person_readers),
    "benefits:objection": ACT(_ACT_LIST),
    "benefits:transition": ACT(_ACT_LIST),
    "benefits:resolve": ACT(_ACT_LIST),
    "benefits:batch": B(lambda w: f"/benefits/batches/{w['batch'].pk}/", BENEFIT_READERS, marker=_reference),
    "benefits:send": ACT(_ACT_PAY),
    "benefits:batch-file": B(lambda w: f"/benefits/batches/{w['batch'].pk}/file.csv", {("county", "home")},
                             marker=_reference),
    "benefits:ledger": B(lambda w: f"/benefits/ledger/?program=xifeng-ncms-premium&area={XIFENG}",
                         BENEFIT_READERS, marker=lambda w: "account="),
    # 幸福工程 loans: fund figures for LOAN_VIEW in the area; a loan names its mother to the register's
    # officers of her village (the scoping function) and to the loan officer of the area (its work)
    "loans:home": B(lambda w: f"/loans/?area={XIFENG[:6]}", LOAN_READERS, marker=lambda w: 'data-fund="xifeng-matrix"'),
    "loans:inbox": P(lambda w: "/loans/inbox/", lists=True, readers={("township", "home"), ("loans", "home")}),
    "loans:propose": ACT(_ACT_LOAN),
    "loans:loan": P(lambda w: f"/loans/loans/{w['loan'].pk}/", "masked", readers=LOAN_PERSON_READERS),
    "loans:agreement": P(lambda w: f"/loans/loans/{w['loan'].pk}/agreement/", "masked", readers=LOAN_PERSON_READERS),
    "loans:step": ACT(_ACT_LOAN),
    "loans:sheet": P(lambda w: f"/loans/sheet/?village={VILLAGE_A}&date=2020-12-31", lists=True,
                     readers=LOAN_PERSON_READERS),
    "loans:sheet-import": ACT(_ACT_LOAN),
    # an XLSX writes Chinese as character references: the masked ID number proves the row is there
    "loans:export": P(lambda w: "/loans/export.xlsx", "masked", lists=True, readers=LOAN_PERSON_READERS,
                      marker=lambda w: mask(w["person"].id_number)),
    # department feeds: sources, mappings and files name no person (the county's feed managers only); the
    # queue and a record name persons, scoped to the record's area
    "feeds:home": B(lambda w: "/feeds/", {("county", "home")}, lists=True, marker=lambda w: "卫生健康出生医学证明"),
    "feeds:source": B(lambda w: f"/feeds/sources/{w['feed_source'].pk}/", {("county", "home")},
                      marker=lambda w: "出生医学证明编号"),
    "feeds:upload": ACT(_ACT_FEED),
    "feeds:link": ACT(_ACT_FEED),
    "feeds:file": B(lambda w: f"/feeds/files/{w['feed_file'].pk}/", {("county", "home")},
                    marker=lambda w: "矩阵出生证明.csv"),
    "feeds:queue": P(lambda w: "/feeds/queue/", lists=True),
    "feeds:record": P(lambda w: f"/feeds/records/{w['feed_record'].pk}/", "masked"),
    "feeds:decide": ACT("feeds/test_queue.py (decisions are person captures in the record's area)"),
    "feeds:completeness": G(lambda w: "/feeds/completeness/?area=520122&period=2005"),
    # migrants: counts for the migrant officers of the areas (another county's see its own zeros); lists and
    # a migrant's page name her to the officers of her village, township and county; exports need
    # person.export; agreements are the township's and the county's (migrant.agreement)
    "migrants:home": B(lambda w: "/migrants/?month=2005-12", _page_person_readers, lists=True,
                       marker=lambda w: 'data-list="unconfirmed" data-count="1"'),
    "migrants:list": P(lambda w: "/migrants/lists/unconfirmed/?month=2005-12", "masked", lists=True,
                       readers=_page_person_readers),
    "migrants:list-export": P(lambda w: "/migrants/lists/arrivals/export.xlsx?month=2005-12", "masked", lists=True,
                              readers=MIGRANT_AGREEMENT_HOME, marker=lambda w: mask(w["person"].id_number)),
    "migrants:record": P(lambda w: f"/migrants/records/{w['migrant'].pk}/", "masked", readers=_page_person_readers),
    "migrants:transition": ACT("migrants/test_pages.py (person captures in the record's area, by the state rule)"),
    "migrants:agreements": B(lambda w: "/migrants/agreements/", MIGRANT_AGREEMENT_HOME, lists=True,
                             marker=lambda w: "MATRIX-2005-1"),
    "migrants:agreement-new": N(lambda w: "/migrants/agreements/new/"),
    "migrants:agreements-export": B(lambda w: "/migrants/agreements/export.xlsx", MIGRANT_AGREEMENT_HOME, lists=True,
                                    marker=lambda w: "MATRIX-2005-1"),
    "migrants:agreement": P(lambda w: f"/migrants/agreements/{w['migrant_agreement'].pk}/", "masked",
                            readers=MIGRANT_AGREEMENT_HOME),
    # the exchange between nodes: the enquiries name their persons to the exchange's officers (county and
    # township) of the case's area here; the node's status, overdue counts, outbox, inbox and directory
    # name no person
    "exchange:home": G(lambda w: "/exchange/"),
    "exchange:enquiries": P(lambda w: "/exchange/enquiries/", "masked", lists=True, readers=EXCHANGE_READERS),
    "exchange:export": P(lambda w: "/exchange/enquiries/export.xlsx", "masked", lists=True, readers=EXCHANGE_READERS,
                         marker=lambda w: mask(w["person"].id_number)),
    "exchange:new": P(lambda w: f"/exchange/enquiries/new/?person={_person(w)}", "masked",
                      readers=EXCHANGE_READERS),
    "exchange:enquiry": P(lambda w: f"/exchange/enquiries/{w['enquiry_uid']}/", "full", readers=EXCHANGE_READERS),
    "exchange:answer": ACT("exchange/test_pages.py (answers by the officers of the case's area, in its state)"),
    "exchange:overdue": G(lambda w: "/exchange/overdue/"),
    "exchange:outbox": G(lambda w: "/exchange/outbox/"),
    "exchange:inbox": G(lambda w: "/exchange/inbox/"),
    "exchange:peers": G(lambda w: "/exchange/peers/"),
    "exchange:import-peers": ACT("exchange/test_pages.py (the node's county officers only, all or nothing)"),
    # the bureau's own work: figures of areas (no person on them), within the reader's areas
    "bureau:home": G(lambda w: f"/bureau/?area={XIFENG}&year=2005"),
    "bureau:events": G(lambda w: f"/bureau/events/?area={XIFENG}&year=2005"),
    "bureau:export": G(lambda w: f"/bureau/export.xlsx?area={XIFENG}&year=2005"),
    # its registers: the records of the reader's areas (aggregate.view); written with aggregate.capture in
    # the capture areas; a photo of an event to whom may read the event
    "bureau:register": B(lambda w: f"/bureau/registers/events/?area={TOWNSHIP_A}&year=2005", BUREAU_READERS,
                         marker=lambda w: "矩阵宣传会场"),
    "bureau:register-new": G(lambda w: "/bureau/registers/events/new/"),
    "bureau:register-edit": B(lambda w: f"/bureau/registers/events/{w['bureau_event'].pk}/", BUREAU_WRITERS,
                              marker=lambda w: "矩阵宣传会场"),
    "bureau:register-export": B(lambda w: f"/bureau/registers/events/export.xlsx?area={TOWNSHIP_A}&year=2005",
                                BUREAU_READERS, marker=lambda w: "<v>4321</v>"),
    "bureau:event-photo-upload": ACT("bureau/test_registers.py (writers of the event's area; content checked)"),
    "bureau:event-photo": B(lambda w: f"/bureau/photos/{w['bureau_photo'].pk}/", BUREAU_READERS,
                            marker=lambda w: "IHDR"),
    "api:bureau_summary": G(lambda w: f"/api/bureau/summary?area={XIFENG}&year=2005"),
    "api:bureau_register": B(lambda w: f"/api/bureau/registers/events?area={TOWNSHIP_A}&year=2005", BUREAU_READERS,
                             marker=lambda w: "矩阵宣传会场"),
    # API (django-ninja)
    "api:api-root": N(lambda w: "/api/"),
    "api:openapi-json": N(lambda w: "/api/openapi.json"),
    "api:openapi-view": N(lambda w: "/api/docs"),
    "api:me": N(lambda w: "/api/me"),
    "api:list_areas": G(lambda w: "/api/areas?under=520122"),
    "api:get_area": G(lambda w: f"/api/areas/{VILLAGE_A}"),
    "api:check_id": N(lambda w: "/api/idnumber/check?number=11010519491231002X"),
    "api:audit_log": Route("audit", lambda w: "/api/audit?action=view&object_type=registry.event",
                           marker=lambda w: "审计标记-息烽"),
    "api:list_persons": P(lambda w: f"/api/registry/persons?q={w['household'].number}", "masked", lists=True,
                          readers=_api_person_readers),
    "api:get_person": P(lambda w: f"/api/registry/persons/{_person(w)}", "full", readers=_api_person_readers),
    "api:household_members": P(lambda w: f"/api/registry/households/{w['household'].pk}", "masked",
                               readers=_api_person_readers),
    "api:list_events": P(lambda w: "/api/registry/events?state=declared", lists=True, readers=_api_person_readers,
                         marker=lambda w: f'"subject_id": {w["twin"].pk}'),
    "api:get_event": P(lambda w: f"/api/registry/events/{w['birth'].pk}", readers=_api_person_readers,
                       marker=lambda w: f'"subject_id": {w["birth"].subject_id}'),
    "api:declare_birth": ACT("test_api_token.py: test_machine_peer_declares_a_birth_with_its_token_alone"),
    "api:verify": ACT("test_event_actions_only_inside_the_capture_areas"),
    "api:register": ACT("test_event_actions_only_inside_the_capture_areas"),
    "api:reject": ACT("test_event_actions_only_inside_the_capture_areas"),
    "api:list_findings": P(lambda w: "/api/registry/findings", lists=True, readers=_api_person_readers,
                           marker=lambda w: f'"person_id": {_person(w)}'),
    "api:list_duplicates": P(lambda w: "/api/registry/duplicates", lists=True, readers=_api_person_readers,
                             marker=lambda w: f'"person_a_id": {_person(w)}'),
    "api:merge": ACT("registry/test_events.py (merge is a register action of PERSON_VIEW roles, scoped)"),
    "api:dismiss": ACT("registry/test_events.py (dismiss is a register action of PERSON_VIEW roles, scoped)"),
    "api:values": G(lambda w: "/api/indicators/values?area=520122&period=2005"),
    "api:datavalues": G(lambda w: "/api/indicators/datavalues?area=520122&period=2005"),
    "api:schemes": A(lambda w: "/api/evaluation/schemes", READERS | UNIT_OFFICERS, marker=lambda w: "xifeng-2005",
                     lists=True),
    "api:runs": A(lambda w: f"/api/evaluation/schemes/{w['scheme'].pk}/runs", READERS | UNIT_OFFICERS,
                  marker=lambda w: w["run"].content_hash),
    "api:run": A(lambda w: f"/api/evaluation/runs/{w['run'].pk}", READERS | UNIT_OFFICERS,
                 marker=lambda w: w["run"].content_hash),
    "api:scorecard": A(lambda w: f"/api/evaluation/runs/{w['run'].pk}/units/{TOWNSHIP_A[:9]}",
                       READERS | UNIT_OFFICERS, marker=lambda w: '"code": "520122100000"'),
    "api:programs": G(lambda w: "/api/benefits/programs"),
    "api:cycles": B(lambda w: "/api/benefits/cycles", BENEFIT_READERS, marker=_premium, lists=True),
    "api:compute": ACT("benefits/test_cycles.py: a township officer cannot compute (benefit.manage)"),
    "api:cycle": B(lambda w: f"/api/benefits/cycles/{_cycle(w)}", BENEFIT_READERS, marker=_premium),
    "api:roster": P(lambda w: f"/api/benefits/cycles/{_cycle(w)}/roster", "masked", lists=True,
                    readers=_page_person_readers),
    "api:transition": ACT(_ACT_LIST),
    "api:objection": ACT(_ACT_LIST),
    "api:issue": ACT(_ACT_PAY),
    "api:batch": B(lambda w: f"/api/benefits/batches/{w['batch'].pk}", BENEFIT_READERS, marker=_reference),
    "api:feed_file": ACT(_ACT_FEED),
    "api:feed_completeness": G(lambda w: "/api/feeds/completeness?area=520122&period=2005"),
    "api:bank_return": ACT(_ACT_PAY + "; benefits/test_payments.py::test_the_api_takes_a_return_file"),
    "api:summary": B(lambda w: "/api/benefits/summary?area=520122&period=2007", BENEFIT_READERS,
                     marker=lambda w: f'"cycle": {_cycle(w)}'),
    "api:loans_summary": B(lambda w: f"/api/loans/summary?area={XIFENG[:6]}", LOAN_READERS,
                           marker=lambda w: '"lent": "8000.00"'),
    "api:loans_list": P(lambda w: "/api/loans/loans", "masked", lists=True, readers=LOAN_PERSON_READERS),
    "api:loans_loan": P(lambda w: f"/api/loans/loans/{w['loan'].pk}", "masked", readers=LOAN_PERSON_READERS),
    "api:loans_collect": ACT(_ACT_LOAN),
    "api:loans_step": ACT(_ACT_LOAN),
    "api:exchange_inbox": ACT("exchange/test_two_nodes.py (a peer node's machine-peer token and signature; "
                              "refused: tampered, unsigned, not entitled)"),
    "api:exchange_node": N(lambda w: "/api/exchange/node"),
}

# The admin is for system administrators (is_staff) only; every model registered there is classified
# so a new one is a decision, not an accident.
ADMIN_MODELS = {
    "registry.person": "person", "registry.household": "person", "registry.event": "person",
    "registry.servicerecord": "person", "registry.finding": "person", "registry.duplicatecandidate": "person",
    "evaluation.assessmentscheme": "assessment", "evaluation.run": "assessment",
    "evaluation.unitresult": "assessment", "evaluation.target": "assessment",
    "evaluation.inspectionscore": "assessment", "core.auditevent": "audit", "core.user": "accounts",
    "core.apitoken": "accounts", "core.idnumberconfirmation": "person", "core.area": "aggregate",
    "core.areachange": "aggregate", "auth.group": "accounts",
}
ADMIN_SITE = {"admin:index", "admin:login", "admin:logout", "admin:password_change", "admin:password_change_done",
              "admin:autocomplete", "admin:jsi18n", "admin:view_on_site", "admin:app_list", "admin:auth_user_password_change"}


def all_routes() -> list[tuple[str, str]]:
    """(qualified name or route text, route text) of every URL pattern of the project."""
    out = []

    def walk(patterns, prefix, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), f"{ns}:{p.namespace}".strip(":") if p.namespace else ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                out.append((f"{ns}:{p.name}".strip(":") if p.name else route, route))

    walk(get_resolver().url_patterns, "", "")
    return out


def ninja_operations() -> list[tuple[str, set[str]]]:
    """(url name, HTTP methods) of every operation of the django-ninja API."""
    from renkou.api import api

    out = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                out.append((f"api:{getattr(op, 'url_name', None) or op.view_func.__name__}", set(op.methods)))
    return out


def _admin_model(name: str) -> str | None:
    from django.contrib import admin

    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        if name.startswith(f"admin:{label}_"):
            return f"{model._meta.app_label}.{model._meta.model_name}"
    return None


def test_every_route_is_in_the_matrix():
    """A new page, API route or admin model fails here until its expectation is in the table."""
    from django.contrib import admin

    missing = []
    for name, route in all_routes():
        if name.startswith("admin:") or route.startswith("admin/"):
            if name in ADMIN_SITE or _admin_model(name) in ADMIN_MODELS or re.match(r"admin/.*<path:object_id>/$",
                                                                                   route) or "(?P<url>" in route:
                continue
            missing.append(name)
        elif name not in ROUTES:
            missing.append(name)
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    missing += sorted(f"admin model {m}" for m in registered - set(ADMIN_MODELS))
    for name, methods in ninja_operations():
        if name not in ROUTES:
            missing.append(name)
        elif methods - {"GET"} and ROUTES[name].kind != "action":
            missing.append(f"{name} ({'/'.join(sorted(methods))} must be an action)")
    assert not missing, f"routes without an expectation in the access matrix: {missing}"
    assert not set(ROUTES) - {n for n, _r in all_routes()}, "expectations for routes that no longer exist"


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(json.loads(content), ensure_ascii=False)  # names as written, not \\u escapes
    if content[:2] == b"PK":  # an XLSX: its shared strings and sheets
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return content.decode("utf-8", "replace")


def _get(client, world, key, url):
    client.logout()
    if key[0] == "peer" and url.startswith("/api/"):
        return client.get(url, HTTP_AUTHORIZATION=f"Bearer {world.tokens[key]}")
    client.force_login(world.users[key])
    return client.get(url)


def _check(route: Route, key, status: int, body: str, w: World) -> list[str]:
    """What is wrong with one cell of the matrix (empty when it is right)."""
    person = w["person"]
    full, masked = person.id_number, mask(person.id_number)
    problems = []
    marker = route.marker(w) if route.marker else NAME
    never = [full, masked] + ([NAME] if route.kind not in ("person",) else [])
    if route.kind in ("aggregate", "no-data", "accounts"):
        problems += [f"shows {t!r}" for t in (NAME, full, masked) if t in body]
        if route.kind == "accounts":
            allowed = key in route.readers
            if allowed != (status == 200 and marker in body):
                problems.append(f"status {status}, accounts {'missing' if allowed else 'shown'}")
        return problems
    if route.kind == "audit":
        allowed = key == ("auditor", "home")
        if allowed and (status != 200 or marker not in body):
            problems.append(f"auditor of the county: status {status}, its event missing")
        if not allowed and marker in body:
            problems.append(f"status {status}: sees the county's audit log")
        if not allowed and key != ("auditor", "other") and status not in (403, 404):
            problems.append(f"status {status} for a role without audit.view")
        problems += [f"shows {full!r}" for t in (full,) if t in body]
        return problems
    allowed = key in route.readers
    if allowed:
        if status != 200:
            problems.append(f"status {status}, expected 200")
        if marker not in body:
            problems.append(f"{marker!r} missing")
        if route.kind == "person" and route.shows == "full" and full not in body:
            problems.append("full ID number missing")
        if route.kind == "person" and route.shows == "masked":
            if masked not in body:
                problems.append("masked ID number missing")
            if full in body:
                problems.append("full ID number shown where it must be masked")
        if route.kind in ("assessment", "benefit"):
            problems += [f"shows {t!r}" for t in never if t in body]
        return problems
    ok_status = (200, 403, 404) if route.lists else (403, 404)
    if status not in ok_status:
        problems.append(f"status {status}, expected {'/'.join(map(str, ok_status))}")
    problems += [f"shows {t!r}" for t in {marker, NAME, full, masked} if t in body]
    return problems


@pytest.mark.django_db
def test_who_reads_what(client, world):
    """Every readable route × every role, home and other county: the data is there for those who may
    read it (masked where it must be) and absent for everyone else."""
    failures = []
    for name, route in ROUTES.items():
        if route.url is None:
            continue
        url = route.url(world)
        for role in ROLES:
            for where in ("home", "other"):
                r = _get(client, world, (role, where), url)
                for p in _check(route, (role, where), r.status_code, _body(r), world):
                    failures.append(f"{name} {url} as {role}/{where}: {p}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_a_batch_names_a_family_payee_only_to_the_readers_of_the_family(client, world):
    """Reward support of 2025 paid to the parents of a one-child family of 红岩村: the batch page lists
    them to Xifeng's officers of 红岩村, 永靖镇 and the county; the auditor and everyone else see the
    batch's totals at most, never the names."""
    from renkou.benefits import services as benefits
    from renkou.benefits.models import Program
    from tests.benefits.conftest import family
    from tests.benefits.helpers import accounts_for

    family("H9", VILLAGE_A, father_born=dt.date(1960, 4, 1), mother_born=dt.date(1962, 8, 1),
           children=[(1, dt.date(1985, 2, 1), None)])
    county, program = world.users[("county", "home")], Program.objects.get(code="rural-reward-support")
    cycle = benefits.compute_cycle(county, program, XIFENG, "2025")
    benefits.allocate_budget(county, program, XIFENG, "5000", today=BENEFIT_DAY)
    rl = cycle.lists.get(village_id=VILLAGE_A)
    benefits.transition(world.users[("village", "home")], rl, "propose", today=BENEFIT_DAY)
    benefits.transition(world.users[("township", "home")], rl, "review", today=BENEFIT_DAY)
    benefits.transition(county, rl, "approve", today=BENEFIT_DAY + dt.timedelta(days=7))
    accounts_for(cycle.entitlements.all())
    batch = benefits.issue_batch(county, cycle, idempotency_key="matrix-family", today=BENEFIT_DAY)
    assert set(batch.payments.values_list("payee_name", flat=True)) == {"H9父", "H9母"}
    failures = []
    for role in ROLES:
        for where in ("home", "other"):
            body = _body(_get(client, world, (role, where), f"/benefits/batches/{batch.pk}/"))
            shown = "H9父" in body and "H9母" in body
            if shown != ((role, where) in _page_person_readers):
                failures.append(f"{role}/{where}: names {'shown' if shown else 'missing'}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_admin_is_for_system_administrators_only(client, world):
    """Every admin view of every registered model: no role of the demo gets past the admin's sign-in."""
    pks = {"registry.person": world["person"].pk, "registry.household": world["household"].pk,
           "registry.event": world["birth"].pk, "evaluation.run": world["run"].pk}
    failures = []
    for name, route in all_routes():
        if not route.startswith("admin/") or "(?P<" in route or name == "admin:view_on_site":
            continue
        model = _admin_model(name)
        url = "/" + route.replace("<path:object_id>", str(pks.get(model, 1))).replace("<id>", "1")
        for role in ROLES:
            for where in ("home", "other"):
                client.force_login(world.users[(role, where)])
                r = client.get(url)
                body = _body(r)
                if name not in ("admin:login", "admin:logout", "admin:jsi18n") and (
                        r.status_code != 302 or "/admin/login/" not in r["Location"]):
                    failures.append(f"{name} as {role}/{where}: status {r.status_code}")
                if NAME in body or world["person"].id_number in body:
                    failures.append(f"{name} as {role}/{where}: shows the person")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_other_countys_officers_read_their_own(client, world):
    """The isolation is not a broken page: Renqiu's officers read Renqiu's person and assessment."""
    client.force_login(world.users[("county", "other")])
    other = world["other"]
    page = client.get(f"/registry/persons/{other.pk}/").content.decode()
    assert OTHER_NAME in page and other.id_number in page
    assert world["o_run"].content_hash in client.get(f"/evaluation/runs/{world['o_run'].pk}/").content.decode()
    client.force_login(world.users[("evaluator", "other")])
    sheet = client.get(f"/evaluation/samples/{world['o_sample'].pk}/").content.decode()
    assert "1309821002010001" in sheet
    assert client.get(f"/registry/persons/{other.pk}/").status_code == 403


@pytest.mark.django_db
def test_an_evaluator_reads_the_sampled_households_masked_through_its_sample_only(client, world):
    """The evaluator's one path to persons: the field sheet of its own sample, masked and audited;
    the register (search, record, API) stays closed to it."""
    from renkou.core.models import AuditEvent

    person = world["person"]
    client.force_login(world.users[("evaluator", "home")])
    sheet = client.get(f"/evaluation/samples/{world['sample'].pk}/sheet/{TOWNSHIP_A[:9]}/").content.decode()
    assert NAME in sheet and mask(person.id_number) in sheet and person.id_number not in sheet
    logged = AuditEvent.objects.filter(action="view", object_type="evaluation.verificationsample",
                                       actor_username="kaohe_home").get()
    assert logged.detail["field_sheet"] == TOWNSHIP_A and logged.detail["persons"] == 2  # she and her child
    assert client.get(f"/registry/persons/{person.pk}/").status_code == 403
    assert client.get(f"/registry/?q={NAME}").status_code == 403
    assert client.get(f"/api/registry/persons/{person.pk}").status_code == 403
    # another county's evaluator, and a loan officer or auditor of the same county: not their sample
    for key in (("evaluator", "other"), ("loans", "home"), ("auditor", "home")):
        client.force_login(world.users[key])
        r = client.get(f"/evaluation/samples/{world['sample'].pk}/sheet/{TOWNSHIP_A[:9]}/")
        assert r.status_code == 404 and NAME not in r.content.decode()


def test_linked_persons_need_the_work_in_the_roles_table():
    """The hook for persons linked to a user's work: a role reads them only through a work its row of
    ``LINKED_WORK`` names; the loan officer only the applicants and borrowers of its loans."""
    from renkou.core.roles import (
        LINKED_WORK,
        LOAN_WORK,
        PERSON_LINKED,
        PERSON_VIEW,
        VERIFICATION_WORK,
        Role,
        linked_work_of,
        permissions_of,
    )

    assert PERSON_VIEW not in permissions_of("evaluator") and PERSON_VIEW not in permissions_of("loan_officer")
    assert linked_work_of("evaluator") == {VERIFICATION_WORK}
    assert linked_work_of("loan_officer") == {LOAN_WORK} and PERSON_LINKED in permissions_of("loan_officer")
    assert linked_work_of("auditor") == frozenset() and Role.AUDITOR not in LINKED_WORK


@pytest.mark.django_db
def test_linked_refuses_a_work_the_role_does_not_do(world):
    from django.core.exceptions import PermissionDenied

    from renkou.core.roles import VERIFICATION_WORK
    from renkou.core.scoping import linked
    from renkou.registry.models import Person

    sample = world["sample"]
    mine = linked(world.users[("evaluator", "home")], Person, VERIFICATION_WORK, sample=sample)
    assert set(mine.values_list("name", flat=True)) == {NAME, "王小明"}
    for key in (("loans", "home"), ("auditor", "home"), ("evaluator", "other"), ("village", "home")):
        with pytest.raises(PermissionDenied):
            list(linked(world.users[key], Person, VERIFICATION_WORK, sample=sample))


# ---------------------------------------------------------------------------------------
# Acting
# ---------------------------------------------------------------------------------------

ALL_USERS = [(r, w) for r in ROLES for w in ("home", "other")]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ALL_USERS, ids=lambda k: "/".join(k))
def test_appeals_only_by_the_units_officers_and_the_areas_managers(client, world, key):
    """An appeal against Xifeng's published run: the officer of 永靖镇 for 永靖镇, Xifeng's county
    officer and evaluator for any unit; no auditor, village officer, loan officer or other county."""
    from renkou.evaluation.models import Appeal

    run = world["run"]
    client.force_login(world.users[key])
    for unit in (TOWNSHIP_A, OTHER_TOWNSHIP):
        client.post(f"/evaluation/runs/{run.pk}/appeal/", {"unit": unit, "item_code": "A1", "reason": "核对"})
    filed = set(Appeal.objects.filter(run=run).values_list("unit_id", flat=True))
    expected = ({TOWNSHIP_A, OTHER_TOWNSHIP} if key in MANAGERS else {TOWNSHIP_A} if key in UNIT_OFFICERS
                else set())
    assert filed == expected


@pytest.mark.django_db
@pytest.mark.parametrize("key", ALL_USERS, ids=lambda k: "/".join(k))
def test_assessment_actions_only_for_the_areas_managers(client, world, key):
    """Compute, publish, delete a draft, draw a sample, decide an appeal, enter inspection scores on
    Xifeng's scheme: its county officer and evaluator only."""
    from renkou.evaluation import services
    from renkou.evaluation.models import Appeal, InspectionScore, Run, VerificationSample

    scheme, run = world["scheme"], world["run"]
    appeal = services.file_appeal(user=world.users[("county", "home")], run=run, unit=TOWNSHIP_A, item_code="A1",
                                  reason="复核", claimed_value=95)
    draft = services.compute_run(user=world.users[("county", "home")], scheme=scheme)
    runs_before, samples_before = Run.objects.filter(scheme=scheme).count(), VerificationSample.objects.count()
    client.force_login(world.users[key])
    client.post(f"/evaluation/schemes/{scheme.pk}/compute/")
    client.post(f"/evaluation/schemes/{scheme.pk}/samples/new/", {"households_per_unit": 2, "seed": 3,
                                                                  "period": "2005"})
    client.post(f"/evaluation/schemes/{scheme.pk}/inspections/", {f"s-{OTHER_TOWNSHIP}-quality": "11"})
    client.post(f"/evaluation/appeals/{appeal.pk}/decide/", {"accept": "0", "decision": "no"})
    client.post(f"/evaluation/runs/{draft.pk}/publish/")
    may = key in MANAGERS
    draft.refresh_from_db()
    assert (draft.status == "published") == may
    assert (Appeal.objects.get(pk=appeal.pk).status == "rejected") == may
    assert (VerificationSample.objects.count() == samples_before + 1) == may
    assert (InspectionScore.objects.get(scheme=scheme, unit_id=OTHER_TOWNSHIP, sheet="quality").value == 11) == may
    # compute adds a draft for managers (then publishing the other draft): runs grow by one exactly for them
    assert Run.objects.filter(scheme=scheme).count() == runs_before + (1 if may else 0)
    extra = Run.objects.filter(scheme=scheme, status="draft").order_by("-version").first()
    if extra is not None:
        client.post(f"/evaluation/runs/{extra.pk}/delete/")
        assert Run.objects.filter(pk=extra.pk).exists() != may


@pytest.mark.django_db
@pytest.mark.parametrize("key", ALL_USERS, ids=lambda k: "/".join(k))
def test_event_actions_only_inside_the_capture_areas(client, world, key):
    """Verify and register the declared death in 红岩村 through the API: verification by Xifeng's
    township (of 永靖镇) and county officers, registration by the county officer."""
    event = world["declared"]
    headers = {}
    client.logout()
    if key[0] == "peer":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[key]}"
    else:
        client.force_login(world.users[key])
    r = client.post(f"/api/registry/events/{event.pk}/verify", {"reason": ""}, content_type="application/json",
                    **headers)
    event.refresh_from_db()
    may_verify = key in {("township", "home"), ("county", "home")}
    assert (event.state == "verified") == may_verify, r.content
    if not may_verify:
        assert r.status_code in (403, 404) and NAME not in r.content.decode()
        return
    r = client.post(f"/api/registry/events/{event.pk}/register", {"reason": ""}, content_type="application/json",
                    **headers)
    event.refresh_from_db()
    assert (event.state == "registered") == (key == ("county", "home")), r.content


@pytest.mark.django_db
@pytest.mark.parametrize("key", ALL_USERS, ids=lambda k: "/".join(k))
def test_export_matrix(client, world, key):
    """A person-level export of 红岩村: township and county officers of Xifeng, masked by default."""
    person = world["person"]
    client.force_login(world.users[key])
    r = client.post("/registry/export/", {"kind": "persons", "area": VILLAGE_A, "format": "csv"})
    body = _body(r)
    if key in {("township", "home"), ("county", "home")}:
        assert r.status_code == 200 and NAME in body and mask(person.id_number) in body
        assert person.id_number not in body
    else:
        assert r.status_code in (403, 404) or NAME not in body
        assert NAME not in body and person.id_number not in body


@pytest.mark.django_db
def test_the_unit_officer_sees_only_its_own_scorecard_and_no_draft(client, world):
    """永靖镇's officer: its own scorecard, not 温泉镇's; published versions only; no sample."""
    from renkou.evaluation import services

    client.force_login(world.users[("township", "home")])
    run = world["run"]
    assert client.get(f"/evaluation/runs/{run.pk}/units/{TOWNSHIP_A[:9]}/").status_code == 200
    assert client.get(f"/evaluation/runs/{run.pk}/units/{OTHER_TOWNSHIP[:9]}/").status_code == 403
    api = client.get(f"/api/evaluation/runs/{run.pk}").json()
    items = {u["code"]: u["items"] for u in api["units"]}
    assert items[TOWNSHIP_A] and items[OTHER_TOWNSHIP] == {}
    draft = services.compute_run(user=world.users[("county", "home")], scheme=world["scheme"])
    assert client.get(f"/evaluation/runs/{draft.pk}/").status_code == 404
    runs = {r["id"] for r in client.get(f"/api/evaluation/schemes/{world['scheme'].pk}/runs").json()}
    assert runs == {run.pk}
    assert client.get(f"/evaluation/samples/{world['sample'].pk}/").status_code == 404


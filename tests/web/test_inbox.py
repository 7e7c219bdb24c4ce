"""The home page's task list: exact counts per role on a small hand-built register, nothing of
another area counted, and each count equal to the length of the list its link opens."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.web import inbox

VILLAGE_A = "520122100201"  # 红岩村, 永靖镇
VILLAGE_B = "520122100202"  # 新华村, 永靖镇
VILLAGE_C = "520122101201"  # 温泉村, 温泉镇
YONGJING = "520122100000"
WENQUAN = "520122101000"
XIFENG = "520122000000"
GAIZE = "542526000000"
GAIZE_TOWN = "542526100000"
TODAY = dt.date(2026, 12, 2)
XIFENG_TOWNSHIPS = 11  # 息烽县's townships in the 2023 division codes


@pytest.fixture
def users(seed_areas, make_user):
    a = seed_areas
    return {
        "village_a": make_user("cun_a", "village_officer", capture=[a[VILLAGE_A]]),
        "village_b": make_user("cun_b", "village_officer", capture=[a[VILLAGE_B]]),
        "township": make_user("xiang", "township_officer", capture=[a[YONGJING]]),
        "wenquan": make_user("xiang2", "township_officer", capture=[a[WENQUAN]]),
        "county": make_user("xian", "county_officer", capture=[a[XIFENG]]),
        "evaluator": make_user("kaohe", "evaluator", view=[a[XIFENG]]),
        "auditor": make_user("shenji", "auditor", view=[a[XIFENG]]),
        "loans": make_user("daikuan", "loan_officer", view=[a[XIFENG]]),
    }


def person(name, area, born=dt.date(1980, 1, 1)):
    from renkou.registry.models import Person

    return Person.objects.create(name=name, sex=1, birth_date=born, registered_area_id=area, resident_area_id=area)


@pytest.fixture
def register(users):
    """Nine events, five findings and four duplicate pairs in Xifeng's villages and in Gaize."""
    from renkou.registry.models import DuplicateCandidate, Event, Finding

    a1, a2, a3 = person("甲", VILLAGE_A), person("乙", VILLAGE_A), person("丙", VILLAGE_A)
    b, c, c2 = person("丁", VILLAGE_B), person("戊", VILLAGE_C), person("己", VILLAGE_C)
    g, g2 = person("庚", GAIZE_TOWN), person("辛", GAIZE_TOWN)

    def event(subject, area, state="declared", **flags):
        return Event.objects.create(kind="death", event_date=dt.date(2026, 11, 1), area_id=area, subject=subject,
                                    state=state, **flags)

    event(a1, VILLAGE_A)                                   # 1 to verify
    event(a2, VILLAGE_A, flag_correction=True)             # 2 to verify and returned
    event(a3, VILLAGE_A, "verified")                       # 3 to register
    event(a1, VILLAGE_A, flag_rejected=True)               # 4 returned only
    event(a2, VILLAGE_A, is_current=False)                 # 5 an old version: nothing
    event(c, VILLAGE_C)                                    # 6 to verify (温泉镇)
    event(c2, VILLAGE_C, "verified", flag_rejected=True)   # 7 returned, not to register
    event(g, GAIZE_TOWN)                                   # 8 another county
    event(b, VILLAGE_B, "registered", flag_correction=True)  # 9 returned

    def finding(area, rule="late_registration", status="open", who=None):
        Finding.objects.create(area_id=area, person=who, rule=rule, severity="warning", message="m", status=status)

    finding(VILLAGE_A, who=a1)
    finding(VILLAGE_A, status="passed", who=a2)
    finding(VILLAGE_B, "id_check_digit", who=b)
    finding(VILLAGE_C, "id_check_digit", who=c)
    finding(GAIZE_TOWN, "id_check_digit", who=g)

    DuplicateCandidate.objects.create(area_id=VILLAGE_A, person_a=a1, person_b=a2, score=0.9)
    DuplicateCandidate.objects.create(area_id=VILLAGE_C, person_a=c, person_b=c2, score=0.8)
    DuplicateCandidate.objects.create(area_id=VILLAGE_A, person_a=a1, person_b=a3, score=0.7, status="dismissed")
    DuplicateCandidate.objects.create(area_id=GAIZE_TOWN, person_a=g, person_b=g2, score=0.9)


@pytest.fixture
def forms(users):
    """A monthly form due 10 days after the month, a yearly one due 31 days after the year, a quarterly
    one due 90 days after, and a monthly one due 45 days after (not due in December 2026)."""
    from renkou.indicators.models import Approval, Completion, DataSet

    def ds(code, period_type, due_days):
        return DataSet.objects.create(code=code, name_zh=code, name_en=code, period_type=period_type,
                                      capture_level=4, due_days=due_days, approval_levels=[4, 3])

    month, year = ds("m", "month", 10), ds("y", "year", 31)
    ds("q", "quarter", 90)
    ds("late_month", "month", 45)
    Completion.objects.create(dataset=month, area_id=WENQUAN, period="202611")      # reported, 4 to approve
    Completion.objects.create(dataset=year, area_id=YONGJING, period="2025")       # approved at 4, 3 to approve
    Approval.objects.create(dataset=year, area_id=YONGJING, period="2025", level=4)
    Completion.objects.create(dataset=month, area_id=YONGJING, period="202610")    # approved at both levels
    Approval.objects.create(dataset=month, area_id=YONGJING, period="202610", level=4)
    Approval.objects.create(dataset=month, area_id=YONGJING, period="202610", level=3)
    Completion.objects.create(dataset=month, area_id=YONGJING, period="202609")    # 4 to approve
    Completion.objects.create(dataset=year, area_id=GAIZE_TOWN, period="2025")     # another county
    Approval.objects.create(dataset=year, area_id=GAIZE_TOWN, period="2025", level=4)


def counts(box):
    return {k: i.count for k, i in box.by_key().items()}


def test_village_officer_sees_only_the_work_of_their_village(users, register, forms):
    assert counts(inbox.village_officer(users["village_a"], TODAY)) == {
        "events_returned": 2, "findings": 1, "duplicates": 1}
    assert [url for _label, url in inbox.village_officer(users["village_a"], TODAY).can_do] == [
        "/registry/events/new/", "/registry/", "/registry/checks/"]
    # no verification for a village officer; no aggregate form is reported at village level
    assert counts(inbox.village_officer(users["village_b"], TODAY)) == {
        "events_returned": 1, "findings": 1, "duplicates": 0}


def test_township_officer_counts_their_townships_events_findings_duplicates_and_forms(users, register, forms):
    box = inbox.township_officer(users["township"], TODAY)
    assert counts(box) == {"events_to_verify": 2, "events_returned": 3, "findings": 2, "duplicates": 1,
                           "forms_due": 2, "forms_to_approve": 1}
    due = box.by_key()["forms_due"].rows
    assert [(r.cells, r.late) for r in due] == [(("m", "永靖镇", "2026年11月", "2026-12-10"), False),
                                                (("q", "永靖镇", "2026年第3季度", "2026-12-29"), False)]
    assert due[0].url == "/indicators/entry/?dataset=m&area=520122100000&period=202611"
    assert [r.cells[:3] for r in box.by_key()["forms_to_approve"].rows] == [("m", "永靖镇", "2026年9月")]
    # 温泉镇's officer: its reported November form waits for their approval, its yearly form is overdue
    other = inbox.township_officer(users["wenquan"], TODAY)
    assert counts(other)["events_to_verify"] == 1
    assert [r.cells[:3] for r in other.by_key()["forms_to_approve"].rows] == [("m", "温泉镇", "2026年11月")]
    assert [(r.cells, r.late) for r in other.by_key()["forms_due"].rows] == [
        (("y", "温泉镇", "2025年", "2026-01-31"), True), (("q", "温泉镇", "2026年第3季度", "2026-12-29"), False)]


def test_county_officer_adds_registration_id_numbers_and_approvals_of_the_county(users, register, forms):
    box = inbox.county_officer(users["county"], TODAY)
    assert counts(box) == {"events_to_verify": 3, "events_to_register": 1, "events_returned": 4, "findings": 3,
                           "duplicates": 2, "ids_to_confirm": 2,
                           # every township of the county: m and y are reported once each, q by none
                           "forms_due": (XIFENG_TOWNSHIPS - 1) * 2 + XIFENG_TOWNSHIPS,
                           "forms_to_approve": 1}
    assert [r.cells[:3] for r in box.by_key()["forms_to_approve"].rows] == [("y", "永靖镇", "2025年")]
    assert len(box.by_key()["forms_due"].rows) == 31  # no list page for forms: every line is shown


def test_each_count_is_the_length_of_the_list_its_link_opens(client, users, register):
    box = inbox.county_officer(users["county"], TODAY)
    client.force_login(users["county"])
    for key in ("events_to_verify", "events_to_register", "events_returned", "findings", "duplicates",
                "ids_to_confirm"):
        item = box.by_key()[key]
        page = client.get(item.url).context["page"]
        assert page.paginator.count == item.count, key


def test_evaluator_sees_draft_runs_samples_and_appeals_of_their_county(users, seed_areas):
    from renkou.evaluation.models import Appeal, AssessmentScheme, Run, SampledHousehold, VerificationSample
    from renkou.registry.models import Household

    def scheme(code, parent):
        return AssessmentScheme.objects.create(code=code, name_zh=code, name_en=code, year=2005, period_code="2005",
                                               level="township", parent_id=parent, source_text="")

    xifeng, gaize = scheme("xf", XIFENG), scheme("gz", GAIZE)
    published = Run.objects.create(scheme=xifeng, version=1, period_code="2005", status="published")
    draft = Run.objects.create(scheme=xifeng, version=2, period_code="2005", previous=published)
    gz_draft = Run.objects.create(scheme=gaize, version=1, period_code="2005")
    Appeal.objects.create(run=published, unit_id=YONGJING, item_code="A1", reason="r")
    Appeal.objects.create(run=published, unit_id=YONGJING, item_code="A2", reason="r", status="rejected")
    Appeal.objects.create(run=gz_draft, unit_id=GAIZE_TOWN, item_code="A1", reason="r")

    def sample(s, visits):
        vs = VerificationSample.objects.create(scheme=s, period_code="2005", seed=1, households_per_unit=3)
        for i, (unit, visited) in enumerate(visits):
            hh = Household.objects.create(number=f"{s.code}-{vs.pk}-{i}", area_id=unit)
            SampledHousehold.objects.create(sample=vs, unit_id=unit[:9] + "000", stratum=unit, household=hh,
                                            household_number=hh.number, visited=visited)
        return vs

    open_sample = sample(xifeng, [(VILLAGE_A, False), (VILLAGE_C, False), (VILLAGE_B, True)])
    sample(xifeng, [(VILLAGE_A, True)])  # all visited
    sample(gaize, [(GAIZE_TOWN, False)])

    box = inbox.evaluator(users["evaluator"], TODAY)
    assert counts(box) == {"runs_in_progress": 1, "samples_in_progress": 1, "appeals_open": 1}
    assert box.by_key()["runs_in_progress"].rows[0].url == f"/evaluation/runs/{draft.pk}/"
    row = box.by_key()["samples_in_progress"].rows[0]
    assert (row.url, row.cells) == (f"/evaluation/samples/{open_sample.pk}/", ("xf", "2005", "2"))


def test_auditor_sees_recent_exports_and_record_views_of_their_areas(users):
    from django.utils import timezone

    from renkou.core.models import AuditEvent

    now, old = timezone.now(), timezone.now() - dt.timedelta(days=40)
    today = timezone.localdate()
    AuditEvent.objects.create(action="export", area_code=VILLAGE_A, object_type="registry.person", at=now)
    AuditEvent.objects.create(action="export", area_code=VILLAGE_A, object_type="registry.person", at=old)
    AuditEvent.objects.create(action="export", area_code=GAIZE_TOWN, object_type="registry.person", at=now)
    AuditEvent.objects.create(action="view", area_code=VILLAGE_A, object_type="registry.person", at=now)
    AuditEvent.objects.create(action="view", area_code=VILLAGE_C, object_type="registry.person", at=now)
    AuditEvent.objects.create(action="view", area_code=GAIZE_TOWN, object_type="registry.person", at=now)
    AuditEvent.objects.create(action="login_failed", area_code="", at=now)  # sign-ins have no area

    box = inbox.auditor(users["auditor"], today)
    assert counts(box) == {"exports": 1, "record_views": 2, "failed_logins": 1}
    since = (today - dt.timedelta(days=30)).isoformat()
    assert box.by_key()["exports"].url == f"/audit/?action=export&since={since}"
    assert len(box.by_key()["record_views"].rows) == 2


def test_loan_officer_sees_the_steps_of_the_project_office_and_no_register_look_up(users):
    box = inbox.loan_officer(users["loans"], TODAY)
    assert counts(box) == {"loans_to_visit": 0, "loans_to_sign": 0, "loans_to_disburse": 0, "loans_late": 0}
    # a loan officer reads the persons of its loans only: no register look-up among the things to use
    assert [url for _label, url in box.can_do] == ["/loans/", "/loans/sheet/", "/indicators/"]


def test_the_home_page_shows_the_task_list_of_the_role(client, users, register, forms):
    client.force_login(users["township"])
    page = client.get("/").content.decode()
    assert 'data-role="township_officer"' in page
    assert ('data-key="events_to_verify" href="/registry/queue/events/?state=declared&amp;scope=capture">\n'
            '<span class="n" data-count="2">2</span>') in page
    # an item with a list links to its list on the page, whose lines link to the form's entry page
    assert 'data-key="forms_due" href="#list-forms_due"' in page
    assert '<td><a href="/indicators/entry/?dataset=m&amp;area=520122100000&amp;period=' in page
    client.force_login(users["loans"])
    page = client.get("/").content.decode()
    assert 'data-role="loan_officer"' in page and 'href="/indicators/"' in page


def test_system_administrator_sees_the_register_queues_everywhere_but_no_form_of_every_township(
        users, register, forms, make_user):
    box = inbox.for_user(make_user("root", superuser=True), TODAY)
    # the county's items plus Gaize's declared event, finding and duplicate pair
    assert counts(box) == {"events_to_verify": 4, "events_to_register": 1, "events_returned": 4, "findings": 4,
                           "duplicates": 3, "ids_to_confirm": 3}

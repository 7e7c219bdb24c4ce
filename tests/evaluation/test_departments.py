"""Departments assessed (县直部门考核), end to end: the code table, a contract, inspection scores,
feeds counted from the department feeds' records, the run and its ranking (hand-computed), the veto,
the published snapshot, the command line and the pages."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from renkou.evaluation import services
from renkou.evaluation.models import Department, FrozenError, UnitResult
from renkou.evaluation.scheme_format import SchemeError, parse_scheme_text

COUNTY = "520122000000"
VILLAGE = "520122100201"
GONGAN, WEISHENG, TONGJI = "520122-gongan", "520122-weisheng", "520122-tongji"

SCHEME = """
code: test-departments-2005
name_zh: 测试部门考核
name_en: test department scheme
year: 2005
period: "2005"
level: department
total_points: 50
units: {county: "520122", level: department, exclude: [minzheng, renshe, jiaoyu, caizheng, fulian]}
themes:
  - code: F
    name_zh: 信息报送
    name_en: feeds
    items:
      - {code: F1, name_zh: 按月报送, name_en: months delivered, points: 10,
         source: {feeds: months_delivered}, rule: {type: linear, lower: 0, upper: 100}}
      - {code: F2, name_zh: 相互印证, name_en: events confirmed, points: 10,
         source: {feeds: events_confirmed}, rule: {type: linear, lower: 0, upper: 100}}
      - {code: F3, name_zh: 按时报送, name_en: delivered on time, points: 10,
         source: {feeds: on_time}, rule: {type: linear, lower: 0, upper: 100}}
  - code: T
    name_zh: 责任落实
    name_en: responsibilities
    items:
      - {code: T1, name_zh: 责任书任务, name_en: contract tasks, points: 20, target: 100,
         source: {inspection: tasks}, rule: {type: ratio_to_target}}
      - {code: V1, name_zh: 弄虚作假, name_en: falsified data, points: 0,
         source: {inspection: falsified}, rule: {type: veto}}
grades:
  - {code: good, name_zh: 良好, name_en: good, min_points: 40}
  - {code: pass, name_zh: 合格, name_en: passed, min_points: 30}
  - {code: fail, name_zh: 不合格, name_en: not passed}
warnings:
  - {code: admonition, name_zh: 诫勉谈话, name_en: admonitory talk, on_veto: true}
"""


def _aware(*args):
    return timezone.make_aware(dt.datetime(*args))


def _feeds(user):
    """The county's shipped sources, and records made by hand:

    * 卫生 (birth notices): births of January–September 2005 (9 of 12 months); January's file
      arrived 5 February, February's 8 March (both by the 10th of the next month), March–September's
      on 1 December (late). The register has 4 births in 2005 (January, February, March, November);
      the notices confirm the first three.
    * 公安 (hukou): a move-in in every month of 2005, all in one file received 5 January 2006 (only
      December's on time). The register has 2 move-ins (June, July); June's record confirms June's.
    * 统计局 delivers no feeds.
    """
    from renkou.feeds import services as feeds
    from renkou.feeds.models import FeedFile, FeedRecord
    from renkou.registry.models import Event, Person

    sources = {s.code: s for s in feeds.install_shipped_sources(COUNTY, user=user)}
    events = {}
    for n, (kind, day) in enumerate([("birth", dt.date(2005, 1, 12)), ("birth", dt.date(2005, 2, 3)),
                                     ("birth", dt.date(2005, 3, 30)), ("birth", dt.date(2005, 11, 2)),
                                     ("move_in", dt.date(2005, 6, 15)), ("move_in", dt.date(2005, 7, 1))]):
        p = Person.objects.create(name=f"测试{n}", sex=1, birth_date=day if kind == "birth" else dt.date(1980, 1, 1),
                                  registered_area_id=VILLAGE, resident_area_id=VILLAGE)
        events[(kind, day.month)] = Event.objects.create(kind=kind, subject=p, event_date=day, area_id=VILLAGE,
                                                         state="registered")

    def file(source, name, received):
        return FeedFile.objects.create(source=source, mapping=source.mapping(), name=name, sha256=name * 8,
                                       received_at=received)

    def record(source, f, key, kind, day, event=None):
        FeedRecord.objects.create(source=source, file=f, line=1, record_key=key, kind=kind, event_date=day,
                                  month=f"{day:%Y-%m}", area_id=VILLAGE, name="测试", event=event,
                                  status="auto_linked" if event else "not_found")

    ws = sources["weisheng-birth-notice"]
    jan, feb, late = (file(ws, "ws1", _aware(2005, 2, 5, 9)), file(ws, "ws2", _aware(2005, 3, 8, 9)),
                      file(ws, "ws3", _aware(2005, 12, 1, 9)))
    record(ws, jan, "BN1", "birth", dt.date(2005, 1, 12), events[("birth", 1)])
    record(ws, feb, "BN2", "birth", dt.date(2005, 2, 3), events[("birth", 2)])
    record(ws, late, "BN3", "birth", dt.date(2005, 3, 30), events[("birth", 3)])
    for m in range(4, 10):
        record(ws, late, f"BN{m}", "birth", dt.date(2005, m, 5))
    ga = sources["gongan-hukou"]
    year = file(ga, "ga1", _aware(2006, 1, 5, 9))
    for m in range(1, 13):
        record(ga, year, f"GA{m}", "move_in", dt.date(2005, m, 15), events[("move_in", 6)] if m == 6 else None)
    return sources


@pytest.fixture
def world(seed_areas, make_user):
    evaluator = make_user("kaohe", "evaluator", view=[seed_areas[COUNTY]])
    county = make_user("xian", "county_officer", capture=[seed_areas[COUNTY]])
    _feeds(county)
    scheme = services.import_scheme(user=evaluator, text=SCHEME)
    for unit, tasks, falsified in ((GONGAN, 90, 0), (WEISHENG, 72, 0), (TONGJI, 95, 1)):
        services.set_inspection_score(user=evaluator, scheme=scheme, unit=unit, sheet="tasks", value=tasks)
        services.set_inspection_score(user=evaluator, scheme=scheme, unit=unit, sheet="falsified", value=falsified)
    services.set_target(user=evaluator, scheme=scheme, unit=WEISHENG, item_code="T1", value=80)
    return {"evaluator": evaluator, "county": county, "scheme": scheme}


def test_the_code_table_seeds_the_county_departments_linked_to_their_feeds(world):
    deps = {d.slug: d for d in Department.objects.filter(county_id=COUNTY)}
    assert len(deps) == 8
    assert (deps["gongan"].code, deps["gongan"].name_zh, deps["gongan"].name_en) == (
        GONGAN, "公安局", "Public Security Bureau")
    assert {s: d.feeds_department for s, d in deps.items() if d.feeds_department} == {
        "gongan": "public_security", "minzheng": "civil_affairs", "weisheng": "health", "renshe": "insurance"}
    assert list(services.feed_sources_of(deps["weisheng"]).values_list("code", flat=True)) == ["weisheng-birth-notice"]
    assert not services.feed_sources_of(deps["tongji"]).exists()
    assert [u.code for u in services.scheme_units(world["scheme"])] == [GONGAN, WEISHENG, TONGJI]


def test_scheme_file_rules_for_departments():
    parsed = parse_scheme_text(SCHEME)
    assert (parsed.level, parsed.units.parent, parsed.units.level) == ("department", "520122", "department")
    bad = SCHEME.replace("{feeds: on_time}", "{indicator: cbr}").replace("{feeds: months_delivered}",
                                                                      "{feeds: months}")
    with pytest.raises(SchemeError) as err:
        parse_scheme_text(bad)
    assert any("item F3" in e and "cannot use source.indicator" in e for e in err.value.errors)
    assert any("item F1" in e and "source.feeds (months) must be one of" in e for e in err.value.errors)
    township = SCHEME.replace('units: {county: "520122", level: department', 'units: {parent: "520122", level: township')
    with pytest.raises(SchemeError) as err:
        parse_scheme_text(township.replace("level: department\n", "level: township\n"))
    assert any("source.feeds is for department schemes only" in e for e in err.value.errors)


def test_feed_figures_are_counted_from_the_feeds_records(world):
    from renkou.evaluation import sources

    ws, ga, tj = (Department.objects.get(code=c) for c in (WEISHENG, GONGAN, TONGJI))
    value, why = sources.feeds_measure(ws, "months_delivered", "2005")
    assert (value, why["numerator"], why["denominator"]) == (75, 9, 12)  # 9 of 12 months
    assert why["not_delivered"] == {"weisheng-birth-notice": ["2005-10", "2005-11", "2005-12"]}
    value, why = sources.feeds_measure(ws, "events_confirmed", "2005")
    assert (value, why["numerator"], why["denominator"]) == (75, 3, 4)
    value, why = sources.feeds_measure(ws, "on_time", "2005")
    assert (str(value), why["numerator"], why["delivered"]) == ("16.67", 2, 9)  # January and February
    assert why["late"] == {"weisheng-birth-notice": [f"2005-{m:02d}" for m in range(3, 10)]}
    assert sources.feeds_measure(ga, "months_delivered", "2005")[0] == 100
    assert sources.feeds_measure(ga, "events_confirmed", "2005")[0] == 50
    assert str(sources.feeds_measure(ga, "on_time", "2005")[0]) == "8.33"  # December only
    value, why = sources.feeds_measure(tj, "months_delivered", "2005")
    assert value is None and why["not_applicable"] is True


def test_departments_are_scored_ranked_vetoed_and_published(world):
    ev, scheme = world["evaluator"], world["scheme"]
    contract = services.sign_contract(user=ev, scheme=scheme, unit=GONGAN, signed_on=dt.date(2005, 1, 20),
                                      signatory="局长 王明")
    assert (contract.valid_from, contract.valid_to, contract.department_id) == (
        dt.date(2005, 1, 1), dt.date(2005, 12, 31), GONGAN)
    run = services.compute_run(user=ev, scheme=scheme)
    lines = {u.unit_key: u for u in services.ranking(run)}
    # 卫生局: F1 10·75 % = 7.5, F2 7.5, F3 10·16.67 % = 1.67, T1 20·72/80 = 18 → 34.67
    # 公安局: F1 10, F2 5, F3 10·8.33 % = 0.83, T1 20·0.9 = 18 → 33.83
    # 统计局: feeds items n/a; T1 20·0.95 = 19 converted over the 20 points that apply: 19·50/20 = 47.5; vetoed
    assert [(u.unit_key, str(u.total), u.rank, u.grade_code, u.vetoed) for u in services.ranking(run)] == [
        (WEISHENG, "34.67", 1, "pass", False), (GONGAN, "33.83", 2, "pass", False), (TONGJI, "47.50", 3, "veto", True)]
    items = {i.item_code: i for i in lines[TONGJI].items.all()}
    assert items["F1"].state == "n/a" and items["F1"].points is None and not lines[TONGJI].incomplete
    assert lines[TONGJI].warnings == [{"code": "admonition", "zh": "诫勉谈话", "en": "admonitory talk"}]
    assert (lines[WEISHENG].unit_name, lines[WEISHENG].unit_name_en) == ("卫生局", "Health Bureau")
    assert {i.item_code: str(i.points) for i in lines[GONGAN].items.all()} == {
        "F1": "10.00", "F2": "5.00", "F3": "0.83", "T1": "18.00", "V1": "0.00"}

    published = services.publish_run(user=ev, run=run)
    assert services.verify_run(published)
    with pytest.raises(FrozenError):
        UnitResult.objects.filter(run=published).update(total=99)
    line = UnitResult.objects.get(run=published, department_id=GONGAN)
    line.total = 1
    with pytest.raises(FrozenError):
        line.save()
    # reproducible: the same inputs give the same content (all but the version number)
    again = services.compute_run(user=ev, scheme=scheme)
    a, b = services.run_content(again), services.run_content(published)
    assert (a.pop("version"), b.pop("version")) == (2, 1) and a == b
    assert services.content_hash(published) == published.content_hash


def test_a_department_appeal_gives_a_new_version(world):
    ev, scheme = world["evaluator"], world["scheme"]
    run = services.publish_run(user=ev, run=services.compute_run(user=ev, scheme=scheme))
    appeal = services.file_appeal(user=ev, run=run, unit=GONGAN, item_code="T1", reason="任务已全部完成",
                                  claimed_value=100)
    appeal = services.decide_appeal(user=ev, appeal=appeal, accept=True)
    new = {u.unit_key: u for u in services.ranking(appeal.new_run)}
    # 公安局 T1 20 → 35.83, now first
    assert (str(new[GONGAN].total), new[GONGAN].rank, new[WEISHENG].rank) == ("35.83", 1, 2)
    assert new[GONGAN].unit_name_en == "Public Security Bureau"
    assert [c.unit for c in services.run_diff(run, appeal.new_run)] == [GONGAN, WEISHENG]


def test_evaluate_command_prints_the_departments(world, tmp_path):
    path = tmp_path / "departments.yaml"
    path.write_text(SCHEME, encoding="utf-8")
    out = io.StringIO()
    call_command("evaluate", "--scheme", str(path), "--format", "json", "--publish", stdout=out, stderr=io.StringIO())
    rows = json.loads(out.getvalue())
    assert [(r["code"], r["name"], r["name_en"], r["total"], r["rank"], r["grade"], r["veto"]) for r in rows] == [
        (WEISHENG, "卫生局", "Health Bureau", 34.67, 1, "pass", False),
        (GONGAN, "公安局", "Public Security Bureau", 33.83, 2, "pass", False),
        (TONGJI, "统计局", "Statistics Bureau", 47.5, 3, "veto", True)]
    assert rows[2]["items"] == {"F1": None, "F2": None, "F3": None, "T1": 19.0, "V1": 0.0}
    table = io.StringIO()
    call_command("evaluate", "--scheme", str(path), stdout=table, stderr=io.StringIO())
    assert table.getvalue().splitlines()[1].split("\t")[:6] == ["1", WEISHENG, "卫生局", "34.67", "pass", "false"]


def test_departments_page_and_run_pages_name_departments_in_words(world, client):
    ev, scheme = world["evaluator"], world["scheme"]
    run = services.publish_run(user=ev, run=services.compute_run(user=ev, scheme=scheme))
    services.sign_contract(user=ev, scheme=scheme, unit=GONGAN, signed_on=dt.date(2005, 1, 20))
    from django.conf import settings

    client.force_login(ev)

    def get(url, lang):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        return client.get(url).content.decode()

    page = get("/evaluation/departments/520122/", "en")
    assert "Health Bureau" in page and "34.67" in page and "Women's Federation" in page.replace("&#x27;", "'")
    assert page.index("Health Bureau") < page.index("Public Security Bureau") < page.index("Statistics Bureau")
    zh = get("/evaluation/departments/520122/", "zh-hans")
    assert "卫生局" in zh and "Health Bureau" not in zh
    run_page = get(f"/evaluation/runs/{run.pk}/", "en")
    assert "Public Security Bureau" in run_page and "公安局" not in run_page
    card = get(f"/evaluation/runs/{run.pk}/units/{TONGJI}/", "en")
    assert "Statistics Bureau" in card and "does not apply to this unit" in card
    contract = get(f"/evaluation/schemes/{scheme.pk}/contract/{GONGAN}/", "zh-hans")
    assert "公安局" in contract and "2005年1月20日" in contract
    assert client.get("/evaluation/departments/542526/").status_code == 404  # Gaize: outside her areas


def test_the_demo_assesses_the_shipped_department_scheme(world, make_user):
    from types import SimpleNamespace

    from renkou.evaluation import demo
    from renkou.evaluation.models import AssessmentScheme, Contract

    make_user("root", superuser=True)
    ctx = SimpleNamespace(results={"520122": None}, seed=7, notes=[])
    demo.assess_departments(ctx, lambda label: (lambda done, total: None))
    run = services.latest_published(AssessmentScheme.objects.get(code="xifeng-department-2005"))
    lines = {u.unit_key: u for u in services.ranking(run)}
    assert len(lines) == 8 and sorted(u.rank for u in lines.values()) == list(range(1, 9))
    assert Contract.objects.filter(scheme=run.scheme).count() == 8
    # 公安局 delivered every month of 2005: A1 = 15 × (100 − 50) / 50 = 15; it confirms 1 of the 2 move-ins:
    # A2 = 15 × (50 − 60) / 35 → 0
    gongan = {i.item_code: i for i in lines[GONGAN].items.all()}
    assert (str(gongan["A1"].value), str(gongan["A1"].points), str(gongan["A2"].points)) == ("100.000000", "15.00",
                                                                                             "0.00")
    fulian = {i.item_code: i.state for i in lines["520122-fulian"].items.all()}
    assert (fulian["A1"], fulian["A2"], fulian["A3"]) == ("n/a", "n/a", "scored")
    assert ctx.notes[-1].endswith("/evaluation/departments/520122/")

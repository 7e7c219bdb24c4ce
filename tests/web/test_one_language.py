"""Every page in one language: each URL pattern of the site, filled in from a small register, is read
in Chinese and in English; the visible text of the Chinese page has no English words outside a short
list of codes and units, and the English page no Chinese outside the names of places and persons.

The patterns are listed from the URL resolver, so a new page joins the walk by itself; a pattern
with parameters must be given them in ``ARGUMENTS`` (the test says which one is missing). The pages with
a Tibetan translation (``TIBETAN_PAGES``) are read in Tibetan too: no Chinese outside names and data, no
English words (tests/web/test_tibetan.py checks the rest of the Tibetan rule).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from tests.evaluation.conftest import SMALL_SCHEME, enter_scores
from tests.registry.conftest import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_C, id_for

from renkou.core.idnumber import check_character

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
WORD = re.compile(r"[A-Za-z]{3,}")

# Tokens a Chinese page legitimately shows in Latin letters: file formats, standards, method names
# and abbreviations statisticians use as they are, units, the brand and the language switch.
ZH_ALLOWED = {
    "ID", "XLSX", "CSV", "PDF", "JPEG", "PNG", "API", "ADX", "JSON", "YAML", "TFR", "GFR", "ASFR", "SRB", "CBR", "CDR", "AHP",
    "TOPSIS", "PAR", "SVG", "UTF", "GBK", "GB", "SHA", "Renkou", "English", "Vega", "Lite", "NBS",
    "km", "min", "max", "OpenAPI", "SQL", "ISO", "Kendall",
}

# Pages that are not pages of the site for people: the API (JSON, OpenAPI), Django's admin (system
# administrators), language switch and sign-out (POST only), health probe (JSON).
SKIPPED_PREFIXES = ("admin/", "api/")
SKIPPED_NAMES = {"set_language", "logout", "healthz"}


SKIPPED_TAGS = ("script", "style", "textarea", "code")


class _Text(HTMLParser):
    """Visible text of a page: character data outside script/style, and the attributes a reader sees."""

    SEEN_ATTRS = ("title", "placeholder", "alt", "aria-label")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        # a textarea holds what the reader is editing (a scheme file), <code> what one types or a digest:
        # neither is the page's own words
        if tag in SKIPPED_TAGS:
            self._skip += 1
        a = dict(attrs)
        for name in self.SEEN_ATTRS:
            if a.get(name):
                self.parts.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def english_leaks(text: str, allowed: set[str]) -> list[str]:
    """ASCII words of 3+ letters on a Chinese page that are neither allowed tokens nor names."""
    return sorted({w for w in WORD.findall(text) if w not in allowed and w.upper() not in allowed})


def chinese_leaks(text: str, names: set[str]) -> list[str]:
    """Runs of Chinese characters on an English page, once the names of places and persons are removed."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return sorted(set(CJK.findall(text)))


def test_the_leak_finders_see_what_they_should():
    html = ('<p title="出生率">Births <b>2005</b></p><script>var x = "中文";</script><style>p{color:red}</style>'
            '<input type="submit" value="Search">红岩村 ID 12')
    text = visible_text(html)
    assert "var" not in text and "color" not in text
    assert english_leaks(text, ZH_ALLOWED) == ["Births", "Search"]
    assert chinese_leaks(text, {"红岩村"}) == ["出生率"]


def url_patterns(resolvers=None, prefix=""):
    """(route, name) of every URL pattern of the site, namespaced names as ``ns:name``."""
    out = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(SKIPPED_PREFIXES):
                continue
            ns = entry.namespace
            for sub_route, sub_name in url_patterns(entry.url_patterns, route):
                out.append((sub_route, f"{ns}:{sub_name}" if ns and sub_name else sub_name))
        elif isinstance(entry, URLPattern):
            out.append((route, entry.name))
    return out


def _dataset(seed_areas, make_user):
    """A small register in Xifeng: a couple with a child born in 2005, a death, a household, a declared
    birth, a probable duplicate, indicator values of 2005, an assessment run published and appealed, a sample."""
    from renkou.evaluation import services as ev
    from renkou.indicators import services as ind
    from renkou.indicators.models import IndicatorValue
    from renkou.registry import services as reg
    from renkou.registry.models import DuplicateCandidate, Event, Person

    a = seed_areas
    county = make_user("xian", "county_officer", capture=[a[COUNTY]])
    auditor = make_user("shenji", "auditor", view=[a[COUNTY]])
    evaluator = make_user("kaohe", "evaluator", view=[a[COUNTY]])

    mother = reg.create_person(user=county, name="李秀英", sex=2, birth_date=dt.date(1980, 3, 10),
                               marital_status="21", ethnicity="01", id_number=id_for(dt.date(1980, 3, 10), 42),
                               registered_area=VILLAGE_A)
    father = reg.create_person(user=county, name="王建国", sex=1, birth_date=dt.date(1978, 7, 1),
                               marital_status="21", id_number=id_for(dt.date(1978, 7, 1), 31),
                               registered_area=VILLAGE_A)
    Person.objects.filter(pk__in=[mother.pk, father.pk]).update(spouse=None)
    Person.objects.filter(pk=mother.pk).update(spouse=father)
    Person.objects.filter(pk=father.pk).update(spouse=mother)
    other = reg.create_person(user=county, name="赵敏", sex=2, birth_date=dt.date(1950, 5, 5),
                              registered_area=VILLAGE_C)
    twin = reg.create_person(user=county, name="赵敏", sex=2, birth_date=dt.date(1950, 5, 5),
                             registered_area=VILLAGE_C)
    household = reg.create_household(user=county, number="520122100201001", area=VILLAGE_A)
    reg.add_member(user=county, household=household, person=mother, relation="02")
    reg.add_member(user=county, household=household, person=father, relation="10")
    mother.refresh_from_db()
    birth = reg.declare_event(user=county, kind="birth", event_date=dt.date(2005, 3, 1),
                              registration_date=dt.date(2005, 3, 10), area=VILLAGE_A, mother=mother, father=father,
                              birth_order=1, plurality=1, delivery_place="hospital",
                              child={"name": "王小明", "sex": 1})
    reg.verify_event(user=county, event=birth)
    reg.register_event(user=county, event=birth)
    declared = reg.declare_event(user=county, kind="birth", event_date=dt.date(2005, 8, 1),
                                 registration_date=dt.date(2005, 8, 2), area=VILLAGE_C, mother=twin,
                                 birth_order=1, plurality=1, delivery_place="home",
                                 child={"name": "赵小红", "sex": 2})
    death = reg.declare_event(user=county, kind="death", event_date=dt.date(2005, 6, 1),
                              registration_date=dt.date(2005, 6, 5), area=VILLAGE_C, subject=other)
    if not DuplicateCandidate.objects.exists():
        DuplicateCandidate.objects.create(area_id=VILLAGE_C, person_a=other, person_b=twin, score=0.95,
                                          reasons=["name", "birth_date"])
    ind.load_catalog()
    ind.compute(COUNTY, "2005", level=4)
    ind.compute(COUNTY, "2005SY", level=4)
    value = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")

    small = ev.import_scheme(user=evaluator, text=SMALL_SCHEME)
    enter_scores(small, evaluator, {("520122102000", "falsified"): 1})
    run = ev.compute_run(user=evaluator, scheme=small)
    run = ev.publish_run(user=evaluator, run=run)
    from renkou.evaluation.demo import demo_scheme_text

    township = ev.import_scheme(user=evaluator, text=demo_scheme_text("520122"))
    from renkou.evaluation.demo import demo_department_scheme_text

    departments = ev.import_scheme(user=evaluator, text=demo_department_scheme_text("520122"))
    department_run = ev.publish_run(user=evaluator, run=ev.compute_run(user=evaluator, scheme=departments))
    township_run = ev.compute_run(user=evaluator, scheme=township)
    appeal = ev.file_appeal(user=evaluator, run=run, unit=TOWNSHIP, item_code="A2", reason="两份报表漏计",
                            claimed_value=Decimal(100))
    sample = ev.draw_sample(user=evaluator, scheme=small, households_per_unit=1, seed=7)
    benefits = _benefits(seed_areas, make_user, county)
    loan = _loan(mother)
    feeds = _feeds(county, mother)
    bureau = _bureau(county)
    migrants = _migrants(county)
    enquiry = _exchange(county, mother)
    return {
        "users": {"county": county, "auditor": auditor, "evaluator": evaluator},
        "accounts": [county, auditor, evaluator, *benefits["accounts"]],  # every account named on a page
        "kwargs": {
            "area": {"code": COUNTY},
            "registry:person": {"pk": mother.pk},
            "registry:record-service": {"pk": mother.pk},
            "registry:household": {"pk": household.pk},
            "registry:event": {"pk": birth.pk},
            "registry:correct-event": {"pk": declared.pk},
            "registry:declare-event": {"kind": "death"},
            "registry:duplicate": {"pk": DuplicateCandidate.objects.first().pk},
            "indicators:value": {"pk": value.pk},
            "indicators:records": {"pk": value.pk, "index": 0},
            "evaluation:scheme": {"pk": township.pk},
            "evaluation:scheme-edit": {"pk": township.pk},
            "evaluation:scheme-export": {"pk": township.pk, "fmt": "yaml"},
            "evaluation:targets": {"pk": township.pk},
            "evaluation:contract": {"pk": township.pk, "unit": TOWNSHIP[:9]},
            "evaluation:inspections": {"pk": township.pk},
            "evaluation:compute": {"pk": township.pk},
            "evaluation:sample-new": {"pk": small.pk},
            "evaluation:run": {"pk": run.pk},
            "evaluation:publish": {"pk": township_run.pk},
            "evaluation:run-delete": {"pk": township_run.pk},
            "evaluation:run-xlsx": {"pk": run.pk},
            "evaluation:methods": {"pk": run.pk},
            "evaluation:appeal": {"pk": run.pk},
            "evaluation:scorecard": {"pk": township_run.pk, "unit": TOWNSHIP[:9]},
            "evaluation:appeal-decide": {"pk": appeal.pk},
            "evaluation:sample": {"pk": sample.pk},
            "evaluation:field-sheet": {"pk": sample.pk, "unit": TOWNSHIP[:9]},
            "evaluation:departments": {"county": COUNTY[:6]},
            "demography:area": {"code": COUNTY[:6]},
            "audit-detail": {"pk": None},  # filled in below: an audit event of the register
            "benefits:program": {"code": benefits["cycle"].program.code},
            "benefits:cycle": {"pk": benefits["cycle"].pk},
            "benefits:budget": {"pk": benefits["cycle"].pk},
            "benefits:issue": {"pk": benefits["cycle"].pk},
            "benefits:verification": {"pk": benefits["cycle"].pk},
            "benefits:notice": {"pk": benefits["list"].pk},
            "benefits:objection": {"pk": benefits["list"].pk},
            "benefits:transition": {"pk": benefits["noticed"].pk, "action": "approve"},
            "benefits:resolve": {"pk": benefits["objection"].pk},
            "benefits:batch": {"pk": benefits["batch"].pk},
            "benefits:send": {"pk": benefits["batch"].pk},
            "benefits:batch-file": {"pk": benefits["batch"].pk, "fmt": "csv"},
            "loans:loan": {"pk": loan.pk},
            "loans:agreement": {"pk": loan.pk},
            "loans:step": {"pk": loan.pk, "action": "collect"},
            "feeds:source": {"pk": feeds["source"].pk},
            "feeds:upload": {"pk": feeds["source"].pk},
            "feeds:link": {"pk": feeds["source"].pk},
            "feeds:file": {"pk": feeds["file"].pk},
            "feeds:record": {"pk": feeds["record"].pk},
            "feeds:decide": {"pk": feeds["record"].pk},
            "bureau:register": {"key": "events"},
            "bureau:register-new": {"key": "events"},
            "bureau:register-edit": {"key": "events", "pk": bureau["event"].pk},
            "bureau:register-export": {"key": "events"},
            "bureau:event-photo-upload": {"pk": bureau["event"].pk},
            "bureau:event-photo": {"pk": 999_999},  # none: the page that says so
            "migrants:list": {"which": "unconfirmed"},
            "migrants:list-export": {"which": "unconfirmed"},
            "migrants:record": {"pk": migrants["record"].pk},
            "migrants:transition": {"pk": migrants["record"].pk},
            "migrants:agreement": {"pk": migrants["agreement"].pk},
            "exchange:enquiry": {"uid": enquiry},
            "exchange:answer": {"uid": enquiry},
        },
        # Extra pages worth reading with a query string: other groups of the value table, other views.
        "extra": [f"/evaluation/runs/{department_run.pk}/", f"/evaluation/runs/{department_run.pk}/units/520122-gongan/",
                  f"/evaluation/schemes/{departments.pk}/contract/520122-gongan/",
                  f"/evaluation/schemes/{departments.pk}/targets/","/indicators/?area=520122&period=2005&group=fertility",
                  "/indicators/?area=520122&period=2005SY&group=births",
                  "/indicators/?area=520122&period=200503&group=aggregate",
                  f"/evaluation/runs/{township_run.pk}/", f"/evaluation/schemes/{small.pk}/",
                  f"/registry/persons/{twin.pk}/", f"/registry/events/{death.pk}/",
                  f"/registry/events/{declared.pk}/", f"/registry/checks/?area={TOWNSHIP}",
                  "/registry/queue/events/?state=registered", "/idnumber/?number=" + id_for(dt.date(1980, 3, 10), 42),
                  "/demography/area/520122100/", "/no-such-page/",
                  # the list in its public notice with an open objection, the cycle in its notice, the
                  # ledger of the program with an account's statement
                  f"/benefits/lists/{benefits['noticed'].pk}/notice/",
                  f"/benefits/cycles/{benefits['noticed'].cycle_id}/",
                  f"/benefits/ledger/?program={benefits['cycle'].program.code}&area={COUNTY}",
                  f"/benefits/ledger/?program={benefits['cycle'].program.code}&area={COUNTY}&account="
                  + benefits["account"],
                  # the fund of the county as of a day with the loan out; the collection sheet of its village
                  f"/loans/?area={COUNTY[:6]}&as_of=2006-12-31",
                  f"/loans/sheet/?village={loan.village_id}&date=2006-12-31",
                  # the queue's other list, completeness of 2005 with its charts
                  "/feeds/queue/?status=not_found", "/feeds/completeness/?area=520122&period=2005",
                  # every register of the bureau, its list of 2005, a blank form and a record's form
                  *bureau["pages"],
                  # the migrants of December 2005 with their chart, each list, a migrant who left
                  "/migrants/?month=2005-12", "/migrants/lists/arrivals/?month=2005-12",
                  "/migrants/lists/overdue/?month=2005-12", "/migrants/lists/reconfirm/?month=2005-12",
                  f"/migrants/records/{migrants['left'].pk}/", "/migrants/agreements/?state=in_force",
                  # a new enquiry about the mother; the list of urgent enquiries
                  f"/exchange/enquiries/new/?person={mother.pk}", f"/exchange/enquiries/new/?q={mother.name}",
                  "/exchange/enquiries/?urgent=yes&state=opened"],
        "event": Event,
    }


def _benefits(seed_areas, make_user, county):
    """Xifeng's premium for one-child households: 2007 approved after its notice (an objection dismissed)
    and paid in one batch, sampled for verification; 2008 in its public notice with an open objection."""
    import datetime as dt

    from renkou.benefits import services as benefits
    from renkou.benefits.models import Program

    a = seed_areas
    village = make_user("cun", "village_officer", capture=[a[VILLAGE_A]])
    township = make_user("xiang", "township_officer", capture=[a[TOWNSHIP]])
    day = dt.date(2008, 1, 10)
    benefits.install_shipped_programs()
    program = Program.objects.get(code="xifeng-ncms-premium")
    benefits.allocate_budget(county, program, COUNTY, "1000", note="县财政", today=day)
    cycle = benefits.compute_cycle(county, program, COUNTY, "2007")
    roster_list = cycle.lists.get(village_id=VILLAGE_A)
    benefits.transition(village, roster_list, "propose", today=day)
    benefits.transition(township, roster_list, "review", today=day)
    dismissed = benefits.record_objection(village, roster_list, raised_by="村民 张三", text="该户子女数需核对",
                                          today=day)
    benefits.resolve_objection(township, dismissed, upheld=False, resolution="经核实，该户只有一个孩子", today=day)
    benefits.transition(county, roster_list, "approve", today=day + dt.timedelta(days=7))
    batch = benefits.issue_batch(county, cycle, idempotency_key="one-language", today=day)
    benefits.draw_verification(county, cycle, size=1, seed=1)
    noticed = benefits.compute_cycle(county, program, COUNTY, "2008").lists.get(village_id=VILLAGE_A)
    benefits.transition(village, noticed, "propose", today=dt.date.today())
    benefits.transition(township, noticed, "review", today=dt.date.today())
    objection = benefits.record_objection(village, noticed, raised_by="村民 李四", text="该户已迁出本村",
                                          today=dt.date.today())
    account = benefits.accounts(program, cycle.area)["budget"].code
    return {"cycle": cycle, "list": roster_list, "batch": batch, "noticed": noticed, "objection": objection,
            "account": account, "accounts": [village, township]}


def _loan(mother):
    """A 幸福工程 loan to the mother, through every step, collected once and evaluated once."""
    from renkou.loans import services as loans

    fund = loans.open_fund("one-language", COUNTY[:6], "息烽幸福工程", "Xifeng Happiness Project")
    loans.add_capital(fund, 20_000_00, source="donation", donor="基金会", on=dt.date(2006, 1, 2))
    rnd = loans.open_round(fund, 1, dt.date(2006, 2, 1))
    loan = loans.propose(fund=fund, round=rnd, person=mother, amount_fen=6_000_00, project="养鸡",
                         household_income_fen=1_000_00, village_average_income_fen=3_000_00,
                         listed_from=dt.date(2006, 2, 1), listed_to=dt.date(2006, 2, 10), proposed_on=dt.date(2006, 2, 12))
    loans.review(loan, on=dt.date(2006, 2, 15))
    for n in (1, 2):
        loans.record_visit(loan, number=n, visited_on=dt.date(2006, 2, 16 + n), visitor="项目办", has_plan=True,
                           willing_to_work=True, income_below_average=True, able_to_repay=True)
    loans.approve(loan, on=dt.date(2006, 3, 1), decision="组委会1号")
    loans.sign(loan, on=dt.date(2006, 3, 5), signatures={"committee": "组委会", "office": "项目办", "township": "乡镇",
                                                         "guarantor": "村委会", "mother": mother.name})
    loans.disburse(loan, on=dt.date(2006, 3, 10), received_by=mother.name)
    loans.collect(loan, on=dt.date(2006, 9, 10), amount_fen=1_500_00, idempotency_key="one-language", collector="乡计生办")
    loans.evaluate(loan, kind="six_months", visited_on=dt.date(2006, 9, 12), evaluator="评估员", income_generated_fen=800_00,
                   progress="鸡已出栏", out_of_poverty=False)
    return loan
def _feeds(county, mother):
    """Xifeng's hospital birth notices: one file, one record naming 李秀英 in the queue with her as the
    candidate, one not in the register."""
    from renkou.feeds import services as feeds
    from renkou.feeds.models import Candidate, FeedFile, FeedRecord

    source = {s.code: s for s in feeds.install_shipped_sources(COUNTY, user=county)}["weisheng-birth-notice"]
    f = FeedFile.objects.create(source=source, mapping=source.mapping(), name="bn-2005-03.csv", sha256="1" * 64,
                                rows=2, records=2)
    record = FeedRecord.objects.create(source=source, file=f, line=2, record_key="BN1", kind="birth",
                                       event_date=dt.date(2005, 3, 1), month="2005-03", area_id=VILLAGE_A,
                                       name="王小明", sex=1, birth_date=dt.date(2005, 3, 1), mother_name="李秀英",
                                       status="queued", match_weight=8.5, data={"出生医学证明编号": "BN1"},
                                       reason="登记库中无此人的该事件 / the register has no such event of the person")
    Candidate.objects.create(record=record, person=mother, match_weight=8.5, match_probability=0.9,
                             levels={"name": 1, "sex": 5, "birth_date": 4, "area": 1, "mother": 0, "father": 0},
                             weights={"name": 9.1, "sex": -5.0, "birth_date": 0.5, "area": 5.3})
    FeedRecord.objects.create(source=source, file=f, line=3, record_key="BN2", kind="birth",
                              event_date=dt.date(2005, 4, 1), month="2005-04", area_id=VILLAGE_A, name="王建国",
                              sex=1, mother_name="李秀英", status="not_found")
    return {"source": source, "file": f, "record": record}


def _bureau(county):
    """A record in each register of the bureau's own work in Xifeng, 2005."""
    from renkou.bureau import registers, services

    line = services.fund_line(COUNTY, 2005, "per_head", "人头经费")
    services.allocate(line, 100_000_00, on=dt.date(2005, 1, 10))
    services.spend(line, 25_000_00, on=dt.date(2005, 2, 1), payee="县服务站")
    staff = services.add_staff(area=TOWNSHIP, kind="full_time", name="张专干", started_on=dt.date(2004, 1, 1),
                               qualified=True, qualification="计生专干资格")
    branch = services.branch(TOWNSHIP, "永靖镇计生协会", dt.date(2001, 5, 1))
    member = services.add_member(branch, "陈志愿", dt.date(2003, 1, 1), volunteer=True)
    charter = services.charter(VILLAGE_A, adopted_on=dt.date(2004, 3, 1), self_governing=True,
                               model_since=dt.date(2005, 1, 1), model_reason="村民自治示范")
    event = services.record_event(area=TOWNSHIP, kind="publicity", held_on=dt.date(2005, 3, 8), place="镇文化站",
                                  reached=320, campaign="care_for_girls", audience="育龄妇女")
    van = services.facility(COUNTY, "mobile", "流动服务车", location="县城")
    trip = services.trip(van, area=TOWNSHIP, on=dt.date(2005, 4, 1), km=86, purpose="下乡服务")
    camp = services.screening_campaign(COUNTY, "妇科普查", dt.date(2005, 3, 1))
    record = services.screen(camp, area=VILLAGE_A, number="1", examined_on=dt.date(2005, 3, 2), consent=True,
                             outcome="cured")
    station = services.facility(TOWNSHIP, "township_station", "镇服务所")
    movement = services.receive(station, "避孕套", 100, on=dt.date(2005, 1, 5))
    services.issue(station, "避孕套", 40, on=dt.date(2005, 2, 5))
    pks = {"funds": line, "staff": staff, "branches": branch, "members": member, "charters": charter,
           "events": event, "facilities": van, "trips": trip, "campaigns": camp, "screenings": record,
           "supplies": movement}
    pages = [p for key in registers.REGISTERS for p in (
        f"/bureau/registers/{key}/?year=2005", f"/bureau/registers/{key}/new/",
        f"/bureau/registers/{key}/{pks[key].pk}/")]
    return {"event": event, "pages": pages}
def _migrants(county):
    """Two inflow migrants of 红岩村 registered in 任丘市: one unconfirmed since December 2005 with her
    landlord's agreement, one confirmed and gone, with a service received here."""
    from renkou.migrants import services as migrants
    from renkou.migrants.models import Agreement, Party
    from renkou.registry.models import Person, ServiceRecord

    def person(name, born, seq, arrived, state):
        body = f"130982{born:%Y%m%d}{seq:03d}"
        return Person.objects.create(name=name, sex=2, birth_date=born, marital_status="20",
                                     id_number=body + check_character(body), home_code="130982100000",
                                     resident_area_id=VILLAGE_A, migrant_status=state, entry_date=arrived)

    stays = person("周梅", dt.date(1988, 6, 1), 2, dt.date(2005, 12, 20), "unconfirmed")
    goes = person("孙丽", dt.date(1985, 6, 1), 4, dt.date(2005, 3, 1), "unconfirmed")
    migrants.build_records(COUNTY)
    record, gone = stays.migrant_records.get(), goes.migrant_records.get()
    migrants.register_inflow(user=county, record=gone, reason="上门核实")
    migrants.record_departure(user=county, record=gone, on=dt.date(2005, 11, 2), reason="返乡")
    ServiceRecord.objects.create(person=goes, type="reproductive_health_check", date=dt.date(2005, 6, 1),
                                 provider="乡服务站", area_id=VILLAGE_A)
    party = Party.objects.create(name="红岩村房东", kind="landlord", contact="13800000000", area_id=VILLAGE_A)
    type(record).objects.filter(pk=record.pk).update(party=party)
    agreement = Agreement.objects.create(number="XF-2005-001", party=party, area_id=VILLAGE_A,
                                         start=dt.date(2005, 1, 1), end=dt.date(2099, 12, 31),
                                         party_provides="及时报告租户到达和离开", bureau_provides="免费生殖健康检查")
    agreement.migrants.set([record])
    return {"record": record, "left": gone, "agreement": agreement}
def _exchange(county, mother):
    """This node is Xifeng's; an urgent enquiry about the mother sent to Renqiu's node (her registration
    area named there)."""
    from django.db import transaction

    from renkou.exchange import services, signing

    services.init_node("xifeng", "息烽县", prefixes=["520122"])
    services.set_peer("renqiu", name="任丘市", url="http://127.0.0.1:1",
                      public_key=signing.public_text(signing.new_private_key()), prefixes=["130982"])
    with transaction.atomic():
        msg = services.send("enquiry", area_code="130982100000", person=mother, user=county, urgent=True,
                            payload={"id_number": mother.id_number, "name": mother.name, "sex": 2,
                                     "birth_date": mother.birth_date.isoformat(),
                                     "asks": ["registered", "marital_status"], "reason": "办理生育服务"})
    return msg.uid


def _fill(route: str, kwargs: dict) -> str:
    def sub(m):
        return str(kwargs[m.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", sub, route)


def _names(seed_areas, users) -> set[str]:
    from renkou.benefits.models import Fund
    from renkou.registry.models import Person

    names = {a.name for a in seed_areas.values()} | set(Person.objects.values_list("name", flat=True))
    # a fund and its bank are named as the bank knows them (the account holder of a payment)
    institutions = {t for row in Fund.objects.values_list("name_zh", "bank_name") for t in row if t}
    return names | institutions | {"中文"} | {str(u) for u in users} | _recorded(users)


def _recorded(users) -> set[str]:
    """Texts of the dataset that are data, not the page's words: what users wrote (an appeal's grounds)."""
    from renkou.benefits.models import Objection, Program
    from renkou.evaluation.models import Appeal
    from renkou.ledger.models import Transaction

    objections = Objection.objects.values_list("raised_by", "text", "resolution")
    # a program's legal basis is quoted from the document as it was issued
    quoted = set(Program.objects.exclude(basis="").values_list("basis", flat=True))
    notes = set(Transaction.objects.filter(kind="allocate").exclude(description="").values_list("description",
                                                                                                 flat=True))
    from renkou.loans.models import Collection, Evaluation, HomeVisit, Loan

    # a loan's project, decision and signatures, its visits, collections and evaluations, as written
    loans = {t for row in Loan.objects.values_list("project", "decision", "received_by") for t in row if t}
    loans |= {name for sigs in Loan.objects.values_list("signatures", flat=True) for name in sigs.values()}
    loans |= set(HomeVisit.objects.values_list("visitor", flat=True)) | set(
        Collection.objects.exclude(collector="").values_list("collector", flat=True))
    loans |= {t for row in Evaluation.objects.values_list("evaluator", "progress") for t in row}
    from renkou.bureau import models as bureau

    # the bureau's records as written: names, places, items, reasons
    written = [(bureau.FundLine, "name"), (bureau.StaffPost, "name", "qualification"),
               (bureau.AssociationBranch, "name"), (bureau.AssociationMember, "name"),
               (bureau.VillageCharter, "model_reason"), (bureau.Event, "place", "audience"),
               (bureau.Facility, "name", "location"), (bureau.VehicleTrip, "purpose"),
               (bureau.ScreeningCampaign, "name"), (bureau.SupplyMovement, "item")]
    records = {t for model, *fields in written for row in model.objects.values_list(*fields) for t in row if t}
    from renkou.migrants.models import Agreement, Party, Transition

    # a landlord's or employer's name, what an agreement says each side provides, why a state changed
    loans |= set(Party.objects.values_list("name", flat=True)) | set(Transition.objects.values_list("reason", flat=True))
    loans |= {line for row in Agreement.objects.values_list("party_provides", "bureau_provides") for text in row
              for line in text.splitlines() if line}
    from renkou.registry.models import ServiceRecord

    loans |= set(ServiceRecord.objects.values_list("provider", flat=True))
    from renkou.exchange.models import Message

    # what an exchange message carried, as its sender wrote it
    loans |= {m[k] for m in Message.objects.values_list("payload", flat=True) for k in ("reason", "note") if m.get(k)}
    return (set(Appeal.objects.values_list("reason", flat=True)) | {t for row in objections for t in row if t}
            | quoted | notes | loans | records)


def _audit_reprs() -> set[str]:
    """How the audit log named each object when it recorded the event: history, shown as recorded (on
    the audit pages only)."""
    from renkou.core.audit_query import mask_repr
    from renkou.core.models import AuditEvent

    recorded = AuditEvent.objects.exclude(object_repr="").values_list("object_type", "object_repr")
    return {text for kind, repr_ in recorded for text in (repr_, mask_repr(kind, repr_))}  # listed masked


def _latin_names(users) -> set[str]:
    """Words of the persons' names in pinyin (shown beside the name), of the account names and of the
    recorded texts."""
    from renkou.registry.models import Person

    texts = list(Person.objects.values_list("name_pinyin", flat=True)) + list(_recorded(users))
    return {w for text in texts for w in WORD.findall(text or "")} | {str(u) for u in users}


@pytest.mark.django_db
def test_every_page_is_wholly_in_the_language_of_the_reader(client, seed_areas, make_user, monkeypatch, tmp_path):
    from renkou.core.models import AuditEvent

    monkeypatch.setattr(settings, "HOME", tmp_path / "home")  # the exchange node's key

    data = _dataset(seed_areas, make_user)
    kwargs = data["kwargs"]
    kwargs["audit-detail"]["pk"] = AuditEvent.objects.filter(action="update").order_by("pk").last().pk
    urls, missing = [], []
    for route, name in url_patterns():
        if name in SKIPPED_NAMES:
            continue
        if "<" in route:
            if name not in kwargs:
                missing.append(f"{name} ({route})")
                continue
            urls.append(_fill(route, kwargs[name]))
        else:
            urls.append("/" + route)
    assert not missing, f"give the walk parameters for: {missing}"
    urls += data["extra"]
    assert len(urls) > 40

    names = _names(seed_areas, data["accounts"])
    from tests.web.test_tibetan import tibetan_names

    from renkou.core.languages import TIBETAN_PAGES, page_name

    bo_names = names | tibetan_names()
    allowed = ZH_ALLOWED | _latin_names(data["accounts"])
    reprs = _audit_reprs()
    audit_names, audit_allowed = names | reprs, allowed | {w for text in reprs for w in WORD.findall(text)}
    problems: dict[str, list[str]] = {}
    read = 0
    for role, user in data["users"].items():
        client.force_login(user)
        for lang in ("zh-hans", "en", "bo"):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
            for url in urls:
                if url.startswith("/audit") and role != "auditor":
                    continue
                if lang == "bo" and page_name(url.split("?")[0]) not in TIBETAN_PAGES:
                    continue  # read in zh-Hans (tests/web/test_tibetan.py)
                response = client.get(url)
                if response.status_code in (301, 302, 405) or "html" not in response.get("Content-Type", ""):
                    continue
                html = b"".join(response).decode() if response.streaming else response.content.decode()
                if f"<html lang=\"{lang}\">" not in html:
                    problems[f"{lang} {role} {url} [{response.status_code}]"] = ["not a page of the site"]
                    continue
                read += 1
                text = visible_text(html)
                # the audit pages, and the auditor's task list of recent entries, name objects as recorded
                on_audit = url.startswith("/audit") or (role == "auditor" and url == "/")
                if lang == "bo":
                    leaks = english_leaks(text, allowed) + chinese_leaks(text, bo_names)
                else:
                    leaks = (english_leaks(text, audit_allowed if on_audit else allowed) if lang == "zh-hans"
                             else chinese_leaks(text, audit_names if on_audit else names))
                if leaks:
                    problems[f"{lang} {role} {url} [{response.status_code}]"] = leaks[:40]
    assert read > 150
    assert not problems, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))

"""Batch check report: the page's counts, the ``renkou checkreport`` command, the XLSX report,
findings in the page's language, and the split of old "中文 / English" findings."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import load_workbook

from renkou.core.models import AuditEvent
from renkou.registry import checks
from renkou.registry.models import Finding, Person

from .conftest import COUNTY, VILLAGE_A

EXPECTED = {("name_junk", "error"): 1, ("ethnicity_code", "error"): 1, ("age_implausible", "warning"): 1}


@pytest.fixture
def bad(people):
    """A hand-made record with two errors and a warning, written past the services (as old data would be)."""
    return Person.objects.create(name="=SUM(A1)", sex=1, birth_date=dt.date(1890, 1, 1), ethnicity="77",
                                 registered_area_id=VILLAGE_A, resident_area_id=VILLAGE_A)


def counts_of(findings) -> dict:
    return dict(Counter((f.rule, f.severity) for f in findings))


def test_report_page_runs_the_checks_and_counts_by_rule(client, officers, bad):
    client.force_login(officers["village_a"])
    page = client.get("/registry/checks/")
    assert page.context["area"].code == VILLAGE_A and page.context["counts"] == []  # nothing run yet
    r = client.post("/registry/checks/", {"area": VILLAGE_A})
    assert r.status_code == 302 and r["Location"] == f"/registry/checks/?area={VILLAGE_A}"
    stored = Finding.objects.filter(status="open")
    assert counts_of(stored) == EXPECTED and {f.person_id for f in stored} == {bad.pk}
    page = client.get(r["Location"])
    shown = {(c["rule"], c["severity"]): c["n"] for c in page.context["counts"]}
    assert shown == EXPECTED and page.context["total"] == 3
    html = page.content.decode()
    assert '<figure class="chart"><svg' in html  # the bar chart
    assert f'href="/registry/persons/{bad.pk}/"' in html
    assert 'id="run-checks"' in html and 'id="download-xlsx"' not in html  # village officers cannot export


def test_report_page_is_scoped(client, officers, bad):
    client.force_login(officers["village_b"])
    assert client.get(f"/registry/checks/?area={VILLAGE_A}").status_code == 404
    r = client.post("/registry/checks/", {"area": VILLAGE_A})
    assert r.status_code == 404 and not Finding.objects.exists()
    client.force_login(officers["county"])
    client.post("/registry/checks/", {"area": COUNTY})
    page = client.get(f"/registry/checks/?area={COUNTY}")
    assert {(c["rule"], c["severity"]): c["n"] for c in page.context["counts"]} == EXPECTED


def test_command_prints_the_same_counts_and_writes_the_report(officers, bad, tmp_path):
    out = io.StringIO()
    report = tmp_path / "checks.xlsx"
    call_command("checkreport", area=VILLAGE_A, user="xiang", report=str(report), stdout=out)
    text = out.getvalue()
    lines = {tuple(line.split()[:2]): int(line.split()[2]) for line in text.splitlines()
             if line.split() and line.split()[0] in {r for r, _s in EXPECTED}}
    assert lines == EXPECTED
    assert "persons 3 · events 0 · errors 2 · warnings 1" in text
    assert counts_of(Finding.objects.filter(status="open")) == EXPECTED
    ws = load_workbook(report).active
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 3 and "finding (en)" in header
    col = {h: i for i, h in enumerate(header)}
    assert Counter((r[col["规则 rule"]], r[col["严重程度 severity"]]) for r in body) == Counter(EXPECTED)
    assert {r[col["姓名 name"]] for r in body} == {"'=SUM(A1)"}  # formula-safe
    junk = next(r for r in body if r[col["规则 rule"]] == "name_junk")
    assert "姓名" in junk[col["问题 finding (zh)"]] and "contains digits" in junk[col["finding (en)"]]
    assert AuditEvent.objects.filter(action="export", object_type="registry.finding", actor_username="xiang",
                                     detail__rows=3).exists()
    # a CSV report as well, and no report for a role that may not export
    csv_report = tmp_path / "checks.csv"
    call_command("checkreport", area=VILLAGE_A, user="xiang", report=str(csv_report), stdout=io.StringIO())
    assert csv_report.read_text(encoding="utf-8-sig").count("\n") == 4
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("checkreport", area=VILLAGE_A, user="cun_a", report=str(tmp_path / "no.xlsx"),
                     stdout=io.StringIO())
    with pytest.raises(CommandError, match="outside|不在"):
        call_command("checkreport", area=VILLAGE_A, user="cun_b", stdout=io.StringIO())


def test_report_download_as_xlsx(client, officers, bad):
    client.force_login(officers["township"])
    client.post("/registry/checks/", {"area": VILLAGE_A})
    r = client.get(f"/registry/checks/?area={VILLAGE_A}&format=xlsx")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    assert ws.max_row == 4
    client.force_login(officers["village_a"])
    assert client.get(f"/registry/checks/?area={VILLAGE_A}&format=xlsx").status_code == 403


def test_findings_show_in_the_page_language(client, officers, bad):
    client.force_login(officers["village_a"])
    client.post("/registry/checks/", {"area": VILLAGE_A})
    pages = ["/registry/queue/checks/", f"/registry/persons/{bad.pk}/", f"/registry/checks/?area={VILLAGE_A}"]
    for url in pages:
        zh = client.get(url).content.decode()
        assert "民族代码 77 不在 GB 3304 中" in zh and "is not in GB 3304" not in zh, url
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in pages:
        en = client.get(url).content.decode()
        assert "ethnicity code 77 is not in GB 3304" in en and "民族代码 77" not in en, url


def test_event_page_findings_in_the_page_language(client, officers, people):
    from renkou.registry import services

    born = dt.date.today() - dt.timedelta(days=90)  # registered late: a warning
    e = services.declare_event(user=officers["village_a"], kind="birth", event_date=born,
                               registration_date=dt.date.today(), area=VILLAGE_A, mother=people["mother"],
                               father=people["father"], birth_order=1, plurality=1,
                               child={"name": "王小明", "sex": 1})
    f = Finding.objects.get(event=e)
    assert f.rule == "late_registration" and "迟报" in f.message and "a late report" in f.message_en
    client.force_login(officers["village_a"])
    assert "迟报" in client.get(f"/registry/events/{e.pk}/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/registry/events/{e.pk}/").content.decode()
    assert "a late report" in page and "迟报" not in page


def test_finding_from_check_and_the_split_of_old_rows(officers, people):
    import importlib

    from django.apps import apps

    f = checks.check_person(checks.PersonFacts(name="张3", sex=1, birth_date=dt.date(1990, 1, 1)),
                            dt.date(2025, 1, 1))[0]
    row = Finding.from_check(f, area_id=VILLAGE_A, person=people["father"])
    assert (row.rule, row.message, row.message_en, row.fix, row.fix_en) == (f.rule, f.zh, f.en, f.fix_zh, f.fix_en)
    old = Finding.objects.create(area_id=VILLAGE_A, person=people["father"], rule=f.rule, severity=f.severity,
                                 message=f.message, fix=f.fix)  # as written before the split
    assert (old.message_zh, old.fix_zh) == (f.zh, f.fix_zh)  # read right even before the migration's split
    migration = importlib.import_module("renkou.registry.migrations.0004_finding_language")
    migration.split(apps, None)
    old.refresh_from_db()
    assert (old.message, old.message_en, old.fix, old.fix_en) == (f.zh, f.en, f.fix_zh, f.fix_en)


def test_api_gives_findings_in_both_languages(client, officers, bad):
    client.force_login(officers["county"])
    client.post("/registry/checks/", {"area": COUNTY})
    rows = client.get("/api/registry/findings").json()["items"]
    by_rule = {r["rule"]: r for r in rows}
    assert set(by_rule) == {"name_junk", "ethnicity_code", "age_implausible"}
    junk = by_rule["name_junk"]
    assert " / " not in junk["message"] and junk["message_en"] and junk["message"] != junk["message_en"]
    assert junk["person_id"] == bad.pk


def test_batch_check_does_not_flag_the_effect_of_a_registered_event(officers):
    """A registered marriage has made its spouses married: that is its effect, not an error. The same
    marriage still declared, between persons already married, is one."""
    from renkou.registry import services
    from renkou.registry.models import Event

    def couple():
        a = Person.objects.create(name="甲", sex=1, birth_date=dt.date(1970, 1, 1), marital_status="20",
                                  registered_area_id=VILLAGE_A, resident_area_id=VILLAGE_A)
        b = Person.objects.create(name="乙", sex=2, birth_date=dt.date(1972, 1, 1), marital_status="20",
                                  registered_area_id=VILLAGE_A, resident_area_id=VILLAGE_A)
        return a, b

    a, b = couple()
    registered = Event.objects.create(kind="marriage", event_date=dt.date(1995, 5, 1), subject=a, spouse=b,
                                      area_id=VILLAGE_A, state="registered")
    c, d = couple()
    declared = Event.objects.create(kind="marriage", event_date=dt.date(2005, 5, 1), subject=c, spouse=d,
                                    area_id=VILLAGE_A, state="declared")
    services.batch_check(user=officers["county"], area_code=COUNTY)
    rules = {e.pk: {f.rule for f in Finding.objects.filter(event=e, status="open")} for e in (registered, declared)}
    assert "already_married" not in rules[registered.pk]
    assert "already_married" in rules[declared.pk]


def test_a_second_batch_check_replaces_open_findings_and_keeps_a_passed_warning_passed(officers, bad):
    from renkou.registry import services

    services.batch_check(user=officers["county"], area_code=COUNTY)
    assert counts_of(Finding.objects.filter(status="open")) == EXPECTED
    warning = Finding.objects.get(rule="age_implausible")
    warning.status = Finding.Status.PASSED
    warning.save()
    counts = services.batch_check(user=officers["county"], area_code=COUNTY)
    # the two errors replaced (not doubled), the passed warning neither reopened nor stored again
    assert counts_of(Finding.objects.filter(status="open")) == {("name_junk", "error"): 1,
                                                                 ("ethnicity_code", "error"): 1}
    assert list(Finding.objects.filter(status="passed").values_list("pk", flat=True)) == [warning.pk]
    assert (counts["errors"], counts["warnings"]) == (2, 0)

"""The pages in a real Chromium: every role's home page, print buttons under the strict CSP, the
report table on a phone. Screenshots go to var/screenshots/ (git-ignored) for a human look."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
XIFENG = "520122000000"
YONGJING = "520122100000"
VILLAGE_A = "520122100201"


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Correct-Horse-9")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def report_values(seed_areas):
    """Every indicator of the annual report for Xifeng and each of its townships, 2005."""
    from renkou.core.models import Area
    from renkou.indicators import reports, services
    from renkou.indicators.models import Indicator, IndicatorValue

    services.load_catalog()
    areas = [seed_areas[XIFENG], *Area.objects.filter(parent_id=XIFENG).order_by("code")]
    rows = []
    for ind in Indicator.objects.filter(code__in=reports.REPORTS["annual"][2]):
        for j, area in enumerate(areas):
            big = 250_000 if area.code == XIFENG else 18_000 + 1_111 * j
            value = Decimal(big) if ind.decimals == 0 else Decimal("9.2") + j
            rows.append(IndicatorValue(indicator=ind, area=area, period="2005", value=round(value, ind.decimals),
                                       numerator=float(big), denominator=1.0, inputs_hash="-", definition_version=1))
    IndicatorValue.objects.bulk_create(rows)
    return len(areas)


@pytest.fixture
def everyone(seed_areas, make_user, evaluator):
    a = seed_areas
    users = {"county": make_user("xian", "county_officer", capture=[a[XIFENG]]),
             "township": make_user("xiang", "township_officer", capture=[a[YONGJING]]),
             "village": make_user("cun", "village_officer", capture=[a[VILLAGE_A]]),
             "evaluator": evaluator, "auditor": make_user("shenji", "auditor", view=[a[XIFENG]]),
             "loans": make_user("daikuan", "loan_officer", view=[a[XIFENG]])}
    from renkou.core.models import AuditEvent
    from renkou.indicators.models import DataSet
    from renkou.registry.models import Event, Person

    for i, flags in enumerate(({}, {}, {"flag_correction": True})):
        p = Person.objects.create(name=f"测试{i}", sex=1, birth_date=dt.date(1950, 1, 1), registered_area_id=VILLAGE_A,
                                  resident_area_id=VILLAGE_A)
        Event.objects.create(kind="death", event_date=dt.date.today(), area_id=VILLAGE_A, subject=p, **flags)
    DataSet.objects.create(code="services_monthly", name_zh="计划生育服务月报", name_en="monthly services",
                           period_type="month", capture_level=4, due_days=10, approval_levels=[4, 3])
    AuditEvent.objects.create(action="export", actor_username="xian", object_type="registry.person",
                              object_repr="人员导出 520122100201", area_code=VILLAGE_A)
    return users


def test_every_role_sees_its_own_task_list(live_server, everyone, scored_run, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    # three declared events, one of them also returned for correction
    expected = {"county": ("county_officer", {"events_to_verify": "3", "events_to_register": "0",
                                              "events_returned": "1"}),
                "township": ("township_officer", {"events_to_verify": "3", "forms_due": "1"}),
                "village": ("village_officer", {"events_returned": "1"}),
                "evaluator": ("evaluator", {"runs_in_progress": "1"}),
                "auditor": ("auditor", {"exports": "1"}),
                "loans": ("loan_officer", {"loans_to_visit": "0", "loans_late": "0"})}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for who, (role, numbers) in expected.items():
            sign_in(page, base, everyone[who].username)
            assert page.locator("#inbox").get_attribute("data-role") == role
            for key, n in numbers.items():
                assert page.locator(f".task[data-key={key}] .n").inner_text() == n, (who, key)
            shot(page, f"home-{who}")
        # the loan officer's page lists the project office's steps and links to the fund and the collection
        # sheets (no register: it reads no person)
        assert page.locator(".actions a.chip").count() == 3
        page.click(".actions a.chip[href='/loans/']")
        assert page.url.endswith("/loans/")
        assert page.locator("h1").inner_text().startswith("幸福工程")
        browser.close()


def _csp_watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_print_buttons_open_the_print_dialog_without_breaking_the_csp(live_server, everyone, scored_run,
                                                                      report_values, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    pages = {"scorecard": f"/evaluation/runs/{scored_run.pk}/units/520122100000/",
             "contract": f"/evaluation/schemes/{scored_run.scheme_id}/contract/520122103/",
             "report": f"/indicators/report/?area={XIFENG}&period=2005"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = _csp_watch(page)
        sign_in(page, base, everyone["county"].username)
        for name, url in pages.items():
            page.goto(base + url)
            # (a function: an expression that evaluates to a function would be called by evaluate itself)
            page.evaluate("() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; }")
            assert page.evaluate("() => window.__printed") is None
            page.click("button[data-print]")
            assert page.evaluate("() => window.__printed") == 1, name
            if name == "scorecard":
                shot(page, "scorecard")
                page.emulate_media(media="print")
                shot(page, "scorecard-print")
                assert not page.locator("header.top").is_visible()  # the print sheet hides navigation
                page.emulate_media(media="screen")
        browser.close()
    assert [m for m in problems if "Content Security Policy" in m or "Refused" in m] == []
    assert problems == []


def test_report_table_scrolls_inside_its_card_on_a_phone(live_server, everyone, report_values, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        wide = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(wide, base, everyone["county"].username)
        wide.goto(f"{base}/indicators/report/?area={XIFENG}&period=2005")
        cells = wide.locator("#report-table tbody tr").first.locator("td")
        assert cells.nth(1).inner_text() == "19,111"  # population, a count: separators, no ".0"
        headers = wide.locator("#report-table thead th").all_inner_texts()
        cbr = next(i for i, h in enumerate(headers) if h.startswith("出生率"))
        assert cells.nth(cbr).inner_text() == "10.2"  # the crude birth rate keeps its one decimal
        assert wide.locator("#report-table tbody tr").count() == report_values
        shot(wide, "report")
        wide.goto(f"{base}/indicators/?area={XIFENG}&period=2005")
        wide.click("header button[name=language][value=en]")
        wide.wait_for_load_state()
        assert wide.locator("html").get_attribute("lang") == "en"
        shot(wide, "indicators-en")

        phone = browser.new_page(viewport={"width": 375, "height": 740})
        sign_in(phone, base, everyone["county"].username)
        phone.goto(f"{base}/indicators/report/?area={XIFENG}&period=2005")
        wrap = phone.evaluate("""() => { const w = document.querySelector('#report-table');
            return {scroll: w.scrollWidth, client: w.clientWidth}; }""")
        assert wrap["scroll"] > wrap["client"]  # the table is wider than the phone: it scrolls in its card …
        page_width = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert page_width[0] <= page_width[1]  # … and the page itself does not
        first = phone.locator("#report-table tbody tr td").first
        x0 = first.bounding_box()["x"]
        phone.evaluate("() => { document.querySelector('#report-table').scrollLeft = 400; }")
        assert abs(first.bounding_box()["x"] - x0) < 1  # the area column stays in view
        assert phone.evaluate("() => getComputedStyle(document.querySelector('#report-table td')).whiteSpace") \
            == "nowrap"
        shot(phone, "report-375")
        sign_in(phone, base, everyone["township"].username)
        assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        shot(phone, "home-township-375")
        browser.close()

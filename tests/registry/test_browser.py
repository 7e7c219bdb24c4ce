"""A village officer declares a birth in a real browser; a county officer verifies and registers it."""

from __future__ import annotations

import datetime as dt

from renkou.registry.models import Event, Person
from tests.browser import ARGS, CHROMIUM, requires_chromium

from .conftest import VILLAGE_A

pytestmark = requires_chromium


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Correct-Horse-9")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_birth_declared_by_village_officer_verified_and_registered_by_county(live_server, officers, people,
                                                                              tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM reads below are plain sync code
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    base = live_server.url
    born = dt.date.today() - dt.timedelta(days=10)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        sign_in(page, base, "cun_a")
        page.goto(f"{base}/registry/events/birth/new/")
        page.fill("#id_name", "王小明")
        page.select_option("#id_sex", "1")
        page.fill("#id_event_date", born.isoformat())
        page.fill("#id_registration_date", dt.date.today().isoformat())
        page.select_option("#id_area", VILLAGE_A)
        page.fill("#id_mother", people["mother"].id_number)  # by ID number: no list of every person
        page.click("#lookup-mother")  # her name shows, the birth order is suggested, what was typed stays
        page.wait_for_load_state()
        assert "李秀英" in page.inner_text("#mother-found")
        assert page.input_value("#id_birth_order") == "1" and page.input_value("#id_name") == "王小明"
        page.fill("#id_father", f"#{people['father'].pk}")  # or by record key
        page.fill("#id_registration_date", dt.date.today().isoformat())
        page.select_option("#id_delivery_place", "hospital")
        page.click("#declare")
        page.wait_for_load_state()
        event = Event.objects.get(kind="birth")
        assert page.url.endswith(f"/registry/events/{event.pk}/")
        assert (event.state, event.declared_by.username) == ("declared", "cun_a")
        assert page.locator("button[value=verify]").count() == 0  # a village officer cannot verify
        page.screenshot(path=str(tmp_path / "declared.png"), full_page=True)
        page.context.clear_cookies()

        sign_in(page, base, "xian")
        page.goto(f"{base}/registry/queue/events/")
        page.click(f"a[href='/registry/events/{event.pk}/']")
        page.click("button[value=verify]")
        page.wait_for_load_state()
        assert "xian" in page.locator("#verified-by").inner_text() or \
            str(officers["county"]) in page.locator("#verified-by").inner_text()
        page.click("button[value=register]")
        page.wait_for_load_state()
        page.screenshot(path=str(tmp_path / "registered.png"), full_page=True)
        browser.close()
    event.refresh_from_db()
    assert (event.state, event.verified_by.username, event.registered_by.username) == ("registered", "xian", "xian")
    assert Person.objects.get(name="王小明").record_state == "active"


def test_death_declared_from_the_person_page_and_registered(live_server, officers, people, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    father = people["father"]
    died = dt.date.today() - dt.timedelta(days=3)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        sign_in(page, base, "cun_a")
        page.goto(f"{base}/registry/persons/{father.pk}/")
        page.click("#actions a[data-kind=death]")
        page.wait_for_load_state()
        assert page.input_value("#id_subject") == f"#{father.pk}"
        page.fill("#id_event_date", died.isoformat())
        page.fill("#id_spouse", people["mother"].id_number)
        page.screenshot(path=str(tmp_path / "death-form.png"), full_page=True)
        page.click("#event-form button")
        page.wait_for_load_state()
        event = Event.objects.get(kind="death")
        assert page.url.endswith(f"/registry/events/{event.pk}/")
        page.context.clear_cookies()
        sign_in(page, base, "xian")
        page.goto(f"{base}/registry/events/{event.pk}/")
        page.click("button[value=verify]")
        page.wait_for_load_state()
        page.click("button[value=register]")
        page.wait_for_load_state()
        Person.objects.create(name="张3", sex=1, birth_date=dt.date(1890, 1, 1), ethnicity="77",
                              registered_area_id=VILLAGE_A, resident_area_id=VILLAGE_A)  # a bad old record
        page.goto(f"{base}/registry/checks/")
        page.click("#run-checks button")
        page.wait_for_load_state()
        assert page.locator("#total").inner_text() == "3"
        assert page.locator("figure.chart svg").count() == 1
        page.screenshot(path=str(tmp_path / "check-report.png"), full_page=True)
        browser.close()
    father.refresh_from_db()
    assert (father.status, father.death_date) == ("dead", died)

"""The program editor in a real Chromium: the eligibility rule is built from conditions and groups,
written back into the form's field, checked by the server and shown in words."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.browser]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.django_db(transaction=True)
def test_a_county_officer_builds_a_rule_from_conditions_and_saves_it(live_server, officers, programs, monkeypatch):
    from playwright.sync_api import sync_playwright

    from renkou.benefits.models import Program

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", officers["county"].username)
        page.fill("input[name=password]", "Correct-Horse-9")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/benefits/programs/xifeng-ncms-premium/")
        # the shipped rule: rural household, and (one child, or (two children, both daughters))
        assert page.locator("textarea[name=eligibility]").is_hidden()
        top = page.locator(".rule-editor > fieldset.rule-group")
        assert top.locator(":scope > .rule-cond").count() == 1
        assert top.locator(":scope > fieldset.rule-group").count() == 1
        # add a condition to the top group: living children at least 1
        top.locator(":scope > .rule-bar button").first.click()
        new = top.locator(":scope > .rule-cond").last
        new.locator("select.rule-fact").select_option("children.living")
        new.locator("select.rule-op").select_option(">=")
        new.locator("input.rule-value").fill("1")
        rule = json.loads(page.locator("textarea[name=eligibility]").input_value())
        assert rule["all"][-1] == {"fact": "children.living", "op": ">=", "value": 1}
        # a list fact offers the certificate kinds by name, not by code
        top.locator(":scope > .rule-bar button").first.click()
        cert = top.locator(":scope > .rule-cond").last
        cert.locator("select.rule-fact").select_option("household.certificates")
        assert cert.locator("select.rule-value option").all_inner_texts()[0] == "独生子女父母光荣证"
        cert.locator("button.rule-remove").click()
        page.fill("input[name=valid_from]", "2030-01-01")
        page.click("form.card button:not([type=button])")
        page.wait_for_load_state()
        assert "2030-01-01" in page.content()
        assert "存活子女数不少于1" in page.locator("table.grid").first.inner_text()
        browser.close()
    version = Program.objects.get(code="xifeng-ncms-premium").versions.get(valid_from="2030-01-01")
    assert version.eligibility["all"][0] == {"fact": "household.rural", "op": "==", "value": True}
    assert version.eligibility["all"][-1] == {"fact": "children.living", "op": ">=", "value": 1}
    assert len(version.eligibility["all"]) == 3 and not errors

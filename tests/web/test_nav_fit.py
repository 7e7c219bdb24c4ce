"""The navigation of the widest role fits on one line at 1280 px, in Chinese and in English."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_navigation_of_a_county_officer_and_an_administrator_fits_at_1280_px(live_server, seed_areas, make_user):
    from playwright.sync_api import sync_playwright

    make_user("xian", "county_officer", capture=[seed_areas["520122000000"]])
    make_user("admin", superuser=True)
    base = live_server.url
    measured = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for username in ("xian", "admin"):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", "Correct-Horse-9")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            for lang in ("zh-hans", "en"):
                page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                page.goto(f"{base}/areas/")
                # one line: every item's vertical middle within the header's single row
                tops = page.eval_on_selector_all(
                    "header.top nav > a, header.top nav > .menu > .menu-head, header.top .brand, header.top .me",
                    "els => els.map(e => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; })")
                width = page.evaluate("document.querySelector('header.top').scrollWidth")
                links = page.eval_on_selector_all("header.top nav a", "els => els.length")
                measured[(username, lang)] = (max(tops) - min(tops), width, links)
                # a group opens on hover and its entries lead to their pages
                head = page.locator("header.top nav .menu .menu-head").first
                sub_link = page.locator("header.top nav .menu").first.locator(".sub a").first
                assert not sub_link.is_visible()
                head.hover()
                assert sub_link.is_visible()
                href = sub_link.get_attribute("href")
                sub_link.click()
                page.wait_for_load_state()
                assert page.url.endswith(href)
            page.close()
        browser.close()
    for key, (spread, width, links) in measured.items():
        assert links >= 7, key  # the widest roles see most of the menu
        # one line (a second row would sit 30 px and more lower), nothing scrolled off to the right
        assert spread < 10 and width <= 1280, (key, measured)

"""Demography pages: who may see which area, and the figures they show (from the small register)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .conftest import TOWNSHIP, VILLAGE_A

NAMES = ("测试母亲", "测试儿子", "测试老人", "测试迁出", "测试女孩", "测试寿星")


@pytest.fixture
def county_officer(register, seed_areas, make_user, client):
    user = make_user("xian", "county_officer", capture=[seed_areas["520122000000"]])
    client.force_login(user)
    return user


def kpi(html: str, name: str) -> str:
    return re.search(rf'id="{name}">([^<]*)<', html).group(1).strip()


def test_home_lists_the_areas_in_scope_and_the_form_leads_to_the_area_page(county_officer, client):
    html = client.get(reverse("demography:home")).content.decode()
    assert "520122100000" in html and "永靖镇" in html
    assert "542526" not in html  # Gaize is not in this officer's areas
    response = client.get(reverse("demography:home"), {"area": "520122100", "year": "2005"})
    assert response.status_code == 302 and response["Location"] == "/demography/area/520122100/?year=2005"


def test_township_page_shows_the_hand_counted_figures_and_no_person(county_officer, client):
    html = client.get(reverse("demography:area", args=[TOWNSHIP]), {"year": "2005"}).content.decode()
    # end of 2005: mother 25, son 0, girl 5 → 3 persons, median age 5.5 (the 2nd of 3 spread over [5, 6))
    assert kpi(html, "total") == "3"
    assert kpi(html, "median") == "5.5"
    assert kpi(html, "tfr") == "2.00"  # one birth at 25 over half a woman-year at 25
    # child dependency = 2 children / 1 person of 15–64 × 100; nobody 65+
    assert kpi(html, "dep-child") == "200.0" and kpi(html, "dep-old") == "0.0"
    # one death in five years cannot close a life table: the page says what to do, in Chinese
    assert re.search(r'id="life-table-message">[^<]*请选择更大的区划（县）或更多年份。</p>', html)
    assert "pool" not in html
    assert "<svg" in html  # the pyramid and the fertility chart are drawn on the server
    assert not any(n in html for n in NAMES)


def test_year_without_births_shows_zero_fertility(county_officer, client):
    html = client.get(reverse("demography:area", args=[TOWNSHIP]), {"year": "2004"}).content.decode()
    assert kpi(html, "tfr") == "0.00" and kpi(html, "total") == "4"


def test_area_outside_scope_is_not_found_and_aggregates_need_the_permission(register, seed_areas, make_user,
                                                                          client):
    village = make_user("cun", "village_officer", capture=[seed_areas[VILLAGE_A]])
    client.force_login(village)
    assert client.get(reverse("demography:area", args=["520122101000"])).status_code == 404
    assert client.get(reverse("demography:area", args=[VILLAGE_A]), {"year": "2005"}).status_code == 200
    peer = make_user("peer", "machine_peer", capture=[seed_areas["520122000000"]])
    client.force_login(peer)
    assert client.get(reverse("demography:area", args=[TOWNSHIP])).status_code == 403
    client.logout()
    assert client.get(reverse("demography:home")).status_code == 302  # to the sign-in page


def test_page_opens_on_the_latest_complete_statistical_year(county_officer, client):
    # the register's last event is the death of 2005-09-01: the statistical
    # year 2005SY (to 2005-09-30) is still being reported, 2004SY is the latest complete one
    response = client.get(reverse("demography:area", args=[TOWNSHIP]))
    assert response.context["period"].code == "2004SY"
    assert response.context["p"]["inputs"].period.code == "2004SY"
    assert '<option value="2004SY" selected>' in response.content.decode()
    # a chosen period is kept, calendar or statistical
    assert client.get(reverse("demography:area", args=[TOWNSHIP]), {"period": "2005SY"}).context["period"].code \
        == "2005SY"
    assert client.get(reverse("demography:area", args=[TOWNSHIP]), {"year": "2005"}).context["period"].code == "2005"


def test_latest_complete_statistical_year_follows_the_registers_last_record(register):
    import datetime as dt

    from renkou.demography.register_feed import latest_complete_stat_year
    from renkou.registry.models import Event, Person

    assert latest_complete_stat_year("520122").code == "2004SY"
    son = Person.objects.get(name="测试儿子")
    Event.objects.create(kind="move_out", event_date=dt.date(2005, 12, 31), area_id=son.resident_area_id,
                         subject=son, state="declared")
    assert latest_complete_stat_year("520122").code == "2005SY"
    # never past today: on 2005-09-15 the statistical year 2005SY is not over
    assert latest_complete_stat_year("520122", today=dt.date(2005, 9, 15)).code == "2004SY"
    assert latest_complete_stat_year("542526") is None  # no records there

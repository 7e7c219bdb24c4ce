"""Error pages in the site's layout and the reader's language; the 500 page needs no request or database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation


@pytest.mark.django_db
def test_missing_page_says_so_in_chinese_and_in_english(client, seed_areas, make_user):
    client.force_login(make_user("xian", "county_officer", capture=[seed_areas["520122000000"]]))
    zh = client.get("/no-such-page/")
    assert zh.status_code == 404
    html = zh.content.decode()
    assert '<html lang="zh-hans">' in html and "<h1>页面不存在</h1>" in html and 'class="brand"' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/registry/persons/999999/").content.decode()  # a record outside the register
    assert '<html lang="en">' in html and "<h1>Page not found</h1>" in html and "页面" not in html


@pytest.mark.django_db
def test_refused_page_explains_in_the_readers_language(client, seed_areas, make_user):
    client.force_login(make_user("shenji", "auditor", view=[seed_areas["520122000000"]]))
    r = client.get("/registry/")
    assert r.status_code == 403 and "<h1>无权访问</h1>" in r.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "<h1>Not allowed</h1>" in client.get("/registry/").content.decode()


def test_server_error_page_renders_without_request_or_database(rf):
    # no django_db mark: any query would fail the test
    from django.views.defaults import server_error

    with translation.override("en"):
        response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and '<html lang="en">' in html and "<h1>Server error</h1>" in html
    with translation.override("zh-hans"):
        html = server_error(rf.get("/")).content.decode()
    assert "<h1>服务器错误</h1>" in html and "Sign out" not in html

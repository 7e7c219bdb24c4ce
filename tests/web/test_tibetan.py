"""Tibetan (bo) on the village-facing pages and printed notices: each page of ``TIBETAN_PAGES`` read in
Tibetan is wholly Tibetan, every other page asked for in Tibetan is wholly zh-Hans.

The rule for Chinese characters on a Tibetan page: none, except in names and data — the names of
places and persons, of accounts, of funds as the bank and the donor know them, what people wrote
(an objection, a loan's project, signatures, a place of an event), and the language switch's 中文.
Latin words: none but the codes a Chinese page may show (``ZH_ALLOWED``: CSV, XLSX, …), the switch's
"English" and the pinyin of names.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import translation
from tests.registry.conftest import COUNTY, VILLAGE_A, id_for
from tests.web.test_one_language import (
    ZH_ALLOWED,
    _benefits,
    _latin_names,
    _loan,
    _names,
    chinese_leaks,
    english_leaks,
    visible_text,
)

from renkou.core.languages import TIBETAN_PAGES, pair

TIBETAN = re.compile(r"[\u0f00-\u0fff]")
GAIZE = "542526000000"


def tibetan_names() -> set[str]:
    """Chinese a Tibetan page may show besides :func:`_names`: a loan fund's name as it was opened, a
    place of an event as it was written."""
    from renkou.bureau.models import Event
    from renkou.loans.models import Fund

    return set(Fund.objects.values_list("name_zh", flat=True)) | set(Event.objects.values_list("place", flat=True))


@pytest.fixture
def pages(db, seed_areas, make_user):
    """One URL of each Tibetan page over a small register: Xifeng's premium list in notice (an objection
    open), a 幸福工程 loan signed and collected once, a publicity session in Gaize."""
    from renkou.bureau import services as bureau
    from renkou.registry import services as reg
    from renkou.registry.models import Person

    county = make_user("xian", "county_officer", capture=[seed_areas[COUNTY], seed_areas[GAIZE]],
                       view=[seed_areas[COUNTY], seed_areas[GAIZE]])
    mother = reg.create_person(user=county, name="李秀英", sex=2, birth_date=dt.date(1980, 3, 10),
                               marital_status="21", id_number=id_for(dt.date(1980, 3, 10), 42),
                               registered_area=VILLAGE_A)
    father = reg.create_person(user=county, name="王建国", sex=1, birth_date=dt.date(1978, 7, 1),
                               marital_status="21", id_number=id_for(dt.date(1978, 7, 1), 31),
                               registered_area=VILLAGE_A)
    Person.objects.filter(pk=mother.pk).update(spouse=father)
    Person.objects.filter(pk=father.pk).update(spouse=mother)
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
    benefits = _benefits(seed_areas, make_user, county)
    loan = _loan(mother)
    bureau.record_event(area=GAIZE, kind="publicity", held_on=dt.date(2005, 6, 1), campaign="care_for_girls",
                        place="改则县城广场", reached=120, organiser="association", user=county)
    urls = {"benefits:notice": f"/benefits/lists/{benefits['noticed'].pk}/notice/",
            "loans:agreement": f"/loans/loans/{loan.pk}/agreement/",
            "loans:sheet": f"/loans/sheet/?village={loan.village_id}&date=2006-12-31",
            "bureau:events": f"/bureau/events/?area={GAIZE}&year=2005"}
    users = [county, *benefits["accounts"]]
    return {"county": county, "urls": urls, "users": users,
            "names": _names(seed_areas, users) | tibetan_names(), "latin": ZH_ALLOWED | _latin_names(users)}


# Words each page must show in Tibetan (hand-written from the catalogue), beside the page's own data.
EXPECTED = {
    "benefits:notice": ["ཁྱབ་བསྒྲགས།", "ཐོབ་ཐང་ལག་ཁྱེར་ཨང་གྲངས།", "དངུལ་ལེན་མཁན།", "བསྡོམས།", "དགག་བརྗོད་བྱེད་མཁན།",
                        "ཞིབ་བཤེར་བྱས་ཟིན། ཁྱབ་བསྒྲགས་བྱེད་བཞིན་པ།", "ཐག་གཅོད་མ་བྱས།", "དགག་བརྗོད་ཐོ་འགོད།",
                        # the program by its Tibetan name, the notice's dates in the Tibetan form
                        "ཞི་ཧྥེང་རྫོང་གི་གྲོང་གསེབ་བུ་ཕྲུག་གཅིག་རྐྱང་", "ལོའི་ཟླ་"],
    "loans:agreement": ["བུ་ལོན་གན་རྒྱ།", "མ་དངུལ་འདིས་", "ལ་བུ་ལོན་ ¥6,000.00 གཡར་རྒྱུ་ཡིན།", "ལས་གཞིའི་འཆར་གཞི།",
                        "བུ་ལོན་སླར་སྤྲོད་ཀྱི་དུས་ཚོད་རེའུ་མིག", "རོགས་རམ་ཐོབ་པའི་ཨ་མ།", "གྲོང་ཚོའི་འགན་ལེན་པ།",
                        "2006 ལོའི་ཟླ་ 3 ཚེས་ 5"],
    "loans:sheet": ["བུ་ལོན་སླར་ལེན་རེའུ་མིག", "ད་བར་སྤྲད་ཟིན་པ།", "¥1,500.00", "ལྷག་ལུས་བུ་ལོན།", "མིང་རྟགས།",
                    "2006 ལོའི་ཟླ་ 12 ཚེས་ 31"],
    "bureau:events": ["དྲིལ་བསྒྲགས་དང་། ལས་འགུལ། སློབ་སྦྱོང་།", "དྲིལ་བསྒྲགས་ཚོགས་འདུ།", "བུ་མོར་དོ་སྣང་བྱེད་པའི་ལས་འགུལ།",
                      "སྐྱེ་འཕེལ་འཆར་གཞི་མཐུན་ཚོགས།", "2005 ལོའི་ཟླ་ 6 ཚེས་ 1", "120"],
}
# the page's frame: menu, account's role, footer
CHROME = ["མི་གྲངས།", "ཁེ་ཕན་རོགས་སྐྱོར།", "རྫོང་གི་དོ་དམ་པ།", "ཕྱིར་ཐོན།", "མི་སྒེར་གྱི་ཆ་འཕྲིན་ནི་གསང་བ་ཡིན།"]


def _read(client, url: str, lang: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_pages_and_their_words_are_listed():
    assert set(EXPECTED) <= TIBETAN_PAGES


@pytest.mark.django_db
def test_each_tibetan_page_is_wholly_tibetan(client, pages):
    client.force_login(pages["county"])
    for page, url in pages["urls"].items():
        html = _read(client, url, "bo")
        assert '<html lang="bo">' in html, page
        text = visible_text(html)
        missing = [w for w in EXPECTED[page] + CHROME if w not in text]
        assert not missing, (page, missing)
        assert chinese_leaks(text, pages["names"]) == [], page
        assert english_leaks(text, pages["latin"]) == [], page
        # the switch offers the two other languages
        assert 'value="zh-hans"' in html and 'value="en"' in html and 'value="bo"' not in html


@pytest.mark.django_db
def test_the_same_pages_in_chinese_offer_tibetan_and_show_none(client, pages):
    client.force_login(pages["county"])
    for page, url in pages["urls"].items():
        html = _read(client, url, "zh-hans")
        assert '<html lang="zh-hans">' in html, page
        assert 'value="bo"' in html, page
        # the only Tibetan on the Chinese page is the switch's own name
        assert TIBETAN.findall(visible_text(html).replace("བོད་ཡིག", "")) == [], page


@pytest.mark.django_db
def test_a_page_without_tibetan_asked_in_tibetan_is_wholly_chinese(client, pages):
    client.force_login(pages["county"])
    for url in ("/", "/benefits/", "/loans/", "/bureau/?area=542526000000&year=2005", "/no-such-page/"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "bo"
        response = client.get(url)
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, url
        text = visible_text(html)
        assert TIBETAN.findall(text) == [], url
        assert "人口" in text and "退出" in text, url  # the brand and the sign-out in Chinese
        assert 'value="bo"' not in html  # nothing to switch to here
    # the reader's choice is kept: the next Tibetan page is Tibetan again
    assert '<html lang="bo">' in _read(client, pages["urls"]["bureau:events"], "bo")


@pytest.mark.django_db
def test_tibetan_can_be_chosen_with_the_switch(client, pages):
    client.force_login(pages["county"])
    url = pages["urls"]["benefits:notice"]
    response = client.post("/i18n/setlang/", {"language": "bo", "next": url})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "bo"
    assert '<html lang="bo">' in client.get(url).content.decode()


def test_every_role_and_loan_party_has_its_tibetan_word():
    from renkou.core.roles import ROLE_LABELS
    from renkou.loans.services import PARTY_LABELS

    with translation.override("bo"):
        for zh, en in [*ROLE_LABELS.values(), *PARTY_LABELS.values()]:
            word = pair(zh, en)
            assert TIBETAN.search(word) and not re.search(r"[A-Za-z\u4e00-\u9fff]", word), (en, word)
    with translation.override("en"):
        assert pair("村级专干", "Village officer") == "Village officer"
    with translation.override("zh-hans"):
        assert pair("村级专干", "Village officer") == "村级专干"
    with translation.override("bo"):
        # a pair the catalogue does not know falls back to the Chinese, never to English
        assert pair("未译", "Untranslated label") == "未译"


def test_every_shipped_program_and_fund_has_a_tibetan_name():
    import json
    from importlib import resources

    from renkou.core.languages import name

    shipped = resources.files("renkou.benefits") / "data" / "programs"
    pairs = []
    for f in shipped.iterdir():
        if f.name.endswith(".json"):
            data = json.loads(f.read_text(encoding="utf-8"))
            pairs += [(data["name_zh"], data["name_en"])] + [(x["name_zh"], x["name_en"]) for x in data.get("funds", [])]
    assert len(pairs) >= 5
    with translation.override("bo"):
        untranslated = [en for zh, en in pairs if not TIBETAN.search(name(zh, en))]
    assert not untranslated


def test_dates_read_as_tibetan_readers_write_them():
    from django.utils.formats import date_format

    with translation.override("bo"):
        assert date_format(dt.date(2008, 1, 10)) == "2008 ལོའི་ཟླ་ 1 ཚེས་ 10"
    with translation.override("zh-hans"):
        assert date_format(dt.date(2008, 1, 10)) == "2008年1月10日"


@pytest.mark.django_db
def test_an_objection_recorded_from_the_tibetan_notice_is_acknowledged_in_tibetan(client, pages):
    from renkou.benefits.models import Objection

    client.force_login(pages["users"][1])  # the village officer records what villagers say
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "bo"
    url = pages["urls"]["benefits:notice"]
    before = Objection.objects.count()
    response = client.post(url.replace("/notice/", "/objection/"), {"raised_by": "村民 王五", "text": "该户已迁出"},
                           follow=True)
    assert Objection.objects.count() == before + 1
    html = response.content.decode()
    assert '<html lang="bo">' in html and "དགག་བརྗོད་ཐོ་འགོད་བྱས་ཟིན།" in visible_text(html)


def test_the_server_error_page_renders_without_a_request_in_tibetan():
    from django.template import loader

    with translation.override("bo"):
        html = loader.get_template("500.html").render({})
    assert '<html lang="bo">' in html and "ཞབས་ཞུ་འཕྲུལ་ཆས་ལ་ནོར་འཁྲུལ་བྱུང་།" in html
    assert 'value="bo"' not in html

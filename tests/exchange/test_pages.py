"""The officer's pages of the exchange: values shown (counts, days to the deadline, the thread), the
answer forms (state changed, outbox row written; bad input names the field), who sees what (the
township officer its township's cases, another county's officer nothing), and data minimisation (a
received person is seen only through the fields her enquiry carried)."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from renkou.core.idnumber import check_character, mask
from renkou.exchange import messages
from renkou.exchange.models import Direction, Enquiry, Message, State

from .conftest import RENQIU


def _id(body: str) -> str:
    return body + check_character(body)


@pytest.fixture
def world(node, seed_areas, make_user):
    """Renqiu (this node) with two townships' villages; a person of the first village enquired about
    from the page; an enquiry received from Xianxian about a person registered in the second village,
    who is matched in the register (her mother and address are in the register, not in the message)."""
    from renkou.core.models import Area
    from renkou.registry.models import Household, Person

    towns = list(Area.objects.filter(code__startswith=RENQIU, level=4).order_by("code")[:2])
    villages = [Area.objects.create(code=t.code[:9] + "201", name=f"测试村{i}", level=5, parent=t)
                for i, t in enumerate(towns, start=1)]
    county = Area.objects.get(code=RENQIU + "000000")
    users = {
        "county": make_user("xian_renqiu", "county_officer", capture=[county]),
        "town1": make_user("xiang_1", "township_officer", capture=[towns[0]]),
        "town2": make_user("xiang_2", "township_officer", capture=[towns[1]]),
        "other": make_user("xian_xifeng", "county_officer", capture=[seed_areas["520122000000"]]),
        "village": make_user("cun_1", "village_officer", capture=[villages[0]]),
    }
    local = Person.objects.create(name="李芳", sex=2, birth_date=dt.date(1990, 1, 1), id_number=_id("13098219900101002"),
                                  registered_area=villages[0], resident_area=villages[0])
    mother = Person.objects.create(name="张母亲", sex=2, birth_date=dt.date(1960, 5, 5), registered_area=villages[1],
                                   resident_area=villages[1])
    household = Household.objects.create(number="1309821012010009", area=villages[1], address="幸福路八号")
    registered = Person.objects.create(name="王兰", sex=2, birth_date=dt.date(1988, 6, 1),
                                       id_number=_id("13098219880601004"), registered_area=villages[1],
                                       resident_area=villages[1], mother=mother, household=household)
    return {"users": users, "towns": towns, "villages": villages, "local": local, "registered": registered,
            "peer": node[1]}


def _receive(world, *, days_ago=3, urgent=True, asks=("registered", "children")):
    """An enquiry from Xianxian about 王兰, sent ``days_ago`` days ago; answered here at once by a match."""
    from renkou.exchange import services

    p = world["registered"]
    created = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    env = world["peer"].envelope("enquiry", {"id_number": p.id_number, "name": p.name, "sex": 2,
                                             "birth_date": "1988-06-01", "asks": list(asks),
                                             "reason": "在献县务工，办理服务"},
                                 area_code=world["villages"][1].code, urgent=urgent, created_at=created)
    msg, outcome = services.receive(env)
    assert outcome == "applied"
    return Enquiry.objects.get(uid=msg.uid)


def _send(client, world, user="town1", **extra):
    client.force_login(world["users"][user])
    data = {"person": world["local"].pk, "area_code": "130929100000", "asks": ["registered", "children"],
            "reason": "办理生育服务", **extra}
    return client.post("/exchange/enquiries/new/", data)


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_new_enquiry_from_the_page_writes_the_case_and_its_outbox_row(client, world):
    r = _send(client, world, urgent="on")
    case = Enquiry.objects.get(role=Enquiry.Role.ENQUIRING)
    assert r.status_code == 302 and r["Location"] == f"/exchange/enquiries/{case.uid}/"
    out = Message.objects.get(uid=case.uid, direction=Direction.OUT)
    # the payload is exactly the enquiry's schema, from the register
    assert out.payload == {"id_number": world["local"].id_number, "name": "李芳", "sex": 2,
                           "birth_date": "1990-01-01", "asks": ["registered", "children"], "reason": "办理生育服务"}
    assert (out.state, out.recipient, out.urgent) == (State.PENDING, "xianxian", True)
    today = timezone.localdate()
    assert (case.local_area, case.deadline) == (world["villages"][0].code, today + dt.timedelta(days=15))
    page = _page(client, f"/exchange/enquiries/{case.uid}/")
    assert "15 天后到期" in page or "剩余 15 天" in page
    assert world["local"].id_number in page  # what the message carried


def test_a_bad_enquiry_form_names_the_field_and_writes_nothing(client, world):
    r = _send(client, world, area_code="13x", asks=[])
    assert r.status_code == 400
    body = r.content.decode()
    assert 'data-field="area_code"' in body and 'data-field="asks"' in body
    assert not Message.objects.exists() and not Enquiry.objects.exists()
    # no peer serves the area: the field is named, nothing half-written
    r = _send(client, world, area_code="110101000000")
    assert r.status_code == 400 and 'data-field="area_code"' in r.content.decode()
    assert "目录中没有服务区划 110101000000 的节点" in r.content.decode()
    assert not Message.objects.exists() and not Enquiry.objects.exists()


def test_the_enquiry_list_shows_deadlines_in_days(client, world):
    received = _receive(world, days_ago=3, urgent=True)  # due in 15 days: 12 left
    late = _receive(world, days_ago=40, urgent=False, asks=("registered",))  # due in 30: 10 days overdue
    # a match that found her is not the answer (the check is): both are still unanswered
    assert late.answered_on is None and received.answered_on is None
    client.force_login(world["users"]["county"])
    page = _page(client, "/exchange/enquiries/")
    row = page.split(f'data-uid="{received.uid}"')[1].split("</tr>")[0]
    assert "剩余 12 天" in row
    row = page.split(f'data-uid="{late.uid}"')[1].split("</tr>")[0]
    assert "逾期 10 天" in row
    assert mask(world["registered"].id_number) in page and world["registered"].id_number not in page
    # filters: urgent only; state
    page = _page(client, "/exchange/enquiries/?urgent=yes")
    assert str(received.uid) in page and str(late.uid) not in page
    page = _page(client, "/exchange/enquiries/?state=closed")
    assert str(received.uid) not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _page(client, "/exchange/enquiries/")
    assert "12 days left" in page and "10 days overdue" in page


def test_answering_a_received_enquiry_changes_its_state_and_writes_the_outbox(client, world):
    case = _receive(world)
    assert case.state == "matched" and case.found is True
    client.force_login(world["users"]["town2"])
    before = Message.objects.filter(direction=Direction.OUT).count()
    r = client.post(f"/exchange/enquiries/{case.uid}/answer/", {"kind": "check", "registered": "yes", "children": "2",
                                                                "checked_on": "2026-03-05", "note": "已核实"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.answered_on) == ("checked", timezone.localdate())
    out = Message.objects.filter(direction=Direction.OUT).order_by("pk").last()
    assert Message.objects.filter(direction=Direction.OUT).count() == before + 1
    assert (out.kind, out.reply_to, out.state) == ("check", case.uid, State.PENDING)
    assert out.payload == {"facts": {"registered": True, "children": 2}, "checked_on": "2026-03-05", "note": "已核实"}
    # the thread: enquiry received → match sent → check sent
    page = _page(client, f"/exchange/enquiries/{case.uid}/")
    thread = page.split('id="thread"')[1].split("</ol>")[0]
    kinds = [part.split('"')[0] for part in thread.split('data-kind="')[1:]]
    assert kinds == ["enquiry", "match", "check"]
    days = page.split("data-days>")[1].split("</span>")[0]
    assert days.strip() == f"已于 {timezone.localdate():%Y-%m-%d} 答复", days


def test_a_bad_answer_names_the_field_and_sends_nothing(client, world):
    case = _receive(world)
    client.force_login(world["users"]["town2"])
    before = Message.objects.count()
    r = client.post(f"/exchange/enquiries/{case.uid}/answer/", {"kind": "check", "registered": "maybe",
                                                                "children": "-1", "checked_on": "2026-13-01"})
    assert r.status_code == 400
    body = r.content.decode()
    for field in ("registered", "children", "checked_on"):
        assert f'data-field="{field}"' in body
    assert Message.objects.count() == before
    case.refresh_from_db()
    assert case.state == "matched"
    # a match saying "registered here" must name the area
    r = client.post(f"/exchange/enquiries/{case.uid}/answer/", {"kind": "match", "found": "yes",
                                                                "registered_area": ""})
    assert r.status_code == 400 and 'data-field="registered_area"' in r.content.decode()
    # feedback is the enquiring node's: not offered, and refused
    r = client.post(f"/exchange/enquiries/{case.uid}/answer/", {"kind": "feedback", "outcome": "served"})
    assert r.status_code == 400 and Message.objects.count() == before


def test_a_received_person_is_seen_only_through_the_carried_fields(client, world):
    case = _receive(world)
    client.force_login(world["users"]["town2"])
    page = _page(client, f"/exchange/enquiries/{case.uid}/")
    carried = page.split('id="carried"')[1].split("</table>")[0]
    fields = [part.split('"')[0] for part in carried.split('data-field="')[1:]]
    assert fields == ["id_number", "name", "sex", "birth_date", "asks", "reason"]
    assert "王兰" in carried and "1988-06-01" in carried and "在献县务工" in carried
    # neither her mother's name nor her household's address: the message did not carry them
    assert "张母亲" not in page and "幸福路八号" not in page and "1309821012010009" not in page
    # the matched local person, whom this officer may see, is linked (not copied)
    assert f'/registry/persons/{world["registered"].pk}/' in page
    # an officer of another township of the county does not see the case at all
    client.force_login(world["users"]["town1"])
    assert client.get(f"/exchange/enquiries/{case.uid}/").status_code == 404


def test_a_township_officer_sees_its_townships_cases_and_another_county_nothing(client, world):
    _send(client, world)
    sent = Enquiry.objects.get(role=Enquiry.Role.ENQUIRING)
    received = _receive(world)
    seen = {}
    for key in ("county", "town1", "town2", "other"):
        client.force_login(world["users"][key])
        page = _page(client, "/exchange/enquiries/")
        seen[key] = {str(u) for u in (sent.uid, received.uid) if str(u) in page}
    assert seen == {"county": {str(sent.uid), str(received.uid)}, "town1": {str(sent.uid)},
                    "town2": {str(received.uid)}, "other": set()}
    client.force_login(world["users"]["other"])
    for uid in (sent.uid, received.uid):
        assert client.get(f"/exchange/enquiries/{uid}/").status_code == 404
    page = _page(client, "/exchange/outbox/")
    assert "xianxian" not in page
    page = _page(client, "/exchange/overdue/")
    assert str(received.uid) not in page
    body = client.get("/exchange/enquiries/export.xlsx").content
    assert mask(world["local"].id_number).encode() not in body
    # a village officer has no exchange.view
    client.force_login(world["users"]["village"])
    assert client.get("/exchange/").status_code == 403
    assert client.get("/exchange/enquiries/").status_code == 403


def test_home_counts_the_period_and_draws_them(client, world):
    _send(client, world)
    _receive(world, days_ago=3)
    old = _receive(world, days_ago=40, urgent=False)
    client.force_login(world["users"]["county"])
    today = timezone.localdate()
    period = messages.period_of(today - dt.timedelta(days=3))
    page = _page(client, f"/exchange/?period={period}")
    counts = {key: page.split(f'data-count="{key}">')[1].split("<")[0] for key in ("sent", "received", "overdue")}
    sent_here = 1 if messages.period_of(today) == period else 0
    assert counts == {"sent": str(sent_here), "received": "1", "overdue": "0"}
    old_period = messages.period_of(old.opened_on)
    page = _page(client, f"/exchange/?period={old_period}")
    assert page.split('data-count="overdue">')[1].split("<")[0] == "1"
    assert "<svg" in page  # the bar chart of the period
    assert "任丘市人口服务" in page and "任丘市 (130982)" in page


def test_overdue_page_per_node_and_township(client, world):
    _receive(world, days_ago=40, urgent=False)
    _receive(world, days_ago=20, urgent=True)  # 15 days: 5 overdue
    _receive(world, days_ago=2, urgent=True)
    client.force_login(world["users"]["county"])
    page = _page(client, "/exchange/overdue/")
    assert page.split("data-total>")[1].split("<")[0] == "2"
    township = page.split('id="by-township"')[1].split("</table>")[0]
    assert world["towns"][1].name in township and ">2<" in township
    rows = page.split('id="overdue"')[1].split("</table>")[0]
    assert ">10<" in rows and ">5<" in rows


def test_outbox_and_inbox_show_state_attempts_and_refusals(client, world):
    from renkou.exchange import services

    _send(client, world)
    Message.objects.filter(direction=Direction.OUT).update(attempts=3, last_error="HTTP 503: busy")
    bad = world["peer"].envelope("enquiry", {"id_number": "13098219880601004X"}, area_code=world["villages"][1].code)
    assert services.receive(bad)[1] == "refused"
    client.force_login(world["users"]["county"])
    page = _page(client, "/exchange/outbox/")
    assert "HTTP 503: busy" in page and ">3<" in page and "等待发送" in page
    page = _page(client, "/exchange/inbox/")
    assert "已拒收" in page and "missing" in page
    # a township officer reads the messages of its cases only, never the node's refusals
    client.force_login(world["users"]["town1"])
    assert "missing" not in _page(client, "/exchange/inbox/")
    assert "HTTP 503: busy" in _page(client, "/exchange/outbox/")


def test_peer_directory_and_its_import_by_county_officers_only(client, world, tmp_path):
    from renkou.exchange import signing
    from renkou.exchange.models import Peer

    key = signing.public_text(signing.new_private_key())
    good = (f"- code: hejian\n  name: 河间市\n  url: http://127.0.0.1:2\n  public_key: \"{key}\"\n"
            "  prefixes: [\"130984\"]\n")
    bad = good + "- code: cangxian\n  name: 沧县\n  url: http://127.0.0.1:3\n  public_key: \"AAAA\"\n  prefixes: [\"130921\"]\n"
    client.force_login(world["users"]["town1"])
    page = _page(client, "/exchange/peers/")
    assert "xianxian" in page and "import-peers" not in page
    r = client.post("/exchange/peers/import/", {"file": io.BytesIO(good.encode())})
    assert r.status_code == 403 and not Peer.objects.filter(code="hejian").exists()
    client.force_login(world["users"]["county"])
    upload = io.BytesIO(bad.encode())
    upload.name = "peers.yaml"
    r = client.post("/exchange/peers/import/", {"file": upload}, follow=True)
    body = r.content.decode()
    # named entry and field, in the page's language only
    assert "第 2 个节点（cangxian）" in body and "public_key" in body and "peer 2" not in body
    assert not Peer.objects.filter(code__in=["hejian", "cangxian"]).exists()  # all or nothing
    upload = io.BytesIO(good.encode())
    upload.name = "peers.yaml"
    r = client.post("/exchange/peers/import/", {"file": upload}, follow=True)
    assert Peer.objects.filter(code="hejian").exists()
    from renkou.exchange.views import fingerprint

    assert fingerprint(key) in r.content.decode()


def test_the_export_is_the_list_with_masked_id_numbers_and_no_formula(client, world):
    from openpyxl import load_workbook

    _send(client, world, reason="=HYPERLINK(\"x\")")
    client.force_login(world["users"]["county"])
    received = _receive(world)
    Message.objects.filter(uid=received.uid, direction=Direction.IN).update(
        payload={**Message.objects.get(uid=received.uid, direction=Direction.IN).payload, "name": "=1+1"})
    r = client.get("/exchange/enquiries/export.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3
    by_uid = {row[0]: row for row in rows[1:]}
    assert by_uid[str(received.uid)][2] == "'=1+1"
    assert by_uid[str(received.uid)][3] == mask(world["registered"].id_number)
    assert all(world["local"].id_number not in str(cell) for row in rows for cell in row)


def test_unknown_enquiry_is_404(client, world):
    client.force_login(world["users"]["county"])
    assert client.get(f"/exchange/enquiries/{uuid.uuid4()}/").status_code == 404

"""The outbox and the inbox on one node, against a simulated peer: routing, signature,
entitlement, idempotence, held replies, case bookkeeping, deadlines and counts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from renkou.core.models import AuditEvent
from renkou.exchange import handlers, services
from renkou.exchange.models import Enquiry, Message

from .conftest import RENQIU, XIANXIAN

ENQ = {"id_number": "13092919900101002X", "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
       "asks": ["registered", "children"], "reason": "在任丘市务工"}


def _send_enquiry(urgent=False):
    with transaction.atomic():
        return services.send("enquiry", area_code=XIANXIAN + "100000", payload=ENQ, urgent=urgent)


def test_send_writes_signed_outbox_row_and_opens_case(node):
    n, peer = node
    msg = _send_enquiry(urgent=True)
    assert (msg.recipient, msg.direction, msg.state) == ("xianxian", "out", "pending")
    assert msg.deadline == timezone.localdate(msg.created_at) + dt.timedelta(days=15)
    assert services.signing.verify(n.public_key, msg.envelope(), msg.signature)
    case = Enquiry.objects.get(uid=msg.uid)
    assert (case.role, case.state, case.deadline) == ("enquiring", "opened", msg.deadline)
    assert AuditEvent.objects.filter(action="exchange.send", object_id=str(msg.pk)).exists()


def test_deadline_counts_from_the_beijing_date_not_the_utc_date(node, monkeypatch):
    # 22:00 UTC on 3 December is 06:00 on 4 December in Beijing: the case opens on the 4th
    monkeypatch.setattr(services, "_now", lambda: dt.datetime(2026, 12, 3, 22, 0, tzinfo=dt.UTC))
    msg = _send_enquiry(urgent=True)
    assert msg.deadline == dt.date(2026, 12, 19)
    assert Enquiry.objects.get(uid=msg.uid).deadline == dt.date(2026, 12, 19)


def test_send_needs_transaction_route_and_valid_payload(node):
    with transaction.atomic(), pytest.raises(services.NoRoute, match="no peer node of the directory serves area 520122"):
        services.send("enquiry", area_code="520122", payload=ENQ)
    with transaction.atomic(), pytest.raises(ValueError, match="data minimisation"):
        services.send("enquiry", area_code=XIANXIAN, payload={**ENQ, "address": "x"})
    assert not Message.objects.exists()


def test_received_enquiry_is_matched_and_replayed_once(node, make_person_renqiu):
    n, peer = node
    env = peer.envelope("enquiry", {**ENQ, "id_number": make_person_renqiu.id_number}, area_code=RENQIU)
    msg, outcome = services.receive(env)
    assert outcome == "applied"
    case = Enquiry.objects.get(uid=msg.uid)
    assert (case.role, case.found, case.person_id) == ("registration", True, make_person_renqiu.pk)
    reply = Message.objects.get(direction="out", kind="match")
    assert reply.payload == {"found": True, "registered_area": make_person_renqiu.registered_area_id}
    assert (reply.recipient, reply.reply_to) == ("xianxian", msg.uid)
    again, outcome = services.receive(env)
    assert (again.pk, outcome) == (msg.pk, "already")
    assert Message.objects.filter(direction="out", kind="match").count() == 1


@pytest.mark.parametrize("tamper, reason", [
    (lambda e: e["payload"].__setitem__("name", "王芳"), "signature does not verify"),
    (lambda e: e.__setitem__("signature", ""), "unsigned"),
    (lambda e: e.__setitem__("sender", "nobody"), "not a peer of the directory"),
])
def test_tampered_unsigned_unknown_refused_and_audited(node, tamper, reason):
    n, peer = node
    env = peer.envelope("enquiry", ENQ, area_code=RENQIU)
    tamper(env)
    msg, outcome = services.receive(env)
    assert outcome == "refused" and reason in msg.reason
    assert not Enquiry.objects.exists()
    assert AuditEvent.objects.filter(action="exchange.refuse", object_id=str(msg.pk)).exists()


def test_not_entitled_refused(node):
    n, peer = node
    # an enquiry about a person registered in an area this node does not serve
    msg, outcome = services.receive(peer.envelope("enquiry", ENQ, area_code="520122"))
    assert outcome == "refused" and "not served by this node" in msg.reason
    # a match for Renqiu's own enquiry about a Xianxian person, from a node that does not serve it
    case_msg = _send_enquiry()
    services.set_peer("gaize", name="改则县", url="http://127.0.0.1:2", public_key=peer.public,
                      prefixes=["542526"])
    forged = peer.envelope("match", {"found": True, "registered_area": ""}, area_code=XIANXIAN + "100000",
                           reply_to=case_msg.uid)
    forged["sender"] = "gaize"
    forged["signature"] = services.signing.sign(peer.key, {k: v for k, v in forged.items() if k != "signature"})
    msg, outcome = services.receive(forged)
    assert outcome == "refused" and "not entitled to answer for area" in msg.reason
    assert Enquiry.objects.get(uid=case_msg.uid).state == "opened"


def test_reply_before_enquiry_is_held_then_applied(node):
    n, peer = node
    enquiry_uid = uuid.uuid4()
    enquiry = peer.envelope("enquiry", ENQ, area_code=RENQIU, uid=enquiry_uid)
    feedback = peer.envelope("feedback", {"outcome": "served", "note": ""}, area_code=RENQIU,
                             reply_to=enquiry_uid)
    msg, outcome = services.receive(feedback)
    assert (outcome, msg.state) == ("held", "held")
    services.receive(enquiry)
    msg.refresh_from_db()
    assert msg.state == "applied"
    assert Enquiry.objects.get(uid=enquiry_uid).state == "closed"


def test_registered_handlers_run_in_the_inbox_transaction(node):
    n, peer = node
    seen = []

    def boom(message):
        seen.append(message.uid)
        raise RuntimeError("handler failed")

    handlers.register("notification", boom)
    try:
        env = peer.envelope("notification", {"event": "arrival", "id_number": ENQ["id_number"], "name": "李芳",
                                             "sex": 2, "birth_date": "1990-01-01", "date": "2026-03-01",
                                             "residence_area": XIANXIAN, "residence_address": "", "note": ""},
                            area_code=RENQIU)
        with pytest.raises(RuntimeError):
            services.receive(env)
        assert seen and not Message.objects.filter(direction="in").exists()
    finally:
        handlers._HANDLERS["notification"].remove(boom)


def test_overdue_and_counts(node):
    n, peer = node
    late = _send_enquiry(urgent=True)
    ontime = _send_enquiry()
    for m in (late, ontime):
        Enquiry.objects.filter(uid=m.uid).update(local_area=RENQIU + "100000", opened_on=dt.date(2026, 3, 2),
                                                 period="2026-03")
    Enquiry.objects.filter(uid=late.uid).update(deadline=dt.date(2026, 3, 17))
    Enquiry.objects.filter(uid=ontime.uid).update(deadline=dt.date(2026, 4, 1), answered_on=dt.date(2026, 3, 20),
                                                  state="checked")
    assert list(services.overdue(RENQIU, dt.date(2026, 3, 18)).values_list("uid", flat=True)) == [late.uid]
    assert not services.overdue(RENQIU, dt.date(2026, 3, 17)).exists()
    assert services.enquiry_counts(RENQIU, "2026-03", as_of=dt.date(2026, 3, 18)) == \
        {"sent": 2, "received": 0, "answered": 1, "overdue": 1, "open": 2}


def test_indicator_operands(node):
    from renkou.exchange import indicators
    from renkou.indicators import providers

    assert "exchange" in {p.name for p in providers.providers()}
    a, b, c = (_send_enquiry() for _ in range(3))
    rows = {a.uid: (dt.date(2026, 3, 10), dt.date(2026, 3, 9)),   # due in March, answered in time
            b.uid: (dt.date(2026, 3, 15), dt.date(2026, 3, 16)),  # due in March, answered late
            c.uid: (dt.date(2026, 4, 30), None)}                   # due in April
    for uid, (deadline, answered) in rows.items():
        Enquiry.objects.filter(uid=uid).update(local_area=RENQIU + "100000", deadline=deadline,
                                               answered_on=answered, opened_on=dt.date(2026, 2, 20))
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    got = {op: indicators.operand_values(op, [RENQIU, "520122"], *march) for op in indicators.OPERANDS}
    assert got == {"sent": [0.0, None], "received": [0.0, None], "due": [2.0, None],
                   "answered_in_time": [1.0, None], "overdue": [1.0, None]}

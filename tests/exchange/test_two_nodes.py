"""Two real nodes on loopback — Renqiu (任丘市, where the migrant lives) and Xianxian (献县, where she
is registered) — each a `renkou serve` with its own SQLite database: the whole enquiry → match →
check → feedback → notification cycle over HTTP, and the faults: receiver down, delivered twice,
out of order, tampered and not entitled, kill -9 mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from .nodes import two_nodes

TOWNSHIP = "130929100000"  # 献县 乐寿镇
ID_BODY = "13092919900101002"

CASE = textwrap.dedent("""
    import json, os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    from renkou.exchange.models import Enquiry, Message
    out = {"cases": [dict(uid=str(e.uid), role=e.role, state=e.state, found=e.found, outcome=e.outcome,
                          answered=e.answered_on is not None, person=e.person_id)
                     for e in Enquiry.objects.order_by("id")],
           "inbox": [dict(uid=str(m.uid), kind=m.kind, state=m.state, reason=m.reason, payload=m.payload)
                     for m in Message.objects.filter(direction="in").order_by("id")],
           "outbox": [dict(uid=str(m.uid), kind=m.kind, state=m.state, attempts=m.attempts, error=m.last_error)
                      for m in Message.objects.filter(direction="out").order_by("id")]}
    print(json.dumps(out, ensure_ascii=False))
""")


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    yield from two_nodes(tmp_path_factory.mktemp("nodes"), TOWNSHIP, ID_BODY)


NOT_YET_DUE = textwrap.dedent("""
    import datetime as dt, json, os
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    from renkou.exchange import services
    from renkou.exchange.models import Message
    first = min(m.next_attempt_at for m in Message.objects.filter(direction="out", state="pending"))
    print(json.dumps(services.deliver(now=first - dt.timedelta(seconds=1))))
""")


def state(node):
    return json.loads(node.python(CASE).strip().splitlines()[-1])


def enquiry(node, id_number, urgent=False):
    payload = {"id_number": id_number, "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
               "asks": ["registered", "marital_status"], "reason": "在任丘市务工，办理服务"}
    args = ["exchange", "send", "enquiry", "--area", TOWNSHIP, "--payload", json.dumps(payload, ensure_ascii=False)]
    return node.renkou(*args, *(["--urgent"] if urgent else [])).stdout.split()[0]


def post(node, token, envelopes):
    req = urllib.request.Request(f"{node.url}/api/exchange/inbox", method="POST",
                                 data=json.dumps({"messages": envelopes}).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["results"]


def test_whole_cycle_over_http(nodes):
    renqiu, xianxian, id_number = nodes
    uid = enquiry(renqiu, id_number, urgent=True)
    assert renqiu.renkou_json("exchange", "deliver") == {"delivered": 1, "failed": 0}
    there = state(xianxian)
    case = next(c for c in there["cases"] if c["uid"] == uid)
    assert (case["role"], case["state"], case["found"]) == ("registration", "matched", True)
    # the registration node answered by itself with a match result, waiting in its outbox
    assert [m["kind"] for m in there["outbox"] if m["state"] == "pending"] == ["match"]
    assert xianxian.renkou_json("exchange", "deliver") == {"delivered": 1, "failed": 0}
    here = next(c for c in state(renqiu)["cases"] if c["uid"] == uid)
    assert (here["state"], here["found"]) == ("matched", True)
    # the registration node's officer confirms the facts asked (only those: another one is refused)
    bad = xianxian.renkou("exchange", "send", "check", "--area", TOWNSHIP, "--reply-to", uid, "--payload",
                          json.dumps({"facts": {"children": 1}, "checked_on": "2026-03-05", "note": ""}), check=False)
    assert bad.returncode != 0 and "not asked by the enquiry: children" in bad.stderr
    xianxian.renkou("exchange", "send", "check", "--area", TOWNSHIP, "--reply-to", uid, "--payload",
                    json.dumps({"facts": {"registered": True, "marital_status": "20"}, "checked_on": "2026-03-05",
                                "note": "户籍在乐寿镇"}, ensure_ascii=False))
    xianxian.renkou("exchange", "deliver")
    here = state(renqiu)
    assert next(c for c in here["cases"] if c["uid"] == uid)["state"] == "checked"
    check = next(m for m in here["inbox"] if m["kind"] == "check")
    assert check["payload"]["facts"] == {"registered": True, "marital_status": "20"}
    # the enquiring node closes the case with its feedback
    renqiu.renkou("exchange", "send", "feedback", "--area", TOWNSHIP, "--reply-to", uid, "--payload",
                  json.dumps({"outcome": "served", "note": "已办理"}, ensure_ascii=False))
    renqiu.renkou("exchange", "deliver")
    there = next(c for c in state(xianxian)["cases"] if c["uid"] == uid)
    assert (there["state"], there["outcome"]) == ("closed", "served")
    # a notification of her arrival
    renqiu.renkou("exchange", "send", "notification", "--area", TOWNSHIP, "--payload", json.dumps(
        {"event": "arrival", "id_number": id_number, "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
         "date": "2026-03-01", "residence_area": "130982100000", "residence_address": "任丘市新华路",
         "note": ""}, ensure_ascii=False))
    renqiu.renkou("exchange", "deliver")
    note = [m for m in state(xianxian)["inbox"] if m["kind"] == "notification"]
    assert [(m["state"], m["payload"]["event"]) for m in note] == [("applied", "arrival")]
    st = renqiu.renkou_json("exchange", "status", "--format", "json")
    assert st["counts"]["out_pending"] == 0 and st["counts"]["out_delivered"] >= 3


def test_receiver_down_then_back_loses_nothing(nodes):
    renqiu, xianxian, id_number = nodes
    xianxian.stop()
    try:
        uids = [enquiry(renqiu, id_number) for _ in range(3)]
        assert renqiu.renkou_json("exchange", "deliver") == {"delivered": 0, "failed": 3}
        out = {m["uid"]: m for m in state(renqiu)["outbox"]}
        assert all(out[u]["state"] == "pending" and out[u]["attempts"] == 1 and "Connection" in out[u]["error"]
                   for u in uids)
        # waiting for its back-off: not due a second before it runs out (the clock given, so a slow
        # machine cannot make the back-off run out between the two deliveries)
        assert json.loads(renqiu.python(NOT_YET_DUE).strip().splitlines()[-1]) == {"delivered": 0, "failed": 0}
    finally:
        xianxian.start()
    assert renqiu.renkou_json("exchange", "deliver", "--force") == {"delivered": 3, "failed": 0}
    received = {c["uid"] for c in state(xianxian)["cases"]}
    assert set(uids) <= received


def test_delivered_twice_applied_once(nodes):
    renqiu, xianxian, id_number = nodes
    uid = enquiry(renqiu, id_number)
    envelope = _envelope(renqiu, uid)
    assert post(xianxian, _token_for(renqiu, xianxian), [envelope]) == \
        [{"uid": uid, "outcome": "applied", "reason": ""}]
    assert post(xianxian, _token_for(renqiu, xianxian), [envelope])[0]["outcome"] == "already"
    assert sum(1 for c in state(xianxian)["cases"] if c["uid"] == uid) == 1
    assert sum(1 for m in state(xianxian)["outbox"] if m["kind"] == "match") == \
        sum(1 for c in state(xianxian)["cases"])


def _token_for(sender, receiver):
    """The token the sender uses at the receiver: the receiver's machine-peer account's token."""
    return receiver.info["token"]


def _envelope(node, uid):
    code = textwrap.dedent(f"""
        import json, os
        import django
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
        django.setup()
        from renkou.exchange.models import Message
        print(json.dumps(Message.objects.get(uid="{uid}", direction="out").signed(), ensure_ascii=False))
    """)
    return json.loads(node.python(code).strip().splitlines()[-1])


def test_tampered_and_unsigned_refused_and_logged(nodes):
    renqiu, xianxian, id_number = nodes
    uid = enquiry(renqiu, id_number)
    env = _envelope(renqiu, uid)
    tampered = {**env, "payload": {**env["payload"], "asks": ["registered", "children", "household"]}}
    unsigned = {**env, "uid": env["uid"][:-4] + "0000", "signature": ""}
    results = post(xianxian, _token_for(renqiu, xianxian), [tampered, unsigned])
    assert [r["outcome"] for r in results] == ["refused", "refused"]
    assert "signature does not verify" in results[0]["reason"] and results[1]["reason"] == "unsigned"
    st = xianxian.renkou_json("exchange", "status", "--format", "json")
    assert {r["reason"] for r in st["refused"]} >= {"unsigned"}
    assert uid not in {c["uid"] for c in state(xianxian)["cases"]}


class _Stall(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.server.hit.set()
        time.sleep(30)

    def log_message(self, *a):
        pass


def test_kill_9_of_the_worker_mid_delivery_loses_nothing(nodes, tmp_path):
    renqiu, xianxian, id_number = nodes
    uid = enquiry(renqiu, id_number)
    # the peer answers slowly: the delivery is killed while it waits for the answer
    stall = HTTPServer(("127.0.0.1", 0), _Stall)
    stall.hit = threading.Event()
    threading.Thread(target=stall.serve_forever, daemon=True).start()
    directory = tmp_path / "slow.yaml"
    entry = {"code": "xianxian", "name": "献县", "url": f"http://127.0.0.1:{stall.server_port}",
             "public_key": xianxian.info["public_key"], "token": xianxian.info["token"], "prefixes": ["130929"]}
    directory.write_text(json.dumps([entry], ensure_ascii=False), encoding="utf-8")
    renqiu.renkou("exchange", "directory", str(directory))
    worker = subprocess.Popen([sys.executable, "-m", "renkou", "exchange", "deliver", "--force"], env=renqiu.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert stall.hit.wait(60)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        stall.shutdown()
    assert worker.returncode == -signal.SIGKILL
    assert next(m for m in state(renqiu)["outbox"] if m["uid"] == uid)["state"] == "pending"
    renqiu.trust(xianxian)
    assert renqiu.renkou_json("exchange", "deliver", "--force")["delivered"] >= 1
    assert next(m for m in state(renqiu)["outbox"] if m["uid"] == uid)["state"] == "delivered"
    assert sum(1 for c in state(xianxian)["cases"] if c["uid"] == uid) == 1

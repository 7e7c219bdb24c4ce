"""The outbox's background worker, `renkou exchange worker` (a huey consumer), on the two real
nodes of nodes.py: a message sent is delivered without anyone calling `deliver`; the receiver down
→ retried with back-off and delivered when it returns, none lost; kill -9 of the worker while it
waits for the peer → nothing lost, and a restarted worker delivers it once. No timing is asserted:
each wait polls a state until a deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import HTTPServer

import pytest

from .nodes import two_nodes
from .test_two_nodes import CASE, ID_BODY, TOWNSHIP, _Stall, enquiry

DEADLINE = 120  # seconds: a generous bound on a shared machine, never an expected time


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    yield from two_nodes(tmp_path_factory.mktemp("worker-nodes"), TOWNSHIP, ID_BODY)


def state(node):
    return json.loads(node.python(CASE).strip().splitlines()[-1])


def wait_for(what, check, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline} s: {what}")
        time.sleep(0.5)


class Worker:
    """`renkou exchange worker` as a subprocess of a node."""

    def __init__(self, node, *args):
        self.node = node
        self.log = open(node.home / "worker.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "renkou", "exchange", "worker", *args], env=node.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        pid_file = node.home / "exchange" / "worker.pid"
        wait_for("the worker writes its pid file",
                 lambda: self._alive() and pid_file.exists() and pid_file.read_text().strip() == str(self.proc.pid))

    def _alive(self):
        assert self.proc.poll() is None, (self.node.home / "worker.log").read_text()
        return True

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()
        return self.proc.returncode


SEND = textwrap.dedent("""
    import json, os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    from django.db import transaction
    from renkou.exchange import services
    payload = json.loads(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        with transaction.atomic():
            print(services.send("enquiry", area_code=sys.argv[3], payload=payload).uid)
""")


def enquiries(node, id_number, n):
    """n enquiries, each in its own transaction, sent by one process (the CLI starts one per message)."""
    payload = {"id_number": id_number, "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
               "asks": ["registered"], "reason": "在任丘市务工，办理服务"}
    return node.python(SEND, json.dumps(payload, ensure_ascii=False), str(n), TOWNSHIP).split()


def outbox(node, uid):
    return next(m for m in state(node)["outbox"] if m["uid"] == uid)


def case_at(node, uid):
    return [c for c in state(node)["cases"] if c["uid"] == uid]


def test_worker_delivers_without_anyone_calling_deliver(nodes):
    renqiu, xianxian, id_number = nodes
    worker = Worker(renqiu, "--workers", "2")
    try:
        uid = enquiry(renqiu, id_number, urgent=True)
        cases = wait_for("the enquiry arrives at Xianxian", lambda: case_at(xianxian, uid))
        assert [(c["role"], c["state"], c["found"]) for c in cases] == [("registration", "matched", True)]
        sent = wait_for("marked delivered at Renqiu",
                        lambda: (m := outbox(renqiu, uid))["state"] == "delivered" and m)
        assert (sent["attempts"], sent["error"]) == (1, "")
    finally:
        worker.stop()
    assert worker.proc.returncode == 0
    assert not (renqiu.home / "exchange" / "worker.pid").exists()
    # the receiver runs no worker: its match result waits in its outbox, nothing queued for it
    assert [m["state"] for m in state(xianxian)["outbox"] if m["kind"] == "match"][-1] == "pending"
    assert not (xianxian.home / "exchange" / "queue.sqlite3").exists()


def test_receiver_down_retried_with_backoff_none_lost(nodes):
    renqiu, xianxian, id_number = nodes
    xianxian.stop()
    worker = Worker(renqiu)
    try:
        uids = enquiries(renqiu, id_number, 3)
        # each tried once and failed: pending, the error kept, waiting for its back-off
        failed = wait_for("three failed attempts", lambda: all(
            (m := outbox(renqiu, u))["attempts"] >= 1 and m["state"] == "pending" for u in uids))
        assert failed
        assert all("Connection" in outbox(renqiu, u)["error"] for u in uids)
        xianxian.start()
        wait_for("all three delivered after their back-off",
                 lambda: all(outbox(renqiu, u)["state"] == "delivered" for u in uids))
    finally:
        worker.stop()
        if xianxian.server is None:
            xianxian.start()
    assert all(outbox(renqiu, u)["attempts"] >= 2 for u in uids)
    assert [len(case_at(xianxian, u)) for u in uids] == [1, 1, 1]


def test_kill_9_of_the_worker_mid_delivery_loses_nothing(nodes, tmp_path):
    renqiu, xianxian, id_number = nodes
    # the peer answers slowly: the worker is killed while it waits for the answer
    stall = HTTPServer(("127.0.0.1", 0), _Stall)
    stall.hit = threading.Event()
    threading.Thread(target=stall.serve_forever, daemon=True).start()
    directory = tmp_path / "slow.yaml"
    entry = {"code": "xianxian", "name": "献县", "url": f"http://127.0.0.1:{stall.server_port}",
             "public_key": xianxian.info["public_key"], "token": xianxian.info["token"], "prefixes": ["130929"]}
    directory.write_text(json.dumps([entry], ensure_ascii=False), encoding="utf-8")
    renqiu.renkou("exchange", "directory", str(directory))
    worker = Worker(renqiu)
    try:
        uid = enquiry(renqiu, id_number)
        assert stall.hit.wait(DEADLINE)
        assert worker.kill9() == -signal.SIGKILL
    finally:
        stall.shutdown()
    assert outbox(renqiu, uid)["state"] == "pending"
    # its pid file names a dead process: a send now queues nothing
    assert (renqiu.home / "exchange" / "worker.pid").exists()
    renqiu.trust(xianxian)
    again = Worker(renqiu)
    try:
        wait_for("delivered by the restarted worker", lambda: outbox(renqiu, uid)["state"] == "delivered")
    finally:
        again.stop()
    assert len(case_at(xianxian, uid)) == 1
    assert [m["state"] for m in state(xianxian)["inbox"] if m["uid"] == uid] == ["applied"]


def test_one_worker_per_node(nodes):
    renqiu, _, _ = nodes
    first = Worker(renqiu)
    try:
        second = renqiu.renkou("exchange", "worker", check=False)
        assert second.returncode != 0
        assert f"an exchange worker already runs for this node (pid {first.proc.pid})" in second.stderr
    finally:
        first.stop()


PAYLOAD = {"id_number": "13092919900101002X", "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
           "asks": ["registered"], "reason": "在任丘市务工"}


def _send(n=1):
    from django.db import transaction

    from renkou.exchange import services

    with transaction.atomic():
        for _ in range(n):
            services.send("enquiry", area_code="130929100000", payload=PAYLOAD)


def _live_pid_file():
    from renkou.exchange import worker

    worker.pid_path().parent.mkdir(parents=True, exist_ok=True)
    worker.pid_path().write_text(str(os.getpid()))


def test_nothing_queued_without_a_worker(node, django_capture_on_commit_callbacks):
    from renkou.exchange import worker

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send()
    assert callbacks == [worker.nudge]
    assert worker.running_pid() is None and not worker.queue_path().exists()


def test_nothing_queued_when_turned_off(node, settings, django_capture_on_commit_callbacks):
    from renkou.exchange import worker

    _live_pid_file()
    settings.EXCHANGE_WORKER = False
    with django_capture_on_commit_callbacks(execute=True):
        _send()
    assert worker.running_pid() == os.getpid() and not worker.queue_path().exists()


def test_one_wake_up_per_transaction(node, django_capture_on_commit_callbacks):
    from renkou.exchange import worker

    _live_pid_file()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send(3)
    assert callbacks == [worker.nudge]
    assert worker.queue().pending_count() == 1

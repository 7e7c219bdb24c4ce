"""Exchange between two nodes on loopback: messages per second delivered over HTTP, and a batch
file of many messages imported, each beside a bare baseline measured in the same run.

    .venv/bin/python bench/exchange/bench_exchange.py [--messages 500] [--batch 100000] [--profile]

Two data directories (two SQLite databases), two `renkou serve --server waitress` processes that
trust each other. HTTP: ``--messages`` enquiries written by ``services.send`` on the sender, then
``services.deliver()`` timed (one signed message per POST, each applied at the receiver, which
answers with its match result); baseline: the same bytes POSTed the same way (urllib, one request
each) to a trivial WSGI endpoint on a third waitress server (reads the body, answers a fixed JSON).
Batch: ``--batch`` signed enquiries put in the sender's outbox, ``export_batch`` and
``import_batch`` timed; baseline: the same rows inserted with one bare ``sqlite3`` ``executemany``
into a copy of the receiver's database. Every measured step runs in its own process, which reports
its wall time and peak RSS. ``--profile`` adds cProfile's top functions of ``deliver`` and of an
import of ``--profile-batch`` messages. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOWNSHIP = "130929100000"  # 献县 乐寿镇: the receiver's area
PAYLOAD = {"id_number": "130929199001010025", "name": "李芳", "sex": 2, "birth_date": "1990-01-01",
           "asks": ["registered", "marital_status"], "reason": "在任丘市务工，办理服务"}


# ---------------------------------------------------------------- in a node's process


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _profiled(fn, top: int):
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    result = prof.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    rows = []
    for (path, line, name), (_, calls, tottime, cumtime, _) in sorted(
            stats.stats.items(), key=lambda kv: -kv[1][2])[:top]:
        rows.append({"function": f"{Path(path).name}:{line}:{name}", "calls": calls,
                     "tottime_s": round(tottime, 3), "cumtime_s": round(cumtime, 3)})
    return result, rows


def child(action: str, args: list[str]) -> dict:
    _django()
    from django.db import transaction

    from renkou.exchange import services

    if action == "setup":
        code, name, prefix = args
        from renkou.core import services as core
        from renkou.core.divisions import write_subset
        from renkou.core.models import ApiToken, User

        home = Path(os.environ["RENKOU_HOME"])
        core.import_areas(write_subset(home / "nbs", ("130982", "130929")))
        node = services.init_node(code, name, prefixes=[prefix])
        peer = User.objects.create_user("peer", role="machine_peer")
        _, token = ApiToken.issue(peer, "exchange")
        return {"code": code, "public_key": node.public_key, "token": token}
    if action == "send":  # n enquiries by services.send, each in its own transaction
        t0 = time.perf_counter()
        for _ in range(int(args[0])):
            with transaction.atomic():
                services.send("enquiry", area_code=TOWNSHIP, payload=PAYLOAD)
        return {"seconds": time.perf_counter() - t0}
    if action == "fill":  # n signed outbox rows written at once (the batch's set-up, not measured)
        import uuid

        from django.utils import timezone

        from renkou.exchange import messages, signing
        from renkou.exchange.models import Direction, Message, State

        node, key = services.this_node(), services._private_key()
        body = messages.validate("enquiry", PAYLOAD)
        now = timezone.now().replace(microsecond=0)
        rows = []
        for _ in range(int(args[0])):
            m = Message(uid=uuid.uuid4(), kind="enquiry", sender=node.code, recipient="xianxian", area_code=TOWNSHIP,
                        payload=body, created_at=now, direction=Direction.OUT, state=State.PENDING,
                        next_attempt_at=now, deadline=messages.deadline(timezone.localdate(now), False))
            m.signature = signing.sign(key, m.envelope())
            rows.append(m)
        Message.objects.bulk_create(rows, batch_size=2000)
        return {"rows": len(rows)}
    if action == "mark":  # the pending outbox marked delivered (carried by a batch file already)
        from renkou.exchange.models import Direction, Message, State

        return {"rows": Message.objects.filter(direction=Direction.OUT, state=State.PENDING)
                .update(state=State.DELIVERED)}
    if action == "deliver":
        t0 = time.perf_counter()
        if args and args[0] == "profile":
            got, top = _profiled(services.deliver, 25)
            return {"result": got, "seconds": time.perf_counter() - t0, "profile": top}
        got = services.deliver()
        return {"result": got, "seconds": time.perf_counter() - t0, "peak_rss_mb": _rss_mb()}
    if action == "bare-post":  # the same bytes, POSTed the same way, to the trivial endpoint
        from renkou.exchange.models import Direction, Message

        bodies = [json.dumps({"messages": [m.signed()]}).encode("utf-8")
                  for m in Message.objects.filter(direction=Direction.OUT, kind="enquiry").order_by("id")]
        url = args[0]
        t0 = time.perf_counter()
        for data in bodies:
            req = urllib.request.Request(url, method="POST", data=data,
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Bearer x"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                json.loads(resp.read())
        return {"posts": len(bodies), "bytes": sum(map(len, bodies)), "seconds": time.perf_counter() - t0}
    if action == "export":
        t0 = time.perf_counter()
        got = services.export_batch(Path(args[0]))
        return {"result": got, "seconds": time.perf_counter() - t0, "peak_rss_mb": _rss_mb()}
    if action == "import":
        t0 = time.perf_counter()
        if len(args) > 1 and args[1] == "profile":
            got, top = _profiled(lambda: services.import_batch(Path(args[0])), 25)
            return {"result": got, "seconds": time.perf_counter() - t0, "profile": top}
        got = services.import_batch(Path(args[0]))
        return {"result": got, "seconds": time.perf_counter() - t0, "peak_rss_mb": _rss_mb()}
    raise SystemExit(f"unknown action {action}")


def bare_insert(db: str, batch: str) -> dict:
    """The batch's messages as received rows, with one bare executemany (rows prepared before the
    clock starts; the clock covers the insert and the commit)."""
    import datetime as dt
    import sqlite3
    import zipfile

    with zipfile.ZipFile(batch) as z:
        envelopes = [json.loads(x) for x in z.read("messages.jsonl").decode().splitlines() if x.strip()]
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(exchange_message)") if r[1] != "id"]
    rows = []
    for e in envelopes:
        v = {"uid": e["uid"].replace("-", ""), "kind": e["kind"], "sender": e["sender"], "recipient": e["recipient"],
             "area_code": e["area_code"], "payload": json.dumps(e["payload"], ensure_ascii=False),
             "reply_to": None, "urgent": int(e["urgent"]), "created_at": e["created_at"], "deadline": None,
             "signature": e["signature"], "direction": "in", "state": "applied", "attempts": 0,
             "next_attempt_at": None, "last_error": "", "delivered_at": None, "received_at": now,
             "applied_at": now, "reason": ""}
        rows.append(tuple(v.get(c, "") for c in cols))
    sql = f"INSERT INTO exchange_message ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    t0 = time.perf_counter()
    con.executemany(sql, rows)
    con.commit()
    seconds = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM exchange_message WHERE direction = 'in'").fetchone()[0]
    con.close()
    return {"rows": len(rows), "in_rows_after": n, "seconds": seconds}


TRIVIAL = """
import sys, waitress
def app(environ, start_response):
    n = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(n)
    body = b'{"results": []}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, ident="trivial")
"""


# ---------------------------------------------------------------- the orchestrator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, home: Path, code: str, name: str, prefix: str):
        self.home, self.code, self.name, self.prefix = home, code, name, prefix
        home.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, RENKOU_HOME=str(home), PYTHONPATH=str(ROOT / "src"),
                        DJANGO_SETTINGS_MODULE="renkou.settings")
        self.env.pop("RENKOU_DATABASE_URL", None)
        self.server = None
        self.renkou("migrate", "--no-input")
        self.info = self.run("setup", code, name, prefix)

    def renkou(self, *args):
        subprocess.run([sys.executable, "-m", "renkou", *args], env=self.env, check=True, capture_output=True)

    def run(self, action, *args) -> dict:
        out = subprocess.run([sys.executable, __file__, "--child", action, *args], env=self.env,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"{self.code} {action}: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def trust(self, other: Node) -> None:
        path = self.home / f"directory-{other.code}.yaml"
        path.write_text(json.dumps([{"code": other.code, "name": other.name, "url": other.url,
                                     "public_key": other.info["public_key"], "token": other.info["token"],
                                     "prefixes": [other.prefix]}], ensure_ascii=False), encoding="utf-8")
        self.renkou("exchange", "directory", str(path))

    def start(self) -> None:
        self.server = start([sys.executable, "-m", "renkou", "serve", "--no-migrate", "--host", "127.0.0.1",
                             "--port", str(self.port), "--server", "waitress"], self.env,
                            f"{self.url}/api/exchange/node")


def start(cmd, env, probe) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(probe, timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{cmd} exited") from None
            time.sleep(0.2)
    raise SystemExit(f"{cmd} did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=500, help="messages delivered over HTTP")
    ap.add_argument("--batch", type=int, default=100_000, help="messages of the batch file")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-batch", type=int, default=5000)
    ap.add_argument("--child", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1:]), ensure_ascii=False, default=str))
        return

    base = Path(tempfile.mkdtemp(prefix="renkou-bench-exchange-"))
    servers = []
    try:
        sender = Node(base / "renqiu", "renqiu", "任丘市", "130982")
        receiver = Node(base / "xianxian", "xianxian", "献县", "130929")
        sender.trust(receiver)
        receiver.trust(sender)
        sender.start()
        receiver.start()
        servers += [sender.server, receiver.server]
        trivial_port = free_port()
        trivial_url = f"http://127.0.0.1:{trivial_port}/api/exchange/inbox"
        servers.append(start([sys.executable, "-c", TRIVIAL, str(trivial_port)], sender.env,
                             f"http://127.0.0.1:{trivial_port}/"))
        n = a.messages
        sent = sender.run("send", str(n))
        delivered = sender.run("deliver")
        assert delivered["result"] == {"delivered": n, "failed": 0}, delivered
        bare = sender.run("bare-post", trivial_url)
        http = {
            "messages": n,
            "send_per_s": round(n / sent["seconds"], 1),
            "deliver_s": round(delivered["seconds"], 3),
            "deliver_per_s": round(n / delivered["seconds"], 1),
            "bare_post_s": round(bare["seconds"], 3),
            "bare_post_per_s": round(n / bare["seconds"], 1),
            "bytes_per_message": round(bare["bytes"] / n),
            "ratio_deliver_to_bare": round(delivered["seconds"] / bare["seconds"], 2),
            "deliver_peak_rss_mb": delivered["peak_rss_mb"],
        }
        print(json.dumps({"http": http}), file=sys.stderr, flush=True)  # kept if a later step is stopped
        if a.profile:
            sender.run("send", str(n))
            http["profile_deliver"] = sender.run("deliver", "profile")["profile"]

        m = a.batch
        sender.run("fill", str(m))
        zip_path = base / "outbox.zip"
        exported = sender.run("export", str(zip_path))
        assert exported["result"]["count"] == m, exported
        copy = base / "baseline.sqlite3"
        shutil.copy(receiver.home / "renkou.sqlite3", copy)
        imported = receiver.run("import", str(zip_path))
        assert imported["result"]["applied"] == m, imported
        insert = bare_insert(str(copy), str(zip_path))
        batch = {
            "messages": m,
            "file_mb": round(zip_path.stat().st_size / 2**20, 1),
            "export_s": round(exported["seconds"], 2),
            "export_peak_rss_mb": exported["peak_rss_mb"],
            "import_s": round(imported["seconds"], 2),
            "import_per_s": round(m / imported["seconds"], 1),
            "import_peak_rss_mb": imported["peak_rss_mb"],
            "bare_executemany_s": round(insert["seconds"], 3),
            "bare_executemany_per_s": round(m / insert["seconds"], 1),
            "ratio_import_to_bare": round(imported["seconds"] / insert["seconds"], 1),
        }
        print(json.dumps({"batch": batch}), file=sys.stderr, flush=True)
        if a.profile:
            small = base / "small.zip"
            sender.run("mark")  # the big batch carried: the small one holds only its own messages
            sender.run("fill", str(a.profile_batch))
            sender.run("export", str(small))
            batch["profile_import"] = {"messages": a.profile_batch,
                                       "top": receiver.run("import", str(small), "profile")["profile"]}
        print(json.dumps({"http": http, "batch": batch, "cpus": os.cpu_count(),
                          "database": "SQLite (one file per node)", "server": "waitress, 8 threads"},
                         ensure_ascii=False, indent=2))
    finally:
        for s in servers:
            s.terminate()
            s.wait(30)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

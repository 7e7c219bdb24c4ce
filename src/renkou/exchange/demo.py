"""The exchange's part of ``renkou demo``: a second node, and the messages between the two over HTTP.

The demo's database is one node, ``renqiu`` (任丘市, the county whose migrants the exchange is about;
it serves every county the demo builds). The second node is the county where most of the synthetic
Renqiu migrants are registered (户籍地) — counted from their records' registration place, the demo's
own counties left out — in its own data directory ``$RENKOU_HOME/nodes/<code>/`` with its own SQLite
database: migrated, the county's areas loaded from the shipped division codes, and a small register
of the hukou records of those migrants (the same synthetic persons, so that enquiries match). Each
node trusts the other's public key and bearer token (a directory entry each). The second node is
served by ``renkou serve --server waitress`` on the loopback, on the port after the demo's (8001),
and stops with the demo's server.

Then, over HTTP and through the exchange's own outboxes (``services.deliver`` on each side):
Renqiu sends enquiries (协查) about some of those migrants; the second node matches them by itself,
checks all but one and sends its check results back; Renqiu closes the answered cases with its
feedback. The one left unanswered is dated back 31 days (its envelope signed again with the date it
carries), so its deadline passed yesterday and it is overdue on both nodes. Renqiu also sends the
arrival notifications of a few other migrants of that county — registering those still unconfirmed,
and for those registered already sending the arrival it could not send before it had a peer: they
become outflow records there.

While the demo builds, Renqiu's end is served for the second node by a waitress thread of the
building process on a free loopback port; afterwards the second node's directory entry points at
the demo's own address. ``--small`` builds no county with migrants: the second node is not started.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from pathlib import Path

from renkou.demo import SERVE_HOOKS, STEPS, Companion, DemoContext

ENQUIRING_COUNTY = "130982"  # 任丘市
NODE_CODE = "renqiu"
NODE_NAME = "任丘市 演示节点"
ASKS = ["registered", "marital_status"]
OVERDUE_DAYS = 31  # the overdue enquiry was sent this many days ago: a normal enquiry is due in 30
# (enquiries answered, arrival notifications) of the full demo and of a small one
SIZES = {False: (10, 5), True: (3, 2)}
CHILD = ("import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'renkou.settings'); "
         "django.setup(); from renkou.exchange import demo; demo.child()")


# ---------------------------------------------------------------- which counties


def shipped_counties() -> dict[str, str]:
    """6-digit code → name of the counties of the shipped division codes."""
    from renkou.core.divisions import shipped_divisions

    with open(shipped_divisions() / "areas.csv", encoding="utf-8", newline="") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh)}


def registration_counties(county: str, *, exclude=()) -> list[tuple[str, int]]:
    """The counties where the migrants living in ``county`` are registered, most migrants first:
    ``(6-digit code, persons)``, counted from the inflow records' registration place (household
    registration, else the ID number's address code); codes in ``exclude`` or not among the shipped
    division codes left out."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from renkou.migrants.models import MigrantRecord

    known = shipped_counties()
    rows = (MigrantRecord.objects.filter(direction="inflow", resident_area__code__startswith=county,
                                         person__isnull=False).exclude(registration_code="")
            .annotate(reg=Substr("registration_code", 1, 6)).values("reg").annotate(n=Count("id")))
    found = [(r["reg"], r["n"]) for r in rows if r["reg"] in known and r["reg"] not in exclude and r["reg"] != county]
    return sorted(found, key=lambda x: (-x[1], x[0]))


def _enquiring_county(ctx: DemoContext) -> str | None:
    """Renqiu when built, else the built county with the most inflow migrants (None: none has any)."""
    from django.db.models import Count

    from renkou.migrants.models import MigrantRecord

    counties = list(ctx.results) or [ENQUIRING_COUNTY]
    counts = {c: MigrantRecord.objects.filter(direction="inflow", resident_area__code__startswith=c,
                                              person__isnull=False).aggregate(n=Count("id"))["n"] for c in counties}
    if counts.get(ENQUIRING_COUNTY):
        return ENQUIRING_COUNTY
    best = max(counts, key=lambda c: (counts[c], c), default=None)
    return best if best and counts[best] else None


def _node_code(county: str) -> str:
    return f"county-{county}"


def node_home(code: str) -> Path:
    from django.conf import settings

    return Path(settings.HOME) / "nodes" / code


# ---------------------------------------------------------------- the second node's process


def _env(home: Path) -> dict:
    env = dict(os.environ, RENKOU_HOME=str(home), DJANGO_SETTINGS_MODULE="renkou.settings",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop("RENKOU_DATABASE_URL", None)  # its own SQLite database, whatever the demo's is
    return env


def _run(home: Path, args: list[str], stdin: str = "", timeout: int = 600) -> str:
    out = subprocess.run([sys.executable, *args], env=_env(home), input=stdin, capture_output=True, text=True,
                         timeout=timeout, cwd=home)
    if out.returncode != 0:
        raise RuntimeError(f"second node ({home}): {' '.join(args[:3])} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def call(home: Path, op: str, spec: dict | None = None) -> dict:
    """Run one of :func:`child`'s operations in the node of ``home`` (its own database)."""
    out = _run(home, ["-c", CHILD, op], stdin=json.dumps(spec or {}, ensure_ascii=False))
    return json.loads(out.strip().splitlines()[-1])


def _port(preferred: int) -> int:
    """``preferred`` when free on the loopback, else a free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no hindrance
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port on the loopback")


def start_server(home: Path, code: str, port: int) -> subprocess.Popen:
    """``renkou serve --server waitress`` of the node of ``home`` on the loopback; returns once it answers."""
    log = open(home / "server.log", "ab")  # noqa: SIM115  (kept open by the server process)
    proc = subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--server", "waitress", "--no-migrate",
                             "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
                            env=_env(home), stdout=log, stderr=subprocess.STDOUT, cwd=home)
    log.close()
    url = f"http://127.0.0.1:{port}/api/exchange/node"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the second node's server stopped (exit code {proc.returncode}); see "
                               f"{home / 'server.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if json.loads(resp.read()).get("code") == code:
                    return proc
        except (OSError, ValueError):
            pass  # not answering yet: asked again below until the deadline
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"the second node's server did not answer at {url}; see {home / 'server.log'}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def start_worker(home: Path | None, name: str) -> Companion:
    """``renkou exchange worker`` of a node (``home`` None: this database's node), beside the demo's
    server, so that what an officer sends on either node's pages is delivered without a command."""
    from django.conf import settings

    folder = home if home is not None else Path(settings.HOME)
    env = _env(home) if home is not None else dict(os.environ, RENKOU_HOME=str(folder))
    log = open(folder / "exchange-worker.log", "ab")  # noqa: SIM115  (kept open by the worker process)
    proc = subprocess.Popen([sys.executable, "-m", "renkou", "exchange", "worker"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=folder)
    log.close()
    return _companion(f"{name}-worker", "", proc)


# The second nodes' server processes, by node code. A process forked from the demo's (a gunicorn
# worker) forgets them at once: it neither stops them nor holds their handles when it exits.
_RUNNING: dict[str, subprocess.Popen] = {}
os.register_at_fork(after_in_child=_RUNNING.clear)


def _companion(name: str, url: str, proc: subprocess.Popen) -> Companion:
    _RUNNING[name] = proc

    def stop() -> None:
        running = _RUNNING.pop(name, None)
        if running is not None:
            stop_server(running)
    return Companion(name=name, url=url, stop=stop)


@contextlib.contextmanager
def main_server():
    """This database served on a free loopback port by a waitress thread of this process, while
    the demo builds (the demo's own server starts only afterwards): yields its address."""
    import waitress

    from renkou.wsgi import application

    server = waitress.create_server(application, host="127.0.0.1", port=0, threads=2, ident="renkou")
    thread = threading.Thread(target=server.run, name="renkou-demo-exchange", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{int(server.effective_port)}"
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(timeout=10)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _import_entry(entry: dict, folder: Path) -> None:
    """Trust a peer: its directory entry written as a directory file (0600: it holds a token),
    imported, removed."""
    from . import services

    path = folder / f"directory-{entry['code']}.yaml"
    _write_private(path, json.dumps([entry], ensure_ascii=False, indent=1))
    try:
        services.import_directory(path)
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- this node's end


def _main_node(counties: list[str]):
    """This database's node identity: ``renqiu``, serving the demo's counties (an identity made
    before is kept, its prefixes extended)."""
    from . import services
    from .models import Node

    node = Node.objects.first()
    code, name = (node.code, node.name) if node else (NODE_CODE, NODE_NAME)
    prefixes = sorted(set(node.prefixes if node else []) | set(counties))
    return services.init_node(code, name, prefixes=prefixes)


def _peer_account(code: str, county: str) -> str:
    """The machine-peer account the second node uses here, and a new token of it."""
    from renkou.core import areacodes
    from renkou.core import services as core
    from renkou.core.models import ApiToken, User

    username = f"node-{code}"[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = core.create_user(by=None, username=username, password=secrets.token_urlsafe(12), role="machine_peer",
                                full_name=f"交换节点 {code}", capture_areas=[areacodes.full_code(county)],
                                check_password=False)
    _obj, token = ApiToken.issue(user, f"exchange {code}")
    return token


def _person_fields(person) -> dict:
    return {"id_number": person.id_number, "name": person.name, "sex": person.sex,
            "birth_date": person.birth_date.isoformat(), "ethnicity": person.ethnicity,
            "marital_status": person.marital_status, "education": person.education}


def _enquiry_payload(person, county_name: str) -> dict:
    return {"id_number": person.id_number, "name": person.name, "sex": person.sex,
            "birth_date": person.birth_date.isoformat(), "asks": list(ASKS),
            "reason": f"现居{county_name}，办理流动人口服务 / lives in {county_name}: migrant services"}


def _date_back(msg, days: int) -> None:
    """An enquiry just written to the outbox, dated ``days`` back: its envelope signed again with
    the date it now carries, its case's dates moved with it (the demo's overdue enquiry)."""
    from django.utils import timezone

    from . import messages, signing
    from .models import Enquiry, Message, Node

    created = msg.created_at - dt.timedelta(days=days)
    day = timezone.localdate(created)
    msg.created_at, msg.next_attempt_at = created, created
    msg.deadline = messages.deadline(day, msg.urgent)
    node = Node.objects.get(code=msg.sender)
    msg.signature = signing.sign(signing.read_private_key(Path(node.key_path)), msg.envelope())
    Message.objects.filter(pk=msg.pk).update(created_at=created, next_attempt_at=created, deadline=msg.deadline,
                                             signature=msg.signature)
    Enquiry.objects.filter(uid=msg.uid).update(opened_on=day, period=messages.period_of(day), deadline=msg.deadline)


def run(ctx: DemoContext, progress=None, *, main_url: str | None = None, sizes: tuple[int, int] | None = None
        ) -> dict | None:
    """Build the second node, start its server (added to ``ctx.companions``) and run the flow.
    ``main_url``: where this database is already served (else a thread serves it meanwhile).
    Returns the counts of the summary, or None when no built county has migrants."""
    from renkou.core import areacodes, audit
    from renkou.demo import COUNTIES

    from . import services
    from .models import Enquiry, Message

    county = _enquiring_county(ctx)
    if county is None:
        ctx.notes.append("exchange: no county built has migrants (--small builds none): the second node is not "
                         "started; the full demo shows the two nodes")
        return None
    demo_counties = sorted(set(ctx.results) | {county})
    candidates = registration_counties(county, exclude={c for _n, c, _s in COUNTIES} | set(demo_counties))
    if not candidates:
        ctx.notes.append(f"exchange: the migrants of {county} are registered in no other county: no second node")
        return None
    reg, migrants = candidates[0]
    code = _node_code(reg)
    home = node_home(code)
    names = shipped_counties()
    reg_name, here_name = names[reg], names.get(county, county)
    answered, notified = sizes or SIZES[ctx.small]
    bar = progress(f"第二节点 {reg_name} / second node {code}") if progress else (lambda done, total: None)
    bar(0, 6)
    if Enquiry.objects.filter(registration_node=code).exists() and (home / "node.json").exists():
        restart(ctx)  # built before: its cases are there, it is only served again
        bar(6, 6)
        return counts(code, county)
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    # the second node's database is created while this process prepares its side
    migrating = subprocess.Popen([sys.executable, "-m", "renkou", "migrate", "--no-input"], env=_env(home),
                                 cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        node = _main_node(demo_counties)
        token_here = _peer_account(code, county)
        records = _records(county, reg)
    finally:
        _, err = migrating.communicate(timeout=600)
    if migrating.returncode != 0:
        raise RuntimeError(f"second node ({home}): migrate failed:\n{(err or '')[-3000:]}")
    persons = [r.person for r in records]
    audit.record_persons_shown("exchange.demo_node", [p.pk for p in persons], object_repr=f"→ {code}",
                               area_code=areacodes.full_code(county), detail={"to": code, "registered_in": reg})
    port = _port(ctx.port + 1)
    url = f"http://127.0.0.1:{port}"
    final_url = f"http://{_reachable(ctx.host)}:{ctx.port}"
    with contextlib.nullcontext(main_url) if main_url else main_server() as here_url:
        bar(1, 6)
        me = {"code": node.code, "name": node.name, "public_key": node.public_key, "token": token_here,
              "prefixes": demo_counties}
        info = call(home, "setup", {"code": code, "name": f"{reg_name}人口服务", "county": reg,
                                    "persons": [_person_fields(p) for p in persons],
                                    "peer": {**me, "url": here_url}})
        bar(2, 6)
        _import_entry({"code": code, "name": f"{reg_name}人口服务", "url": url, "public_key": info["public_key"],
                       "token": info["token"], "prefixes": [reg]}, Path(node.key_path).parent)
        _write_private(home / "node.json", json.dumps({"code": code, "name": f"{reg_name}人口服务", "county": reg,
                                                       "port": port, "peer": node.code}, ensure_ascii=False))
        proc = start_server(home, code, port)
        ctx.companions.append(_companion(code, url, proc))
        bar(3, 6)
        sent = _send(county, here_name, records, set(info["registered"]), answered, notified)
        delivered = services.deliver()
        bar(4, 6)
        replies = call(home, "answer", {"uids": sent["answer"], "peer": node.code, "url": final_url})
        bar(5, 6)
        closed = _feedback(county, sent["answer"])
        delivered2 = services.deliver()
        bar(6, 6)
    ctx.companions.append(start_worker(home, code))  # the second node delivers its own outbox from now on
    out = counts(code, county)
    out.update(url=url, home=str(home), migrants=migrants, registered=len(info["registered"]),
               failed=delivered["failed"] + delivered2["failed"] + replies["delivered"]["failed"], closed=closed)
    pending = Message.objects.filter(direction="out", state="pending", recipient=code).count()
    ctx.notes.append(
        f"exchange: second node {code} ({reg_name}, where {migrants} of {here_name}'s migrants are registered; "
        f"{out['registered']} hukou records) at {url}/ — {out['sent']} enquiries sent, {out['answered']} answered, "
        f"{out['overdue']} overdue, {out['notifications']} arrival notifications"
        + (f", {pending} messages still waiting to be delivered" if pending else ""))
    ctx.notes.append(f"  second node's accounts: {home / 'demo-accounts.txt'}  "
                     f"(RENKOU_HOME={home} renkou exchange status)")
    return out


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "localhost") else host


def _records(county: str, reg: str) -> list:
    from renkou.migrants.models import MigrantRecord

    return list(MigrantRecord.objects.filter(direction="inflow", resident_area__code__startswith=county,
                                             registration_code__startswith=reg, person__isnull=False)
                .select_related("person").order_by("id"))


def _officer(county: str):
    from renkou.core import areacodes
    from renkou.core.models import User

    return User.objects.filter(role="county_officer", is_active=True,
                               capture_areas__code=areacodes.full_code(county)).order_by("id").first()


def _send(county: str, county_name: str, records: list, registered: set[str], answered: int, notified: int) -> dict:
    """Renqiu's enquiries (the last one dated back) and arrival notifications, to the outbox."""
    from django.db import transaction

    from renkou.migrants import services as migrants
    from renkou.migrants import states

    from . import services

    officer = _officer(county)
    living = [r for r in records if r.state != states.LEFT and r.person.id_number in registered
              and re.fullmatch(r"\d{17}[\dX]", r.person.id_number or "")]
    asked = living[:answered + 1]
    told = living[answered + 1:answered + 1 + notified] or living[-notified:]
    uids = []
    with transaction.atomic():
        for i, r in enumerate(asked):
            msg = services.send("enquiry", area_code=r.registration_code, person=r.person, user=officer,
                                payload=_enquiry_payload(r.person, county_name))
            if i == len(asked) - 1 and len(asked) > 1:
                _date_back(msg, OVERDUE_DAYS)
            else:
                uids.append(str(msg.uid))
    for r in told:
        if r.state == states.UNCONFIRMED and officer is not None:
            migrants.register_inflow(user=officer, record=r, reason="到达登记 / arrival registered (demo)")
        else:
            with transaction.atomic():
                migrants.notify(r, "arrival", on=r.arrival_date, user=officer)
    return {"answer": uids, "overdue": 1 if len(asked) > 1 else 0, "notified": len(told)}


def _feedback(county: str, uids: list[str]) -> int:
    """Renqiu closes each case answered by a check result with its feedback."""
    from django.db import transaction

    from . import services
    from .models import Enquiry

    officer = _officer(county)
    n = 0
    with transaction.atomic():
        for case in Enquiry.objects.filter(uid__in=uids, role=Enquiry.Role.ENQUIRING, state="checked").order_by("id"):
            services.send("feedback", area_code=case.area_code, reply_to=case.uid, user=officer,
                          payload={"outcome": "served", "note": "已在现居住地提供服务 / served where she lives"})
            n += 1
    return n


def counts(code: str, county: str) -> dict:
    """This node's view of its exchange with the second node ``code``."""
    from django.utils import timezone

    from . import services
    from .models import Enquiry, Message

    cases = Enquiry.objects.filter(role=Enquiry.Role.ENQUIRING, registration_node=code)
    return {"node": code, "sent": cases.count(), "answered": cases.filter(answered_on__isnull=False).count(),
            "closed": cases.filter(state="closed").count(),
            "overdue": services.overdue(county, timezone.localdate()).filter(registration_node=code).count(),
            "notifications": Message.objects.filter(direction="out", kind="notification", recipient=code,
                                                    state="delivered").count()}


def demo_step(ctx: DemoContext, progress) -> None:
    run(ctx, progress)


# ---------------------------------------------------------------- serving a demo built before


def restart(ctx: DemoContext) -> None:
    """Serve again the second nodes of a demo built before (a ``node.json`` under ``nodes/``), on
    the port after the demo's when free, each directory pointing at the other's address."""
    from django.conf import settings

    from . import services
    from .models import Node, Peer

    here = Node.objects.first()
    if here is None:
        return
    running = {c.name for c in ctx.companions}
    for marker in sorted((Path(settings.HOME) / "nodes").glob("*/node.json")):
        info = json.loads(marker.read_text(encoding="utf-8"))
        peer = Peer.objects.filter(code=info["code"]).first()
        if peer is None or info["code"] in running:
            continue
        home = marker.parent
        port = _port(ctx.port + 1 + len(ctx.companions))
        url = f"http://127.0.0.1:{port}"
        call(home, "repoint", {"peer": here.code, "url": f"http://{_reachable(ctx.host)}:{ctx.port}"})
        if peer.url != url:
            services.set_peer(peer.code, name=peer.name, url=url, public_key=peer.public_key, token=peer.token,
                              prefixes=list(peer.prefixes.values_list("prefix", flat=True)))
        proc = start_server(home, info["code"], port)
        ctx.companions.append(_companion(info["code"], url, proc))
        ctx.companions.append(start_worker(home, info["code"]))
        ctx.notes.append(f"exchange: second node {info['code']} ({info['name']}) served again at {url}/ — "
                         f"accounts: {home / 'demo-accounts.txt'}")


# ---------------------------------------------------------------- inside the second node


def child() -> None:
    """A second node's side, run in its own process and database: ``python -c CHILD <op>`` with
    the operation's JSON on stdin; prints its JSON answer."""
    from renkou.core.actor import acting_as

    op = sys.argv[1]
    spec = json.loads(sys.stdin.read() or "{}")
    with acting_as(None, via="system"):
        out = {"setup": _setup_here, "answer": _answer_here, "repoint": _repoint_here, "status": status_here}[op](spec)
    print(json.dumps(out, ensure_ascii=False))


def _setup_here(spec: dict) -> dict:
    """The node's areas, identity, accounts, register and its directory entry of the demo's node."""
    from django.conf import settings
    from django.core.exceptions import ValidationError

    from renkou.core import areacodes
    from renkou.core import services as core
    from renkou.core.divisions import write_subset
    from renkou.core.models import ApiToken, Area, User
    from renkou.registry import services as registry

    from . import services

    home, county = Path(settings.HOME), spec["county"]
    subset = write_subset(home / "divisions", (county,))
    core.import_areas(subset)
    shutil.rmtree(subset, ignore_errors=True)
    node = services.init_node(spec["code"], spec["name"], prefixes=[county])
    full = areacodes.full_code(county)
    accounts = []
    admin_pw, officer_pw = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
    User.objects.create_superuser("admin", password=admin_pw, full_name="系统管理员")
    accounts.append(("admin", admin_pw, "superuser", "*"))
    officer = core.create_user(by=None, username="county", password=officer_pw, role="county_officer",
                               full_name=f"{spec['name']} 户籍地协查", capture_areas=[full], check_password=False)
    accounts.append(("county", officer_pw, "county_officer", full))
    peer = core.create_user(by=None, username="peer", password=secrets.token_urlsafe(12), role="machine_peer",
                            full_name=f"交换节点 {spec['peer']['code']}", capture_areas=[full], check_password=False)
    _obj, token = ApiToken.issue(peer, f"exchange {spec['peer']['code']}")
    towns = list(Area.objects.filter(parent_id=full, level=4).order_by("code").values_list("code", flat=True)) \
        or [full]
    registered, refused = [], 0
    for p in spec["persons"]:
        town = towns[zlib.crc32((p["id_number"] or p["name"]).encode()) % len(towns)]
        fields = {k: v for k, v in p.items() if v not in (None, "")}
        fields["birth_date"] = dt.date.fromisoformat(p["birth_date"])
        try:
            person = registry.create_person(user=officer, registered_area=town, resident_area=town, **fields)
        except ValidationError:
            refused += 1  # a number already registered, or a record the logic checks block
            continue
        if person.id_number:
            registered.append(person.id_number)
    _import_entry(spec["peer"], home)
    lines = [f"第二节点 / second node {node.code} ({node.name})", "演示账户 / demo accounts:"]
    lines += [f"  {u:<10} {pw:<14} {role:<17} {areas}" for u, pw, role, areas in accounts]
    _write_private(home / "demo-accounts.txt", "\n".join(lines) + "\n")
    return {"public_key": node.public_key, "token": token, "registered": registered, "refused": refused,
            "accounts": accounts}


def _answer_here(spec: dict) -> dict:
    """The registration office checks the facts asked of the enquiries ``uids`` (from its register)
    and delivers its outbox (match and check results); then points the demo's node's directory
    entry at the demo's own address."""
    from django.db import transaction

    from renkou.core import audit
    from renkou.core.models import User
    from renkou.registry.models import Person

    from . import services
    from .models import Enquiry

    officer = User.objects.get(username="county")
    checked = 0
    with transaction.atomic():
        for case in Enquiry.objects.filter(uid__in=spec["uids"], role=Enquiry.Role.REGISTRATION, found=True)\
                .order_by("id"):
            person = Person.objects.get(pk=case.person_id)
            audit.record("view", person, user=officer, detail={"enquiry": str(case.uid)})
            facts = {"registered": True, "marital_status": person.marital_status}
            services.send("check", area_code=case.area_code, reply_to=case.uid, user=officer,
                          payload={"facts": {k: v for k, v in facts.items() if k in case.asks},
                                   "checked_on": dt.date.today().isoformat(),
                                   "note": f"户籍在{person.registered_area.name} / registered here"})
            checked += 1
    delivered = services.deliver()
    _repoint_here({"peer": spec["peer"], "url": spec["url"]})
    return {"checked": checked, "delivered": delivered}


def _repoint_here(spec: dict) -> dict:
    """The directory entry of peer ``peer`` given the address ``url`` (the rest kept)."""
    from . import services
    from .models import Peer

    peer = Peer.objects.get(code=spec["peer"])
    if peer.url != spec["url"].rstrip("/"):
        services.set_peer(peer.code, name=peer.name, url=spec["url"], public_key=peer.public_key, token=peer.token,
                          prefixes=list(peer.prefixes.values_list("prefix", flat=True)))
    return {"peer": peer.code, "url": spec["url"]}


def status_here(spec: dict | None = None) -> dict:
    """What this node holds of the exchange: inbox and outbox by kind and state, cases by state,
    overdue cases, outflow records, persons."""
    from django.db.models import Count
    from django.utils import timezone

    from renkou.migrants.models import MigrantRecord
    from renkou.registry.models import Person

    from . import services
    from .models import Enquiry, Message, Node

    node = Node.objects.first()
    boxes: dict[str, dict[str, dict[str, int]]] = {"in": {}, "out": {}}
    for row in Message.objects.values("direction", "kind", "state").annotate(n=Count("id")):
        boxes[row["direction"]].setdefault(row["kind"], {})[row["state"]] = row["n"]
    cases = dict(Enquiry.objects.values_list("state").annotate(n=Count("id")).order_by("state"))
    overdue = sum(services.overdue(p, timezone.localdate()).count() for p in node.prefixes) if node else 0
    return {"node": node.code if node else None, "inbox": boxes["in"], "outbox": boxes["out"], "cases": cases,
            "overdue": overdue, "persons": Person.objects.count(),
            "outflow": MigrantRecord.objects.filter(direction="outflow").count()}


STEPS.append(("exchange", demo_step))
SERVE_HOOKS.append(restart)


def main_worker(ctx: DemoContext) -> None:
    """The demo's own node delivers its outbox while the demo serves (when it has an identity)."""
    from .models import Node

    if Node.objects.exists() and not any(c.name == "main-worker" for c in ctx.companions):
        ctx.companions.append(start_worker(None, "main"))


SERVE_HOOKS.append(main_worker)

"""Pages under load: locust (headless, bounded, loopback only) against a running ``renkou serve``.

    PYTHONPATH=src .venv/bin/python bench/web/run.py [--home DIR] [--users 20] [--seconds 60]
        [--wait 0.5-2] [--user gaize] [-- extra options of renkou serve, e.g. --workers 3]

Without ``--home`` a small demo (``renkou demo --small``) is built in a temporary RENKOU_HOME;
with it, the demo already built there is used (its ``demo-accounts.txt`` gives the password of
``--user``). ``RENKOU_DATABASE_URL`` is passed on to the server (PostgreSQL). The server runs with
its defaults (``renkou serve``: gunicorn, a worker per core) unless options follow ``--``.

Each of ``--users`` simulated officers signs in, then runs the mix of ``locustfile.py`` — search,
person record, home, indicator table, event entry and the declaration of an event (a write) —
waiting ``--wait`` seconds between pages. ``/healthz`` in the same mix is the baseline. Reported per
page: requests, failures, p50 / p95 / p99 (locust's histogram), the ratio of p95 to the baseline's;
the peak memory of the server (proportional set size of all its processes together: pages the
forked workers share are counted once); and whether the server's log
shows "database is locked". Every request goes to 127.0.0.1, and the run stops after ``--seconds``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
RENKOU = BIN / "renkou"
LOCUST = BIN / "locust"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def password_of(home: Path, username: str) -> str:
    text = (home / "demo-accounts.txt").read_text(encoding="utf-8")
    m = re.search(rf"^\s+{re.escape(username)}\s+(\S+)\s", text, re.M)
    if m is None:
        raise SystemExit(f"no account {username!r} in {home / 'demo-accounts.txt'}")
    return m.group(1)


DATA_SCRIPT = r"""
import json, os, random, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
django.setup()
from renkou.core.models import Area, User
from renkou.core.scoping import scoped, CAPTURE
from renkou.registry.models import Person
user = User.objects.get(username=sys.argv[1])
rnd = random.Random(2005)
living = scoped(user, Person, CAPTURE).filter(status=Person.Status.LIVING, record_state="active")
top = living.order_by("-pk").values_list("pk", flat=True).first() or 0
ids = set()
while len(ids) < 2000 and top:
    ids.update(living.filter(pk__gte=rnd.randint(1, top)).order_by("pk").values_list("pk", flat=True)[:20])
ids = sorted(ids)
rows = list(Person.objects.filter(pk__in=ids[:400]).select_related("household")
            .values_list("name", "pinyin_key", "pinyin_initials", "id_number", "household__number"))
queries = []
for i, (name, key, initials, idn, hh) in enumerate(rows):
    queries.append([name, name[:1], key, initials, (idn or name)[:10], hh or name][i % 6])
county = user.capture_areas.order_by("code").first()
villages = list(Area.objects.filter(code__startswith=county.code[:6], level=Area.Level.VILLAGE)
                .order_by("code").values_list("code", flat=True)[:200])
print(json.dumps({"persons": ids[:1000], "declare_persons": ids[1000:] or ids, "queries": queries,
                  "villages": villages, "county": county.code, "persons_in_register": Person.objects.count()}))
"""


def prepare_data(env: dict, username: str) -> dict:
    out = subprocess.run([sys.executable, "-c", DATA_SCRIPT, username], env=env, capture_output=True, text=True,
                         check=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def wait_ready(base: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz")


def sign_in(base: str, username: str, password: str) -> str:
    """A new session of ``username`` (the value of its ``sessionid`` cookie)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data.encode(),
                                       headers={"Referer": f"{base}/accounts/login/"}))
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    if session is None:
        raise SystemExit(f"could not sign in as {username}")
    return session


def warm(base: str, session: str, data: dict, rounds: int) -> None:
    """A few rounds of every page before the measurement, so that no worker's first page is timed."""
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", f"sessionid={session}")]
    for i in range(rounds):
        for url in ("/healthz", "/", f"/registry/?q={urllib.parse.quote(data['queries'][i % len(data['queries'])])}",
                    f"/registry/persons/{data['persons'][i % len(data['persons'])]}/",
                    f"/indicators/?area={data['county']}", "/registry/events/residence_change/new/"):
            opener.open(base + url, timeout=60).read()


def watch_memory(pid: int, stop: threading.Event, peak: dict) -> None:
    root = psutil.Process(pid)
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
            # proportional set size: pages shared by the forked workers are counted once in all
            peak["pss"] = max(peak.get("pss", 0), sum(p.memory_full_info().pss for p in procs))
            peak["processes"] = len(procs)
        except psutil.Error:
            pass
        stop.wait(1.0)


def read_stats(prefix: str) -> dict:
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows[r["Name"]] = {"requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                               "rps": round(float(r["Requests/s"]), 1),
                               "p50_ms": float(r["50%"] or 0), "p95_ms": float(r["95%"] or 0),
                               "p99_ms": float(r["99%"] or 0), "mean_ms": round(float(r["Average Response Time"]), 1)}
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    serve_extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, serve_extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", default=None, help="a RENKOU_HOME with a demo built (else a small demo is built)")
    ap.add_argument("--user", default="gaize", help="the county officer the clients sign in as")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--wait", default="0.5-2", help="seconds between two pages of one officer: a-b, or 0")
    ap.add_argument("--out", default=None, help="write the JSON result to this file as well")
    args = ap.parse_args(argv)

    home = Path(args.home or tempfile.mkdtemp(prefix="renkou-web-"))
    env = dict(os.environ, RENKOU_HOME=str(home))
    figures: dict = {"benchmark": "web", "users": args.users, "seconds": args.seconds, "wait_s": args.wait,
                     "database": "postgresql" if env.get("RENKOU_DATABASE_URL") else "sqlite",
                     "serve_options": serve_extra, "cores": os.cpu_count(),
                     "load_average_start": [round(x, 1) for x in os.getloadavg()]}
    if args.home is None:
        t = time.monotonic()
        subprocess.run([str(RENKOU), "demo", "--small", "--no-serve"], env=env, check=True, timeout=3600,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        figures["demo_build_s"] = round(time.monotonic() - t, 1)
    data = prepare_data(env, args.user)
    data.update(username=args.user, password=password_of(home, args.user),
                event_date=(dt.date.today() - dt.timedelta(days=3)).isoformat())
    figures["persons_in_register"] = data.pop("persons_in_register")
    work = Path(tempfile.mkdtemp(prefix="renkou-web-run-"))
    (work / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "w+", encoding="utf-8")
    server = subprocess.Popen([str(RENKOU), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate",
                               *serve_extra], env=env, stdout=log, stderr=subprocess.STDOUT)
    stop, peak = threading.Event(), {}
    try:
        wait_ready(base, server)
        data["sessions"] = [sign_in(base, args.user, data["password"]) for _ in range(args.users)]
        (work / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        warm(base, data["sessions"][0], data, rounds=10)
        watcher = threading.Thread(target=watch_memory, args=(server.pid, stop, peak), daemon=True)
        watcher.start()
        prefix = str(work / "locust")
        locust_env = dict(env, RENKOU_LOAD_DATA=str(work / "data.json"), RENKOU_LOAD_WAIT=args.wait)
        subprocess.run([str(LOCUST), "-f", str(HERE / "locustfile.py"), "--headless", "--host", base,
                        "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--csv", prefix,
                        "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
                       env=locust_env, timeout=args.seconds + 120, stdout=subprocess.DEVNULL,
                       stderr=open(work / "locust.log", "w"))
        stop.set()
        watcher.join()
        pages = read_stats(prefix)
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    log.seek(0)
    server_log = log.read()
    base_p95 = pages.get("healthz (baseline)", {}).get("p95_ms") or None
    for row in pages.values():
        row["p95_ratio_to_baseline"] = round(row["p95_ms"] / base_p95, 1) if base_p95 else None
    figures.update(pages=pages, server_peak_pss_mib=round(peak.get("pss", 0) / 2**20),
                   server_processes=peak.get("processes"),
                   database_locked_in_log=server_log.count("database is locked"),
                   server_errors_in_log=server_log.count("Traceback"),
                   load_average_end=[round(x, 1) for x in os.getloadavg()], work_dir=str(work))
    text = json.dumps(figures, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

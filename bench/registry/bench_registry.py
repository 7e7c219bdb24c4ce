"""Benchmark of the register at scale: person import beside a raw bulk insert, and search under load.

Builds a synthetic county (the ``xifeng`` preset resized to ``--persons``), writes its households
and persons as CSV files of the import format (``renkou.synth.writers``) in a temporary
``RENKOU_HOME``, then in this one process and database:

1. **import**: ``import_file("households", …)`` (untimed, persons need their households), then
   ``import_file("persons", …)`` timed — reading, parsing, every check, duplicate matching, the
   insert, links, findings and the audit record;
2. **baseline**: the rows the import wrote, read back and inserted with ``executemany`` into a bare
   table with the same columns (no index, no constraint) in the same database, in one transaction;
   the ratio import ÷ baseline is the figure of the issue (target within 3×); on PostgreSQL the same
   rows also go in with one ``COPY`` stream (target: the import within 2.3× of it);
3. **search in-process**: ``search_persons`` + count + first page of 50 for a mix of queries taken from
   the data (ID numbers, Chinese name prefixes, pinyin with and without spaces, initials, household
   numbers), timed one by one (database and ORM only);
4. **search under load**: ``renkou serve`` (waitress) on 127.0.0.1, a county officer signed in, and
   ``wrk`` with ``--connections`` (default 20) rotating through the same query mix on the search
   page and on the API; ``/healthz`` is the baseline in the same run. wrk's ``--latency`` gives
   p50/p90/p99, and the Lua script's `done` prints p95 from the same latency histogram.

Prints JSON. Usage::

    .venv/bin/python bench/registry/bench_registry.py [--persons 1000000] [--small] [--seconds 20]

``--small`` is a quick check (20,000 persons, 5-second wrk runs). ``RENKOU_DATABASE_URL`` set to a
PostgreSQL database runs it there (an empty scratch database: the run refuses one holding persons). Traffic stays
on 127.0.0.1; every wrk run is bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent
RENKOU = ROOT / ".venv" / "bin" / "renkou"
COUNTY = "520122"


def setup(home: str) -> None:
    os.environ["RENKOU_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(persons: int, seed: int, out: Path) -> dict:
    from django.db import transaction

    from renkou import demo
    from renkou.synth.generator import generate as synth
    from renkou.synth.params import preset
    from renkou.synth.writers import write_csv

    t0 = time.perf_counter()
    result = synth(preset("xifeng").with_changes(persons=persons), seed)
    gen_s = time.perf_counter() - t0
    with transaction.atomic():
        demo._ensure_upper_areas(COUNTY)
        demo._save_area_tree(result.areas)
    write_csv(result.households, "households", out / "households.csv")
    write_csv(result.persons, "persons", out / "persons.csv")
    return {"generate_s": round(gen_s, 1), "persons_in_file": len(result.persons["person_key"]),
            "households_in_file": len(result.households["household_key"])}


def import_persons(out: Path, profile: Path | None) -> dict:
    from renkou.registry.importer import import_file

    t0 = time.perf_counter()
    hh = import_file("households", out / "households.csv")
    hh_s = time.perf_counter() - t0
    assert hh.ok and hh.written, hh.summary()
    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    res = import_file("persons", out / "persons.csv", mode="valid-rows")
    if prof:
        prof.disable()
    import_s = time.perf_counter() - t0
    if prof:
        prof.dump_stats(str(profile))
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    assert res.written, res.summary()
    return {"households_import_s": round(hh_s, 2), "persons_import_s": round(import_s, 2),
            "created": res.created, "flagged": res.flagged, "rejected": res.rejected}


def baseline(created: int) -> dict:
    """The person rows as written, inserted again with one executemany into a bare table."""
    from django.db import connection, transaction

    from renkou.registry.models import Person

    table = Person._meta.db_table
    cols = [f.column for f in Person._meta.concrete_fields]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare_person")
        cur.execute(f'CREATE TABLE bench_bare_person AS SELECT * FROM "{table}" WHERE 1 = 0')
        cur.execute(f'SELECT {", ".join(connection.ops.quote_name(c) for c in cols)} FROM "{table}"')
        rows = cur.fetchall()
    assert len(rows) >= created
    sql = (f'INSERT INTO bench_bare_person ({", ".join(connection.ops.quote_name(c) for c in cols)}) '
           f'VALUES ({", ".join(["%s"] * len(cols))})')
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i:i + 5000])
    s = time.perf_counter() - t0
    out = {"raw_executemany_s": round(s, 2), "rows": len(rows)}
    if connection.vendor == "postgresql":  # and the same rows with one COPY stream (the PostgreSQL baseline)
        with connection.cursor() as cur:
            cur.execute("TRUNCATE bench_bare_person")
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur, cur.cursor.copy(
                f'COPY bench_bare_person ({", ".join(connection.ops.quote_name(c) for c in cols)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        out["raw_copy_s"] = round(time.perf_counter() - t0, 2)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_bare_person")
    return out


def query_mix(n: int, seed: int) -> list[str]:
    """Realistic queries from the data: ID numbers, name prefixes, pinyin (spaced, joined, capitalised),
    initials, household numbers, person keys."""
    from renkou.registry.models import Household, Person

    rng = random.Random(seed)
    total = Person.objects.count()
    picks = sorted(rng.sample(range(1, total + 1), min(n, total)))
    persons = list(Person.objects.filter(pk__in=[Person.objects.order_by("pk").values_list("pk", flat=True)
                                                 .first() + p - 1 for p in picks])
                   .values_list("id_number", "name", "name_pinyin", "household_id", "source_key"))
    hh = dict(Household.objects.filter(pk__in=[p[3] for p in persons if p[3]]).values_list("pk", "number"))
    out = []
    for i, (number, name, pinyin, hh_id, key) in enumerate(persons):
        form = i % 8
        if form == 0 and number:
            out.append(number)
        elif form == 1:
            out.append(name)  # full Chinese name
        elif form == 2:
            out.append(name[:2] if len(name) > 2 else name[:1])  # surname / prefix
        elif form == 3:
            out.append(pinyin.replace(" ", ""))  # zhangsan
        elif form == 4:
            out.append(pinyin.title())  # Zhang San
        elif form == 5 and hh_id in hh:
            out.append(hh[hh_id])
        elif form == 6:
            out.append("".join(s[0] for s in pinyin.split()))  # initials: zs
        else:
            out.append(number[:10] if number else key)
    return [q for q in out if q]


def search_inprocess(queries: list[str]) -> dict:
    from django.core.paginator import Paginator

    from renkou.core.models import User
    from renkou.registry.search import search_persons

    user = User.objects.get(username="bench_county")
    times, hits = [], []
    for q in queries:
        t0 = time.perf_counter()
        qs = search_persons(user, q).select_related("household").order_by("name", "pk")
        page = Paginator(qs, 50).get_page(1)
        rows = list(page)
        times.append((time.perf_counter() - t0) * 1000)
        hits.append(page.paginator.count)
        assert rows or page.paginator.count == 0
    times.sort()
    pct = lambda p: round(times[min(len(times) - 1, int(p * len(times)))], 1)  # noqa: E731
    return {"queries": len(queries), "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": round(times[-1], 1), "queries_with_no_hit": sum(1 for h in hits if h == 0),
            "median_hits": sorted(hits)[len(hits) // 2]}


def make_user(password: str):
    from renkou.core.models import Area, User

    u = User.objects.filter(username="bench_county").first()
    if u is None:
        u = User.objects.create_user("bench_county", password=password, role="county_officer")
    u.capture_areas.set([Area.objects.get(code=COUNTY + "000000")])
    return u


# ------------------------------------------------------------------------------------ under load
LUA = r"""
local queries = {%s}
local paths = {}
counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  counter = id * 7919
  lat = {}
end
function request()
  counter = counter + 1
  local q = queries[(counter %% #queries) + 1]
  return wrk.format("GET", "%s" .. q)
end
function done(summary, latency, requests)
  io.write(string.format("P95_US %%d\n", latency:percentile(95)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, seconds: int, connections: int, cookie: str | None, script: Path) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout

    def ms(label: str) -> float | None:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return None
        v = float(m.group(1))
        return round(v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v, 1)

    p95 = re.search(r"P95_US (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"requests": int(total.group(1)) if total else 0,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": ms("50%"), "p90_ms": ms("90%"), "p95_ms": round(int(p95.group(1)) / 1000, 1) if p95 else None,
            "p99_ms": ms("99%"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else ""}


def sign_in(base: str, username: str, password: str) -> str:
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data.encode(),
                                       headers={"Referer": f"{base}/accounts/login/"}))
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def under_load(home: str, queries: list[str], password: str, seconds: int, connections: int,
               threads: int) -> dict:
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (Debian: apt-get install wrk)"}
    env = dict(os.environ, RENKOU_HOME=home)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(RENKOU), "serve", "--port", str(port), "--no-migrate", "--threads", str(threads)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = sign_in(base, "bench_county", password)
        quoted = ", ".join(json.dumps(urllib.parse.quote(q)) for q in queries)
        results = {}
        for name, path, qs, auth in (("healthz (baseline)", "/healthz", '""', None),
                                     ("search page", "/registry/?q=", quoted, cookie),
                                     ("search API", "/api/registry/persons?q=", quoted, cookie)):
            script = Path(home) / f"{name.split()[0]}_{name.split()[-1]}.lua"
            script.write_text(LUA % (qs, path))
            results[name] = wrk(base, seconds, connections, auth, script)
        base_rps = results["healthz (baseline)"]["rps"]
        for r in results.values():
            r["ratio_to_baseline"] = round(r["rps"] / base_rps, 3) if base_rps else None
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--small", action="store_true", help="20,000 persons, 5-second wrk runs")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--threads", type=int, default=8, help="waitress threads")
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--profile", default=None, help="write a cProfile of the persons import to this file")
    ap.add_argument("--no-load", action="store_true", help="skip the wrk part")
    ap.add_argument("--keep", default=None, help="keep the RENKOU_HOME in this folder (default: a temporary one)")
    ap.add_argument("--search-only", action="store_true",
                    help="measure the search only, on the database already in --keep (from an earlier run)")
    args = ap.parse_args(argv)
    if args.search_only and not args.keep:
        ap.error("--search-only needs --keep DIR")
    if args.small:
        args.persons, args.seconds = 20_000, 5
    home = args.keep or tempfile.mkdtemp(prefix="renkou-bench-registry-")
    Path(home).mkdir(parents=True, exist_ok=True)
    try:
        setup(home)
        from django.db import connection

        from renkou.registry.models import Person

        if Person.objects.exists() and not args.search_only:
            print(json.dumps({"error": "the database already holds persons: use an empty one"}))
            return 1
        out = Path(home)
        figures: dict = {"benchmark": "registry", "database": connection.vendor, "persons_target": args.persons,
                         "load_average_start": os.getloadavg()}
        if not args.search_only:
            figures["data"] = generate(args.persons, args.seed, out)
            figures["import"] = import_persons(out, Path(args.profile) if args.profile else None)
            figures["baseline"] = baseline(figures["import"]["created"])
            figures["ratio_import_to_raw"] = round(figures["import"]["persons_import_s"]
                                                   / figures["baseline"]["raw_executemany_s"], 2)
            if "raw_copy_s" in figures["baseline"]:
                figures["ratio_import_to_copy"] = round(figures["import"]["persons_import_s"]
                                                        / figures["baseline"]["raw_copy_s"], 2)
            figures["import_persons_per_s"] = round(figures["import"]["created"]
                                                    / figures["import"]["persons_import_s"])
        figures["persons_in_database"] = Person.objects.count()
        password = "bench-" + str(random.Random(args.seed).getrandbits(64))
        make_user(password)
        queries = query_mix(args.queries, args.seed)
        figures["search_inprocess"] = search_inprocess(queries)
        if not args.no_load:
            figures["load"] = under_load(home, queries, password, args.seconds, args.connections, args.threads)
            figures["load"]["connections"], figures["load"]["seconds"] = args.connections, args.seconds
        import resource

        figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        figures["load_average_end"] = os.getloadavg()
        figures["python"] = sys.version.split()[0]
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(argv=None))

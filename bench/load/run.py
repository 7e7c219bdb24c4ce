"""Load test: wrk against a running `renkou serve` on loopback, pages and API beside a bare health check.

Builds a small demo database in a temporary RENKOU_HOME (or uses --home), starts the server on
127.0.0.1, signs in as the county officer of the demo and runs wrk (Debian's package) for a few
seconds per URL with a session cookie or a bearer token. The baseline is the health-check view in
the same run (routing, middleware, one SELECT 1): each page's throughput is reported as a ratio of it.

    .venv/bin/python bench/load/run.py [--seconds 10] [--connections 16] [--home DIR]

Traffic goes to 127.0.0.1 only; every wrk run is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
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

ROOT = Path(__file__).resolve().parents[2]
RENKOU = ROOT / ".venv" / "bin" / "renkou"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_in(base: str, username: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data.encode(),
                                       headers={"Referer": f"{base}/accounts/login/"}))
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, seconds: int, connections: int, header: str | None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": "".join(p50.groups()) if p50 else None, "p99": "".join(p99.groups()) if p99 else None,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--home", default=None, help="an existing RENKOU_HOME with a demo (else one is built)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    home = args.home or tempfile.mkdtemp(prefix="renkou-load-")
    env = dict(os.environ, RENKOU_HOME=home)
    env.pop("RENKOU_DATABASE_URL", None)
    demo = subprocess.run([str(RENKOU), "demo", "--small", "--no-serve"], env=env, capture_output=True, text=True,
                          timeout=1800)
    accounts = dict(re.findall(r"^\s+(\w+)\s+(\S+)\s+\w+", demo.stdout, re.M))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(RENKOU), "serve", "--port", str(port), "--no-migrate", "--threads", "8"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = sign_in(base, "gaize", accounts["gaize"])
        targets = {
            "healthz (baseline)": (f"{base}/healthz", None),
            "login page": (f"{base}/accounts/login/", None),
            "area page": (f"{base}/areas/542526000000/", f"Cookie: {cookie}"),
            "overview": (f"{base}/", f"Cookie: {cookie}"),
            "api areas": (f"{base}/api/areas?under=542526", f"Cookie: {cookie}"),
        }
        results = {name: wrk(url, args.seconds, args.connections, header) for name, (url, header) in targets.items()}
        base_rps = results["healthz (baseline)"]["rps"]
        for r in results.values():
            r["ratio_to_baseline"] = round(r["rps"] / base_rps, 3)
        print(json.dumps({"benchmark": "load", "server": "waitress, 8 threads, SQLite", "seconds": args.seconds,
                          "connections": args.connections, "results": results}, indent=1, ensure_ascii=False))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Two real Renkou nodes for the tests: each a ``renkou serve`` subprocess on a free loopback port,
with its own SQLite database in its own data directory, its own key and the other's directory entry."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

SETUP = textwrap.dedent("""
    import json, os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    from pathlib import Path
    from renkou.core import services as core
    from renkou.core.divisions import write_subset
    from renkou.core.models import ApiToken, User
    from renkou.exchange import services
    code, name, prefix = sys.argv[1:4]
    home = Path(os.environ["RENKOU_HOME"])
    core.import_areas(write_subset(home / "nbs", ("130982", "130929")))
    node = services.init_node(code, name, prefixes=[prefix])
    peer = User.objects.create_user("peer", role="machine_peer")
    _, token = ApiToken.issue(peer, "exchange")
    print(json.dumps({"code": code, "public_key": node.public_key, "token": token}))
""")

PERSON = textwrap.dedent("""
    import os, sys, datetime as dt
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    from renkou.core.idnumber import check_character
    from renkou.registry.models import Person
    area, body = sys.argv[1], sys.argv[2]
    p = Person.objects.create(name="李芳", sex=2, birth_date=dt.date(1990, 1, 1), id_number=body + check_character(body),
                              registered_area_id=area, resident_area_id=area, marital_status="20")
    print(p.id_number)
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealNode:
    def __init__(self, home: Path, code: str, name: str, prefix: str):
        self.home, self.code, self.name, self.prefix = home, code, name, prefix
        home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, RENKOU_HOME=str(home), PYTHONPATH=os.pathsep.join(sys.path))
        self.env.pop("RENKOU_DATABASE_URL", None)
        self.server = None
        self.renkou("migrate", "--no-input")
        self.info = json.loads(self.python(SETUP, code, name, prefix).strip().splitlines()[-1])

    def python(self, code: str, *args) -> str:
        out = subprocess.run([sys.executable, "-c", code, *args], env=self.env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def renkou(self, *args, check=True) -> subprocess.CompletedProcess:
        out = subprocess.run([sys.executable, "-m", "renkou", *args], env=self.env, capture_output=True,
                             text=True, timeout=120)
        if check:
            assert out.returncode == 0, out.stdout + out.stderr
        return out

    def renkou_json(self, *args):
        return json.loads(self.renkou(*args).stdout)

    def trust(self, other: RealNode) -> None:
        path = self.home / f"directory-{other.code}.yaml"
        path.write_text(json.dumps([{"code": other.code, "name": other.name, "url": other.url,
                                     "public_key": other.info["public_key"], "token": other.info["token"],
                                     "prefixes": [other.prefix]}], ensure_ascii=False), encoding="utf-8")
        self.renkou("exchange", "directory", str(path))

    def start(self) -> None:
        self.server = subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--host", "127.0.0.1",
                                        "--port", str(self.port), "--server", "waitress"], env=self.env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/api/exchange/node", timeout=2).read()
                return
            except OSError:
                assert self.server.poll() is None, self.server.stdout.read()
                time.sleep(0.2)
        raise AssertionError(f"{self.code} did not start")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.communicate(timeout=30)
        self.server = None


def two_nodes(base, township: str, id_body: str):
    """Renqiu's node and Xianxian's, each trusting the other, serving; Xianxian's register holds one
    person of ``township`` (ID number from ``id_body``). Yields (renqiu, xianxian, her ID number)."""
    renqiu = RealNode(base / "renqiu", "renqiu", "任丘市", "130982")
    xianxian = RealNode(base / "xianxian", "xianxian", "献县", "130929")
    renqiu.trust(xianxian)
    xianxian.trust(renqiu)
    id_number = xianxian.python(PERSON, township, id_body).strip()
    renqiu.start()
    xianxian.start()
    try:
        yield renqiu, xianxian, id_number
    finally:
        renqiu.stop()
        xianxian.stop()

"""`renkou serve`: worker processes chosen from the cores, and SQLite writers that wait their turn."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import psutil
import pytest

from renkou.core import serving


@pytest.mark.parametrize(("cores", "workers"), [(1, 2), (2, 2), (3, 3), (8, 8), (64, 16)])
def test_default_workers_are_one_per_core_at_least_two_at_most_sixteen(cores, workers):
    config = serving.defaults(cores)
    assert (config.workers, config.threads, config.timeout) == (workers, 4, 120)


def test_default_workers_follow_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    assert serving.available_cores() == 3
    assert serving.defaults().workers == 3


def test_gunicorn_runs_threaded_workers_on_the_given_address():
    options = serving.gunicorn_options("::1", 8001, serving.ServerConfig(workers=3, threads=2, timeout=50))
    assert options["bind"] == ["[::1]:8001"]
    assert (options["workers"], options["threads"], options["worker_class"], options["timeout"]) == \
        (3, 2, "gthread", 50)
    assert serving.gunicorn_options("127.0.0.1", 80, serving.defaults(1))["bind"] == ["127.0.0.1:80"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sqlite_env(tmp_path) -> dict:
    env = dict(os.environ, RENKOU_HOME=str(tmp_path), PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("RENKOU_DATABASE_URL", None)
    return env


def test_serve_on_one_core_starts_two_workers_that_answer(tmp_path):
    env, port = _sqlite_env(tmp_path), _free_port()
    server = subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
    try:
        answer = None
        for _ in range(300):
            try:
                answer = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read())
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        assert answer is not None and answer["status"] == "ok" and answer["database"] == "sqlite"
        def children():
            found = psutil.Process(server.pid).children()
            loop = [c for c in found if "recompute-dirty" in c.cmdline()]
            return [c for c in found if c not in loop], loop

        workers, loop = children()
        for _ in range(50):  # the master forks its workers one after the other
            if len(workers) == 2:
                break
            time.sleep(0.1)
            workers, loop = children()
        assert len(workers) == 2
        # beside the workers, the loop that recomputes the changed cells every 300 s (`--recompute-every`)
        assert len(loop) == 1 and loop[0].cmdline()[-5:] == ["recompute-dirty", "--every", "300", "--parent",
                                                             str(server.pid)]
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=60)
    assert server.returncode == 0
    assert "2 workers × 4 threads" in out
    assert not loop[0].is_running()  # ended with the server


WRITER = textwrap.dedent("""
    import os, sys, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    from django.db import transaction
    from renkou.core import audit
    from renkou.core.actor import acting_as
    n, who = int(sys.argv[1]), sys.argv[2]
    with acting_as(None, via="system"):
        for i in range(n):
            with transaction.atomic():
                audit.record("view", object_type="test.writer", object_id=f"{who}-{i}")
                time.sleep(0.01)  # hold the write lock a while, so that the others must wait for it
    print("done", who)
""")


def test_concurrent_writers_on_sqlite_wait_instead_of_failing(tmp_path):
    env = _sqlite_env(tmp_path)
    subprocess.run([sys.executable, "-m", "renkou", "migrate", "-v0"], env=env, check=True, timeout=300)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, "40", f"w{k}"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for k in range(4)]
    results = [w.communicate(timeout=300) for w in writers]
    for w, (_out, err) in zip(writers, results, strict=True):
        assert w.returncode == 0, err
        assert "database is locked" not in err
    check = textwrap.dedent("""
        import os, django
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
        django.setup()
        from renkou.core import audit
        from renkou.core.models import AuditEvent
        ids = sorted(AuditEvent.objects.filter(object_type="test.writer").values_list("object_id", flat=True))
        print(len(ids), len(set(ids)), audit.verify_chain().ok)
    """)
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    # every write landed once, and the hash chain of the audit log is unbroken by the interleaving
    assert out == ["160", "160", "True"]


def test_the_recompute_loop_ends_with_its_server_even_when_the_server_is_killed(tmp_path):
    env, port = _sqlite_env(tmp_path), _free_port()
    server = subprocess.Popen([sys.executable, "-m", "renkou", "serve", "--server", "waitress", "--port", str(port),
                               "--recompute-every", "120"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        loop = []
        for _ in range(300):
            loop = [c for c in psutil.Process(server.pid).children() if "recompute-dirty" in c.cmdline()]
            if loop:
                break
            time.sleep(0.2)
        assert len(loop) == 1 and loop[0].cmdline()[-4:] == ["--every", "120", "--parent", str(server.pid)]
        server.kill()  # kill -9: no `finally` runs in the server; the loop sees its parent gone
        server.wait(timeout=30)
        assert psutil.wait_procs(loop, timeout=10)[1] == []  # ended within seconds, not at its next round
    finally:
        if server.poll() is None:
            server.kill()

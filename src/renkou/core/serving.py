"""How ``renkou serve`` runs the application: a pre-forking server with one process per share of the cores.

A Django page is mostly Python work, and Python runs one thread at a time in a process, so one
process with many threads uses one core however many clients wait. The server is therefore
gunicorn with several worker processes (``gthread``: a few threads each, so a request waiting on
the database does not hold a whole process); waitress (one process, threads only) stays available
with ``--server waitress`` for systems without ``fork``.

Defaults, chosen from the cores this process may run on (``os.sched_getaffinity``):

* **workers** = one per core, at least 2 (one restarting leaves the other serving), at most 16 —
  the pages are Python work with short database reads, so a worker per core keeps the cores busy
  and the threads cover the waits; more workers only contend for the cores and, on SQLite, for the
  write lock that every audited page takes (measured in docs/benchmarks.md: on 2 cores, 2 workers
  answered 30 % more requests than 5). Each worker holds its own copy of the application (≈ 130 MiB);
* **threads** = 4 per worker;
* **timeout** = 120 s: a worker silent for longer is restarted (exports and large pages stay under it);
* **graceful timeout** = 30 s for requests under way when the server stops;
* **max requests** = 2 000 per worker (± 10 %), then the worker is replaced, which bounds slow growth.

The database side (``renkou.settings``): SQLite in WAL mode with a 30 s busy timeout, so concurrent
writers wait their turn instead of failing with "database is locked", and write transactions begin
``IMMEDIATE``; connections are kept open across requests (``CONN_MAX_AGE``) on SQLite and
PostgreSQL alike, checked before reuse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_WORKERS = 16


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else the count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServerConfig:
    workers: int
    threads: int
    timeout: int = 120
    graceful_timeout: int = 30
    max_requests: int = 2000
    max_requests_jitter: int = 200


def defaults(cores: int | None = None) -> ServerConfig:
    """The server's defaults for a machine of ``cores`` cores (this machine's when omitted)."""
    cores = available_cores() if cores is None else max(1, int(cores))
    return ServerConfig(workers=min(max(2, cores), MAX_WORKERS), threads=4)


def gunicorn_options(host: str, port: int, config: ServerConfig) -> dict:
    """gunicorn's settings for ``config`` (logs to stderr, access log off)."""
    return {
        "bind": [f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"],
        "workers": config.workers,
        "threads": config.threads,
        "worker_class": "gthread",
        "timeout": config.timeout,
        "graceful_timeout": config.graceful_timeout,
        "keepalive": 5,
        "max_requests": config.max_requests,
        "max_requests_jitter": config.max_requests_jitter,
        "preload_app": True,
        "proc_name": "renkou",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }


def warm_up() -> int:
    """Load before the workers fork what the first requests would otherwise wait for: every view module
    (the URL patterns), every template compiled, both languages' translations. The workers then share
    these pages of memory with the parent. Returns the number of templates compiled."""
    from pathlib import Path

    from django.apps import apps
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018  (imports the views of every module)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            translation.gettext("Search")
    compiled = 0
    for app in apps.get_app_configs():
        folder = Path(app.path) / "templates"
        for path in sorted(folder.rglob("*.html")) if folder.is_dir() else ():
            try:
                get_template(path.relative_to(folder).as_posix())
            except TemplateDoesNotExist:
                continue
            compiled += 1
    return compiled


def run_gunicorn(host: str, port: int, config: ServerConfig) -> None:
    """Serve ``renkou.wsgi.application`` with gunicorn until stopped (SIGINT or SIGTERM)."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from renkou.wsgi import application

    options = gunicorn_options(host, port, config)

    class RenkouServer(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    warm_up()
    # Workers are forked from this process: none may inherit its database connection.
    connections.close_all()
    RenkouServer().run()

"""An empty database of its own for tests that run ``renkou`` in a child process.

On SQLite (the default) the child gets ``$RENKOU_HOME/renkou.sqlite3`` in a temporary folder. When
the suite runs on PostgreSQL (``RENKOU_DATABASE_URL=postgres://…``) a fresh database is created on
the same server for the test (pytest-django's ``test_…`` database belongs to the test process and
its transactions) and dropped afterwards; the test fails if a connection to it is still open then.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def server_url() -> str | None:
    """The PostgreSQL URL the suite runs on, or None on SQLite."""
    url = os.environ.get("RENKOU_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@dataclass
class ScratchDatabase:
    env: dict[str, str]  # the environment for the child process
    url: str | None  # PostgreSQL URL of the scratch database, None on SQLite
    sqlite_path: Path | None

    def scalar(self, sql: str):
        """First column of the first row of ``sql``, read through a connection of its own."""
        if self.url is None:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as db:
                return db.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            return db.execute(sql).fetchone()[0]


def _other_sessions(admin, name: str) -> int:
    return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                         (name,)).fetchone()[0]


@contextlib.contextmanager
def scratch_database(home: Path) -> Iterator[ScratchDatabase]:
    """An empty database and the environment that points a child ``renkou`` at it (module text)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RENKOU_HOME": str(home)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = server_url()
    if server is None:
        env.pop("RENKOU_DATABASE_URL", None)
        yield ScratchDatabase(env, None, home / "renkou.sqlite3")
        return
    import psycopg
    from psycopg import sql

    name = f"renkou_scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_with_database(server, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            url = _with_database(server, name)
            env["RENKOU_DATABASE_URL"] = url
            yield ScratchDatabase(env, url, None)
            # A child killed with SIGKILL leaves its server process to notice the closed socket.
            deadline = time.monotonic() + 30
            while _other_sessions(admin, name) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = _other_sessions(admin, name)
            assert left == 0, f"{left} connection(s) to {name} still open after the test"
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

"""The schema of a fully migrated SQLite database, shipped as SQL, for creating an empty database at once.

Applying Renkou's migrations one by one to an empty database takes about ten seconds on SQLite: Django
re-renders the models related to every model an operation touches, and almost every model points at an area
or a person. ``renkou migrate`` on an *empty* SQLite database therefore loads ``data/schema/sqlite.sql``
instead — the SQL dump of a database that every migration was applied to, with the rows its data migrations
and Django's content types and permissions wrote — in one transaction, in well under a second. It is the same
idea as loading a schema file rather than replaying history.

The dump names the migrations it contains. It is used only when that list equals the migrations of the code
that runs (so a new migration never goes missing: with a stale dump the database is migrated step by step), on
SQLite, and when the database has no table yet; ``renkou migrate --every-step`` always applies the migrations.
``renkou schema --write`` regenerates the file by migrating a scratch database step by step, and the test suite
checks that the shipped file equals what that gives.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

DUMP_PATH = Path(__file__).resolve().parent / "data" / "schema" / "sqlite.sql"
HEADER = "-- Renkou: the schema of a SQLite database with every migration applied (renkou schema --write)."
MIGRATIONS_PREFIX = "-- migrations: "
# The time written for every migration in the shipped file; the load replaces it with the time of the load.
FIXED_APPLIED = "2000-01-01 00:00:00"


def migration_keys() -> list[str]:
    """Every migration of the installed apps, as ``app.name``, sorted; Django must be set up."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.graph.nodes)


def render(path: str | os.PathLike, keys: Iterable[str]) -> str:
    """The text of the dump of the SQLite database at ``path``, which has the migrations ``keys`` applied."""
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE django_migrations SET applied = ?", (FIXED_APPLIED,))
        con.commit()
        lines = list(con.iterdump())
    finally:
        con.close()
    return "\n".join([HEADER, MIGRATIONS_PREFIX + " ".join(sorted(keys)), *lines]) + "\n"


def keys_of(text: str) -> list[str]:
    """The migrations a dump says it contains (empty when the text has no such line)."""
    for line in text.splitlines()[:5]:
        if line.startswith(MIGRATIONS_PREFIX):
            return line[len(MIGRATIONS_PREFIX):].split()
    return []


def usable(dump_keys: Iterable[str], code_keys: Iterable[str], vendor: str, tables: Iterable[str],
           guards: bool = True) -> str | None:
    """Why the dump cannot create this database, or ``None`` when it can (pure). ``guards``: the settings
    install the database guards of the append-only tables (``RENKOU_AUDIT_DB_GUARD``, on outside the test
    suite), as they were when the dump was made."""
    if not guards:
        return "the settings leave out the append-only guards the shipped schema has"
    if vendor != "sqlite":
        return f"the database is {vendor}, the shipped schema is SQLite's"
    present = [t for t in tables if not t.startswith("sqlite_")]
    if present:
        return f"the database already has {len(present)} tables"
    dump, code = set(dump_keys), set(code_keys)
    if not dump:
        return "no shipped schema"
    if dump != code:
        missing, extra = sorted(code - dump), sorted(dump - code)
        parts = []
        if missing:
            parts.append("it lacks " + ", ".join(missing))
        if extra:
            parts.append("it has " + ", ".join(extra) + " that the code does not")
        return "the shipped schema is stale: " + "; ".join(parts)
    return None


def shipped() -> str:
    return DUMP_PATH.read_text(encoding="utf-8") if DUMP_PATH.exists() else ""


def run_script(raw: sqlite3.Connection, text: str) -> None:
    """Run the dump ``text`` on the raw SQLite connection ``raw``, all of it or nothing."""
    # The dump creates its tables in the order of their names, so a row may name a table created after it:
    # foreign keys are checked once the whole script has run, not row by row.
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        # One BEGIN … COMMIT script: a crash or an error mid-load leaves the database empty.
        raw.executescript(text)
    except Exception:
        if raw.in_transaction:
            raw.rollback()
        raise
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
    broken = raw.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the shipped schema breaks {len(broken)} foreign keys, first {broken[0]}")


def load(connection, text: str) -> int:
    """Create the schema of ``text`` in the empty SQLite database of the Django ``connection``.

    Returns the number of migrations recorded as applied, each at the time of the load."""
    from django.utils import timezone

    connection.ensure_connection()
    run_script(connection.connection, text)
    now = timezone.now().astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE django_migrations SET applied = %s", [now])
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        return cursor.fetchone()[0]


def generate() -> str:
    """Migrate a scratch SQLite database step by step (in a child process) and return its dump's text."""
    with tempfile.TemporaryDirectory(prefix="renkou-schema-") as tmp:
        db = Path(tmp) / "schema.sqlite3"
        env = {**os.environ, "RENKOU_DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "renkou.settings"}
        subprocess.run([sys.executable, "-m", "renkou", "migrate", "--every-step", "--no-input", "-v", "0"],
                       check=True, env=env, cwd=tmp)
        return render(db, migration_keys())

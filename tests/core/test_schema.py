"""The shipped SQLite schema: current with the migrations, the same database as migrating step by step, all or nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from django.core.management import call_command

from renkou.core import schema


def _migrate(db, *extra):
    env = {**os.environ, "RENKOU_DATABASE_URL": f"sqlite:///{db}"}
    out = subprocess.run([sys.executable, "-m", "renkou", "migrate", "--no-input", *extra], capture_output=True,
                         text=True, env=env, timeout=300, cwd=db.parent)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _contents(db):
    con = sqlite3.connect(db)
    try:
        objects = sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
        tables = [name for kind, name, _, _ in objects if kind == "table"]
        rows = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables if t != "django_migrations"}
        applied = sorted(con.execute("SELECT app, name FROM django_migrations").fetchall())
        return objects, rows, applied
    finally:
        con.close()


def test_the_shipped_schema_is_what_migrating_step_by_step_gives_and_an_empty_database_is_created_from_it(tmp_path,
                                                                                                      capsys):
    # `renkou schema --check`: the file in the package equals the dump of a scratch database that every
    # migration was applied to, one by one. A new migration without `renkou schema --write` fails here.
    call_command("schema", check=True)
    assert f"matches the {len(schema.migration_keys())} migrations" in capsys.readouterr().out
    fast, slow = tmp_path / "fast" / "db.sqlite3", tmp_path / "slow" / "db.sqlite3"
    fast.parent.mkdir()
    slow.parent.mkdir()
    said = _migrate(fast)
    count = len(schema.keys_of(schema.shipped()))
    assert f"Created the database from the shipped schema: {count} migrations recorded as applied" in said
    _migrate(slow, "--every-step")
    objects, rows, applied = _contents(fast)
    assert (objects, rows, applied) == _contents(slow)
    # The tables, the indexes and the append-only triggers are all there, and the content types of every model.
    kinds = {kind for kind, *_ in objects}
    assert {"table", "index", "trigger"} <= kinds
    assert ("trigger", "core_auditevent_no_replace") in {(k, n) for k, n, *_ in objects}
    assert len(rows["django_content_type"]) == 95 and len(applied) == count
    # Run again, migrate finds nothing to do.
    assert "No migrations to apply" in _migrate(fast)
    # Each migration is recorded at the time of the load, not at the file's fixed time.
    con = sqlite3.connect(fast)
    assert con.execute("SELECT COUNT(*) FROM django_migrations WHERE applied = ?",
                       (schema.FIXED_APPLIED,)).fetchone()[0] == 0
    con.close()


def test_a_broken_script_leaves_the_database_empty(tmp_path):
    text = schema.shipped()
    cut = text.index('INSERT INTO "django_content_type"')
    broken = text[:cut] + "INSERT INTO no_such_table VALUES(1);\n" + text[cut:]
    con = sqlite3.connect(tmp_path / "db.sqlite3")
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        schema.run_script(con, broken)
    assert con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    schema.run_script(con, text)
    assert con.execute("SELECT COUNT(*) FROM django_content_type").fetchone()[0] == 95
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []


def test_when_the_shipped_schema_may_create_a_database():
    keys = ["a.0001_initial", "b.0001_initial"]
    assert schema.usable(keys, keys, "sqlite", ["sqlite_sequence"]) is None
    assert "postgresql" in schema.usable(keys, keys, "postgresql", [])
    assert "already has 1 tables" in schema.usable(keys, keys, "sqlite", ["core_area"])
    stale = schema.usable(keys, [*keys, "b.0002_more"], "sqlite", [])
    assert stale == "the shipped schema is stale: it lacks b.0002_more"
    assert "it has a.0001_initial that the code does not" in schema.usable(keys, keys[1:], "sqlite", [])
    assert schema.usable([], keys, "sqlite", []) == "no shipped schema"
    assert "append-only guards" in schema.usable(keys, keys, "sqlite", [], guards=False)
    assert schema.keys_of(schema.shipped()) == schema.migration_keys()


@pytest.mark.django_db
def test_migrate_on_a_database_with_tables_is_djangos_migrate(capsys, settings):
    # The test database was created step by step: the suite's settings leave out the append-only guards.
    call_command("migrate", verbosity=2, interactive=False)
    out = capsys.readouterr().out
    assert "step by step: the settings leave out the append-only guards" in out and "No migrations to apply" in out
    settings.RENKOU_AUDIT_DB_GUARD = True
    call_command("migrate", verbosity=2, interactive=False)
    out = capsys.readouterr().out
    from django.db import connection

    tables = len(connection.introspection.table_names())
    why = (f"the database already has {tables} tables" if connection.vendor == "sqlite"
           else "the database is postgresql, the shipped schema is SQLite's")
    assert f"Applying the migrations step by step: {why}." in out and "No migrations to apply" in out

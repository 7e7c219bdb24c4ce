"""The audit log's hash chain, and a guard against inserting over an existing row (REPLACE on SQLite).

Adds ``prev_hash`` and ``row_hash`` to every audit event and chains the rows already written, in id
order (``renkou.core.audit_chain``). SQLite's ``REPLACE INTO`` / ``INSERT OR REPLACE`` removes the
row it conflicts with without firing DELETE triggers (``recursive_triggers`` is off), so a BEFORE
INSERT trigger refuses an insert whose id already exists. On PostgreSQL ``INSERT … ON CONFLICT DO
UPDATE`` fires the UPDATE trigger of migration 0002, which refuses it; the same BEFORE INSERT guard
refuses it there before the conflict clause is reached.

Both columns are nullable, so SQLite adds them with ALTER TABLE instead of rebuilding the table
(which would drop the triggers of 0002).
"""

from __future__ import annotations

from importlib import import_module

from django.db import migrations, models

_MSG = "audit log is append-only"

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS core_auditevent_no_replace BEFORE INSERT ON core_auditevent
        WHEN EXISTS (SELECT 1 FROM core_auditevent WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS core_auditevent_no_replace;"]

# PostgreSQL refuses a duplicate id by the primary key already, and ON CONFLICT DO UPDATE by 0002's
# UPDATE trigger; this BEFORE INSERT trigger refuses it first, whatever the conflict clause says.
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION core_auditevent_no_replace() RETURNS trigger AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM core_auditevent WHERE id = NEW.id) THEN
            RAISE EXCEPTION '{_MSG}';
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS core_auditevent_no_replace ON core_auditevent;",
    """CREATE TRIGGER core_auditevent_no_replace BEFORE INSERT ON core_auditevent
       FOR EACH ROW EXECUTE FUNCTION core_auditevent_no_replace();""",
]
POSTGRES_REVERSE = ["DROP TRIGGER IF EXISTS core_auditevent_no_replace ON core_auditevent;",
                    "DROP FUNCTION IF EXISTS core_auditevent_no_replace();"]

_BATCH = 2000


def _append_only():
    return import_module("renkou.core.migrations.0002_audit_append_only")


def _install_append_only(connection) -> None:
    """0002's triggers, whether or not some of them are there (its PostgreSQL statements are plain CREATEs)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in _append_only().POSTGRES_REVERSE:
                cursor.execute(sql)
    _append_only().install(connection)


def install(connection) -> None:
    """The whole guard of the audit table: 0002's triggers and the guard against inserting over a row."""
    _install_append_only(connection)
    with connection.cursor() as cursor:
        for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(connection.vendor, []):
            cursor.execute(sql)


def _drop_update_guard(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update;")
        elif connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent;")


def chain_existing(apps, schema_editor):
    from django.conf import settings

    from renkou.core.audit_chain import FIELDS, GENESIS, digest

    connection = schema_editor.connection
    AuditEvent = apps.get_model("core", "AuditEvent")
    _drop_update_guard(connection)  # the rows written before the chain get their hashes once, here
    prev, batch = GENESIS, []
    rows = AuditEvent.objects.using(connection.alias).order_by("id").values("id", *FIELDS)
    with connection.cursor() as cursor:
        for row in rows.iterator(chunk_size=_BATCH):
            h = digest(row, prev)
            batch.append((prev, h, row["id"]))
            prev = h
            if len(batch) >= _BATCH:
                cursor.executemany("UPDATE core_auditevent SET prev_hash = %s, row_hash = %s WHERE id = %s", batch)
                batch = []
        if batch:
            cursor.executemany("UPDATE core_auditevent SET prev_hash = %s, row_hash = %s WHERE id = %s", batch)
    # The test suite flushes tables between transactional tests, which the guard would refuse; the
    # tests that exercise it install it (tests/core/test_append_only.py).
    if getattr(settings, "RENKOU_AUDIT_DB_GUARD", True):
        install(connection)


def unchain(apps, schema_editor):
    connection = schema_editor.connection
    for sql in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(connection.vendor, []):
        schema_editor.execute(sql)
    _drop_update_guard(connection)  # the columns are dropped next; 0002's guard is put back after


def reinstall_guard(apps, schema_editor):
    from django.conf import settings

    if getattr(settings, "RENKOU_AUDIT_DB_GUARD", True):
        _install_append_only(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_alter_area_parent")]
    operations = [
        migrations.RunPython(migrations.RunPython.noop, reinstall_guard),
        migrations.AddField(
            model_name="auditevent", name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True,
                                   verbose_name="previous hash")),
        migrations.AddField(
            model_name="auditevent", name="row_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name="hash")),
        migrations.RunPython(chain_existing, unchain),
    ]

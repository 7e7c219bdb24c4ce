"""A published assessment run cannot be rewritten by REPLACE on SQLite either.

SQLite's ``REPLACE INTO`` / ``INSERT OR REPLACE`` removes the rows the new one conflicts with (same id,
or same unique key) without firing DELETE triggers, so the triggers of 0002 let it through. These
BEFORE INSERT triggers refuse an insert that would displace a published run, or a result of one. On
PostgreSQL ``INSERT … ON CONFLICT DO UPDATE`` fires the UPDATE triggers of 0002, which refuse it.
"""

from __future__ import annotations

from importlib import import_module

from django.db import migrations

_MSG = "published assessment run is immutable"

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS evaluation_run_frozen_replace BEFORE INSERT ON evaluation_run
        WHEN EXISTS (SELECT 1 FROM evaluation_run r WHERE r.status = 'published'
                     AND (r.id = NEW.id OR (r.scheme_id = NEW.scheme_id AND r.version = NEW.version)))
        BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS evaluation_unitresult_frozen_replace BEFORE INSERT ON evaluation_unitresult
        WHEN EXISTS (SELECT 1 FROM evaluation_unitresult u JOIN evaluation_run r ON r.id = u.run_id
                     WHERE r.status = 'published' AND (u.id = NEW.id OR (u.run_id = NEW.run_id AND u.unit_id = NEW.unit_id)))
        BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS evaluation_itemresult_frozen_replace BEFORE INSERT ON evaluation_itemresult
        WHEN EXISTS (SELECT 1 FROM evaluation_itemresult i JOIN evaluation_unitresult u ON u.id = i.unit_result_id
                     JOIN evaluation_run r ON r.id = u.run_id
                     WHERE r.status = 'published' AND (i.id = NEW.id OR (i.unit_result_id = NEW.unit_result_id
                                                                       AND i.item_code = NEW.item_code)))
        BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {t}_frozen_replace;"
                  for t in ("evaluation_run", "evaluation_unitresult", "evaluation_itemresult")]


def install(connection) -> None:
    """The whole guard of published runs: 0002's triggers and the REPLACE guard."""
    import_module("renkou.evaluation.migrations.0002_published_run_guard").install(connection)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in SQLITE:
                cursor.execute(sql)


def forwards(apps, schema_editor):
    from django.conf import settings

    # Not in the test suite, which flushes tables (see 0002); tests/core/test_append_only.py installs it.
    if getattr(settings, "RENKOU_AUDIT_DB_GUARD", True) and schema_editor.connection.vendor == "sqlite":
        install(schema_editor.connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_published_run_guard")]
    operations = [migrations.RunPython(forwards, backwards)]

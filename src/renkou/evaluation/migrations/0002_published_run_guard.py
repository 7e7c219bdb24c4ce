"""Database triggers that keep a published assessment run and its results unchanged (已发布结果不可更改).

The model and the services refuse too; the triggers hold whatever code runs against the database.
A draft run may still be published (status draft → published) and deleted with its results.
"""

from __future__ import annotations

from django.db import migrations

_MSG = "published assessment run is immutable"

_UNIT_RUN_OF = {  # SQL giving the run of the OLD/NEW row
    "evaluation_unitresult": "{row}.run_id",
    "evaluation_itemresult": "(SELECT u.run_id FROM evaluation_unitresult u WHERE u.id = {row}.unit_result_id)",
}


def _sqlite() -> list[str]:
    out = [
        f"""CREATE TRIGGER IF NOT EXISTS evaluation_run_frozen_update BEFORE UPDATE ON evaluation_run
            WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS evaluation_run_frozen_delete BEFORE DELETE ON evaluation_run
            WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
    ]
    for table, run_of in _UNIT_RUN_OF.items():
        published = "(SELECT status FROM evaluation_run WHERE id = {run}) = 'published'"
        old, new = published.format(run=run_of.format(row="OLD")), published.format(run=run_of.format(row="NEW"))
        out += [
            f"""CREATE TRIGGER IF NOT EXISTS {table}_frozen_insert BEFORE INSERT ON {table}
                WHEN {new} BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
            f"""CREATE TRIGGER IF NOT EXISTS {table}_frozen_update BEFORE UPDATE ON {table}
                WHEN {old} OR {new} BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
            f"""CREATE TRIGGER IF NOT EXISTS {table}_frozen_delete BEFORE DELETE ON {table}
                WHEN {old} BEGIN SELECT RAISE(ABORT, '{_MSG}'); END;""",
        ]
    return out


def _sqlite_reverse() -> list[str]:
    names = ["evaluation_run_frozen_update", "evaluation_run_frozen_delete"]
    for table in _UNIT_RUN_OF:
        names += [f"{table}_frozen_{op}" for op in ("insert", "update", "delete")]
    return [f"DROP TRIGGER IF EXISTS {n};" for n in names]


def _postgres() -> list[str]:
    out = [
        f"""CREATE OR REPLACE FUNCTION evaluation_run_frozen() RETURNS trigger AS $$
            BEGIN
              IF OLD.status = 'published' THEN RAISE EXCEPTION '{_MSG}'; END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql;""",
        """CREATE TRIGGER evaluation_run_frozen BEFORE UPDATE OR DELETE ON evaluation_run
           FOR EACH ROW EXECUTE FUNCTION evaluation_run_frozen();""",
        f"""CREATE OR REPLACE FUNCTION evaluation_truncate_frozen() RETURNS trigger AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM evaluation_run WHERE status = 'published') THEN
                RAISE EXCEPTION '{_MSG}';
              END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql;""",
    ]
    for table, run_of in _UNIT_RUN_OF.items():
        old, new = run_of.format(row="OLD"), run_of.format(row="NEW")
        out += [
            f"""CREATE OR REPLACE FUNCTION {table}_frozen() RETURNS trigger AS $$
                DECLARE runs bigint[];
                BEGIN
                  IF TG_OP = 'INSERT' THEN runs := ARRAY[{new}];
                  ELSIF TG_OP = 'UPDATE' THEN runs := ARRAY[{old}, {new}];
                  ELSE runs := ARRAY[{old}];
                  END IF;
                  IF EXISTS (SELECT 1 FROM evaluation_run r WHERE r.id = ANY(runs) AND r.status = 'published') THEN
                    RAISE EXCEPTION '{_MSG}';
                  END IF;
                  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                  RETURN NEW;
                END; $$ LANGUAGE plpgsql;""",
            f"""CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_frozen();""",
        ]
    for table in ("evaluation_run", *_UNIT_RUN_OF):
        out.append(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION evaluation_truncate_frozen();""")
    return out


def _postgres_reverse() -> list[str]:
    out = ["DROP TRIGGER IF EXISTS evaluation_run_frozen ON evaluation_run;"]
    for table in _UNIT_RUN_OF:
        out += [f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};", f"DROP FUNCTION IF EXISTS {table}_frozen();"]
    for table in ("evaluation_run", *_UNIT_RUN_OF):
        out.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    out += ["DROP FUNCTION IF EXISTS evaluation_run_frozen();", "DROP FUNCTION IF EXISTS evaluation_truncate_frozen();"]
    return out


def install(connection) -> None:
    """Install the triggers on ``connection`` (SQLite or PostgreSQL; other databases: nothing)."""
    statements = {"sqlite": _sqlite, "postgresql": _postgres}.get(connection.vendor)
    if statements is None:
        return
    with connection.cursor() as cursor:
        for sql in statements():
            cursor.execute(sql)


def forwards(apps, schema_editor):
    from django.conf import settings

    # The test suite flushes tables between transactional tests, which the guard would refuse; the
    # guard is installed inside the tests that exercise it (tests/evaluation/test_frozen_runs.py).
    if getattr(settings, "RENKOU_AUDIT_DB_GUARD", True):
        install(schema_editor.connection)


def backwards(apps, schema_editor):
    statements = {"sqlite": _sqlite_reverse, "postgresql": _postgres_reverse}.get(schema_editor.connection.vendor)
    for sql in statements() if statements else []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

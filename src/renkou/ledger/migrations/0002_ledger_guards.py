"""Database rules of the ledger: balanced postings, closed transactions, append-only legs.

Always installed: a transaction is inserted unposted; posting it requires at least two legs summing
to zero; a posted transaction is immutable and takes no more legs; legs are never updated. On
PostgreSQL a deferred constraint trigger also refuses, at commit, any transaction left unposted or
unbalanced. Installed unless ``RENKOU_AUDIT_DB_GUARD`` is false (the test suite flushes tables
between transactional tests; the tests of the guard install it themselves): no DELETE (nor TRUNCATE)
of legs or posted transactions — a correction is a reversing transaction.
"""

from __future__ import annotations

from django.db import migrations

_SUM = "(SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_leg WHERE transaction_id = NEW.id)"
_COUNT = "(SELECT COUNT(*) FROM ledger_leg WHERE transaction_id = NEW.id)"

SQLITE_RULES = [
    """CREATE TRIGGER IF NOT EXISTS ledger_tx_insert_unposted BEFORE INSERT ON ledger_transaction
       WHEN NEW.posted BEGIN SELECT RAISE(ABORT, 'ledger: a transaction is posted after its legs'); END;""",
    """CREATE TRIGGER IF NOT EXISTS ledger_tx_posted_immutable BEFORE UPDATE ON ledger_transaction
       WHEN OLD.posted BEGIN SELECT RAISE(ABORT, 'ledger: a posted transaction is immutable'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_tx_post_balanced BEFORE UPDATE ON ledger_transaction
       WHEN NEW.posted AND NOT OLD.posted AND ({_SUM} <> 0 OR {_COUNT} < 2)
       BEGIN SELECT RAISE(ABORT, 'ledger: legs of a transaction must sum to zero'); END;""",
    """CREATE TRIGGER IF NOT EXISTS ledger_leg_closed BEFORE INSERT ON ledger_leg
       WHEN (SELECT posted FROM ledger_transaction WHERE id = NEW.transaction_id)
       BEGIN SELECT RAISE(ABORT, 'ledger: a posted transaction takes no more legs'); END;""",
    """CREATE TRIGGER IF NOT EXISTS ledger_leg_no_update BEFORE UPDATE ON ledger_leg
       BEGIN SELECT RAISE(ABORT, 'ledger: legs are append-only'); END;""",
]
SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER IF NOT EXISTS ledger_leg_no_delete BEFORE DELETE ON ledger_leg
       BEGIN SELECT RAISE(ABORT, 'ledger: legs are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS ledger_tx_no_delete BEFORE DELETE ON ledger_transaction
       WHEN OLD.posted BEGIN SELECT RAISE(ABORT, 'ledger: legs are append-only'); END;""",
]
SQLITE_NAMES = ["ledger_tx_insert_unposted", "ledger_tx_posted_immutable", "ledger_tx_post_balanced",
                "ledger_leg_closed", "ledger_leg_no_update", "ledger_leg_no_delete", "ledger_tx_no_delete"]

POSTGRES_RULES = [
    f"""CREATE OR REPLACE FUNCTION ledger_tx_guard() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF NEW.posted THEN RAISE EXCEPTION 'ledger: a transaction is posted after its legs'; END IF;
            RETURN NEW;
          END IF;
          IF OLD.posted THEN RAISE EXCEPTION 'ledger: a posted transaction is immutable'; END IF;
          IF NEW.posted AND ({_SUM} <> 0 OR {_COUNT} < 2) THEN
            RAISE EXCEPTION 'ledger: legs of a transaction must sum to zero';
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ledger_tx_guard BEFORE INSERT OR UPDATE ON ledger_transaction
       FOR EACH ROW EXECUTE FUNCTION ledger_tx_guard();""",
    """CREATE OR REPLACE FUNCTION ledger_leg_guard() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'ledger: legs are append-only'; END IF;
          IF (SELECT posted FROM ledger_transaction WHERE id = NEW.transaction_id) THEN
            RAISE EXCEPTION 'ledger: a posted transaction takes no more legs';
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ledger_leg_guard BEFORE INSERT OR UPDATE ON ledger_leg
       FOR EACH ROW EXECUTE FUNCTION ledger_leg_guard();""",
    """CREATE OR REPLACE FUNCTION ledger_tx_settled() RETURNS trigger AS $$
        DECLARE is_posted boolean; total bigint;
        BEGIN
          SELECT posted INTO is_posted FROM ledger_transaction WHERE id = NEW.id;
          IF is_posted IS NULL THEN RETURN NULL; END IF;
          SELECT COALESCE(SUM(amount_fen), 0) INTO total FROM ledger_leg WHERE transaction_id = NEW.id;
          IF NOT is_posted OR total <> 0 THEN
            RAISE EXCEPTION 'ledger: transaction % left unposted or unbalanced at commit', NEW.id;
          END IF;
          RETURN NULL;
        END; $$ LANGUAGE plpgsql;""",
    """CREATE CONSTRAINT TRIGGER ledger_tx_settled AFTER INSERT ON ledger_transaction
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_tx_settled();""",
]
POSTGRES_APPEND_ONLY = [
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
        BEGIN
          IF TG_TABLE_NAME = 'ledger_transaction' AND TG_OP = 'DELETE' THEN
            IF NOT OLD.posted THEN RETURN OLD; END IF;
          END IF;
          RAISE EXCEPTION 'ledger: legs are append-only';
        END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ledger_leg_no_delete BEFORE DELETE ON ledger_leg
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""",
    """CREATE TRIGGER ledger_tx_no_delete BEFORE DELETE ON ledger_transaction
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""",
    """CREATE TRIGGER ledger_leg_no_truncate BEFORE TRUNCATE ON ledger_leg
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_tx_guard ON ledger_transaction;",
    "DROP TRIGGER IF EXISTS ledger_leg_guard ON ledger_leg;",
    "DROP TRIGGER IF EXISTS ledger_tx_settled ON ledger_transaction;",
    "DROP TRIGGER IF EXISTS ledger_leg_no_delete ON ledger_leg;",
    "DROP TRIGGER IF EXISTS ledger_tx_no_delete ON ledger_transaction;",
    "DROP TRIGGER IF EXISTS ledger_leg_no_truncate ON ledger_leg;",
    "DROP FUNCTION IF EXISTS ledger_tx_guard();", "DROP FUNCTION IF EXISTS ledger_leg_guard();",
    "DROP FUNCTION IF EXISTS ledger_tx_settled();", "DROP FUNCTION IF EXISTS ledger_append_only();",
]


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_rules(connection) -> None:
    _run(connection, {"sqlite": SQLITE_RULES, "postgresql": POSTGRES_RULES}.get(connection.vendor, []))


def install_append_only(connection) -> None:
    """The no-DELETE guard (tests that check it call this inside their transaction)."""
    _run(connection, {"sqlite": SQLITE_APPEND_ONLY, "postgresql": POSTGRES_APPEND_ONLY}.get(connection.vendor, []))


def forwards(apps, schema_editor):
    from django.conf import settings

    install_rules(schema_editor.connection)
    if getattr(settings, "RENKOU_AUDIT_DB_GUARD", True):
        install_append_only(schema_editor.connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {n};" for n in SQLITE_NAMES]
    elif schema_editor.connection.vendor == "postgresql":
        statements = POSTGRES_REVERSE
    else:
        statements = []
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

"""The audit log's hash chain: every event carries its predecessor's hash; ``renkou audit verify`` finds
the first broken link (a changed row, a removed row) and exits non-zero."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

import renkou
from renkou.core import audit, audit_chain
from renkou.core.models import AuditEvent


def _verify_json() -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command("audit", "verify", "--format", "json", stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def test_the_hash_is_sha256_of_the_canonical_content_and_the_previous_hash():
    row = {"at": dt.datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))),
           "actor_id": 7, "actor_username": "wang", "action": "view", "object_type": "registry.person",
           "object_id": "42", "object_repr": "张三", "area_code": "520122100201", "before": None,
           "after": {"n": 3.0, "b": [1, "二"]}, "detail": {"via": "web"}, "address": "10.0.0.1"}
    text = ('{"action":"view","actor_id":7,"actor_username":"wang","address":"10.0.0.1","after":{"b":[1,"二"],'
            '"n":3},"area_code":"520122100201","at":"2024-05-01T00:30:00.123456Z","before":null,'
            '"detail":{"via":"web"},"object_id":"42","object_repr":"张三","object_type":"registry.person"}')
    assert audit_chain.canonical(row) == text.encode("utf-8")
    prev = "ab" * 32
    assert audit_chain.digest(row, prev) == hashlib.sha256(text.encode("utf-8") + prev.encode()).hexdigest()
    assert audit_chain.digest(row, audit_chain.GENESIS) != audit_chain.digest(row, prev)


@pytest.mark.django_db
def test_each_event_links_to_the_one_before_and_an_intact_log_verifies(make_user):
    user = make_user("li", role="county_officer")
    first = audit.record("login", user=user, object_type="core.user", address="2001:DB8:0:0:0:0:0:1")
    second = audit.record("update", user=user, object_type="registry.person", object_id="1", object_repr="王五",
                          before={"name": "王五", "n": 1e20, "x": 0.1}, after={"name": "王六", "n": None},
                          detail={"deep": {"list": [1, 2.5, "三"]}})
    AuditEvent.objects.bulk_create([AuditEvent(action="create", object_type="registry.event", object_id=str(i),
                                               after={"i": i}) for i in range(3)])  # the importer's path
    rows = list(AuditEvent.objects.order_by("id"))
    assert rows[0].prev_hash == audit_chain.GENESIS and rows[0].pk == first.pk
    assert rows[1].prev_hash == first.row_hash and rows[1].pk == second.pk
    for a, b in zip(rows, rows[1:], strict=False):
        assert b.prev_hash == a.row_hash and len(b.row_hash) == 64
    code, report = _verify_json()
    assert code == 0 and report["ok"] is True and report["rows"] == 5
    assert report["head_id"] == rows[-1].pk and report["head_hash"] == rows[-1].row_hash


@pytest.mark.django_db
def test_a_changed_row_is_the_first_broken_link(make_user):
    events = [audit.record("view", object_type="registry.person", object_id=str(i), object_repr=f"人{i}")
              for i in range(5)]
    target = events[2]
    with connection.cursor() as cur:  # the test database has no guard (tests/conftest.py)
        cur.execute("UPDATE core_auditevent SET actor_username = 'someone-else' WHERE id = %s", [target.pk])
    code, report = _verify_json()
    assert code == 1 and report["ok"] is False and report["rows"] == 3
    broken = report["broken"]
    assert broken["row_id"] == target.pk and broken["kind"] == "content"
    assert broken["found"] == target.row_hash and broken["expected"] != target.row_hash
    assert broken["previous_id"] == events[1].pk


@pytest.mark.django_db
def test_a_removed_row_breaks_the_link_of_the_next(make_user):
    events = [audit.record("view", object_type="registry.person", object_id=str(i)) for i in range(4)]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    code, report = _verify_json()
    broken = report["broken"]
    assert code == 1 and broken["row_id"] == events[2].pk and broken["kind"] == "link"
    assert broken["expected"] == events[0].row_hash and broken["found"] == events[1].row_hash
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", stdout=out)
    assert exc.value.returncode == 1 and f"#{events[2].pk}" in out.getvalue()
    assert events[0].row_hash in out.getvalue() and events[1].row_hash in out.getvalue()


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the in-memory test database locks whole tables "
                    "across threads; concurrent processes on a SQLite file are tested below")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(name: str):
        try:
            start.wait()
            for i in range(15):
                with transaction.atomic():
                    audit.record("view", object_type="registry.person", object_id=f"{name}{i}")
        except BaseException as exc:  # noqa: BLE001 — reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    prevs = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(prevs) == 45 and len(set(prevs)) == 45  # no two events claim the same predecessor
    assert audit.verify_chain().ok


# --------------------------------------------------------------- a copy of a real SQLite database


def _renkou(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("RENKOU_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(RENKOU_HOME=str(home), PYTHONPATH=str(Path(renkou.__file__).parents[1]))
    out = subprocess.run([sys.executable, "-m", "renkou", *args], env=env, capture_output=True, text=True,
                         timeout=300)
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def chained_home(tmp_path_factory):
    """A SQLite database migrated to before the chain with three events in it, then migrated on (the
    migration chains them), then two more events written by the app: five chained events."""
    home = tmp_path_factory.mktemp("home")
    _renkou(home, "migrate", "-v0", "core", "0003")
    db = sqlite3.connect(home / "renkou.sqlite3")
    db.executemany("INSERT INTO core_auditevent (at, actor_username, action, object_type, object_id, object_repr, "
                   "area_code, detail, address) VALUES (?, 'wang', ?, 'registry.person', ?, '张三', '520122100201', "
                   "'{\"via\": \"web\"}', '127.0.0.1')",
                   [(f"2024-01-0{i} 08:00:00.00000{i}", a, str(i)) for i, a in ((1, "view"), (2, "update"),
                                                                                 (3, "export"))])
    db.commit()
    db.close()
    _renkou(home, "migrate", "-v0")
    _renkou(home, "shell", "-c", "from renkou.core import audit\n"
            "audit.record('view', object_type='registry.person', object_id='4', address='::1')\n"
            "audit.record('login', object_type='core.user', detail={'n': 2.0})")
    return home


def _copy(home: Path, tmp_path: Path, *sql: str) -> Path:
    target = tmp_path / "copy"
    target.mkdir()
    shutil.copy(home / "renkou.sqlite3", target / "renkou.sqlite3")
    shutil.copy(home / "secret.key", target / "secret.key")
    db = sqlite3.connect(target / "renkou.sqlite3")
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()
    return target


def test_the_migration_chains_the_events_written_before_and_the_log_verifies(chained_home):
    out = _renkou(chained_home, "audit", "verify", "--format", "json")
    report = json.loads(out.stdout)
    assert report["ok"] is True and report["rows"] == 5 and report["missing_triggers"] == []
    db = sqlite3.connect(chained_home / "renkou.sqlite3")
    rows = db.execute("SELECT id, prev_hash, row_hash FROM core_auditevent ORDER BY id").fetchall()
    db.close()
    assert rows[0][1] == audit_chain.GENESIS and all(b[1] == a[2] for a, b in zip(rows, rows[1:], strict=False))
    assert report["head_id"] == rows[-1][0] and report["head_hash"] == rows[-1][2]


def test_concurrent_processes_do_not_fork_the_chain_on_a_sqlite_file(chained_home, tmp_path):
    target = _copy(chained_home, tmp_path)
    script = ("import sys\nfrom django.db import transaction\nfrom renkou.core import audit\n"
              "for i in range(20):\n    with transaction.atomic():\n"
              "        audit.record('view', object_type='registry.person', object_id=sys.argv[-1] + str(i))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("RENKOU_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(RENKOU_HOME=str(target), PYTHONPATH=str(Path(renkou.__file__).parents[1]),
               DJANGO_SETTINGS_MODULE="renkou.settings")
    code = ("import django, sys; django.setup(); sys.argv.append(sys.argv[1]); exec(" + repr(script) + ")")
    procs = [subprocess.Popen([sys.executable, "-c", code, name], env=env) for name in "abc"]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    report = json.loads(_renkou(target, "audit", "verify", "--format", "json").stdout)
    assert report["ok"] is True and report["rows"] == 5 + 60
    db = sqlite3.connect(target / "renkou.sqlite3")
    prevs = [r[0] for r in db.execute("SELECT prev_hash FROM core_auditevent")]
    db.close()
    assert len(set(prevs)) == len(prevs) == 65


def test_the_guard_refuses_to_alter_the_real_database(chained_home, tmp_path):
    target = _copy(chained_home, tmp_path)
    db = sqlite3.connect(target / "renkou.sqlite3")
    for sql in ("UPDATE core_auditevent SET actor_username = 'x' WHERE id = 2", "DELETE FROM core_auditevent",
                "REPLACE INTO core_auditevent (id, at, actor_username, action, object_type, object_id, object_repr, "
                "area_code) VALUES (2, '2024-01-02 08:00:00', 'x', 'view', '', '', '', '')"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()


def test_verify_finds_a_row_altered_in_a_copy_of_the_database(chained_home, tmp_path):
    target = _copy(chained_home, tmp_path, "DROP TRIGGER core_auditevent_no_update",
                   "UPDATE core_auditevent SET object_repr = '李四', at = '2024-01-02 09:00:00' WHERE id = 2")
    out = _renkou(target, "audit", "verify", "--format", "json", check=False)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["broken"]["row_id"] == 2 and report["broken"]["kind"] == "content"
    assert report["broken"]["previous_id"] == 1 and report["rows"] == 2
    assert report["missing_triggers"] == ["core_auditevent_no_update"]


def test_verify_finds_a_row_deleted_in_a_copy_of_the_database(chained_home, tmp_path):
    target = _copy(chained_home, tmp_path, "DROP TRIGGER core_auditevent_no_delete",
                   "DELETE FROM core_auditevent WHERE id = 4")
    out = _renkou(target, "audit", "verify", check=False)
    assert out.returncode == 1 and "broken at row #5" in out.stdout and "last good row: #3" in out.stdout
    assert "core_auditevent_no_delete" in out.stdout and "broken at row 5" in out.stderr


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_existing_rows_on_this_database():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_alter_area_parent")])  # unapplies every app's migration that needs 0004
    try:
        with connection.cursor() as cur:
            for i, at in enumerate(("2024-01-01 08:00:00.000001+00:00", "2024-01-02 08:00:00+00:00")):
                cur.execute("INSERT INTO core_auditevent (at, actor_username, action, object_type, object_id, "
                            "object_repr, area_code, detail, address) VALUES (%s, 'wang', 'view', "
                            "'registry.person', %s, '张三', '', %s, '10.1.2.3')",
                            [at, str(i), json.dumps({"via": "web", "n": 1.5})])
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("core", "0004_audit_hash_chain")])
        rows = list(AuditEvent.objects.order_by("id"))
        assert rows[0].prev_hash == audit_chain.GENESIS and rows[1].prev_hash == rows[0].row_hash
        later = audit.record("view", object_type="registry.person", object_id="9")
        assert later.prev_hash == rows[1].row_hash
        verdict = audit.verify_chain()
        assert verdict.ok and verdict.rows == 3
    finally:  # every app's migrations applied again, so the tests after this one find their tables
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_buffered_events_are_appended_in_order_and_chained():
    """audit.buffered: the events of a batch are written together at the block's end, in the order they
    were made, chained to what was there; an error inside writes none of them."""
    audit.record("view", object_type="test.before", object_repr="before")
    with transaction.atomic():
        with audit.buffered(batch_size=3):
            for n in range(7):
                audit.record("view", object_type="test.buffered", object_repr=f"n{n}")
            assert AuditEvent.objects.filter(object_type="test.buffered").count() == 0  # not yet
            audit.record("view", object_type="test.buffered", object_repr="last")
    rows = list(AuditEvent.objects.order_by("id").values_list("object_repr", flat=True))
    assert rows == ["before", *[f"n{n}" for n in range(7)], "last"]
    assert audit.verify_chain().ok
    with pytest.raises(ZeroDivisionError), transaction.atomic(), audit.buffered():
        audit.record("view", object_type="test.failed", object_repr="lost")
        raise ZeroDivisionError
    assert not AuditEvent.objects.filter(object_type="test.failed").exists()
    assert AuditEvent.objects.count() == 9 and audit.verify_chain().ok

"""The columnar copy of the register (个案库列式副本): what the indicator counts read, in a DuckDB file.

Beside the register's row store the engine keeps, in ``$RENKOU_HOME/columnar/register.duckdb``,
the columns of persons, events and service records that the cubes count (areas, sex, dates,
states, marital and migrant status …) — nothing else, no names or identity numbers. The register
cubes (:func:`renkou.indicators.register.build_stack`) and the drill-down to persons run the same
SQL statements on it as on the database (DuckDB reads columns in C), so a full recompute is no
longer bounded by handing millions of rows to Python.

Consistency (never a stale number):

* **change log** — database triggers on the three tables (SQLite and PostgreSQL, migration
  ``indicators 0004``) add the id of every row inserted, deleted or updated in a counted column to
  ``indicators_columnarchange`` *in the writing transaction*, whatever wrote it (services, imports,
  bulk loads, plain SQL). They log only while the copy is enabled. The register's bulk loads on SQLite
  (the loader, the persons import) drop the ``INSERT`` triggers inside their transaction and log
  the rows they inserted with one statement per table before the commit (:func:`pause_insert_log`).
* **replay before every read** — :func:`reader` is the only way to the copy. It reads the state
  row; if changes are logged it consumes them (``DELETE … RETURNING``), reads the current rows of
  those ids from the database and replaces them in the copy, all while holding the state row (so
  two replays never interleave). A read of the copy therefore sees the database as of that moment.
* **generations** — the state row and the copy both hold a generation number, raised by every
  replay; the copy is committed first, the database after. When the database's transaction rolls
  back (an error, a test), its generation is behind the copy's: the ids the copy applied since are
  kept in the copy (``touched``) and read again from the database, which repairs it. A copy of
  another database or an older file (other identity, or behind) is not used: the computation reads
  the database instead (:func:`status` says so; ``renkou indicators columnar rebuild`` makes a new
  one). So the copy is either equal to the database or not read at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)

# code: (table, [(column, DuckDB type)]) — the columns the counts read ("id" first)
TABLES: dict[int, tuple[str, list[tuple[str, str]]]] = {
    1: ("registry_person", [("id", "BIGINT"), ("registered_area_id", "VARCHAR"), ("resident_area_id", "VARCHAR"),
                            ("sex", "SMALLINT"), ("birth_date", "DATE"), ("death_date", "DATE"),
                            ("exit_date", "DATE"), ("migrant_status", "VARCHAR"), ("marital_status", "VARCHAR"),
                            ("status", "VARCHAR"), ("record_state", "VARCHAR"), ("spouse_id", "BIGINT")]),
    2: ("registry_event", [("id", "BIGINT"), ("kind", "VARCHAR"), ("subject_id", "BIGINT"), ("mother_id", "BIGINT"),
                           ("area_id", "VARCHAR"), ("event_date", "DATE"), ("registration_date", "DATE"),
                           ("state", "VARCHAR"), ("is_current", "BOOLEAN"), ("flag_rejected", "BOOLEAN"),
                           ("birth_order", "SMALLINT"), ("delivery_place", "VARCHAR")]),
    3: ("registry_servicerecord", [("id", "BIGINT"), ("person_id", "BIGINT"), ("area_id", "VARCHAR"),
                                   ("type", "VARCHAR"), ("date", "DATE")]),
}
CHUNK = 100_000
IDS_PER_QUERY = 900
LOCK_WAIT_S = 120.0


class Unavailable(Exception):
    """The copy cannot be used now (absent, of another database, or locked too long)."""


def path() -> Path:
    """Where the copy lives: ``RENKOU_COLUMNAR_PATH`` if set, else ``$RENKOU_HOME/columnar/register.duckdb``."""
    configured = getattr(settings, "RENKOU_COLUMNAR_PATH", None)
    if configured:
        return Path(configured)
    return Path(settings.HOME) / "columnar" / "register.duckdb"


# --------------------------------------------------------------------------- locking
@contextlib.contextmanager
def _file_lock(target: Path, wait: float = LOCK_WAIT_S) -> Iterator[None]:
    """One process at a time opens the DuckDB file (DuckDB allows one writer process)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(target) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Unavailable("columnar copy locked by another process") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # releases the lock


MEMORY_LIMIT = "2GB"
"""DuckDB's own memory (its buffers spill to disk beyond it): keeps a province-sized recompute within
a small server's memory beside the NumPy columns."""


def _connect(target: Path):
    import duckdb

    return duckdb.connect(str(target), config={"memory_limit": MEMORY_LIMIT})


def _meta(con) -> tuple[str, int]:
    row = con.execute("SELECT copy_id, generation FROM meta").fetchone()
    return (row[0], int(row[1])) if row else ("", -1)


# --------------------------------------------------------------------------- reading rows of the database
def _day_sql(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"({col} - DATE '1970-01-01')"
    return f"CAST(julianday({col}) - 2440587.5 AS INTEGER)"


def _select(code: int) -> str:
    table, cols = TABLES[code]
    out = []
    for name, kind in cols:
        if kind == "DATE":
            out.append(_day_sql(name))
        elif kind == "BOOLEAN":
            out.append(f"CASE WHEN {name} THEN 1 ELSE 0 END")
        else:
            out.append(name)
    return f"SELECT {', '.join(out)} FROM {table}"


def _arrow(code: int, rows: list[tuple]):
    import pyarrow as pa

    _table, cols = TABLES[code]
    columns = list(zip(*rows, strict=True)) if rows else [() for _c in cols]
    arrays = []
    for (_name, kind), values in zip(cols, columns, strict=True):
        if kind == "DATE":
            arrays.append(pa.array(values, pa.int32()).cast(pa.date32()))
        elif kind == "BOOLEAN":
            arrays.append(pa.array([None if v is None else bool(v) for v in values], pa.bool_()))
        elif kind in ("BIGINT", "SMALLINT"):
            arrays.append(pa.array(values, pa.int64()))
        else:
            arrays.append(pa.array(values, pa.string()))
    return pa.table(arrays, names=[n for n, _k in cols])


def _create_tables(con) -> None:
    for table, cols in TABLES.values():
        con.execute(f"CREATE TABLE {table} ({', '.join(f'{n} {k}' for n, k in cols)})")
    con.execute("CREATE TABLE meta (copy_id VARCHAR, generation BIGINT)")
    con.execute("CREATE TABLE touched (generation BIGINT, tbl SMALLINT, id BIGINT)")


def _insert(con, code: int, rows: list[tuple]) -> None:
    if not rows:
        return
    chunk = _arrow(code, rows)  # noqa: F841 - read by DuckDB by name
    con.execute(f"INSERT INTO {TABLES[code][0]} SELECT * FROM chunk")


# --------------------------------------------------------------------------- building
def rebuild(progress=None) -> dict:
    """Build the copy anew from the database and enable the change log; returns row counts.

    In one database transaction that keeps writers out (SQLite's write lock, PostgreSQL's SHARE
    lock on the three tables): the log is enabled and emptied and every row read, so each change is
    either in the copy or in the log.
    """
    from .models import ColumnarChange, ColumnarState

    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".building")
    building.unlink(missing_ok=True)
    counts = {}
    with transaction.atomic():
        state, _ = ColumnarState.objects.select_for_update().get_or_create(id=1)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("LOCK TABLE " + ", ".join(t for t, _c in TABLES.values()) + " IN SHARE MODE")
        state.enabled, state.copy_id, state.generation = True, str(uuid.uuid4()), state.generation + 1
        state.save()  # on SQLite: the write lock, held to the commit
        ColumnarChange.objects.all().delete()
        con = _connect(building)
        try:
            _create_tables(con)
            for code, (table, _cols) in TABLES.items():
                n = 0
                with connection.cursor() as cur:
                    cur.execute(_select(code) + " ORDER BY id")
                    while True:
                        rows = cur.fetchmany(CHUNK)
                        if not rows:
                            break
                        _insert(con, code, rows)
                        n += len(rows)
                        if progress:
                            progress(table, n)
                counts[table] = n
            con.execute("INSERT INTO meta VALUES (?, ?)", [state.copy_id, state.generation])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with _file_lock(target):
            os.replace(building, target)
            Path(str(building) + ".wal").unlink(missing_ok=True)
    return counts


def drop() -> bool:
    """Disable the change log and delete the copy (the engine then reads the database)."""
    from .models import ColumnarChange, ColumnarState

    with transaction.atomic():
        ColumnarState.objects.filter(id=1).update(enabled=False, copy_id="")
        ColumnarChange.objects.all().delete()
    target = path()
    existed = target.exists()
    with _file_lock(target):
        target.unlink(missing_ok=True)
        Path(str(target) + ".wal").unlink(missing_ok=True)
    return existed


# --------------------------------------------------------------------------- bulk loads
def pause_insert_log(tables: list[str]) -> list[tuple[int, str, str, int]]:
    """For a bulk load on SQLite, inside its transaction: drop the change log's ``INSERT`` triggers of
    ``tables`` (those of the three counted tables among them) and return what :func:`resume_insert_log`
    needs to put them back. A trigger costs 11–15 µs a row (its program and its test of the state row
    run for every row: ``docs/benchmarks.md``); the rows inserted meanwhile are logged afterwards with
    one statement per table. The first ``DROP`` takes SQLite's write lock, held to the commit, so no
    other connection can insert while the triggers are away; DDL is transactional, so a load that
    fails or is killed restores them with everything else. Between pause and resume the load itself
    must not read the copy. PostgreSQL and outside a transaction: nothing paused (``[]``)."""
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        return []
    codes = {table: code for code, (table, _cols) in TABLES.items()}
    paused = []
    with connection.cursor() as cur:
        for table in tables:
            if table not in codes:
                continue
            name = f"columnar_{table}_ins"
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
            row = cur.fetchone()
            if row is None:
                continue
            cur.execute(f'DROP TRIGGER "{name}"')
            cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # read under the write lock
            paused.append((codes[table], table, row[0], int(cur.fetchone()[0])))
    return paused


def resume_insert_log(paused: list[tuple[int, str, str, int]]) -> int:
    """Put back the triggers :func:`pause_insert_log` dropped, in the same transaction, and log the rows
    inserted since (ids above the largest before) while the copy is enabled; returns the rows logged."""
    if not paused:
        return 0
    from .models import ColumnarChange, ColumnarState

    logged = 0
    with connection.cursor() as cur:
        for code, table, sql, before in paused:
            cur.execute(sql)
            cur.execute(f"INSERT INTO {ColumnarChange._meta.db_table} (tbl, row_id) SELECT %s, id FROM \"{table}\" "
                        f"WHERE id > %s AND (SELECT enabled FROM {ColumnarState._meta.db_table} WHERE id = 1)",
                        [code, before])
            logged += max(cur.rowcount, 0)
    paused.clear()
    return logged


@contextlib.contextmanager
def insert_log_paused(tables: list[str]) -> Iterator[None]:
    """:func:`pause_insert_log` … :func:`resume_insert_log` around a block of a load's transaction
    (resumed also when the block raises, for a caller that catches the error inside the transaction)."""
    paused = pause_insert_log(tables)
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            resume_insert_log(paused)
        raise
    resume_insert_log(paused)


# --------------------------------------------------------------------------- replay
def _fetch_rows(code: int, ids: list[int]) -> list[tuple]:
    out: list[tuple] = []
    with connection.cursor() as cur:
        for i in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[i:i + IDS_PER_QUERY]
            cur.execute(_select(code) + f" WHERE id IN ({', '.join('%s' for _ in chunk)})", chunk)
            out += cur.fetchall()
    return out


def _consume_log() -> dict[int, set[int]]:
    """Take every logged change visible to this transaction out of the log (one statement)."""
    from .models import ColumnarChange

    table = ColumnarChange._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} RETURNING tbl, row_id")
        rows = cur.fetchall()
    out: dict[int, set[int]] = {code: set() for code in TABLES}
    for code, row_id in rows:
        out.setdefault(int(code), set()).add(int(row_id))
    return out


def _apply(con, changed: dict[int, set[int]], generation: int) -> int:
    """Replace the rows of ``changed`` ids in the copy by their current rows in the database."""
    import pyarrow as pa

    n = 0
    for code, ids in changed.items():
        if not ids or code not in TABLES:
            continue
        table = TABLES[code][0]
        wanted = sorted(ids)
        rows = _fetch_rows(code, wanted)
        gone = pa.table({"id": pa.array(wanted, pa.int64())})  # noqa: F841 - read by DuckDB
        con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM gone)")
        _insert(con, code, rows)
        con.execute("INSERT INTO touched SELECT ?, ?, id FROM gone", [generation, code])
        n += len(wanted)
    return n


def _replay(con, state) -> dict:
    """Consume the log into the copy (the state row and the file lock held by the caller)."""
    from .models import ColumnarState

    new = state.generation + 1
    ColumnarState.objects.filter(id=1).update(generation=new)
    copy_id, copy_gen = _meta(con)
    con.execute("BEGIN")
    try:
        changed = _consume_log()
        repaired = 0
        if copy_gen > state.generation:  # the database rolled back replays the copy kept: read those rows again
            for code, row_id in con.execute("SELECT tbl, id FROM touched WHERE generation > ?",
                                            [state.generation]).fetchall():
                changed.setdefault(int(code), set()).add(int(row_id))
                repaired += 1
        con.execute("DELETE FROM touched WHERE generation <= ?", [state.generation])
        applied = _apply(con, changed, new)
        con.execute("UPDATE meta SET generation = ?", [new])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"applied": applied, "repaired": repaired, "generation": new}


@contextlib.contextmanager
def reader() -> Iterator[object | None]:
    """A DuckDB connection to the copy, replayed up to the database's present state — or None when
    there is no usable copy (then the caller reads the database). Hold it only for a computation."""
    from .models import ColumnarChange, ColumnarState

    target = path()
    if not target.exists():
        yield None
        return
    state = ColumnarState.objects.filter(id=1).values_list("copy_id", "generation", "enabled").first()
    if state is None or not state[2]:
        yield None
        return
    try:
        if not ColumnarChange.objects.exists():
            with _file_lock(target):
                con = _connect(target)
                try:
                    current = _meta(con) == (state[0], state[1])
                    if current:
                        yield con
                finally:
                    con.close()
                if current:
                    return
        with contextlib.ExitStack() as stack:
            with transaction.atomic():
                # the state row first, then the file: the order every replay takes them in
                row = ColumnarState.objects.select_for_update().filter(id=1).first()
                if row is None or not row.enabled:
                    yield None
                    return
                ColumnarState.objects.filter(id=1).update(generation=row.generation)  # SQLite: the write lock
                stack.enter_context(_file_lock(target))
                con = _connect(target)
                stack.callback(con.close)
                copy_id, copy_gen = _meta(con)
                if copy_id != row.copy_id or copy_gen < row.generation:
                    log.warning("columnar copy not used: %s", "another copy" if copy_id != row.copy_id
                                else "behind the database")
                    con = None
                else:
                    _replay(con, row)
            yield con
    except Unavailable as exc:
        log.warning("columnar copy not used: %s", exc)
        yield None


def sync() -> dict:
    """Replay the change log into the copy now (``renkou indicators columnar sync``)."""
    with reader() as con:
        if con is None:
            return {"usable": False}
        return {"usable": True, "generation": _meta(con)[1]}


def status() -> dict:
    """What the copy holds and whether the engine reads it."""
    from .models import ColumnarChange, ColumnarState

    target = path()
    state = ColumnarState.objects.filter(id=1).first()
    out = {"path": str(target), "present": target.exists(), "enabled": bool(state and state.enabled),
           "pending_changes": ColumnarChange.objects.count(),
           "database_generation": state.generation if state else 0}
    if not target.exists():
        out["usable"] = False
        return out
    try:
        with _file_lock(target, wait=10):
            con = _connect(target)
            try:
                copy_id, gen = _meta(con)
                out["copy_generation"] = gen
                out["rows"] = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                               for t, _c in TABLES.values()}
            finally:
                con.close()
    except Unavailable:
        out["usable"] = None
        return out
    out["size_bytes"] = target.stat().st_size
    out["usable"] = bool(state and state.enabled and copy_id == state.copy_id and gen >= state.generation)
    return out


def fetch(con, sql: str, params: list, ncols: int) -> np.ndarray:
    """Rows of an integer statement on the copy as an (n, ncols) int64 array (``%s`` placeholders)."""
    res = con.execute(sql.replace("%s", "?"), params).fetchnumpy()
    cols = [np.ma.filled(np.asarray(v) if not np.ma.isMaskedArray(v) else v, 0).astype(np.int64)
            for v in res.values()]
    if not cols or len(cols[0]) == 0:
        return np.zeros((0, ncols), dtype=np.int64)
    return np.column_stack(cols)

"""Bulk loads and the columnar copy's change log: on SQLite the loader and the persons import pause the
insert triggers inside their transaction and log the rows they inserted before the commit; on
PostgreSQL the triggers log row by row. Either way the log holds every row inserted, the triggers are
the same afterwards, and the copy equals the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from renkou.indicators import columnar, register
from renkou.indicators.models import ColumnarChange
from renkou.registry import loader
from renkou.registry.models import Event, Person, ServiceRecord
from renkou.synth import generator as synth


def _params(persons: int = 1200, code: str = "520122"):
    from renkou.synth.params import CountyParams

    return CountyParams(code, persons=persons)


@pytest.fixture(scope="module")
def county():
    return synth.generate(_params(), 5)


@pytest.fixture
def copy_at(settings, tmp_path):
    settings.RENKOU_COLUMNAR_PATH = str(tmp_path / "columnar" / "register.duckdb")
    return tmp_path / "columnar" / "register.duckdb"


def _triggers() -> set[str]:
    if connection.vendor == "sqlite":
        sql = "SELECT name || ':' || sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'columnar_%%'"
    else:
        sql = ("SELECT tgname || ':' || pg_get_triggerdef(oid) FROM pg_trigger "
               "WHERE NOT tgisinternal AND tgname LIKE 'columnar_%%'")
    with connection.cursor() as cur:
        cur.execute(sql)
        return {r[0] for r in cur.fetchall()}


def _logged() -> dict[int, set[int]]:
    out: dict[int, set[int]] = {1: set(), 2: set(), 3: set()}
    for tbl, row_id in ColumnarChange.objects.values_list("tbl", "row_id"):
        out[tbl].add(row_id)
    return out


def _cubes(copy: bool, prefix: str = "520122") -> dict:
    s, e = dt.date(2004, 1, 1), dt.date(2004, 12, 31)
    if copy:
        with columnar.reader() as con:
            assert con is not None
            with register.reading(con):
                cells, flat = register.build_stack(prefix, s, e)
    else:
        cells, flat = register.build_stack(prefix, s, e)
    return {c: flat[i].tolist() for i, c in enumerate(cells) if flat[i].any()}


def test_a_load_with_the_copy_enabled_logs_every_row_inserted_and_the_copy_equals_the_database(
        db, county, copy_at, monkeypatch):
    columnar.rebuild()  # an empty register's copy: the log is enabled
    before = _triggers()
    assert len(before) == 9
    paused = []
    plain = columnar.pause_insert_log
    monkeypatch.setattr(columnar, "pause_insert_log", lambda tables: paused.append(plain(tables)) or paused[-1])
    loader.load_synthetic(county)
    assert _triggers() == before  # the same triggers, the same text
    # SQLite: the three insert triggers were away during the load; PostgreSQL: nothing paused
    assert len(paused) == 1 and len(paused[0]) == 0  # resumed: the list is emptied
    logged = _logged()
    assert logged[1] == set(Person.objects.values_list("id", flat=True)) and len(logged[1]) >= 1200
    assert logged[2] == set(Event.objects.values_list("id", flat=True)) and logged[2]
    assert logged[3] == set(ServiceRecord.objects.values_list("id", flat=True)) and logged[3]
    from_copy = _cubes(copy=True)  # replays the log
    assert not ColumnarChange.objects.exists()
    assert from_copy == _cubes(copy=False) and sum(sum(map(sum, v)) if isinstance(v[0], list) else sum(v)
                                                   for v in from_copy.values()) > 0


def test_a_second_load_logs_only_its_own_rows(db, county, copy_at):
    loader.load_synthetic(county)
    first = set(Person.objects.values_list("id", flat=True))
    columnar.rebuild()
    second = synth.generate(_params(300, "540102"), 6)  # another county, into a register that has one
    loader.load_synthetic(second)
    logged = _logged()
    assert logged[1] == set(Person.objects.values_list("id", flat=True)) - first and len(logged[1]) >= 300
    for prefix in ("520122", "540102"):
        assert _cubes(copy=True, prefix=prefix) == _cubes(copy=False, prefix=prefix)


def test_without_a_copy_a_load_logs_nothing_and_keeps_the_triggers(db, county, copy_at):
    before = _triggers()
    loader.load_synthetic(county)
    assert not ColumnarChange.objects.exists() and Person.objects.count() >= 1200
    assert _triggers() == before


def test_a_load_that_fails_leaves_the_triggers_and_the_log_as_they_were(seed_areas, county, copy_at, monkeypatch):
    from renkou.registry.models import DuplicateCandidate

    columnar.rebuild()
    before = _triggers()

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DuplicateCandidate.objects, "bulk_create", broken)  # after every row is inserted
    with pytest.raises(RuntimeError, match="disk full"):
        loader.load_synthetic(county)
    assert _triggers() == before
    assert not Person.objects.exists() and not ColumnarChange.objects.exists()
    monkeypatch.undo()
    p = Person.objects.create(name="张三", sex=1, birth_date=dt.date(1990, 1, 1), resident_area_id="520122100201")
    assert _logged()[1] == {p.pk}  # the insert trigger is back and logs row by row


def test_the_paused_triggers_are_put_back_when_the_block_raises_inside_the_transaction(db, copy_at):
    from django.db import transaction

    columnar.rebuild()
    before = _triggers()
    with transaction.atomic():
        with pytest.raises(ValueError), columnar.insert_log_paused([Person._meta.db_table]):
            raise ValueError("caught inside the transaction")
        assert _triggers() == before  # the load's caller goes on with the log in place

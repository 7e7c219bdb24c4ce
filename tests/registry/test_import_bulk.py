"""A large person file (≥ 10,000 new rows) takes the bulk path: indexes built once, foreign keys checked
once before the commit, links written with the rows; the guarantees stay those of a small file."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.core.models import AuditEvent
from renkou.registry.importer import import_file
from renkou.registry.models import Household, Person
from renkou.registry.search import pinyin_keys

from .conftest import VILLAGE_A, VILLAGE_B, id_for

N = 10_050
TODAY = dt.date(2025, 6, 1)
GIVEN = "明华伟芳国丽强静磊洋"


@pytest.fixture(autouse=True)
def _quick_flush(transactional_db):
    """Rows removed with foreign keys off before the flush (SQLite would scan the unindexed spouse column
    for every deleted person)."""
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_keys=OFF")
            for table in ("registry_finding", "registry_duplicatecandidate", "registry_person", "registry_household"):
                cur.execute(f"DELETE FROM {table}")
            cur.execute("PRAGMA foreign_keys=ON")


def files(tmp_path, bad_line: bool = False):
    hh = ["household_key,area_code,kind,established_date"]
    hh += [f"H{i},{VILLAGE_A if i % 2 else VILLAGE_B},family,2000-01-01" for i in range(N // 3 + 1)]
    (tmp_path / "hh.csv").write_text("\n".join(hh) + "\n", encoding="utf-8")
    rows = ["person_key,id_number,name,sex,birth_date,marital_status,household_key,relation_to_head,area_code,"
            "mother_key,father_key,spouse_key"]
    # families of three, the child first in the file: its parents' rows come after it
    for f in range(N // 3):
        area = VILLAGE_A if f % 2 else VILLAGE_B
        kid, mum, dad = f"P{3 * f}", f"P{3 * f + 1}", f"P{3 * f + 2}"
        born = dt.date(1960, 1, 1) + dt.timedelta(days=f % 5000)
        kid_born = born + dt.timedelta(days=25 * 365)
        rows.append(f"{kid},{id_for(kid_born, (f % 499) * 2 + 1)},张小{GIVEN[f % 10]},1,{kid_born},10,H{f},20,{area},"
                    f"{mum},{dad},")
        rows.append(f"{mum},,单{GIVEN[f % 7]}梅,2,{born},21,H{f},10,{area},,,{dad}")
        rows.append(f"{dad},,曾{GIVEN[f % 9]}军,1,{born},21,H{f},02,{area},,,{mum}")
    if bad_line:
        rows.append(f"PBAD,,王五,1,not-a-date,10,H0,99,{VILLAGE_A},,,")
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path / "hh.csv", tmp_path / "p.csv"


@pytest.mark.slow
def test_a_large_file_lands_with_links_heads_keys_and_one_audit_event(transactional_db, seed_areas, tmp_path):
    hh, persons = files(tmp_path)
    assert import_file("households", hh, today=TODAY).written
    r = import_file("persons", persons, today=TODAY)
    assert (r.created, r.rejected) == (N // 3 * 3, 0)
    kid, mum, dad = (Person.objects.get(source_key=k) for k in ("P30", "P31", "P32"))
    assert (kid.mother_id, kid.father_id, mum.spouse_id, dad.spouse_id) == (mum.pk, dad.pk, dad.pk, mum.pk)
    # every link to a row further down the file is set: each child's two parents, each spouse
    assert [Person.objects.exclude(**{f"{a}__isnull": True}).count() for a in ("mother", "father", "spouse")] == \
        [N // 3, N // 3, 2 * (N // 3)]
    assert Household.objects.get(source_key="H10").head_id == dad.pk
    assert (mum.pinyin_key, mum.pinyin_alt, mum.pinyin_initials) == pinyin_keys(mum.name)
    batch = AuditEvent.objects.get(action="import", object_type="registry.persons")
    assert Person.objects.exclude(import_batch=batch.pk).count() == 0
    assert not AuditEvent.objects.filter(action="create", object_type="registry.person").exists()
    again = import_file("persons", persons, today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, N // 3 * 3)


@pytest.mark.slow
def test_a_large_file_with_one_bad_row_writes_nothing_and_dry_run_writes_nothing(transactional_db, seed_areas,
                                                                                   tmp_path):
    hh, persons = files(tmp_path, bad_line=True)
    import_file("households", hh, today=TODAY)
    r = import_file("persons", persons, today=TODAY)
    assert (r.rejected, r.written, Person.objects.count()) == (1, False, 0)
    dry = import_file("persons", persons, today=TODAY, mode="valid-rows", dry_run=True)
    assert (dry.created, dry.written, Person.objects.count()) == (N // 3 * 3, False, 0)
    ok = import_file("persons", persons, today=TODAY, mode="valid-rows")
    assert (ok.created, ok.rejected, Person.objects.count()) == (N // 3 * 3, 1, N // 3 * 3)


@pytest.mark.slow
def test_a_large_file_with_the_columnar_copy_enabled_logs_every_person_and_keeps_the_triggers(
        transactional_db, seed_areas, tmp_path, settings, monkeypatch):
    """On SQLite the bulk path pauses the copy's insert trigger on persons and logs the new ids before
    the commit; a file refused whole logs nothing and leaves the trigger as it was."""
    from django.db import connection

    from renkou.indicators import columnar
    from renkou.indicators.models import ColumnarChange

    settings.RENKOU_COLUMNAR_PATH = str(tmp_path / "columnar" / "register.duckdb")
    columnar.rebuild()

    def triggers():
        sql = ("SELECT name || sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'columnar_%%'"
               if connection.vendor == "sqlite" else
               "SELECT tgname || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
               "AND tgname LIKE 'columnar_%%'")
        with connection.cursor() as cur:
            cur.execute(sql)
            return sorted(r[0] for r in cur.fetchall())

    before = triggers()
    assert len(before) == 9
    paused = []
    plain = columnar.pause_insert_log
    monkeypatch.setattr(columnar, "pause_insert_log", lambda tables: paused.append(len(plain(tables))) or [])
    hh, persons = files(tmp_path, bad_line=True)
    import_file("households", hh, today=TODAY)
    refused = import_file("persons", persons, today=TODAY)
    assert (refused.written, Person.objects.count()) == (False, 0)
    # the refused file took the bulk path: on SQLite it paused the persons' insert trigger
    assert paused == ([1] if connection.vendor == "sqlite" else [])
    assert triggers() == before
    assert not ColumnarChange.objects.filter(tbl=1).exists()
    monkeypatch.setattr(columnar, "pause_insert_log", plain)
    ok = import_file("persons", persons, today=TODAY, mode="valid-rows")
    assert ok.created == N // 3 * 3
    assert triggers() == before
    logged = set(ColumnarChange.objects.filter(tbl=1).values_list("row_id", flat=True))
    assert logged == set(Person.objects.values_list("id", flat=True)) and len(logged) == N // 3 * 3
    # replayed, the copy holds the same persons as the register, with the same areas
    with columnar.reader() as con:
        assert con is not None
        copied = dict(con.execute("SELECT id, resident_area_id FROM registry_person").fetchall())
    assert copied == dict(Person.objects.values_list("id", "resident_area_id"))
    # the trigger is back: a person written one at a time is logged by it
    later = Person.objects.create(name="李四", sex=1, birth_date=dt.date(1990, 1, 1), resident_area_id=VILLAGE_A)
    assert ColumnarChange.objects.filter(tbl=1, row_id=later.pk).exists()

"""Fixtures of the demography tests: a small register built by hand, and a synthetic county loaded
into the database by a plain bulk insert (see :func:`load_synthetic` for why not the registry's loader)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

COUNTY = "520122"
TOWNSHIP = "520122100000"
VILLAGE_A = "520122100201"
VILLAGE_B = "520122100202"
VILLAGE_C = "520122101201"  # 温泉镇, another township

_STATUS = {"present": "living", "deceased": "dead", "moved_out": "moved_out", "departed": "moved_out"}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[D]").item()
    return value or None


def _insert(model, rows: list[dict]) -> None:
    """Plain ``INSERT … VALUES`` of many rows, other columns at their defaults (bulk_create builds a
    model instance per row, several times slower for the tens of thousands of rows here)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    names = [f.attname for f in fields]
    values = [tuple(row[n] if n in row else defaults[n] for n in names) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _bulk_load(result) -> None:
    """Persons and events of a :class:`SynthResult` written straight into the register's tables.

    Mirrors the import format's meaning (docs/formats.md): ``area_code`` is the residence, registered persons are registered
    there, migrants keep their home county in ``home_code``.  A duplicate registration may repeat
    another row's key, record id or ID number: the first row wins, the key of the later is dropped.
    """
    from django.db import connection

    from renkou.core import areacodes
    from renkou.registry.models import Event, Person

    P, E = result.persons, result.events
    people, kept, keys, numbers = [], [], set(), set()
    for i in range(len(P["person_key"])):
        if P["person_key"][i] in keys:
            continue
        keys.add(P["person_key"][i])
        kept.append(i)
        number = P["id_number"][i] or None
        number = None if number in numbers else number
        numbers.add(number)
        status = _STATUS[P["status"][i]]
        area = areacodes.full_code(P["area_code"][i])
        registered = P["registration"][i] == "registered"
        exit_date = _date(P["exit_date"][i])
        people.append(dict(
            source_key=P["person_key"][i], id_number=number, name=P["name"][i],
            sex=int(P["sex"][i]), birth_date=_date(P["birth_date"][i]), marital_status=P["marital_status"][i],
            resident_area_id=area, registered_area_id=area if registered else None,
            home_code="" if registered else P["home_county_code"][i], status=status,
            death_date=exit_date if status == "dead" else None, entry_date=_date(P["entry_date"][i]),
            exit_date=exit_date))
    _insert(Person, people)
    pk = dict(Person.objects.filter(source_key__startswith=result.county_code).values_list("source_key", "pk"))
    links = [(pk.get(P["mother_key"][i]), pk.get(P["father_key"][i]), pk[P["person_key"][i]])
             for i in kept if P["mother_key"][i] or P["father_key"][i]]
    with connection.cursor() as cursor:  # bulk_update's CASE per row is slow on SQLite
        cursor.executemany(f"UPDATE {Person._meta.db_table} SET mother_id = %s, father_id = %s WHERE id = %s",
                           links)
    events, records = [], set()
    for i in range(len(E["record_id"])):
        if E["record_id"][i] in records:
            continue
        records.add(E["record_id"][i])
        registered_on = _date(E["registration_date"][i])
        events.append(dict(
            source_key=E["record_id"][i], kind=E["kind"][i], event_date=_date(E["event_date"][i]),
            registration_date=registered_on or _date(E["event_date"][i]),
            area_id=areacodes.full_code(E["area_code"][i]), subject_id=pk[E["person_key"][i]],
            mother_id=pk.get(E["mother_key"][i]), father_id=pk.get(E["father_key"][i]),
            birth_order=int(E["birth_order"][i]) or None, plurality=int(E["plurality"][i]) or None,
            state="registered" if E["registration_state"][i] == "registered" else "declared"))
    _insert(Event, events)


def load_synthetic(result) -> None:
    """Areas of the generated county, then its persons and events, into the database.

    ``renkou.registry.loader.load_synthetic`` is meant for a load of its own; inside the test's
    enclosing transaction SQLite checks every foreign key row by row and the 20 000-person county
    took over 200 s (measured), so the tests insert the two tables they need directly.
    """
    from django.db import transaction

    from renkou import demo

    with transaction.atomic():
        demo._ensure_upper_areas(result.county_code)
        demo._save_area_tree(result.areas)
    _bulk_load(result)


@pytest.fixture
def register(seed_areas):
    """Village A: a woman born 1980-03-10 and her son born 2005-06-01 (a birth of 2005), a man
    born 1930-02-29 who died 2005-09-01, a moved-out man, a merged duplicate record.
    Village B: a woman born 2000-12-31 (registered in village C).  Village C: a man born 1900-01-01."""
    from renkou.registry.models import Event, Person

    D = dt.date

    def person(name, sex, born, area, **kw):
        return Person.objects.create(name=name, sex=sex, birth_date=born, resident_area_id=area,
                                     registered_area_id=kw.pop("registered", area), entry_date=born, **kw)

    mother = person("测试母亲", 2, D(1980, 3, 10), VILLAGE_A)
    son = person("测试儿子", 1, D(2005, 6, 1), VILLAGE_A, mother=mother)
    old = person("测试老人", 1, D(1932, 2, 29), VILLAGE_A, status="dead", death_date=D(2005, 9, 1),
                 exit_date=D(2005, 9, 1))
    person("测试迁出", 1, D(1970, 1, 1), VILLAGE_A, status="moved_out", exit_date=D(2005, 3, 1))
    person("测试重复", 2, D(1980, 3, 10), VILLAGE_A, record_state="merged")
    person("测试女孩", 2, D(2000, 12, 31), VILLAGE_B, registered=VILLAGE_C)
    person("测试寿星", 1, D(1900, 1, 1), VILLAGE_C)
    Event.objects.create(kind="birth", event_date=D(2005, 6, 1), area_id=VILLAGE_A, subject=son, mother=mother,
                         state="registered", registration_date=D(2005, 6, 10))
    Event.objects.create(kind="death", event_date=D(2005, 9, 1), area_id=VILLAGE_A, subject=old,
                         state="registered", registration_date=D(2005, 9, 3))
    # neither counts: a superseded version and a rejected declaration
    Event.objects.create(kind="death", event_date=D(2005, 8, 1), area_id=VILLAGE_A, subject=old, is_current=False)
    Event.objects.create(kind="birth", event_date=D(2005, 7, 1), area_id=VILLAGE_A, subject=son, mother=mother,
                         flag_rejected=True)


@pytest.fixture(scope="module")
def synthetic_county(django_db_setup, django_db_blocker):
    """Xifeng (息烽县) with 20 000 persons, seed 2024, loaded; yields a function that runs a
    callable against the loaded register.  Everything is rolled back at the end of the module."""
    from django.db import transaction

    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = preset("xifeng").with_changes(persons=20_000)
    result = generate(params, 2024)
    with django_db_blocker.unblock(), transaction.atomic():
        load_synthetic(result)
        yield params, result
        transaction.set_rollback(True)

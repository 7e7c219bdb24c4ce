"""The columnar copy (列式副本) equals the database, whatever was written.

Hypothesis draws sequences of register actions through the registry's own services — persons
added and changed, births, deaths, moves, marriages and arrivals of newcomers declared, verified
and registered, corrections (new versions), rejections, services recorded, duplicates merged —
plus writes that bypass every service (a plain ``UPDATE``, a delete). After each sequence the
register cubes counted from the copy (replayed from the change log first) must equal those
counted from the database, cell by cell, and so must the persons behind a population. Each example
is rolled back, so the next one starts with a copy *ahead* of the database: the repair of
:mod:`renkou.indicators.columnar` is exercised every time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkou.indicators import columnar, register, services
from renkou.indicators.models import ColumnarChange, ColumnarState, IndicatorValue

from .conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C

VILLAGES = (VILLAGE_A, VILLAGE_B, VILLAGE_C)
PERIODS = (("2004-01-01", "2004-12-31"), ("2005-01-01", "2005-06-30"))

days = st.integers(0, 2 * 365).map(lambda n: dt.date(2003, 10, 1) + dt.timedelta(days=n))
delays = st.sampled_from([0, 10, 40, 400])
villages = st.sampled_from(VILLAGES)
who = st.integers(0, 60)
steps = st.sampled_from(["declare", "verify", "register"])
ops = st.one_of(
    st.tuples(st.just("person"), villages, st.sampled_from([1, 2]), st.integers(1950, 2002), st.sampled_from(["10", "21"])),
    st.tuples(st.just("birth"), villages, days, delays, st.sampled_from([1, 2]), steps),
    st.tuples(st.just("death"), who, days, delays, steps),
    st.tuples(st.just("move_out"), who, days, steps),
    st.tuples(st.just("arrival"), villages, days, st.sampled_from(["move_in", "migrant_arrival"]), steps),
    st.tuples(st.just("marriage"), who, who, days, steps),
    st.tuples(st.just("correct"), who, days, delays),
    st.tuples(st.just("reject"), who),
    st.tuples(st.just("advance"), who),
    st.tuples(st.just("service"), who, days, st.sampled_from(["contraceptive_method", "prenatal_care"])),
    st.tuples(st.just("relocate"), who, villages),
    st.tuples(st.just("duplicate"), who),
    st.tuples(st.just("merge"), who),
    st.tuples(st.just("raw_update"), who, villages),
    st.tuples(st.just("raw_delete_service"), who),
)


@pytest.fixture
def copy_at(settings, tmp_path):
    settings.RENKOU_COLUMNAR_PATH = str(tmp_path / "columnar" / "register.duckdb")
    return tmp_path / "columnar" / "register.duckdb"


@pytest.fixture
def officer(seed_areas, make_user):
    return make_user("xian_c", "county_officer", capture=[seed_areas["520122000000"]])


@pytest.fixture
def base(world, officer, copy_at):
    from renkou.registry import services as reg

    services.load_catalog()
    w = reg.create_person(user=officer, name="李秀英", sex=2, birth_date=dt.date(1980, 5, 1), marital_status="21",
                          registered_area=VILLAGE_A)
    reg.create_person(user=officer, name="王建国", sex=1, birth_date=dt.date(1978, 1, 1), marital_status="21",
                      registered_area=VILLAGE_A, spouse=w)
    reg.create_person(user=officer, name="张芳", sex=2, birth_date=dt.date(1990, 1, 1), registered_area=VILLAGE_B)
    reg.create_person(user=officer, name="赵强", sex=1, birth_date=dt.date(1940, 1, 1), registered_area=VILLAGE_C)
    columnar.rebuild()
    return officer


def _advance(officer, event, step: str) -> None:
    from renkou.registry import services as reg

    if step in ("verify", "register") and event.state == "declared":
        event = reg.verify_event(user=officer, event=event, reason="核实无误")
    if step == "register" and event.state == "verified":
        reg.register_event(user=officer, event=event, reason="核实无误")


_NAMES = iter(f"测试{i}" for i in range(10**9))


def _apply(op, officer) -> None:
    from renkou.registry import services as reg
    from renkou.registry.models import DuplicateCandidate, Event, Person, ServiceRecord

    people = list(Person.objects.exclude(record_state="merged").order_by("pk"))
    events = list(Event.objects.filter(is_current=True).order_by("pk"))
    pick = lambda seq, i: seq[i % len(seq)] if seq else None  # noqa: E731
    kind = op[0]
    if kind == "person":
        reg.create_person(user=officer, name=next(_NAMES), sex=op[2], birth_date=dt.date(op[3], 3, 3),
                          marital_status=op[4], registered_area=op[1])
    elif kind == "birth":
        mother = next((p for p in people if p.sex == 2 and p.resident_area_id == op[1]
                       and p.birth_date.year < 1990 and p.status == "living"), None)
        if mother is None:
            mother = reg.create_person(user=officer, name=next(_NAMES), sex=2, birth_date=dt.date(1978, 4, 4),
                                       marital_status="21", registered_area=op[1])
        e = reg.declare_event(user=officer, kind="birth", event_date=op[2],
                              registration_date=op[2] + dt.timedelta(days=op[3]), area=op[1], mother=mother,
                              birth_order=reg.next_birth_order(mother), plurality=1, delivery_place="hospital",
                              child={"name": next(_NAMES), "sex": op[4]})
        _advance(officer, e, op[5])
    elif kind == "death" and people:
        p = pick(people, op[1])
        e = reg.declare_event(user=officer, kind="death", subject=p, event_date=op[2],
                              registration_date=op[2] + dt.timedelta(days=op[3]), area=p.resident_area_id)
        _advance(officer, e, op[4])
    elif kind == "move_out" and people:
        p = pick(people, op[1])
        e = reg.declare_event(user=officer, kind="move_out", subject=p, event_date=op[2], registration_date=op[2],
                              area=p.resident_area_id, to_code="110101000000")
        _advance(officer, e, op[3])
    elif kind == "arrival":
        e = reg.declare_event(user=officer, kind=op[3], event_date=op[2], registration_date=op[2], area=op[1],
                              from_code="110101000000",
                              newcomer={"name": next(_NAMES), "sex": 1, "birth_date": dt.date(1985, 2, 2)})
        _advance(officer, e, op[4])
    elif kind == "marriage" and people:
        a, b = pick(people, op[1]), pick(people, op[2])
        if a.pk != b.pk and a.sex != b.sex:
            e = reg.declare_event(user=officer, kind="marriage", subject=a, spouse=b, event_date=op[3],
                                  registration_date=op[3], area=a.resident_area_id)
            _advance(officer, e, op[4])
    elif kind == "correct" and events:
        e = pick(events, op[1])
        reg.correct_event(user=officer, event=e, event_date=op[2], registration_date=op[2] + dt.timedelta(days=op[3]))
    elif kind == "reject" and events:
        e = pick(events, op[1])
        if e.state != "registered":
            reg.reject_event(user=officer, event=e, reason="材料不全，退回")
    elif kind == "advance" and events:
        e = pick(events, op[1])
        if not e.flag_rejected:
            _advance(officer, e, "register")
    elif kind == "service" and people:
        p = pick(people, op[1])
        reg.record_service(user=officer, person=p, type=op[3], date=op[2], provider="乡卫生院", consent_noted=True,
                           method="iud" if op[3] == "contraceptive_method" else "")
    elif kind == "relocate" and people:
        p = pick(people, op[1])
        from renkou.core.models import Area

        reg.update_person(user=officer, person=p, resident_area=Area.objects.get(code=op[2]))
    elif kind == "duplicate" and people:  # a second record of someone: queued as a probable duplicate
        p = pick(people, op[1])
        reg.create_person(user=officer, name=p.name, sex=p.sex, birth_date=p.birth_date,
                          registered_area=p.registered_area_id or p.resident_area_id,
                          marital_status=p.marital_status)
    elif kind == "merge":
        cands = list(DuplicateCandidate.objects.filter(status="open").order_by("pk"))
        if cands:
            c = pick(cands, op[1])
            reg.merge_persons(user=officer, candidate=c, keep=c.person_a, note="同一人")
    elif kind == "raw_update" and people:  # no service, no signal: only the triggers see it
        Person.objects.filter(pk=pick(people, op[1]).pk).update(resident_area_id=op[2])
    elif kind == "raw_delete_service":
        rows = list(ServiceRecord.objects.order_by("pk").values_list("pk", flat=True))
        if rows:
            with connection.cursor() as cur:
                cur.execute(f"DELETE FROM {ServiceRecord._meta.db_table} WHERE id = %s", [pick(rows, op[1])])


def _cubes(copy: bool):
    out = {}
    for start, end in PERIODS:
        s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        if copy:
            with columnar.reader() as con:
                assert con is not None, "the copy must be usable after any writes"
                with register.reading(con):
                    cells, flat = register.build_stack("520122", s, e)
        else:
            cells, flat = register.build_stack("520122", s, e)
        out[start] = {c: flat[i].tolist() for i, c in enumerate(cells) if flat[i].any()}
    return out


def _present(copy: bool, on: dt.date) -> list[int]:
    with columnar.reader() as con:
        with register.reading(con if copy else None):
            frame = register.person_frame("520122")
            return frame["id"][register.present_mask(frame, register.presence_events("520122"), on)].tolist()


def _drill_lists_match_the_cubes(cubes) -> None:
    """The persons the drill-down lists (from the copy) are as many as the cube counts, for every
    basis and the married women, and the same persons as the database path lists."""
    from django.conf import settings as live

    from renkou.indicators import cube as cb
    from renkou.indicators import drill

    end = dt.date.fromisoformat(PERIODS[0][1])
    views = cb.views(np.array(list(cubes[PERIODS[0][0]].values()), dtype=np.int64).reshape(-1, cb.SIZE))
    wanted = [(basis, {}, False, f"pop.{basis}.end") for basis in register.BASES]
    wanted += [("registered", {"sex": "2", "age": "15-49"}, False, None), ("resident", {}, True, "married.resident.end"),
               ("registered", {}, True, "married.registered.end")]
    for basis, params, married, name in wanted:
        from_copy = drill.present_ids("520122", end, basis, params, married=married)
        if name is not None:
            assert len(from_copy) == int(views[name].sum())
        copied = live.RENKOU_COLUMNAR_PATH
        live.RENKOU_COLUMNAR_PATH = copied + ".absent"
        try:
            assert drill.present_ids("520122", end, basis, params, married=married).tolist() == from_copy.tolist()
        finally:
            live.RENKOU_COLUMNAR_PATH = copied


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=8), on=days)
def test_copy_equals_database_after_any_writes(base, sequence, on):
    from renkou.registry.services import CheckFailed

    sid = transaction.savepoint()
    try:
        for op in sequence:
            try:
                with transaction.atomic():
                    _apply(op, base)
            except (CheckFailed, ValidationError):
                pass  # refused by the register's checks: nothing written
        cubes = _cubes(copy=True)
        assert cubes == _cubes(copy=False)
        assert _present(True, on) == _present(False, on)
        assert not ColumnarChange.objects.exists()  # the log was consumed by the replay
        _drill_lists_match_the_cubes(cubes)
    finally:
        transaction.savepoint_rollback(sid)


def test_indicator_values_from_the_copy_equal_those_from_the_database(base, settings):
    from renkou.registry import services as reg
    from renkou.registry.models import Person

    mother = Person.objects.get(name="李秀英")
    e = reg.declare_event(user=base, kind="birth", event_date=dt.date(2005, 3, 1),
                          registration_date=dt.date(2005, 3, 5), area=VILLAGE_A, mother=mother, birth_order=1,
                          plurality=1, delivery_place="hospital", child={"name": "王小明", "sex": 1})
    _advance(base, e, "register")
    assert ColumnarChange.objects.count() > 0  # logged by the triggers, not yet replayed

    def values():
        services.compute("520122", "2005", level=5)
        return {(v.indicator.code, v.area_id): (v.value, v.numerator, v.denominator, v.inputs)
                for v in IndicatorValue.objects.select_related("indicator")}

    from_copy = values()
    assert not ColumnarChange.objects.exists()
    copied = settings.RENKOU_COLUMNAR_PATH
    settings.RENKOU_COLUMNAR_PATH = copied + ".absent"  # no copy: the database path
    from_db = values()
    settings.RENKOU_COLUMNAR_PATH = copied
    assert from_copy == from_db
    assert from_copy[("births_count", "520122000000")][0] == 1


def test_the_log_is_written_by_the_triggers_only_while_the_copy_is_enabled(world):
    from renkou.registry.models import Person

    p = world.person()
    assert not ColumnarChange.objects.exists()  # no copy: nothing logged
    ColumnarState.objects.create(id=1, enabled=True, copy_id="x")
    Person.objects.filter(pk=p.pk).update(name="改名")  # a column the counts do not read
    assert not ColumnarChange.objects.exists()
    Person.objects.filter(pk=p.pk).update(marital_status="21")
    q = world.person()
    Person.objects.filter(pk=q.pk).delete()
    logged = sorted(ColumnarChange.objects.values_list("tbl", "row_id"))
    assert logged == sorted([(1, p.pk), (1, q.pk), (1, q.pk)])


def test_a_copy_of_another_database_or_behind_it_is_not_read(base, copy_at):
    import duckdb

    with columnar.reader() as con:
        assert con is not None
    ColumnarState.objects.filter(id=1).update(copy_id="someone-else")
    with columnar.reader() as con:
        assert con is None
    assert columnar.status()["usable"] is False
    columnar.rebuild()
    state = ColumnarState.objects.get(id=1)
    ColumnarState.objects.filter(id=1).update(generation=state.generation + 5)  # copy behind the database
    with columnar.reader() as con:
        assert con is None
    columnar.rebuild()
    st = columnar.status()
    assert st["usable"] and st["rows"]["registry_person"] == 4 and st["pending_changes"] == 0
    db = duckdb.connect(str(copy_at))
    assert db.execute("SELECT count(*) FROM registry_person WHERE sex = 2").fetchone()[0] == 2
    db.close()
    assert columnar.drop() is True
    assert not copy_at.exists()
    with columnar.reader() as con:
        assert con is None


def test_rolled_back_writes_are_repaired(base):
    from renkou.registry.models import Person

    sid = transaction.savepoint()
    Person.objects.filter(name="赵强").update(resident_area_id=VILLAGE_A)
    assert _cubes(copy=True) == _cubes(copy=False)  # the copy now holds the move
    transaction.savepoint_rollback(sid)  # … which the database forgets, log and generation included
    assert _cubes(copy=True) == _cubes(copy=False)
    cube = np.array(_cubes(copy=True)["2004-01-01"][VILLAGE_C])
    assert cube.sum() > 0  # 赵强 is counted in village C again



def test_the_documented_commands(base, copy_at):
    """docs/indicators.md, "The columnar copy": rebuild, status, sync and drop as the docs show them."""
    import io
    import json

    from django.core.management import call_command

    from renkou.registry import services as reg

    def run(what):
        out = io.StringIO()
        call_command("indicators", "columnar", what, stdout=out)
        return json.loads(out.getvalue())

    built = run("rebuild")
    assert built["present"] and built["enabled"] and built["rows"]["registry_person"] == 4
    reg.create_person(user=base, name="钱红", sex=2, birth_date=dt.date(1985, 3, 3), registered_area=VILLAGE_B)
    assert run("status")["pending_changes"] >= 1
    run("sync")
    after = run("status")
    assert after["pending_changes"] == 0 and after["rows"]["registry_person"] == 5
    assert run("drop")["dropped"] and not copy_at.exists()
    assert run("status")["usable"] is False

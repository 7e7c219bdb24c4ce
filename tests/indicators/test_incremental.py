"""Incremental updates equal a full recompute (增量 = 全量), whatever the sequence of register edits.

Hypothesis draws sequences of inserts, updates and deletes of births, deaths, moves, services and
person changes in three villages; the signals mark the touched cells dirty, ``recompute_dirty``
recomputes them, and the stored values and cubes must equal those of a full recompute.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkou.indicators import cube as cb
from renkou.indicators import services
from renkou.indicators.models import DirtyCell, IndicatorValue, RegisterCube

from .conftest import COUNTY, VILLAGE_A, VILLAGE_B, VILLAGE_C

VILLAGES = (VILLAGE_A, VILLAGE_B, VILLAGE_C)
PERIODS = ("2004", "2005SY")
ROOTS = ("520122100", "520122101")  # the townships of the three villages, computed down to villages

days = st.integers(0, 3 * 365).map(lambda n: dt.date(2003, 6, 1) + dt.timedelta(days=n))
delays = st.sampled_from([0, 5, 40, 200, 400, 800])
villages = st.sampled_from(VILLAGES)
ops = st.one_of(
    st.tuples(st.just("birth"), villages, days, delays, st.sampled_from([1, 2]), st.sampled_from(["registered",
                                                                                                     "declared"])),
    st.tuples(st.just("death"), st.integers(0, 50), days, delays),
    st.tuples(st.just("move_out"), st.integers(0, 50), days),
    st.tuples(st.just("death_event"), st.integers(0, 50), days),
    st.tuples(st.just("move_in"), villages, days),
    st.tuples(st.just("redate"), st.integers(0, 50), days, delays),
    st.tuples(st.just("reject"), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("relocate"), st.integers(0, 50), villages),
    st.tuples(st.just("marry"), st.integers(0, 50)),
    st.tuples(st.just("service"), st.integers(0, 50), days),
)


def _apply(op, world) -> None:
    from renkou.registry.models import Event, Person, ServiceRecord

    people = list(Person.objects.order_by("pk"))
    events = list(Event.objects.order_by("pk"))
    kind = op[0]
    if kind == "birth":
        mother = next((p for p in people if p.sex == 2 and p.resident_area_id == op[1]), None) or \
            world.person(sex=2, born="1978-04-04", marital="21", area=op[1])
        world.birth(mother, op[2].isoformat(), sex=op[4], registered=(op[2] + dt.timedelta(op[3])).isoformat(),
                    state=op[5])
    elif kind == "death" and people:
        p = people[op[1] % len(people)]
        if p.death_date is None:
            p.status, p.death_date = "dead", op[2]
            p.save()
            world.event("death", p, op[2].isoformat(), registered=(op[2] + dt.timedelta(op[3])).isoformat())
    elif kind == "death_event" and people:  # a declared death: the person's own record not yet changed
        world.event("death", people[op[1] % len(people)], op[2].isoformat(), state="declared")
    elif kind == "move_out" and people:
        p = people[op[1] % len(people)]
        p.status = "moved_out"
        p.save()
        world.event("move_out", p, op[2].isoformat())
    elif kind == "move_in":
        p = world.person(sex=1, born="1985-02-02", area=op[1])
        world.event("move_in", p, op[2].isoformat())
    elif kind == "redate" and events:
        e = Event.objects.get(pk=events[op[1] % len(events)].pk)
        e.event_date, e.registration_date = op[2], op[2] + dt.timedelta(op[3])
        e.save()
    elif kind == "reject" and events:
        e = Event.objects.get(pk=events[op[1] % len(events)].pk)
        e.flag_rejected = not e.flag_rejected
        e.save()
    elif kind == "delete" and events:
        Event.objects.get(pk=events[op[1] % len(events)].pk).delete()
    elif kind == "relocate" and people:
        p = Person.objects.get(pk=people[op[1] % len(people)].pk)
        p.registered_area_id = p.resident_area_id = op[2]
        p.save()
    elif kind == "marry" and people:
        p = Person.objects.get(pk=people[op[1] % len(people)].pk)
        p.marital_status = "10" if p.marital_status == "21" else "21"
        p.save()
    elif kind == "service" and people:
        p = people[op[1] % len(people)]
        ServiceRecord.objects.create(person=p, type="contraceptive_method", date=op[2], provider="站",
                                     area_id=p.resident_area_id, consent_noted=True)


def _snapshot():
    values = {(v.indicator.code, v.area_id, v.period): (v.value, v.numerator, v.denominator, v.inputs)
              for v in IndicatorValue.objects.select_related("indicator")}
    cubes = {(c.cell, c.period): {k: a.tolist() for k, a in cb.decode(bytes(c.data)).items()}
             for c in RegisterCube.objects.all()}
    return values, cubes


@pytest.fixture
def base(world):
    services.load_catalog()
    w1 = world.person(sex=2, born="1980-05-01", marital="21", area=VILLAGE_A)
    world.person(sex=1, born="1978-01-01", marital="21", area=VILLAGE_A, spouse=w1)
    world.person(sex=2, born="1990-01-01", area=VILLAGE_B)
    world.person(sex=1, born="1940-01-01", area=VILLAGE_C)
    world.birth(w1, "2004-03-01", registered="2004-03-05")
    for period in PERIODS:
        for root in ROOTS:
            services.compute(root, period, level=5)
    services.compute(COUNTY, "2005", level=3)
    return world


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=5))
def test_incremental_update_equals_full_recompute(base, sequence):
    sid = transaction.savepoint()
    try:
        for op in sequence:
            _apply(op, base)
        services.recompute_dirty()
        assert not DirtyCell.objects.exists()
        incremental = _snapshot()
        services.recompute_all()
        full = _snapshot()
        assert incremental[1] == full[1]
        assert incremental[0] == full[0]
    finally:
        transaction.savepoint_rollback(sid)


def test_an_edit_recomputes_only_the_cells_it_touches(base):
    from renkou.registry.models import Person

    before = {(c.cell, c.period): c.computed_at for c in RegisterCube.objects.all()}
    mother = Person.objects.filter(sex=2, resident_area_id=VILLAGE_B).first()
    base.birth(mother, "2005-06-01", registered="2005-06-03")
    assert set(DirtyCell.objects.values_list("cell", flat=True)) == {VILLAGE_B}
    services.recompute_dirty()
    after = {(c.cell, c.period): c.computed_at for c in RegisterCube.objects.all()}
    changed = {k for k in after if after[k] != before.get(k)}
    # periods ending before the birth (2004) are untouched; other villages are untouched
    assert changed == {(VILLAGE_B, "2005"), (VILLAGE_B, "2005SY")}
    assert DirtyCell.objects.count() == 0
    v = IndicatorValue.objects.get(indicator__code="births_count", area_id=COUNTY, period="2005")
    assert v.value == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=6), on=days)
def test_numpy_presence_equals_the_sql_rules(base, sequence, on):
    """The columnar count of the cubes (``population_arrays``) and the ORM statement of the presence
    rules (``present_on``, used by the drill-down) give the same populations in every cell and basis."""
    from django.db.models import Q

    from renkou.indicators import register
    from renkou.registry.models import MARRIED_CODES

    sid = transaction.savepoint()
    try:
        for op in sequence:
            _apply(op, base)
        cells, arrays = register.population_arrays("520122", {"t": on}, methods_on="t")
        assert arrays["pop.registered.t"].sum() == register.population_by_age_sex("520122", on, "registered").sum()
        codes = [f"{c:012d}" for c in cells]
        for basis in register.BASES:
            orm = register.population_cells("520122", on, basis, by_area=True)
            ours = {c: arrays[f"pop.{basis}.t"][i] for i, c in enumerate(codes) if arrays[f"pop.{basis}.t"][i].any()}
            assert {c: a.tolist() for c, a in orm.items() if a.any()} == {c: a.tolist() for c, a in ours.items()}
        for basis in ("registered", "resident"):
            orm = register.population_cells("520122", on, basis, by_area=True,
                                            extra=Q(sex=2, marital_status__in=MARRIED_CODES))
            ours = {c: arrays[f"married.{basis}.t"][i].tolist() for i, c in enumerate(codes)
                    if arrays[f"married.{basis}.t"][i].any()}
            assert {c: a[1].tolist() for c, a in orm.items() if a.any()} == ours
            orm = register.population_cells("520122", on, basis, by_area=True, extra=register.contraceptive_users_q(on))
            ours = {c: arrays[f"contra.{basis}"][i].tolist() for i, c in enumerate(codes)
                    if arrays[f"contra.{basis}"][i].any()}
            assert {c: a[1].tolist() for c, a in orm.items() if a.any()} == ours
    finally:
        transaction.savepoint_rollback(sid)


def test_numpy_presence_hand_cases(world):
    """Hand-made persons, one per presence rule, counted by both statements of the rules."""
    from renkou.indicators import register

    on = dt.date(2005, 1, 1)
    alive = world.person(born="1970-01-01")
    world.event("death", world.person(born="1970-01-01"), "2004-06-01", state="declared")  # death declared only
    world.person(born="1970-01-01", died="2004-05-01")  # dead by the record
    world.person(born="2005-06-01")  # not born yet
    late = world.person(born="1970-01-01")
    world.event("move_in", late, "2005-03-01")  # arrives after the date
    gone = world.person(born="1970-01-01", status="moved_out")
    world.event("move_out", gone, "2004-02-01")
    back = world.person(born="1970-01-01")
    world.event("move_out", back, "2003-02-01")
    world.event("move_in", back, "2004-02-01")  # left, then came back
    world.person(born="1970-01-01", status="moved_out")  # marked moved out, no event, no exit date
    outflow = world.person(born="1970-01-01", migrant="outflow")  # registered here, living elsewhere
    leaving = {}
    for left in ("2005-06-01", "2004-06-01"):  # marked moved out without an event: gone from the exit date
        p = world.person(born="1970-01-01", status="moved_out")
        p.exit_date = dt.date.fromisoformat(left)
        p.save()
        leaving[left] = p
    cells, arrays = register.population_arrays("520122", {"t": on})
    # alive, back, the outflow migrant, the one leaving after the date — and nobody else
    assert arrays["pop.registered.t"].sum() == 4
    assert arrays["pop.resident.t"].sum() == 3 and arrays["pop.outflow.t"].sum() == 1
    orm = register.population_cells("520122", on, "registered", by_area=True)
    assert {f"{c:012d}": a.tolist() for c, a in zip(cells, arrays["pop.registered.t"], strict=True)} == \
        {c: a.tolist() for c, a in orm.items()}
    # the ORM statement of the rules picks exactly those persons
    from renkou.registry.models import Person

    present = register.present_on(Person.objects.filter(registered_area__pk__startswith="520122"), on)
    assert set(present.values_list("pk", flat=True)) == {alive.pk, back.pk, outflow.pk, leaving["2005-06-01"].pk}


def test_the_pyramid_kept_for_the_next_page_follows_a_recompute(base):
    before = services.pyramid_of(COUNTY, "2005")
    assert services.pyramid_of(COUNTY, "2005").tolist() == before.tolist()  # the kept pyramid, same figures
    base.person(sex=2, born="1985-07-01", area=VILLAGE_C)  # a woman of 20 at the end of 2005
    services.recompute_dirty()
    after = services.pyramid_of(COUNTY, "2005")
    assert after[1, 20] == before[1, 20] + 1
    assert after.sum() == before.sum() + 1
    assert after.tolist() == services.cube_of(COUNTY, "2005")["pop.registered.end"].tolist()


def test_a_recompute_keeps_each_values_row_and_its_address(base):
    """A value keeps its row, and so its page's address, across recomputes: an unchanged value only
    gets a new computation time, a changed one is updated in its row; no value is added or lost."""
    from renkou.indicators.models import Indicator
    from renkou.registry.models import Person

    def rows():
        return {(v.indicator_id, v.area_id, v.period): (v.pk, v.inputs_hash, v.value, v.computed_at)
                for v in IndicatorValue.objects.all()}

    before = rows()
    services.compute(COUNTY, "2005", level=3)
    again = rows()
    assert {k: v[:3] for k, v in again.items()} == {k: v[:3] for k, v in before.items()}
    from renkou.core.models import Area

    scope = {a.code for a in services.scope_areas(Area.objects.get(code=COUNTY), 3)}
    county = {k for k in before if k[2] == "2005" and k[1] in scope}
    assert county and all(again[k][3] > before[k][3] for k in county)  # computed again
    assert all(again[k][3] == before[k][3] for k in before if k not in county)  # other scopes untouched

    births = Indicator.objects.get(code="births_count").pk
    key = (births, COUNTY, "2005")
    assert before[key][2] == 0
    mother = Person.objects.filter(sex=2, resident_area_id=VILLAGE_B).first()
    base.birth(mother, "2005-06-01", registered="2005-06-03")
    services.recompute_dirty()
    after = rows()
    assert after.keys() == before.keys()
    assert after[key][0] == before[key][0] and after[key][2] == 1 and after[key][1] != before[key][1]
    # the birth's village changed, the village beside it kept its inputs
    b = (births, VILLAGE_B, "2005SY")
    c = (births, VILLAGE_C, "2005SY")
    assert (after[b][0], after[b][2]) == (before[b][0], 1)
    assert after[c][:3] == before[c][:3]
    v = IndicatorValue.objects.get(pk=after[key][0])
    assert (v.inputs, v.value) == ({"R{births}": 1}, 1)

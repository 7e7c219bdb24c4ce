"""A county prepared in another process loads exactly as one prepared by the loader itself."""

from __future__ import annotations

import queue

import pytest

from renkou.registry import loader
from renkou.registry.models import DuplicateCandidate, Finding, Person
from renkou.synth import generator as synth


def params():
    from renkou.synth.params import CountyParams, ImperfectionParams

    return CountyParams("520122", persons=1500, imperfections=ImperfectionParams(missing_births=0,
                                                                                  duplicate_share=0.01))


@pytest.fixture(scope="module")
def county():
    return synth.generate(params(), 11)


def written(p0: int):
    rows = list(Person.objects.order_by("id").values_list("id", "id_number", "id_state", "pinyin_key"))
    pairs = {(c.person_a_id - p0, c.person_b_id - p0) for c in DuplicateCandidate.objects.all()}
    flagged = {f - p0 for f in Finding.objects.filter(rule="id_check_digit").values_list("person_id", flat=True)}
    return rows, pairs, flagged


def test_the_prepared_rows_are_what_the_loader_writes_by_itself(db, county):
    prepared = loader.prepare(county, set())
    loader.load_synthetic(county)  # the loader prepares for itself
    p0 = Person.objects.order_by("id").values_list("id", flat=True).first()
    rows, pairs, flagged = written(p0)
    assert [r[1] for r in rows] == prepared.ids
    assert [r[2] for r in rows] == prepared.states
    assert [r[3] for r in rows] == [k[1] for k in prepared.keys]
    expected = {(a, b) for a, b, _s, _r in prepared.pairs} | set(prepared.same_number)
    assert pairs == expected and len(expected) > 0
    assert flagged == {i for i, _raw in prepared.mismatch} and flagged


def test_a_county_generated_in_the_worker_function_loads_with_its_numbers_and_pairs(db):
    from renkou.demo_generate import generate_counties

    out: queue.Queue = queue.Queue()
    taken = {"999999199001010000"}
    generate_counties([("custom", "520122", params())], 11, taken, out)
    code, result, prepared = out.get_nowait()
    assert code == "520122"
    # the worker adds the numbers it kept to the set handed on to the next county
    assert {n for n in prepared.ids if n} <= taken and "999999199001010000" in taken
    loader.load_synthetic(result, prepared=prepared)
    p0 = Person.objects.order_by("id").values_list("id", flat=True).first()
    rows, pairs, flagged = written(p0)
    assert [r[1] for r in rows] == prepared.ids
    assert pairs == {(a, b) for a, b, _s, _r in prepared.pairs} | set(prepared.same_number)


def test_an_error_in_the_worker_is_handed_to_the_building_process(db):
    from renkou.demo_generate import generate_counties

    out: queue.Queue = queue.Queue()
    generate_counties([("custom", "520122", "not parameters")], 11, set(), out)
    code, text, prepared = out.get_nowait()
    assert code is None and prepared is None and "Traceback" in text

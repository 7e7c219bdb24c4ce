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
    """The worker puts the county as soon as it is generated, then its pairs; the loader writes the
    rows and takes the pairs once they are written."""
    from renkou.demo_generate import generate_counties

    out: queue.Queue = queue.Queue()
    taken = {"999999199001010000"}
    generate_counties([("custom", "520122", params())], 11, taken, out)
    kind, code, result = out.get_nowait()
    assert (kind, code) == ("result", "520122")
    kind, code, found = out.get_nowait()
    assert (kind, code) == ("pairs", "520122") and found
    # the worker adds the numbers it kept to the set handed on to the next county
    assert "999999199001010000" in taken and len(taken) > 1000
    asked = []
    loader.load_synthetic(result, pairs=lambda: asked.append(Person.objects.count()) or found)
    assert asked == [len(result.persons["person_key"])]  # asked for once, after the persons were written
    p0 = Person.objects.order_by("id").values_list("id", flat=True).first()
    rows, pairs, flagged = written(p0)
    expected = loader.prepare(result, set())
    assert [r[1] for r in rows] == expected.ids
    assert found == expected.pairs
    assert pairs == {(a, b) for a, b, _s, _r in found} | set(expected.same_number)


def test_an_error_in_the_worker_is_handed_to_the_building_process(db):
    from renkou.demo_generate import generate_counties

    out: queue.Queue = queue.Queue()
    generate_counties([("custom", "520122", "not parameters")], 11, set(), out)
    kind, code, text = out.get_nowait()
    assert kind == "error" and code is None and "Traceback" in text


def test_a_reference_to_a_row_the_load_does_not_write_is_refused_and_nothing_is_written(db, county, monkeypatch):
    """The loader writes with constraint checking off; its references are checked before each table
    is written, and a bad one rolls the whole county back."""
    from django.db import IntegrityError

    from renkou.registry.models import Household

    checked = loader._check_references

    def check_then_corrupt(table, columns, rows, *args, **kwargs):
        checked(table, columns, rows, *args, **kwargs)
        if table == Person._meta.db_table:
            corrupt_row = list(rows[3])
            corrupt_row[columns.index("mother_id")] = 10**9
            checked(table, columns, [*rows[:3], tuple(corrupt_row)], *args, **kwargs)

    monkeypatch.setattr(loader, "_check_references", check_then_corrupt)
    with pytest.raises(IntegrityError, match=r"registry_person\.mother_id of row \d+ refers to 1000000000"):
        loader.load_synthetic(county)
    assert not Person.objects.exists() and not Household.objects.exists()


def test_a_division_the_register_does_not_have_is_refused(db, county, monkeypatch):
    from django.db import IntegrityError

    from renkou.core.models import Area

    monkeypatch.setattr(loader, "ensure_areas", lambda nodes: 0)  # the divisions are never created
    with pytest.raises(IntegrityError, match=r"registry_household\.area_id refers to divisions the register "
                                             r"does not have: 520122"):
        loader.load_synthetic(county)
    assert not Person.objects.exists() and not Area.objects.filter(code__startswith="520122").exists()


def test_the_demo_builds_its_largest_county_in_a_second_process_as_it_would_in_one(db, monkeypatch):
    """With more than two counties the largest (the last) is generated and prepared by a second
    process; the register ends as if each had been prepared here in turn, smallest first."""
    from renkou import demo
    from renkou.core.actor import acting_as
    from renkou.synth.params import CountyParams

    jobs = [("a", "520122", CountyParams("520122", persons=300)), ("b", "520121", CountyParams("520121", persons=400)),
            ("c", "520123", CountyParams("520123", persons=900))]
    from django.db import transaction

    def county_jobs(ctx):
        with transaction.atomic():
            for _name, code, _p in jobs:
                demo._ensure_upper_areas(code)
        return jobs

    monkeypatch.setattr(demo, "_county_jobs", county_jobs)
    labels = []
    ctx = demo.DemoContext(small=False, seed=5)
    with acting_as(None, via="system"):
        demo.build_counties(ctx, lambda label: labels.append(label) or (lambda done, total: None))
    assert list(ctx.results) == ["520122", "520121", "520123"]
    assert labels == [f"{zh} {n} / {en} {n}" for n in "abc" for zh, en in (("生成", "generating"), ("载入", "loading"))]
    taken: set[str] = set()
    expected = set()
    for _name, _code, p in jobs:
        result = synth.generate(p, 5)
        prepared = loader.prepare(result, taken)
        keys, _renamed = loader.unique_keys(result.persons["person_key"].tolist())
        expected |= set(zip(keys, prepared.ids, strict=True))
    got = set(Person.objects.values_list("source_key", "id_number"))
    assert got == expected and len(got) == Person.objects.count() > 1500

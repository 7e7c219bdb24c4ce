"""The synthetic county: bulk load and file import both reproduce the generator's ground truth."""

from __future__ import annotations

import pytest

from renkou.registry.models import DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord
from renkou.synth import generator as synth


@pytest.fixture(scope="module")
def county():
    from renkou.synth.params import CountyParams, ImperfectionParams

    # missing births are left out: with them the generator reuses person keys (reported upstream)
    p = CountyParams("520122", persons=1000, imperfections=ImperfectionParams(missing_births=0,
                                                                               duplicate_share=0.006))
    return synth.generate(p, 7)


def pair_keys():
    return {frozenset((c.person_a.source_key, c.person_b.source_key))
            for c in DuplicateCandidate.objects.select_related("person_a", "person_b")}


def test_loader_writes_every_row_and_flags_every_injected_imperfection(db, county):
    from renkou.registry.loader import load_synthetic

    counts = load_synthetic(county)
    assert (Person.objects.count(), Household.objects.count(), Event.objects.count(),
            ServiceRecord.objects.count()) == tuple(county.rows(k) for k in ("persons", "households", "events",
                                                                            "services"))
    truth = county.ground_truth["imperfections"]
    flagged = set(Finding.objects.filter(rule="id_check_digit").values_list("person__source_key", flat=True))
    legacy = {d["person_key"] for d in truth["legacy_check_digits"]}
    typos = {d["person_key"] for d in truth["duplicates"] if d["kind"] == "id_typo"}
    # every legacy number is flagged; anything else flagged is a duplicate whose typo broke the check character
    assert legacy <= flagged and flagged - legacy <= typos
    assert counts["flagged_check_digits"] == len(flagged)
    found = pair_keys()
    for d in truth["duplicates"]:
        assert frozenset((d["person_key"], d["duplicate_of"])) in found, d
    child = Person.objects.filter(mother__isnull=False).select_related("mother").first()
    assert child.mother.sex == 2


def test_importing_the_synthetic_files_reports_every_imperfection_and_lands_every_clean_row(db, county, tmp_path):
    from renkou.registry.importer import import_file
    from renkou.registry.loader import ensure_areas
    from renkou.synth.writers import write_result

    ensure_areas(county.areas)
    write_result(county, tmp_path, header="zh")
    today = __import__("datetime").date(2025, 6, 1)
    results = {k: import_file(k, tmp_path / f"{k}.csv", mode="valid-rows", today=today)
               for k in ("households", "persons", "events", "services")}
    truth = county.ground_truth["imperfections"]
    persons = results["persons"]
    told = {r.raw["person_key"]: " ".join(r.errors + r.flags) for r in persons.rows if r.errors or r.flags}
    for d in truth["legacy_check_digits"]:
        assert "id_check_digit" in told[d["person_key"]]
    for d in truth["duplicates"]:
        assert "duplicate" in told[d["person_key"]] or "duplicate" in told.get(d["duplicate_of"], ""), d
    # nothing else is reported about persons
    involved = {d["person_key"] for d in truth["legacy_check_digits"]} | {
        k for d in truth["duplicates"] for k in (d["person_key"], d["duplicate_of"])}
    assert set(told) <= involved, {k: told[k] for k in set(told) - involved}
    # every clean row lands
    rejected_people = {r.raw["person_key"] for r in persons.rows if r.errors}
    assert persons.created == county.rows("persons") - len(rejected_people)
    assert rejected_people <= {d["person_key"] for d in truth["duplicates"]}
    assert results["households"].created == county.rows("households")
    events = results["events"]
    late = {d["record_id"] for d in truth["late_registrations"]}
    # the generator marries by age reached in the calendar year (Y - birth year); by completed years
    # (周岁, the law's measure) some brides are a few months short: those warnings are right and expected
    bad_events = {r.raw["record_id"]: r.errors + r.flags for r in events.rows
                  if r.errors or [f for f in r.flags if "marriage_age" not in f]}
    dup_records = {d["record_id"] for d in truth["duplicates"]}
    assert set(bad_events) <= late | dup_records, {k: v for k, v in bad_events.items() if k not in late | dup_records}
    assert results["services"].rejected == 0
    # idempotent: a second pass changes nothing
    again = [import_file(k, tmp_path / f"{k}.csv", mode="valid-rows", today=today)
             for k in ("households", "persons", "events", "services")]
    assert [r.created + r.updated for r in again] == [0, 0, 0, 0]

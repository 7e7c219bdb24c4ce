"""Keys of every kind of row are unique, injected imperfections included (re-import idempotency rests on them)."""

from __future__ import annotations

from renkou.synth import generate, preset


def test_person_event_and_service_keys_are_unique_with_imperfections():
    r = generate(preset("gaize").with_changes(persons=3000, herders_target=None), 11)
    truth = r.ground_truth["imperfections"]
    assert truth["missing_births"] and truth["duplicates"]  # both were injected, so rows were dropped and added
    for kind, key in (("persons", "person_key"), ("events", "record_id"), ("services", "record_id"),
                      ("households", "household_key")):
        keys = r.table(kind)[key].tolist()
        assert len(keys) == len(set(keys)), kind
    duplicate_keys = {d["person_key"] for d in truth["duplicates"]}
    originals = {d["duplicate_of"] for d in truth["duplicates"]}
    assert not duplicate_keys & originals

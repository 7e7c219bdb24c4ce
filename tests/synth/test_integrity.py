"""Record integrity: valid unique IDs except labelled imperfections, no event after exit, parents."""

from __future__ import annotations

from collections import Counter

import numpy as np
from stdnum.cn import ric


def _labelled(truth):
    dups = {d["person_key"] for d in truth["duplicates"]}
    legacy = {d["person_key"] for d in truth["legacy_check_digits"]}
    return dups, legacy


def test_every_id_is_valid_and_unique_except_labelled(gaize):
    _, r = gaize
    P, truth = r.persons, r.ground_truth["imperfections"]
    dups, legacy = _labelled(truth)
    assert truth["counts"]["duplicates"] >= 3 and truth["counts"]["legacy_check_digits"] >= 1
    bad = {k for k, n in zip(P["person_key"], P["id_number"], strict=True) if not ric.is_valid(n)}
    typo = {d["person_key"] for d in truth["duplicates"] if d["kind"] == "id_typo"}
    assert bad == legacy | typo
    counts = Counter(P["id_number"].tolist())
    repeated = {k for k, n in zip(P["person_key"], P["id_number"], strict=True) if counts[n] > 1}
    names = {d["person_key"] for d in truth["duplicates"] if d["kind"] == "name_variant"}
    originals = {d["duplicate_of"] for d in truth["duplicates"] if d["kind"] == "name_variant"}
    assert repeated == names | originals
    for d in truth["legacy_check_digits"]:
        assert ric.is_valid(d["correct_id_number"]) and d["id_number"][:17] == d["correct_id_number"][:17]


def test_id_agrees_with_birth_date_and_sex(gaize):
    _, r = gaize
    P = r.persons
    ok = np.array([ric.is_valid(n) for n in P["id_number"]])
    for n, b, s in zip(P["id_number"][ok], P["birth_date"][ok], P["sex"][ok], strict=True):
        assert n[6:14] == str(b).replace("-", "")
        assert int(n[16]) % 2 == (s == "1")


def test_no_event_after_exit_and_parents_present(small_renqiu):
    _, r = small_renqiu
    P, E = r.persons, r.events
    pos = {k: i for i, k in enumerate(P["person_key"])}
    exit_ = P["exit_date"]
    idx = np.array([pos[k] for k in E["person_key"]])
    ex = exit_[idx]
    assert not (~np.isnat(ex) & (E["event_date"] > ex)).any()
    b = E["kind"] == "birth"
    mo = np.array([pos[k] for k in E["mother_key"][b]])
    assert not (~np.isnat(exit_[mo]) & (E["event_date"][b] > exit_[mo])).any()
    age = (E["event_date"][b] - P["birth_date"][mo]).astype(int) / 365.25
    assert age.min() >= 12 and age.max() < 55
    fk = E["father_key"][b]
    has = fk != ""
    fa = np.array([pos[k] for k in fk[has]])
    assert not (~np.isnat(exit_[fa]) & (E["event_date"][b][has] > exit_[fa])).any()
    S = r.services
    si = np.array([pos[k] for k in S["person_key"]])
    assert not (~np.isnat(exit_[si]) & (S["service_date"] > exit_[si])).any()
    assert (S["service_date"] >= P["birth_date"][si]).all()
    assert set(S["consent"]) == {"yes"}


def test_birth_order_counts_the_mothers_children(small_renqiu):
    _, r = small_renqiu
    E = r.events
    b = np.flatnonzero(E["kind"] == "birth")
    by_mother: dict[str, list[tuple]] = {}
    for i in b:
        by_mother.setdefault(E["mother_key"][i], []).append((E["event_date"][i], E["birth_order"][i],
                                                             E["plurality"][i]))
    twins = 0
    for rows in by_mother.values():
        rows.sort()
        orders = [o for _, o, _ in rows]
        assert orders == list(range(orders[0], orders[0] + len(orders)))
        dates = [d for d, _, _ in rows]
        for (d1, _, p1), (d2, _, _) in zip(rows, rows[1:], strict=False):
            assert d1 == d2 and p1 == 2 or (d2 - d1).astype(int) >= 270
        twins += sum(p == 2 for _, _, p in rows)
        assert len(dates) >= 1
    assert twins >= 2


def test_missing_births_are_absent_but_described(gaize):
    _, r = gaize
    truth = r.ground_truth["imperfections"]["missing_births"]
    assert len(truth) == 3
    keys = set(r.persons["person_key"].tolist())
    for m in truth:
        assert m["person"]["person_key"] not in keys
        assert m["birth_event"]["mother_key"] in keys
        assert m["birth_event"]["event_date"].startswith("2005")


def test_late_registrations_are_labelled(gaize):
    _, r = gaize
    E = r.events
    late = r.ground_truth["imperfections"]["late_registrations"]
    assert len(late) > 10
    delay = (E["registration_date"] - E["event_date"]).astype(int)
    long = set(E["record_id"][delay >= 90].tolist())
    assert long == {x["record_id"] for x in late}

"""Realistic imperfections of a register (数据瑕疵), each labelled in the ground truth.

- late registration (迟报): registration date 3–13 months after the event;
- legacy ID numbers with a wrong check character (旧证校验码错误);
- duplicate registration of one person (重复登记): a second row with a name variant,
  an ID typo (two adjacent digits swapped, check character kept) or a birth date a
  few days off (ID rebuilt for that date);
- missing births (漏报出生): children born in the reference year left out of the
  register altogether (row and birth event), described fully in the ground truth
  so that a door-to-door check can "find" them.

Herders (牧业人口) are marked here too, last, on the register as written, so that a
target count holds exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stdnum.cn import ric

from .ids import wrong_check_digit
from .model import SynthResult, Table
from .names import name_variant
from .params import CountyParams

DUPLICATE_KINDS = ("name_variant", "id_typo", "birth_date_shift")


def _take(t: Table, keep: np.ndarray) -> Table:
    return {k: v[keep] for k, v in t.items()}


def _append_rows(t: Table, rows: Table) -> Table:
    return {k: np.concatenate([v, rows[k].astype(v.dtype)]) for k, v in t.items()}


def _row(t: Table, i: int) -> dict[str, Any]:
    return {k: ("" if (isinstance(v[i], np.datetime64) and np.isnat(v[i])) else str(v[i])) for k, v in t.items()}


def _with_id_check(prefix17: str, taken: set[str]) -> str:
    """A valid number on ``prefix17``'s date and sex, moved along the sequence (same parity) until unused."""
    seq = int(prefix17[14:17])
    for _ in range(500):
        number = prefix17[:14] + f"{seq:03d}"
        number += ric.calc_check_digit(number + "0")
        if number not in taken:
            return number
        seq = (seq + 2) % 1000
    raise ValueError(f"no free sequence number on {prefix17[:14]}")


def _next_serial(keys: np.ndarray, marker: str) -> int:
    """One past the largest serial of keys like ``542526P0001234`` (rows may have been dropped before)."""
    if len(keys) == 0:
        return 0
    return max(int(str(k).rsplit(marker, 1)[1]) for k in keys.tolist()) + 1


def apply_imperfections(r: SynthResult, p: CountyParams, rng: np.random.Generator,
                        n_missing: int, n_dup: int) -> dict[str, Any]:
    """Inject the imperfections into ``r`` in place and return their ground truth."""
    truth: dict[str, Any] = {"missing_births": [], "duplicates": [], "legacy_check_digits": [],
                             "late_registrations": []}
    imp = p.imperfections
    if not imp.enabled:
        return truth
    P, E = r.persons, r.events
    ref = r.reference_date
    y0 = np.datetime64(f"{p.end_year}-01-01")
    present_reg = (P["status"] == "present") & (P["registration"] == "registered")

    # missing births: singletons born in the reference year, present, with no other event
    ev_count = dict(zip(*np.unique(E["person_key"], return_counts=True), strict=True))
    births = np.flatnonzero((E["kind"] == "birth") & (E["event_date"] >= y0) & (E["plurality"] == 1))
    pos = {k: i for i, k in enumerate(P["person_key"].tolist())}
    child = np.array([pos[k] for k in E["person_key"][births]], dtype=np.int64)
    mother = np.array([pos.get(k, -1) for k in E["mother_key"][births]], dtype=np.int64)
    ok = present_reg[child] & np.array([ev_count[k] == 1 for k in E["person_key"][births]], dtype=bool) \
        & (mother >= 0) & (P["status"][np.maximum(mother, 0)] == "present")
    chosen = np.sort(rng.choice(np.flatnonzero(ok), size=n_missing, replace=False)) if n_missing else []
    drop_p = np.zeros(len(P["person_key"]), dtype=bool)
    drop_e = np.zeros(len(E["record_id"]), dtype=bool)
    for j in chosen:
        i = child[j]
        truth["missing_births"].append({"person": _row(P, int(i)), "birth_event": _row(E, int(births[j]))})
        drop_p[i], drop_e[births[j]] = True, True
    hh_pos = {k: i for i, k in enumerate(r.households["household_key"].tolist())}
    for i in np.flatnonzero(drop_p):
        r.households["size"][hh_pos[P["household_key"][i]]] -= 1
    r.persons = P = _take(P, ~drop_p)
    r.events = E = _take(E, ~drop_e)
    present_reg = (P["status"] == "present") & (P["registration"] == "registered")

    # duplicates: a second registration of a present adult, in another household
    n = _next_serial(P["person_key"], "P")
    next_event = _next_serial(E["record_id"], "E")
    adult = present_reg & (P["birth_date"] <= ref - np.timedelta64(16 * 366, "D"))
    if p.married_women_target is not None:  # the target counts the register as written: no second copies
        born = P["birth_date"].astype("datetime64[D]")
        under_50 = born > np.datetime64(f"{int(str(ref)[:4]) - 50}-{str(ref)[5:]}")
        adult &= ~((P["sex"].astype(int) == 2) & (P["marital_status"].astype(str) == "21") & under_50)
    src = np.sort(rng.choice(np.flatnonzero(adult), size=n_dup, replace=False)) if n_dup else np.empty(0, int)
    taken = set(P["id_number"].tolist())
    dup = _take(P, src)
    hosts = np.flatnonzero((r.households["size"] > 0) & (r.households["kind"] == "family"))
    host = hosts[rng.integers(0, len(hosts), len(src))] if len(src) else np.empty(0, int)
    county = int(p.county_code)
    new_events: list[dict[str, Any]] = []
    for j, i in enumerate(src):
        kind = DUPLICATE_KINDS[j % 3]
        number = str(P["id_number"][i])
        if kind == "name_variant":
            dup["name"][j] = name_variant(str(P["name"][i]), rng)
        elif kind == "id_typo":
            k = int(rng.integers(6, 16))
            while number[k] == number[k + 1]:
                k = 6 + (k - 5) % 10
            number = number[:k] + number[k + 1] + number[k] + number[k + 2:]
        else:
            shift = int(rng.integers(1, 6)) * (1 if rng.random() < 0.5 else -1)
            new_birth = P["birth_date"][i] + np.timedelta64(shift, "D")
            dup["birth_date"][j] = new_birth
            number = _with_id_check(number[:6] + str(new_birth).replace("-", "") + number[14:17], taken)
        taken.add(number)
        dup["id_number"][j] = number
        key = f"{p.county_code}P{n + j:07d}"
        dup["person_key"][j] = key
        dup["household_key"][j] = r.households["household_key"][host[j]]
        dup["area_code"][j] = r.households["area_code"][host[j]]
        dup["urban_rural"][j] = r.households["urban_rural"][host[j]]
        dup["relation_to_head"][j] = "99"
        for col in ("mother_key", "father_key", "spouse_key"):
            dup[col][j] = ""
        entry = y0 + np.timedelta64(int(rng.integers(0, 330)), "D")
        dup["entry_date"][j] = entry
        r.households["size"][host[j]] += 1
        rid = f"{p.county_code}E{next_event + j:08d}"
        other = county
        while other == county:
            other = int(rng.integers(110101, 659004))
        new_events.append({"record_id": rid, "kind": "move_in", "person_key": key, "event_date": entry,
                           "registration_date": entry + np.timedelta64(int(rng.integers(0, 20)), "D"),
                           "registration_state": "registered", "area_code": dup["area_code"][j],
                           "mother_key": "", "father_key": "", "spouse_key": "", "birth_order": 0,
                           "plurality": 0, "delivery_place": "", "from_code": f"{other:06d}",
                           "to_code": dup["area_code"][j]})
        truth["duplicates"].append({"person_key": key, "duplicate_of": str(P["person_key"][i]), "kind": kind,
                                    "id_number": number, "original_id_number": str(P["id_number"][i]),
                                    "record_id": rid})
    if len(src):
        r.persons = P = _append_rows(P, dup)
        rows = {k: np.array([e[k] for e in new_events], dtype=v.dtype) for k, v in E.items()}
        r.events = E = _append_rows(E, rows)

    # legacy ID numbers with a wrong check character: people born before 1985, not involved above
    involved = np.zeros(len(P["person_key"]), dtype=bool)
    pos = {k: i for i, k in enumerate(P["person_key"].tolist())}
    involved[[pos[k] for k in truth_keys(truth)]] = True
    old = np.flatnonzero((P["birth_date"] < np.datetime64("1985-01-01")) & ~involved)
    k = round(imp.legacy_check_digit_share * len(old))
    for i in np.sort(rng.choice(old, size=k, replace=False)) if k else []:
        right = str(P["id_number"][i])
        P["id_number"][i] = wrong_check_digit(right, rng)
        truth["legacy_check_digits"].append({"person_key": str(P["person_key"][i]),
                                             "id_number": str(P["id_number"][i]), "correct_id_number": right})

    # late registrations
    reg = E["registration_state"] == "registered"
    delay = rng.integers(90, 400, len(reg)).astype("timedelta64[D]")
    late_date = E["event_date"] + delay
    pick = np.flatnonzero(reg & (late_date <= ref) & (rng.random(len(reg)) < imp.late_registration_share))
    E["registration_date"][pick] = late_date[pick]
    truth["late_registrations"] = [{"record_id": str(E["record_id"][i]), "event_date": str(E["event_date"][i]),
                                    "registration_date": str(late_date[i]), "delay_days": int(delay[i] / np.timedelta64(1, "D"))}
                                   for i in pick]
    truth["counts"] = {k: len(v) for k, v in truth.items()}
    return truth


def truth_keys(truth: dict[str, Any]) -> list[str]:
    """Person keys involved in duplicate registrations (both rows)."""
    return [k for d in truth["duplicates"] for k in (d["person_key"], d["duplicate_of"])]


def mark_herders(r: SynthResult, p: CountyParams, rng: np.random.Generator) -> None:
    """牧业人口: whole rural households in random order until the target count of present
    registered persons is reached exactly (in the last household only some members)."""
    if p.herders_target is None:
        return
    P, H = r.persons, r.households
    counted = (P["status"] == "present") & (P["registration"] == "registered")
    rural = np.flatnonzero((H["kind"] == "family") & np.char.startswith(H["urban_rural"].astype(str), "2"))
    hpos = {k: i for i, k in enumerate(H["household_key"].tolist())}
    p_h = np.array([hpos[k] for k in P["household_key"].tolist()], dtype=np.int64)
    size = np.bincount(p_h[counted], minlength=len(H["household_key"]))
    order = rural[rng.permutation(len(rural))]
    order = order[size[order] > 0]
    cum = np.cumsum(size[order])
    j = int(np.searchsorted(cum, p.herders_target))
    if j >= len(order):
        raise ValueError(f"only {cum[-1] if len(cum) else 0} rural persons for {p.herders_target} herders")
    herd_h = order[: j + 1]
    H["herder"][herd_h] = 1
    P["herder"] = H["herder"][p_h].astype(np.int64)
    surplus = int(cum[j] - p.herders_target)
    if surplus:
        last = np.flatnonzero((p_h == order[j]) & counted)
        P["herder"][last[-surplus:]] = 0

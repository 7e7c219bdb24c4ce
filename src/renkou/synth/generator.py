"""Generate one synthetic county: areas, base population, history, exact headline totals, tables.

:func:`generate` is the entry point.  How the headline totals become exact at the
reference date (31 December of ``end_year``):

1. The base population size is the target divided by the growth factor expected from
   the rates (crude birth − death rate of the stable structure, plus net moves).
2. If a crude birth rate is given, the registered children born in the last year are
   fixed to round(CBR × (P_start + P_end)/2) (plus the births that will be left
   unregistered), P_end being the target: deliveries are drawn without replacement
   with the same per-woman probabilities until that number of children is reached.
3. After the last year the registered total is closed by adding in-movers (户口迁入)
   or removing never-married young adults by out-moves; resident migrants likewise by
   arrivals or departures; the household count by splitting a never-married adult
   into a household of their own (分户) or merging one-person households into another
   household of the same village; married women 15–49 (已婚育龄妇女) by first marriages of
   never-married women of those ages to never-married men of the county in the last year, and
   when there are too few of them by married couples moving in together.  These events are
   flagged ``adjustment`` in the ground truth, with their counts.
4. Targets count the register as written: injected missing births are added to the
   true total and duplicate registrations subtracted, so that the files show the
   headline figure.  Herders are marked last on the written register.
"""

from __future__ import annotations

import numpy as np

from .areas import AreaNode, generate_area_tree, leaf_areas
from .history import (
    EVENT_KINDS,
    MIGRANT_DEPARTURE,
    MOVE_OUT,
    RESIDENCE_CHANGE,
    Simulation,
)
from .ids import EPOCH, assign_id_numbers, birth_years
from .model import SynthResult, Table
from .names import given_names, surnames, tibetan_names
from .params import CountyParams
from .population import (
    DEPARTED,
    ENTRY_BASE,
    FIRST_MARRIAGE,
    MIGRANT,
    MOVED_OUT,
    NEVER_MARRIED,
    NO_DATE,
    NONE,
    PRESENT,
    REGISTERED,
    AreaIndex,
    Store,
    build_base_population,
    fertility_schedule,
    migrant_age_distribution,
    mortality_table,
    new_household_store,
    new_person_store,
    random_dates,
    stable_age_distribution,
    weighted_choice_without_replacement,
    year_start,
)

STATUS_CODES = np.array(["present", "deceased", "moved_out", "departed"], dtype=object)
REGISTRATION_CODES = np.array(["registered", "migrant"], dtype=object)
HOUSEHOLD_KINDS = np.array(["family", "migrant"], dtype=object)


def to_dates(days: np.ndarray) -> np.ndarray:
    """int days since 1970 (NO_DATE → NaT) → datetime64[D]."""
    d = EPOCH + days.astype("timedelta64[D]")
    return np.where(days == NO_DATE, np.datetime64("NaT"), d).astype("datetime64[D]")


def keys(prefix: str, idx: np.ndarray, width: int) -> np.ndarray:
    """Stable source keys like 542526P0000123; -1 → ""."""
    text = np.char.add(prefix, np.char.zfill(np.maximum(idx, 0).astype(str), width))
    return np.where(idx < 0, "", text).astype(object)


def expected_growth_factor(p: CountyParams) -> float:
    """Population multiplier over the simulated years from the rates (first-order estimate)."""
    c = stable_age_distribution(p)
    q = mortality_table(p.mortality)
    asfr = fertility_schedule(p.fertility)
    cbr = float((asfr[16:50] * c[15:49, 1]).sum())
    cdr = float((q[1:102] * c).sum())
    m = p.migration
    net = m.move_in_rate - m.household_move_out_rate - m.young_move_out_rate * float(c[15:31].sum())
    return (1 + cbr - cdr + net) ** (p.end_year - p.start_year + 1)


def _area_index(nodes: list[AreaNode], rng: np.random.Generator) -> AreaIndex:
    leaves = leaf_areas(nodes)
    return AreaIndex(codes=[n.code for n in leaves],
                     urban=np.array([n.urban_rural.startswith("1") for n in leaves]),
                     weight=rng.gamma(4.0, 1.0, len(leaves)))


def _set_origin_and_ethnicity(sim: Simulation, idx: np.ndarray, migrant: bool) -> None:
    """Ethnicity per household (3 % drawn individually); birthplace county; migrants' home county."""
    P, rng = sim.persons, sim.rng
    hh = P["hh"][idx]
    uniq, inv = np.unique(hh, return_inverse=True)
    eth = sim.draw_ethnicity(len(uniq))[inv]
    own = rng.random(len(idx)) < 0.03
    eth[own] = sim.draw_ethnicity(int(own.sum()))
    P["eth"][idx] = eth
    if migrant:
        P["origin"][idx] = sim.random_counties(len(uniq))[inv]
        return
    elsewhere = (rng.random(len(idx)) < sim.p.migration.born_elsewhere_share) & \
        (sim.p.start_year - birth_years(P["birth"][idx]) > 16)
    P["origin"][idx] = np.where(elsewhere, sim.random_counties(len(idx)), sim.county)


def build_population(p: CountyParams, n_registered: int, rng: np.random.Generator
                     ) -> tuple[list[AreaNode], Simulation]:
    """Area tree and base population (registered + resident migrants) at 1 January of start_year."""
    nodes = generate_area_tree(p.county_code, p.structure, rng, p.township_names)
    areas = _area_index(nodes, rng)
    P, H = new_person_store(), new_household_store()
    sim = Simulation(p, areas, P, H, rng)
    start = year_start(p.start_year)
    reg = build_base_population(p, areas, n_registered, stable_age_distribution(p), start, rng, P, H)
    _set_origin_and_ethnicity(sim, reg, migrant=False)
    n_mig = round(p.migration.migrant_share * n_registered)
    if n_mig:
        mig = build_base_population(p, areas, n_mig, migrant_age_distribution(), start, rng, P, H, migrant=True)
        _set_origin_and_ethnicity(sim, mig, migrant=True)
    return nodes, sim


def _present(P: Store, reg: int) -> np.ndarray:
    return (P["status"] == PRESENT) & (P["reg"] == reg)


def _leavers(sim: Simulation, reg: int, n: int, y1: int) -> np.ndarray:
    """n present never-married adults without children, free to leave before 31 December."""
    P = sim.persons
    age = (y1 // 365.25 + 1970) - birth_years(P["birth"])
    ok = _present(P, reg) & (P["marital"] == NEVER_MARRIED) & (P["parity"] == 0) & (age >= 16) \
        & (age <= 45) & (P["last_ev"] < y1) & (P["exit"] == NO_DATE)
    idx = weighted_choice_without_replacement(ok.astype(float), n, sim.rng)
    if len(idx) < n:
        raise ValueError(f"cannot remove {n} persons: only {len(idx)} candidates")
    return idx


def close_totals(sim: Simulation, p: CountyParams, registered_target: int) -> dict[str, int]:
    """Deterministic final adjustment of the last year (see module docstring); returns the counts."""
    P, H, rng = sim.persons, sim.households, sim.rng
    y0, y1 = year_start(p.end_year), year_start(p.end_year + 1) - 1
    out: dict[str, int] = {}
    if p.married_women_target is not None:  # first: couples moving in count in the registered total
        out["married_women_marriages"], out["married_couples_in"] = _close_married_women(
            sim, p.married_women_target, y0, y1)
    diff = registered_target - int(_present(P, REGISTERED).sum())
    if diff > 0:
        sim.add_movers_in(diff, y0, y1, adjustment=1)
    elif diff < 0:
        who = _leavers(sim, REGISTERED, -diff, y1)
        dates = random_dates(np.maximum(P["last_ev"][who].astype(np.int64) + 1, y0), y1, rng)
        sim.exit_persons(who, dates, MOVED_OUT, MOVE_OUT, sim.random_counties(len(who)), adjustment=1)
    out["registered_in"] = max(diff, 0)
    out["registered_out"] = max(-diff, 0)
    if p.migrants_target is not None:
        diff = p.migrants_target - int(_present(P, MIGRANT).sum())
        if diff > 0:
            sim.add_migrants(diff, y0, y1, adjustment=1)
        elif diff < 0:
            who = _leavers(sim, MIGRANT, -diff, y1)
            dates = random_dates(np.maximum(P["last_ev"][who].astype(np.int64) + 1, y0), y1, rng)
            sim.exit_persons(who, dates, DEPARTED, MIGRANT_DEPARTURE, P["origin"][who], adjustment=1)
        out["migrant_arrivals"], out["migrant_departures"] = max(diff, 0), max(-diff, 0)
    if p.households_target is not None:
        diff = p.households_target - registered_household_count(P, H)
        if diff > 0:
            _split_households(sim, diff, y0, y1)
        elif diff < 0:
            _merge_households(sim, -diff, y0, y1)
        out["household_splits"], out["household_merges"] = max(diff, 0), max(-diff, 0)
    return out


def completed_years(birth: np.ndarray, day: int) -> np.ndarray:
    """Age in completed years (周岁) on ``day`` of persons born on ``birth`` (days since 1970-01-01)."""
    def parts(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        year = d.astype("datetime64[Y]")
        month = d.astype("datetime64[M]")
        month_day = (month - year.astype("datetime64[M]")).astype(np.int64) * 32 \
            + (d - month.astype("datetime64[D]")).astype(np.int64)
        return year.astype(np.int64), month_day

    by, bmd = parts(EPOCH + np.asarray(birth).astype("timedelta64[D]"))
    dy, dmd = parts(np.asarray(EPOCH + np.timedelta64(int(day), "D")))
    return dy - by - (bmd > dmd)


def married_women_15_49(P: Store, day: int) -> np.ndarray:
    """Registered women present, married (first marriage) and aged 15–49 on ``day``: a mask."""
    age = completed_years(P["birth"], day)
    return _present(P, REGISTERED) & (P["sex"] == 2) & (P["marital"] == FIRST_MARRIAGE) & (age >= 15) & (age <= 49)


def _close_married_women(sim: Simulation, target: int, y0: int, y1: int) -> tuple[int, int]:
    """Married women 15–49 at the end of the last year made exactly ``target``: first marriages of
    never-married registered women (legal age – 49) to never-married registered men, then married
    couples moving in for what is left. Returns (marriages, couples)."""
    P, nup = sim.persons, sim.p.nuptiality
    diff = target - int(married_women_15_49(P, y1).sum())
    if diff < 0:
        raise ValueError(f"{-diff} more married women 15–49 than the target {target}: lower the nuptiality")
    age = completed_years(P["birth"], y1)
    free = _present(P, REGISTERED) & (P["marital"] == NEVER_MARRIED) & (P["last_ev"] < y1) & (P["exit"] == NO_DATE)
    women = np.flatnonzero(free & (P["sex"] == 2) & (age >= nup.female_min_age) & (age <= 49))
    men = np.flatnonzero(free & (P["sex"] == 1) & (age >= nup.male_min_age) & (age <= 59))
    k = min(diff, len(women), len(men))
    brides = sim.rng.permutation(women)[:k]
    grooms = men[np.argsort(np.abs(age[men] - 27) + sim.rng.random(len(men)), kind="stable")][:k]
    made = sim.marry(brides, grooms, age, y0, y1, adjustment=1) if k else 0
    couples = target - int(married_women_15_49(P, y1).sum())
    sim.add_couples_in(couples, y0, y1, adjustment=1)
    return made, couples


def registered_household_count(P: Store, H: Store) -> int:
    """Registered (family) households with at least one present registered member."""
    alive = _present(P, REGISTERED)
    return int(len(np.unique(P["hh"][alive][H["kind"][P["hh"][alive]] == REGISTERED])))


def _household_move(sim: Simulation, who: np.ndarray, new_hh: np.ndarray, y0: int, y1: int) -> None:
    P, H = sim.persons, sim.households
    old_area = H["area"][P["hh"][who]]
    dates = random_dates(np.maximum(P["last_ev"][who].astype(np.int64) + 1, y0), y1, sim.rng)
    H["est"][new_hh] = np.where(H["est"][new_hh] > y0, dates, H["est"][new_hh])
    P["hh"][who] = new_hh
    P["last_ev"][who] = dates
    new_area = H["area"][new_hh]
    sim.events.append(len(who), kind=RESIDENCE_CHANGE, date=dates, person=who, area=new_area,
                      from_area=old_area, to_area=new_area, adjustment=1)


def _split_households(sim: Simulation, n: int, y0: int, y1: int) -> None:
    """分户: n never-married adults each set up a household of their own in the same village."""
    P, H = sim.persons, sim.households
    alive = _present(P, REGISTERED)
    size = np.bincount(P["hh"][alive], minlength=len(H))
    age = (y1 // 365.25 + 1970) - birth_years(P["birth"])
    cand = np.flatnonzero(alive & (P["marital"] == NEVER_MARRIED) & (P["parity"] == 0) & (age >= 18)
                          & (size[P["hh"]] >= 2) & (P["last_ev"] < y1) & (P["exit"] == NO_DATE))
    cand = cand[sim.rng.permutation(len(cand))]
    _, first = np.unique(P["hh"][cand], return_index=True)
    cand = np.sort(cand[first])[:n] if len(first) >= n else cand[:n]
    if len(cand) < n:
        raise ValueError(f"cannot split {n} households")
    new_hh = sim.new_households(H["area"][P["hh"][cand]], y1)
    _household_move(sim, cand, new_hh, y0, y1)


def _merge_households(sim: Simulation, n: int, y0: int, y1: int) -> None:
    """n people living alone join another registered household of their village."""
    P, H, rng = sim.persons, sim.households, sim.rng
    alive = _present(P, REGISTERED)
    size = np.bincount(P["hh"][alive], minlength=len(H))
    single = np.flatnonzero(alive & (size[P["hh"]] == 1) & (P["last_ev"] < y1) & (H["kind"][P["hh"]] == REGISTERED))
    single = single[rng.permutation(len(single))]
    hosts = np.flatnonzero((size >= 2) & (H["kind"] == REGISTERED))
    hosts = hosts[np.lexsort((rng.random(len(hosts)), H["area"][hosts]))]
    h_area = H["area"][hosts]
    area = H["area"][P["hh"][single]]
    lo, hi = np.searchsorted(h_area, area, "left"), np.searchsorted(h_area, area, "right")
    ok = hi > lo
    single, lo, hi = single[ok][:n], lo[ok][:n], hi[ok][:n]
    if len(single) < n:
        raise ValueError(f"cannot merge {n} households")
    target = hosts[lo + (rng.random(n) * (hi - lo)).astype(np.int64)]
    _household_move(sim, single, target, y0, y1)


# ----------------------------------------------------------------------------- tables
def _names(sim: Simulation) -> np.ndarray:
    P, rng = sim.persons, sim.rng
    n = len(P)
    sur = surnames(n, rng)
    for _ in range(4):  # a child takes the father's surname (the mother's when no father is known)
        parent = np.where(P["father"] != NONE, P["father"], P["mother"])
        has = parent != NONE
        sur[has] = sur[parent[has]]
    han = sur + given_names(P["sex"], rng)
    if not sim.p.tibetan_names:
        return han
    return np.where(P["eth"] == 4, tibetan_names(P["sex"], rng), han)


def _heads(P: dict[str, np.ndarray], n_h: int, present: np.ndarray, age_days: np.ndarray) -> np.ndarray:
    """Head of each household: the eldest present man living with his wife, else the eldest present adult."""
    hh = P["hh"]
    couple_man = (P["sex"] == 1) & (P["spouse"] != NONE) & (hh[np.maximum(P["spouse"], 0)] == hh)
    adult = age_days >= 18 * 365
    score = present * 8 + couple_man * 4 + adult * 2
    order = np.lexsort((-age_days, -score, hh))
    first = np.r_[True, hh[order][1:] != hh[order][:-1]]
    head = np.full(n_h, NONE, dtype=np.int64)
    head[hh[order][first]] = order[first]
    return head


def _relations(P: dict[str, np.ndarray], head_of: np.ndarray) -> np.ndarray:
    """与户主关系 after GB/T 4761: 02 head, 10 spouse, 20 son, 30 daughter, 40 grandchild, 50 parent, 99 other."""
    n = len(P["sex"])
    i = np.arange(n)
    h = head_of
    rel = np.full(n, "99", dtype=object)
    mo, fa = P["mother"], P["father"]
    is_child = (mo == h) | (fa == h)
    gm = np.where(mo != NONE, mo[np.maximum(mo, 0)], NONE)
    gf = np.where(fa != NONE, fa[np.maximum(fa, 0)], NONE)
    gm2 = np.where(mo != NONE, fa[np.maximum(mo, 0)], NONE)
    gf2 = np.where(fa != NONE, mo[np.maximum(fa, 0)], NONE)
    grand = (gm == h) | (gf == h) | (gm2 == h) | (gf2 == h)
    parent = (mo[np.maximum(h, 0)] == i) | (fa[np.maximum(h, 0)] == i)
    rel[grand & (h != NONE)] = "40"
    rel[parent & (h != NONE)] = "50"
    rel[is_child & (h != NONE)] = np.where(P["sex"][is_child & (h != NONE)] == 1, "20", "30")
    rel[(P["spouse"] == h) & (h != NONE)] = "10"
    rel[i == h] = "02"
    return rel


def _registration_dates(kind: np.ndarray, date: np.ndarray, ref: int, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Registration delay in days: births ~ geometric(mean 20) ≤ 60, deaths mean 10, others mean 7."""
    mean = np.select([kind == 0, kind == 1], [20.0, 10.0], 7.0)
    delay = np.minimum(rng.geometric(1.0 / mean) - 1, 60)
    reg = date.astype(np.int64) + delay
    state = np.where(reg <= ref, "registered", "declared").astype(object)
    return np.where(reg <= ref, reg, NO_DATE), state


def build_tables(sim: Simulation, nodes: list[AreaNode]) -> tuple[Table, Table, Table, dict[str, np.ndarray]]:
    """Persons, households and events tables in the import format, plus internal lookups."""
    P, H, E, p, rng = sim.persons, sim.households, sim.events, sim.p, sim.rng
    ref = year_start(p.end_year + 1) - 1
    n = len(P)
    cc = p.county_code
    codes = np.array(sim.areas.codes, dtype=object)
    classes = {a.code: a.urban_rural for a in nodes}
    cls = np.array([classes[c] for c in sim.areas.codes], dtype=object)
    # households: keep those anyone belongs to, numbered densely
    used = np.unique(P["hh"])
    h_new = np.full(len(H), NONE, dtype=np.int64)
    h_new[used] = np.arange(len(used))
    hh = h_new[P["hh"]]
    present = P["status"] == PRESENT
    age_days = ref - P["birth"].astype(np.int64)
    pv = {k: P[k] for k in ("sex", "spouse", "mother", "father")}
    pv["hh"] = hh
    head = _heads(pv, len(used), present, age_days)
    size = np.bincount(hh[present], minlength=len(used))
    last_exit = np.full(len(used), -1, dtype=np.int64)
    np.maximum.at(last_exit, hh, np.where(present, -1, P["exit"]))
    ids = assign_id_numbers(P["origin"], P["birth"], P["sex"], rng)
    pkey = keys(f"{cc}P", np.arange(n), 7)
    link = lambda a: np.where(a != NONE, pkey[np.maximum(a, 0)], "").astype(object)  # noqa: E731
    leaf = H["area"][P["hh"]]
    persons: Table = {
        "person_key": pkey, "id_number": ids, "name": _names(sim), "sex": P["sex"].astype(str).astype(object),
        "birth_date": to_dates(P["birth"]), "ethnicity": np.char.zfill(P["eth"].astype(str), 2).astype(object),
        "marital_status": P["marital"].astype(str).astype(object), "household_key": keys(f"{cc}H", hh, 7),
        "relation_to_head": _relations(pv, head[hh]),
        "area_code": codes[leaf], "urban_rural": cls[leaf], "registration": REGISTRATION_CODES[P["reg"]],
        "home_county_code": np.where(P["reg"] == REGISTERED, cc, P["origin"].astype(str)).astype(object),
        "birthplace_code": P["origin"].astype(str).astype(object), "status": STATUS_CODES[P["status"]],
        "entry_date": to_dates(np.where(P["entry_kind"] == ENTRY_BASE, P["birth"], P["entry"])),
        "exit_date": to_dates(P["exit"]), "mother_key": link(P["mother"]), "father_key": link(P["father"]),
        "spouse_key": link(P["spouse"]), "birth_order": P["birth_order"].astype(np.int64),
        "herder": np.zeros(n, dtype=np.int64),
    }
    households: Table = {
        "household_key": keys(f"{cc}H", np.arange(len(used)), 7), "area_code": codes[H["area"][used]],
        "urban_rural": cls[H["area"][used]], "head_key": link(head), "kind": HOUSEHOLD_KINDS[H["kind"][used]],
        "herder": np.zeros(len(used), dtype=np.int64),
        "established_date": to_dates(np.minimum(H["est"][used], ref)),
        "dissolved_date": to_dates(np.where(size > 0, NO_DATE, np.maximum(last_exit, H["est"][used]))),
        "size": size.astype(np.int64),
    }
    order = np.lexsort((E["person"], E["kind"], E["date"]))
    ev = {k: v[order] for k, v in E.cols.items()}
    reg_date, state = _registration_dates(ev["kind"], ev["date"], ref, rng)
    area_or_blank = lambda a: np.where(a != NONE, codes[np.maximum(a, 0)], "").astype(object)  # noqa: E731
    other = np.where(ev["other_county"] > 0, ev["other_county"].astype(str), "").astype(object)
    kind = ev["kind"]
    from_code = np.where(np.isin(kind, (4, 6)), other, area_or_blank(ev["from_area"]))
    from_code = np.where(np.isin(kind, (5, 7)), codes[ev["area"]], from_code)
    to_code = np.where(np.isin(kind, (5, 7)), other, area_or_blank(ev["to_area"]))
    to_code = np.where(np.isin(kind, (4, 6)), codes[ev["area"]], to_code)
    places = np.array(["hospital", "home", "other", ""], dtype=object)
    events: Table = {
        "record_id": keys(f"{cc}E", np.arange(len(order)), 8),
        "kind": np.array(EVENT_KINDS, dtype=object)[kind], "person_key": pkey[ev["person"]],
        "event_date": to_dates(ev["date"]), "registration_date": to_dates(reg_date),
        "registration_state": state, "area_code": codes[ev["area"]], "mother_key": link(ev["mother"]),
        "father_key": link(ev["father"]), "spouse_key": link(ev["spouse"]),
        "birth_order": ev["order"].astype(np.int64), "plurality": ev["plurality"].astype(np.int64),
        "delivery_place": places[ev["place"]], "from_code": from_code.astype(object),
        "to_code": to_code.astype(object),
    }
    internal = {"event_order": order, "event_adjustment": ev["adjustment"], "leaf": leaf, "pkey": pkey}
    return persons, households, events, internal


def generate(p: CountyParams, seed: int) -> SynthResult:
    """Generate the county described by ``p``; the same (p, seed) always gives the same result."""
    from .activity import generate_activity
    from .imperfections import apply_imperfections, mark_herders
    from .services import generate_services

    rng = np.random.default_rng(seed)
    imp = p.imperfections
    n_missing = imp.missing_births if imp.enabled else 0
    n_dup = round(imp.duplicate_share * p.persons) if imp.enabled else 0
    true_target = p.persons + n_missing - n_dup
    n0 = round(true_target / expected_growth_factor(p))
    nodes, sim = build_population(p, n0, rng)
    start_counts = []
    for year in range(p.start_year, p.end_year + 1):
        exact = None
        if year == p.end_year and p.cbr_target_permille is not None:
            p_start = int(_present(sim.persons, REGISTERED).sum())
            exact = round(p.cbr_target_permille / 1000 * (p_start + p.persons) / 2) + n_missing
        start_counts.append(int(_present(sim.persons, REGISTERED).sum()))
        sim.run_year(year, exact)
    adjustments = close_totals(sim, p, true_target)
    persons, households, events, internal = build_tables(sim, nodes)
    services = generate_services(sim, internal)
    ref = np.datetime64(f"{p.end_year}-12-31")
    result = SynthResult(p.county_code, ref, nodes, persons, households, events, services, {}, {})
    truth = apply_imperfections(result, p, rng, n_missing, n_dup)
    mark_herders(result, p, rng)
    result.activity = generate_activity(result, p, rng)
    result.ground_truth = {
        "county_code": p.county_code, "seed": seed, "reference_date": str(ref),
        "base_population": n0, "registered_at_year_start": dict(zip(
            [str(y) for y in range(p.start_year, p.end_year + 1)], start_counts, strict=True)),
        "adjustments": adjustments,
        "adjustment_event_ids": sorted(events["record_id"][internal["event_adjustment"] == 1].tolist()),
        "imperfections": truth,
    }
    return result


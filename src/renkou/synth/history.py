"""Year-by-year microsimulation of a synthetic county (逐年微观模拟).

Each calendar year, in this order: deaths and departures (with dates), births,
first marriages, divorces, moves inside the county, then arrivals.  Every event's
date lies after the person's previous event and before the person's exit, and a
birth lies before the exits of both parents, so no event follows a death or a
move away.  Rates come from :mod:`renkou.synth.population`.

Fertility: for each age a, the expected number of deliveries is ASFR(a) × W(a) /
(1 + twin rate), W(a) the women of age a present on 1 January; it is shared among
the eligible women of that age in proportion to their weight (parity weight ×
marital factor), each at most 1.  Hence the simulated ASFR (children ÷ women)
equals the parameter in expectation, while the parity weights shape the order mix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ids import birth_years
from .params import CountyParams
from .population import (
    DECEASED,
    DEPARTED,
    DIVORCED,
    ENTRY_MIGRANT,
    ENTRY_MOVE_IN,
    FIRST_MARRIAGE,
    MIGRANT,
    MOVED_OUT,
    NEVER_MARRIED,
    NO_DATE,
    NONE,
    PRESENT,
    REGISTERED,
    WIDOWED,
    AreaIndex,
    Store,
    build_base_population,
    choose_areas,
    fertility_schedule,
    first_marriage_hazard,
    migrant_age_distribution,
    mortality_table,
    random_dates,
    weighted_choice_without_replacement,
    year_start,
)

EVENT_KINDS = ("birth", "death", "marriage", "divorce", "move_in", "move_out", "migrant_arrival",
               "migrant_departure", "residence_change")
BIRTH, DEATH, MARRIAGE, DIVORCE, MOVE_IN, MOVE_OUT, MIGRANT_ARRIVAL, MIGRANT_DEPARTURE, RESIDENCE_CHANGE = range(9)
DELIVERY_PLACES = ("hospital", "home", "other")

EVENT_DTYPES = {"kind": "i1", "date": "i4", "person": "i4", "mother": "i4", "father": "i4", "spouse": "i4",
                "order": "i1", "plurality": "i1", "place": "i1", "area": "i4", "from_area": "i4",
                "to_area": "i4", "other_county": "i4", "adjustment": "i1"}
EVENT_DEFAULTS = {"mother": NONE, "father": NONE, "spouse": NONE, "place": NONE, "from_area": NONE,
                  "to_area": NONE, "other_county": 0, "order": 0, "plurality": 0, "adjustment": 0}


def new_event_store() -> Store:
    return Store(EVENT_DTYPES, EVENT_DEFAULTS)


@dataclass
class Simulation:
    """State of one county's simulation: persons, households, events, and the rates."""

    p: CountyParams
    areas: AreaIndex
    persons: Store
    households: Store
    rng: np.random.Generator
    events: Store = field(default_factory=new_event_store)

    def __post_init__(self) -> None:
        self.qx = mortality_table(self.p.mortality)
        self.asfr = fertility_schedule(self.p.fertility)
        self.h_f = first_marriage_hazard(self.p.nuptiality, True)
        self.h_m = first_marriage_hazard(self.p.nuptiality, False)
        self.county = int(self.p.county_code)
        self.other_counties = np.array(sorted(
            {int(c) for prov in self.p.migration.origin_provinces for c in _stable(prov)} - {self.county}))

    # ------------------------------------------------------------------ helpers
    def area_of(self, persons: np.ndarray) -> np.ndarray:
        return self.households["area"][self.persons["hh"][persons]]

    def random_counties(self, n: int) -> np.ndarray:
        return self.other_counties[self.rng.integers(0, len(self.other_counties), n)]

    def exit_persons(self, who: np.ndarray, dates: np.ndarray, status: int, kind: int,
                     counties: np.ndarray | int = 0, adjustment: int = 0) -> None:
        P = self.persons
        P["status"][who] = status
        P["exit"][who] = dates
        P["last_ev"][who] = dates
        self.events.append(len(who), kind=kind, date=dates, person=who, area=self.area_of(who),
                           other_county=counties, adjustment=adjustment)

    def new_households(self, area: np.ndarray, est: np.ndarray | int, kind: int = REGISTERED) -> np.ndarray:
        return self.households.append(len(area), area=area, kind=kind, est=est)

    # ------------------------------------------------------------------ one year
    def run_year(self, year: int, exact_births: int | None = None) -> None:
        """Simulate one calendar year; ``exact_births`` fixes the registered children born in it."""
        y0, y1 = year_start(year), year_start(year + 1) - 1
        P = self.persons
        age = year - birth_years(P["birth"])
        at_start = (P["status"] == PRESENT) & (P["entry"] < y0)
        self._deaths(at_start, age, y0, y1)
        self._departures(at_start, age, y0, y1)
        self._births(at_start, age, y0, y1, exact_births)
        grown = len(P) - len(at_start)  # newborns: not at risk of the remaining events this year
        at_start = np.r_[at_start, np.zeros(grown, dtype=bool)]
        age = np.r_[age, np.zeros(grown, dtype=age.dtype)]
        self._marriages(at_start, age, y0, y1)
        self._divorces(at_start, y0, y1)
        self._internal_moves(at_start, y0, y1)
        self._arrivals(y0, y1)

    def _deaths(self, at_start: np.ndarray, age: np.ndarray, y0: int, y1: int) -> None:
        P = self.persons
        q = self.qx[np.clip(age, 0, 110), P["sex"] - 1]
        die = np.flatnonzero(at_start & (self.rng.random(len(q)) < q))
        lo = np.maximum(y0, P["last_ev"][die] + 1)
        die, lo = die[lo <= y1], lo[lo <= y1]
        self.exit_persons(die, random_dates(lo, y1, self.rng), DECEASED, DEATH)
        self._widow(die)

    def _widow(self, dead: np.ndarray) -> None:
        P = self.persons
        sp = P["spouse"][dead]
        sp = sp[sp != NONE]
        alive = sp[P["status"][sp] != DECEASED]
        P["marital"][alive] = WIDOWED
        P["spouse"][alive] = NONE

    def _departures(self, at_start: np.ndarray, age: np.ndarray, y0: int, y1: int) -> None:
        P, H, m, rng = self.persons, self.households, self.p.migration, self.rng
        staying = at_start & (P["status"] == PRESENT)
        # whole households: registered move out (户口迁出), migrants leave
        blocked = np.zeros(len(H), dtype=bool)
        blocked[P["hh"][at_start & (P["status"] != PRESENT)]] = True
        rate = np.where(H["kind"] == MIGRANT, m.migrant_departure_rate, m.household_move_out_rate)
        leave_h = (rng.random(len(H)) < rate) & ~blocked
        movers = np.flatnonzero(staying & leave_h[P["hh"]])
        # young never-married registered people leave on their own
        young = staying & ~leave_h[P["hh"]] & (P["reg"] == REGISTERED) & (age >= 16) & (age <= 30) \
            & (P["marital"] == NEVER_MARRIED) & (rng.random(len(P)) < m.young_move_out_rate)
        young_idx = np.flatnonzero(young)
        for who, per_household in ((movers, True), (young_idx, False)):
            if len(who) == 0:
                continue
            unit = P["hh"][who] if per_household else np.arange(len(who))
            uniq, inv = np.unique(unit, return_inverse=True)
            lo = np.full(len(uniq), y0, dtype=np.int64)
            np.maximum.at(lo, inv, P["last_ev"][who].astype(np.int64) + 1)
            ok = lo <= y1
            dates = random_dates(np.where(ok, lo, y1), y1, rng)[inv]
            counties = self.random_counties(len(uniq))[inv]
            who, dates, counties = who[ok[inv]], dates[ok[inv]], counties[ok[inv]]
            mig = P["reg"][who] == MIGRANT
            self.exit_persons(who[~mig], dates[~mig], MOVED_OUT, MOVE_OUT, counties[~mig])
            self.exit_persons(who[mig], dates[mig], DEPARTED, MIGRANT_DEPARTURE, P["origin"][who[mig]])

    def _births(self, at_start: np.ndarray, age: np.ndarray, y0: int, y1: int, exact: int | None) -> None:
        P, f, rng = self.persons, self.p.fertility, self.rng
        women = np.flatnonzero(at_start & (P["sex"] == 2) & (age >= 15) & (age <= 49))
        a = age[women]
        father = P["spouse"][women]
        has_f = father != NONE
        f_exit = np.where(has_f, P["exit"][np.maximum(father, 0)], NO_DATE)
        lo = np.maximum(y0, P["last_birth"][women].astype(np.int64) + 300)
        hi = np.minimum(np.minimum(y1, P["exit"][women].astype(np.int64) - 1), f_exit.astype(np.int64) - 1)
        pw = np.asarray(f.parity_weights)
        marital = P["marital"][women]
        mfac = np.select([marital == FIRST_MARRIAGE, marital == NEVER_MARRIED], [1.0, 0.03], 0.15)
        w = pw[np.minimum(P["parity"][women], len(pw) - 1)] * mfac * (lo <= hi)
        reg = P["reg"][women]
        prob = np.zeros(len(women))
        for g in (REGISTERED, MIGRANT):
            sel = reg == g
            cells = a[sel] - 15
            n_women = np.bincount(cells, minlength=35)
            w_sum = np.bincount(cells, weights=w[sel], minlength=35)
            expected = self.asfr[15:50] * n_women / (1 + f.twin_rate)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(w_sum > 0, expected / w_sum, 0.0)
            prob[sel] = np.minimum(1.0, w[sel] * share[cells])
        twin = rng.random(len(women)) < f.twin_rate
        u = rng.random(len(women))
        deliver = u < prob
        if exact is not None:
            deliver[reg == REGISTERED] = False
            cand = np.flatnonzero((reg == REGISTERED) & (prob > 0))
            order = cand[np.argsort(-(np.log(rng.random(len(cand))) / prob[cand]), kind="stable")]
            kids = np.cumsum(1 + twin[order])
            j = int(np.searchsorted(kids, exact))
            if j >= len(order):
                raise ValueError(f"cannot place {exact} births among {len(order)} eligible women")
            chosen = order[: j + 1]
            if kids[j] > exact:
                twin[order[j]] = False
            deliver[chosen] = True
        idx = np.flatnonzero(deliver)
        mothers = women[idx]
        dates = random_dates(lo[idx], hi[idx], rng)
        n_kids = 1 + twin[idx]
        place = rng.choice(3, size=len(idx), p=[f.hospital_share, f.home_share, 1 - f.hospital_share - f.home_share])
        # children
        m_rep = np.repeat(mothers, n_kids)
        second = np.r_[False, m_rep[1:] == m_rep[:-1]]
        child_date = np.repeat(dates, n_kids)
        fathers = P["spouse"][m_rep]
        n = len(m_rep)
        sex = np.where(rng.random(n) < f.srb / (100 + f.srb), 1, 2).astype(np.int8)
        order_no = P["parity"][m_rep] + 1 + second
        plural = np.repeat(n_kids, n_kids)
        origin = np.where(P["reg"][m_rep] == REGISTERED, self.county, P["origin"][m_rep])
        kids = P.append(n, sex=sex, birth=child_date, eth=P["eth"][m_rep], hh=P["hh"][m_rep], mother=m_rep,
                        father=fathers, entry=child_date, entry_kind=1, last_ev=child_date,
                        reg=P["reg"][m_rep], origin=origin, birth_order=order_no, plurality=plural)
        P["parity"][mothers] += n_kids.astype(np.int16)
        P["last_birth"][mothers] = dates
        P["last_ev"][mothers] = np.maximum(P["last_ev"][mothers], dates)
        self.events.append(n, kind=BIRTH, date=child_date, person=kids, mother=m_rep, father=fathers,
                           order=order_no, plurality=plural, place=np.repeat(place, n_kids),
                           area=self.area_of(kids))
        # a newborn leaves with a mother who leaves later in the year
        gone = np.isin(P["status"][m_rep], (MOVED_OUT, DEPARTED)) & (P["exit"][m_rep] <= y1)
        for status, kind in ((MOVED_OUT, MOVE_OUT), (DEPARTED, MIGRANT_DEPARTURE)):
            sel = gone & (P["status"][m_rep] == status)
            if sel.any():
                county = self.events["other_county"][self._last_exit_event(m_rep[sel])]
                self.exit_persons(kids[sel], P["exit"][m_rep[sel]], status, kind, county)
        # deaths in the first year of life, before 31 December
        stay = kids[~gone & (child_date < y1)]
        frac = (y1 - P["birth"][stay]) / 365.0
        die = stay[rng.random(len(stay)) < self.qx[0, P["sex"][stay] - 1] * frac]
        self.exit_persons(die, random_dates(P["birth"][die].astype(np.int64) + 1, y1, rng), DECEASED, DEATH)

    def _last_exit_event(self, who: np.ndarray) -> np.ndarray:
        E = self.events
        kinds = np.isin(E["kind"], (MOVE_OUT, MIGRANT_DEPARTURE))
        rows = np.flatnonzero(kinds)
        pos = {int(p): int(r) for p, r in zip(E["person"][rows], rows, strict=True)}
        return np.array([pos[int(w)] for w in who], dtype=np.int64)

    def _marriages(self, at_start: np.ndarray, age: np.ndarray, y0: int, y1: int) -> None:
        P, rng = self.persons, self.rng
        ok = at_start & (P["status"] == PRESENT) & (P["exit"] == NO_DATE) & (P["reg"] == REGISTERED) \
            & (P["marital"] == NEVER_MARRIED)
        ag = np.clip(age, 0, 110)
        brides = np.flatnonzero(ok & (P["sex"] == 2) & (rng.random(len(P)) < self.h_f[ag]))
        men_w = np.where(ok & (P["sex"] == 1), self.h_m[ag], 0.0)
        grooms = weighted_choice_without_replacement(men_w, len(brides), rng)
        brides = brides[rng.permutation(len(brides))][: len(grooms)]
        self.marry(brides, grooms, age, y0, y1)

    def marry(self, brides: np.ndarray, grooms: np.ndarray, age: np.ndarray, y0: int, y1: int,
              adjustment: int = 0) -> int:
        """First marriages of ``brides`` to as many ``grooms`` paired by age rank (the groom ≈ 2 years
        older), each dated after both partners' last event in [y0, y1]; returns the marriages made."""
        P, rng, nup = self.persons, self.rng, self.p.nuptiality
        brides = brides[np.argsort(age[brides] + 2.0 + rng.normal(0, 2.0, len(brides)), kind="stable")]
        grooms = grooms[np.argsort(age[grooms] + rng.random(len(grooms)), kind="stable")]
        lo = np.maximum(np.maximum(P["last_ev"][brides], P["last_ev"][grooms]).astype(np.int64) + 1, y0)
        keep = lo <= y1
        brides, grooms, lo = brides[keep], grooms[keep], lo[keep]
        dates = random_dates(lo, y1, rng)
        n = len(brides)
        P["marital"][brides] = P["marital"][grooms] = FIRST_MARRIAGE
        P["spouse"][brides], P["spouse"][grooms] = grooms, brides
        P["last_ev"][brides] = P["last_ev"][grooms] = dates
        g_area = self.area_of(grooms)
        self.events.append(n, kind=MARRIAGE, date=dates, person=grooms, spouse=brides, area=g_area,
                           adjustment=adjustment)
        # the couple stays in the groom's parents' household or sets up its own
        stay_p = np.where(self.areas.urban[g_area], nup.stay_with_parents_urban, nup.stay_with_parents_rural)
        own = (P["mother"][grooms] == NONE) | (rng.random(n) >= stay_p)
        new_h = self.new_households(g_area[own], dates[own])
        P["hh"][grooms[own]] = new_h
        b_area = self.area_of(brides)
        P["hh"][brides] = P["hh"][grooms]
        moved = b_area != g_area
        self.events.append(int(moved.sum()), kind=RESIDENCE_CHANGE, date=dates[moved], person=brides[moved],
                           area=g_area[moved], from_area=b_area[moved], to_area=g_area[moved],
                           adjustment=adjustment)
        return n

    def _divorces(self, at_start: np.ndarray, y0: int, y1: int) -> None:
        P, rng = self.persons, self.rng
        wives = np.flatnonzero(at_start & (P["sex"] == 2) & (P["status"] == PRESENT) & (P["exit"] == NO_DATE)
                               & (P["marital"] == FIRST_MARRIAGE) & (P["spouse"] != NONE))
        wives = wives[rng.random(len(wives)) < self.p.nuptiality.divorce_rate]
        husbands = P["spouse"][wives]
        ok = (P["status"][husbands] == PRESENT) & (P["exit"][husbands] == NO_DATE)
        wives, husbands = wives[ok], husbands[ok]
        lo = np.maximum(np.maximum(P["last_ev"][wives], P["last_ev"][husbands]).astype(np.int64) + 1, y0)
        ok = lo <= y1
        wives, husbands, lo = wives[ok], husbands[ok], lo[ok]
        dates = random_dates(lo, y1, rng)
        self.events.append(len(wives), kind=DIVORCE, date=dates, person=husbands, spouse=wives,
                           area=self.area_of(husbands))
        P["marital"][wives] = P["marital"][husbands] = DIVORCED
        P["spouse"][wives] = P["spouse"][husbands] = NONE
        P["last_ev"][wives] = P["last_ev"][husbands] = dates
        P["hh"][wives] = self.new_households(self.area_of(wives), dates)

    def _internal_moves(self, at_start: np.ndarray, y0: int, y1: int) -> None:
        P, H, rng = self.persons, self.households, self.rng
        present = P["status"] == PRESENT
        blocked = np.zeros(len(H), dtype=bool)
        blocked[P["hh"][present & ((P["exit"] != NO_DATE) | ~at_start)]] = True
        blocked[P["hh"][~present]] = True
        move = (rng.random(len(H)) < self.p.migration.internal_move_rate) & ~blocked & (H["kind"] == REGISTERED)
        who = np.flatnonzero(present & move[P["hh"]])
        self.relocate(who, y0, y1, adjustment=0)

    def relocate(self, who: np.ndarray, y0: int, y1: int, adjustment: int,
                 to_area: np.ndarray | None = None) -> None:
        """Move the households of ``who`` (all present members given) to another leaf area."""
        P, H, rng = self.persons, self.households, self.rng
        if len(who) == 0:
            return
        uniq, inv = np.unique(P["hh"][who], return_inverse=True)
        lo = np.full(len(uniq), y0, dtype=np.int64)
        np.maximum.at(lo, inv, P["last_ev"][who].astype(np.int64) + 1)
        ok = lo <= y1
        old = H["area"][uniq]
        if to_area is None:
            shift = rng.integers(1, max(len(self.areas.codes), 2), len(uniq))
            to_area = ((old + shift) % len(self.areas.codes)).astype(np.int32)
        uniq, old, to_area, lo = uniq[ok], old[ok], to_area[ok], lo[ok]
        sel = ok[inv]
        who, inv2 = who[sel], np.searchsorted(uniq, P["hh"][who[sel]])
        dates = random_dates(lo, y1, rng)
        H["area"][uniq] = to_area
        P["last_ev"][who] = dates[inv2]
        self.events.append(len(who), kind=RESIDENCE_CHANGE, date=dates[inv2], person=who, area=to_area[inv2],
                           from_area=old[inv2], to_area=to_area[inv2], adjustment=adjustment)

    def _arrivals(self, y0: int, y1: int) -> None:
        P, m, rng = self.persons, self.p.migration, self.rng
        registered = int(((P["status"] == PRESENT) & (P["reg"] == REGISTERED)).sum())
        movers = int(rng.poisson(m.move_in_rate * registered))
        couples = int(rng.binomial(movers // 2, m.couple_share)) if m.couple_share > 0 else 0
        self.add_movers_in(movers - 2 * couples, y0, y1, adjustment=0)
        self.add_couples_in(couples, y0, y1, adjustment=0)
        self.add_migrants(int(rng.poisson(m.migrant_arrival_rate * registered)), y0, y1, adjustment=0)

    def add_movers_in(self, n: int, y0: int, y1: int, adjustment: int) -> np.ndarray:
        """n registered persons moving in from other counties (户口迁入), each a new one-person household."""
        P, rng = self.persons, self.rng
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        dist = migrant_age_distribution()
        dist[:16] = 0
        dist = dist / dist.sum()
        cell = rng.choice(dist.size, size=n, p=dist.ravel())
        age, sex = cell // 2, (cell % 2 + 1).astype(np.int8)
        dates = random_dates(y0, y1, rng, n)
        birth = (dates - age * 365.25 - rng.random(n) * 365).astype(np.int32)
        hh = self.new_households(choose_areas(self.areas, self.p.urban_share, n, rng), dates)
        county = self.random_counties(n)
        idx = P.append(n, sex=sex, birth=birth, hh=hh, entry=dates, entry_kind=ENTRY_MOVE_IN, last_ev=dates,
                       origin=county, eth=self.draw_ethnicity(n))
        self.events.append(n, kind=MOVE_IN, date=dates, person=idx, area=self.area_of(idx),
                           other_county=county, adjustment=adjustment)
        return idx

    def add_couples_in(self, n: int, y0: int, y1: int, adjustment: int) -> np.ndarray:
        """n married couples moving in together from other counties (户口迁入, e.g. a posting with the
        family), each a new household of two: the wife 20–44, the husband about two years older,
        at least the legal age. Returns the wives."""
        P, rng, nup = self.persons, self.rng, self.p.nuptiality
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        wife_age = rng.integers(max(nup.female_min_age, 20), 45, n)
        husband_age = np.maximum(wife_age + np.rint(rng.normal(2.0, 2.0, n)).astype(np.int64), nup.male_min_age)
        dates = random_dates(y0, y1, rng, n)
        hh = self.new_households(choose_areas(self.areas, self.p.urban_share, n, rng), dates)
        county = self.random_counties(n)
        idx = []
        for sex, age in ((2, wife_age), (1, husband_age)):
            birth = (dates - age * 365.25 - rng.random(n) * 365).astype(np.int32)
            idx.append(P.append(n, sex=np.full(n, sex, dtype=np.int8), birth=birth, hh=hh, entry=dates,
                                entry_kind=ENTRY_MOVE_IN, last_ev=dates, origin=county, eth=self.draw_ethnicity(n),
                                marital=np.full(n, FIRST_MARRIAGE, dtype=np.int8)))
        wives, husbands = idx
        P["spouse"][wives], P["spouse"][husbands] = husbands, wives
        both = np.r_[wives, husbands]
        self.events.append(2 * n, kind=MOVE_IN, date=np.r_[dates, dates], person=both, area=self.area_of(both),
                           other_county=np.r_[county, county], adjustment=adjustment)
        return wives

    def add_migrants(self, n: int, y0: int, y1: int, adjustment: int) -> np.ndarray:
        """About n resident migrants (流入人口) arriving in households from other counties."""
        P, H, rng = self.persons, self.households, self.rng
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        h0 = len(H)
        idx = build_base_population(self.p, self.areas, n, migrant_age_distribution(), y0, rng, P, H, migrant=True)
        new_h = np.arange(h0, len(H))
        dates = random_dates(y0, y1, rng, len(new_h))
        H["est"][new_h] = dates
        d = dates[P["hh"][idx] - h0]
        county = self.random_counties(len(new_h))[P["hh"][idx] - h0]
        eth = self.draw_ethnicity(len(new_h))[P["hh"][idx] - h0]
        P["entry"][idx] = P["last_ev"][idx] = d
        P["entry_kind"][idx] = ENTRY_MIGRANT
        P["origin"][idx], P["eth"][idx] = county, eth
        P["birth"][idx] = np.minimum(P["birth"][idx], d - 1)
        self.events.append(len(idx), kind=MIGRANT_ARRIVAL, date=d, person=idx, area=self.area_of(idx),
                           other_county=county, adjustment=adjustment)
        return idx

    def draw_ethnicity(self, n: int) -> np.ndarray:
        codes = np.array([int(c) for c, _ in self.p.ethnicity])
        share = np.array([s for _, s in self.p.ethnicity])
        return codes[self.rng.choice(len(codes), size=n, p=share / share.sum())].astype(np.int8)


def _stable(province: str) -> tuple[str, ...]:
    from .areas import stable_counties

    return stable_counties(province)

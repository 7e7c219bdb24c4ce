"""Base population of a synthetic county (基础人口): rates, persons and households.

Holds the demographic schedules every other part uses (age-specific fertility,
death probabilities, first-marriage schedule), the stable age structure
implied by them, the column store of persons and households, and the builder of
the base population at 1 January of the first simulated year with couples,
children linked to their mothers and fathers, and elderly parents living with a son.

Age convention: in calendar year Y a person's age is Y − birth year (the age reached
in the year, 周岁 at 31 December); rates are indexed by that age.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from .params import CountyParams, FertilityParams, MortalityParams, NuptialityParams

MAX_AGE = 110
NO_DATE = np.iinfo(np.int32).max
NONE = -1

# person status / registration codes used inside the simulation
PRESENT, DECEASED, MOVED_OUT, DEPARTED = 0, 1, 2, 3
REGISTERED, MIGRANT = 0, 1
# how a person entered the data
ENTRY_BASE, ENTRY_BIRTH, ENTRY_MOVE_IN, ENTRY_MIGRANT = 0, 1, 2, 3
# marital status, GB/T 2261.2
NEVER_MARRIED, FIRST_MARRIAGE, WIDOWED, DIVORCED = 10, 21, 30, 40


# ----------------------------------------------------------------------------- schedules
def fertility_schedule(f: FertilityParams, tfr: float | None = None) -> np.ndarray:
    """Age-specific fertility rates ASFR(a) for ages 0..49 (zero below 15), Σ = TFR.

    Gamma density of a − 14.5 with mean ``mean_age`` − 14.5 and sd ``sd_age``
    (a standard parametric schedule, e.g. Hoem et al. 1981), evaluated at single
    ages 15..49 and normalised so that the rates sum to the TFR.
    """
    a = np.arange(50, dtype=float)
    x = np.clip(a - 14.5, 0, None)
    theta = f.sd_age**2 / (f.mean_age - 14.5)
    k = (f.mean_age - 14.5) / theta
    dens = np.where(a >= 15, x ** (k - 1) * np.exp(-x / theta), 0.0)
    return dens / dens.sum() * (f.tfr if tfr is None else tfr)


def _siler_cumhazard(x: np.ndarray, level: float) -> np.ndarray:
    """∫₀ˣ μ for μ(t) = a1·e^(−b1 t) + a2 + a3·e^(b3 t), child and senescent terms × level."""
    a1, b1, a2, a3, b3 = 0.04, 1.3, 0.0006, 0.00003, 0.095
    return level * a1 * (1 - np.exp(-b1 * x)) / b1 + a2 * x + level * a3 * (np.exp(b3 * x) - 1) / b3


def _life_expectancy(level: float) -> float:
    x = np.arange(MAX_AGE + 2, dtype=float)
    lx = np.exp(-_siler_cumhazard(x, level))
    return float(((lx[:-1] + lx[1:]) / 2).sum())


def death_probabilities(e0: float) -> np.ndarray:
    """Yearly death probability q(x), x = 0..110, of a Siler hazard scaled to life expectancy e0.

    q(x) = 1 − exp(−∫ₓ^(x+1) μ); the level multiplying the child and senescent terms
    is found by root search so that e0 = Σ (l(x) + l(x+1))/2 (trapezoidal L(x)).
    q(110) = 1 closes the table.
    """
    level = brentq(lambda v: _life_expectancy(v) - e0, 1e-3, 100.0, xtol=1e-10)
    x = np.arange(MAX_AGE + 2, dtype=float)
    h = _siler_cumhazard(x, level)
    q = 1 - np.exp(-(h[1:] - h[:-1]))
    q[-1] = 1.0
    return q


def mortality_table(m: MortalityParams) -> np.ndarray:
    """Death probabilities by age (rows 0..110) and sex (column 0 male, 1 female)."""
    return np.stack([death_probabilities(m.e0_male), death_probabilities(m.e0_female)], axis=1)


def ever_married_share(n: NuptialityParams, female: bool) -> np.ndarray:
    """Proportion ever married by age 0..110: ever_married × Φ((a − mean)/sd), 0 below the legal age."""
    a = np.arange(MAX_AGE + 1, dtype=float)
    mean, min_age = (n.female_mean_age, n.female_min_age) if female else (n.male_mean_age, n.male_min_age)
    e = n.ever_married * ndtr((a - mean) / n.sd_age)
    e[a < min_age] = 0.0
    return e


def first_marriage_hazard(n: NuptialityParams, female: bool) -> np.ndarray:
    """Yearly probability that a never-married person of age a marries: (E(a) − E(a−1)) / (1 − E(a−1))."""
    e = ever_married_share(n, female)
    prev = np.r_[0.0, e[:-1]]
    return np.clip((e - prev) / (1 - prev), 0.0, 1.0)


def stable_age_distribution(p: CountyParams) -> np.ndarray:
    """Stable population shares by age 0..100 and sex (Lotka), under ``base_tfr`` and the mortality.

    r solves Σₐ e^(−r(a+½)) L_f(a) f(a) / (1 + SRB/100) = 1; then c(x, s) ∝ b_s e^(−r(x+½)) L_s(x)
    with b_m/b_f = SRB/100 (Keyfitz & Caswell, Applied Mathematical Demography, ch. 5).
    """
    q = mortality_table(p.mortality)
    lx = np.vstack([np.ones(2), np.cumprod(1 - q, axis=0)])
    Lx = (lx[:-1] + lx[1:]) / 2
    f = fertility_schedule(p.fertility, p.fertility.base_tfr)
    pf = 100.0 / (100.0 + p.fertility.srb)
    ages = np.arange(50) + 0.5
    r = brentq(lambda r: float((np.exp(-r * ages) * Lx[:50, 1] * f * pf).sum()) - 1.0, -0.2, 0.2)
    x = np.arange(101) + 0.5
    c = np.exp(-r * x)[:, None] * Lx[:101] * np.array([1 - pf, pf])
    return c / c.sum()


def migrant_age_distribution() -> np.ndarray:
    """Age–sex shares of resident labour migrants: young adults, some children, few over 60."""
    a = np.arange(101, dtype=float)
    w = 0.25 * np.exp(-(((a - 6) / 6) ** 2)) + np.exp(-(((a - 29) / 8) ** 2))
    w[a > 65] = 0
    c = np.stack([w * 1.1, w], axis=1)
    return c / c.sum()


# ----------------------------------------------------------------------------- column store
PERSON_DTYPES: dict[str, str] = {
    "sex": "i1", "birth": "i4", "eth": "i1", "marital": "i1", "hh": "i4", "mother": "i4", "father": "i4",
    "spouse": "i4", "parity": "i2", "last_birth": "i4", "status": "i1", "exit": "i4", "entry": "i4",
    "entry_kind": "i1", "last_ev": "i4", "reg": "i1", "origin": "i4", "birth_order": "i1",
    "plurality": "i1",
}
PERSON_DEFAULTS: dict[str, int] = {
    "mother": NONE, "father": NONE, "spouse": NONE, "parity": 0, "last_birth": -NO_DATE, "status": PRESENT,
    "exit": NO_DATE, "marital": NEVER_MARRIED, "birth_order": 0, "plurality": 1, "reg": REGISTERED,
}
HOUSEHOLD_DTYPES: dict[str, str] = {"area": "i4", "kind": "i1", "est": "i4"}


@dataclass
class Store:
    """Growable set of equal-length NumPy columns (persons or households)."""

    dtypes: dict[str, str]
    defaults: dict[str, int] = field(default_factory=dict)
    cols: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cols = {k: np.empty(0, dtype=v) for k, v in self.dtypes.items()}

    def __len__(self) -> int:
        return len(next(iter(self.cols.values())))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.cols[name] = value

    def append(self, n: int, **values: np.ndarray | int) -> np.ndarray:
        """Append n rows; unnamed columns get their default (or 0). Returns the new row indices."""
        start = len(self)
        for k, dt in self.dtypes.items():
            v = values.get(k, self.defaults.get(k, 0))
            new = np.broadcast_to(np.asarray(v, dtype=dt), (n,))
            self.cols[k] = np.concatenate([self.cols[k], new])
        return np.arange(start, start + n)


def new_person_store() -> Store:
    return Store(PERSON_DTYPES, PERSON_DEFAULTS)


def new_household_store() -> Store:
    return Store(HOUSEHOLD_DTYPES)


# ----------------------------------------------------------------------------- sampling helpers
def weighted_choice_without_replacement(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of k items drawn without replacement with probability ∝ weight (Efraimidis–Spirakis keys)."""
    u = rng.random(len(weights))
    with np.errstate(divide="ignore"):
        keys = np.where(weights > 0, np.log(u) / weights, -np.inf)
    k = min(k, int((weights > 0).sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    idx = np.argpartition(-keys, k - 1)[:k]
    return np.sort(idx)


def random_dates(start: np.ndarray | int, end: np.ndarray | int, rng: np.random.Generator,
                 n: int | None = None) -> np.ndarray:
    """Uniform integer day in [start, end] (inclusive), elementwise."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    size = n if n is not None else np.broadcast(start, end).shape
    return (start + np.floor(rng.random(size) * (end - start + 1))).astype(np.int32)


def year_start(year: int) -> int:
    return int((np.datetime64(f"{year}-01-01") - np.datetime64("1970-01-01")).astype(int))


@dataclass
class AreaIndex:
    """Leaf areas people live in, as arrays indexed by leaf number."""

    codes: list[str]
    urban: np.ndarray  # bool: urban–rural class 1xx
    weight: np.ndarray  # relative size of each leaf


def choose_areas(areas: AreaIndex, urban_share: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Leaf index for n new households: urban with probability ``urban_share``, then ∝ leaf weight."""
    out = np.empty(n, dtype=np.int32)
    is_urban = rng.random(n) < urban_share
    for flag in (True, False):
        leaves = np.flatnonzero(areas.urban == flag)
        if len(leaves) == 0:
            leaves = np.arange(len(areas.codes))
        sel = is_urban == flag
        w = areas.weight[leaves] / areas.weight[leaves].sum()
        out[sel] = leaves[rng.choice(len(leaves), size=int(sel.sum()), p=w)]
    return out


# ----------------------------------------------------------------------------- base population
def build_base_population(p: CountyParams, areas: AreaIndex, n: int, age_sex: np.ndarray, start: int,
                          rng: np.random.Generator, persons: Store, households: Store,
                          migrant: bool = False) -> np.ndarray:
    """Append n persons living in households, as of day ``start`` (1 January); returns their indices.

    Steps: ages and sexes from a multinomial draw on ``age_sex`` (rows age 0..100);
    marital status from the ever-married schedule and widowhood rising with age;
    married women paired by rank with as many men (≈2 years older); every couple and
    every other adult heads a household; children (<18, and never-married up to 24 with
    probability 0.6) are given a mother, chosen by the fertility schedule of her age at
    their birth, never two children of one mother within two birth years; elderly
    couples and widowed people live with a son with probability 0.55 (rural) or
    0.3 (urban).
    """
    counts = rng.multinomial(n, age_sex.ravel()).reshape(age_sex.shape)
    age = np.repeat(np.tile(np.arange(age_sex.shape[0]), 2), counts.T.ravel())
    sex = np.repeat([1, 2], counts.sum(axis=0)).astype(np.int8)
    birth = (start - 1 - (age * 365.25 + rng.random(n) * 365.0)).astype(np.int32)
    nup = p.nuptiality
    em_f, em_m = ever_married_share(nup, True), ever_married_share(nup, False)
    widowed = np.where(sex == 2, 0.7, 0.35) / (1 + np.exp(-(age - 72) / 7.0))
    ever = rng.random(n) < np.where(sex == 2, em_f[age], em_m[age])
    u = rng.random(n)
    marital = np.full(n, NEVER_MARRIED, dtype=np.int8)
    marital[ever & (u < widowed)] = WIDOWED
    marital[ever & (u >= widowed) & (u < widowed + 0.015)] = DIVORCED
    wives = np.flatnonzero(ever & (marital == NEVER_MARRIED) & (sex == 2))
    men_w = np.where((sex == 1) & ever & (marital == NEVER_MARRIED), 1.0, 0.0)
    husbands = weighted_choice_without_replacement(men_w, len(wives), rng)
    wives = wives[np.argsort(age[wives] + 2.0 + rng.normal(0, 2.0, len(wives)), kind="stable")]
    wives = wives[: len(husbands)]
    husbands = husbands[np.argsort(age[husbands] + rng.random(len(husbands)), kind="stable")]
    unpaired = ever & (marital == NEVER_MARRIED)
    unpaired[wives] = unpaired[husbands] = False
    marital[unpaired] = np.where(rng.random(int(unpaired.sum())) < 0.8, WIDOWED, DIVORCED)
    marital[wives] = marital[husbands] = FIRST_MARRIAGE
    spouse = np.full(n, NONE, dtype=np.int64)
    spouse[wives], spouse[husbands] = husbands, wives

    # children → mothers
    mother = np.full(n, NONE, dtype=np.int64)
    child_cand = (marital == NEVER_MARRIED) & ((age < 18) | ((age < 25) & (rng.random(n) < 0.6)))
    women = np.flatnonzero((sex == 2) & (marital != NEVER_MARRIED) & (age >= 15))
    asfr = fertility_schedule(p.fertility, p.fertility.base_tfr)
    pw = np.asarray(p.fertility.parity_weights)
    kids = np.zeros(n, dtype=np.int64)
    last_c = np.full(n, -10, dtype=np.int64)
    for c in range(25):
        children = np.flatnonzero(child_cand & (age == c))
        if len(children) == 0:
            continue
        at = age[women] - c
        w = np.where((at >= 15) & (at < 50), asfr[np.clip(at, 0, 49)], 0.0)
        w = w * pw[np.minimum(kids[women], len(pw) - 1)] * (last_c[women] != c - 1)
        chosen = women[weighted_choice_without_replacement(w, len(children), rng)]
        children = children[rng.permutation(len(children))][: len(chosen)]
        mother[children] = chosen
        kids[chosen] += 1
        last_c[chosen] = c

    # households: heads are husbands and unattached adults (and orphans)
    attached = (mother != NONE) | ((sex == 2) & (spouse != NONE))
    heads = np.flatnonzero(~attached)
    hh = np.full(n, NONE, dtype=np.int64)
    hh_local = np.arange(len(heads))
    hh[heads] = hh_local
    wives_all = np.flatnonzero((sex == 2) & (spouse != NONE))
    hh[wives_all] = hh[spouse[wives_all]]
    # children inherit the household of their mother; resolve chains (mother may be a child herself)
    for _ in range(4):
        kid = np.flatnonzero(mother != NONE)
        hh[kid] = hh[mother[kid]]
    area = choose_areas(areas, p.urban_share, len(heads), rng)

    # elderly co-residence with a son
    father = np.where(mother != NONE, spouse[np.maximum(mother, 0)], NONE)
    father[mother == NONE] = NONE
    size = np.bincount(hh, minlength=len(heads))
    head_age = age[heads]
    elderly_unit = (size[hh_local] <= 2) & (head_age >= 60)
    urban_h = areas.urban[area]
    merge = elderly_unit & (rng.random(len(heads)) < np.where(urban_h, 0.3, 0.55))
    sons = np.flatnonzero((sex == 1) & (spouse != NONE) & (mother == NONE) & (age >= 20))
    sons = sons[np.argsort(age[sons], kind="stable")]
    son_ages = age[sons]
    units = np.flatnonzero(merge)
    target = head_age[units] - rng.integers(22, 36, len(units))
    lo = np.searchsorted(son_ages, target, "left")
    hi = np.searchsorted(son_ages, target, "right")
    ok = hi > lo
    units, lo, hi = units[ok], lo[ok], hi[ok]
    pick = sons[lo + (rng.random(len(units)) * (hi - lo)).astype(np.int64)]
    pick, first = np.unique(pick, return_index=True)
    units = units[first]
    son_hh = hh[pick]
    unit_head = heads[units]
    unit_wife = spouse[unit_head]
    has_old = (son_hh != units)
    pick, units, unit_head, unit_wife, son_hh = (pick[has_old], units[has_old], unit_head[has_old],
                                                 unit_wife[has_old], son_hh[has_old])
    old_female = np.where(sex[unit_head] == 2, unit_head, unit_wife)
    old_male = np.where(sex[unit_head] == 1, unit_head, unit_wife)
    mother[pick] = np.where((old_female != NONE) & (age[np.maximum(old_female, 0)] - age[pick] >= 18),
                            old_female, NONE)
    father[pick] = np.where((old_male != NONE) & (age[np.maximum(old_male, 0)] - age[pick] >= 18), old_male, NONE)
    remap = np.arange(len(heads))
    remap[units] = son_hh
    hh = remap[hh]

    # renumber households densely and append
    used, hh_dense = np.unique(hh, return_inverse=True)
    hidx = households.append(len(used), area=area[used], kind=int(migrant), est=start - 1)
    base = len(persons)
    link = lambda a: np.where(a != NONE, a + base, NONE)  # noqa: E731
    kid_sorted = np.lexsort((birth, mother))
    order = np.zeros(n, dtype=np.int64)
    m_sorted = mother[kid_sorted]
    first_of = np.r_[True, m_sorted[1:] != m_sorted[:-1]]
    run = np.arange(n) - np.maximum.accumulate(np.where(first_of, np.arange(n), 0))
    order[kid_sorted] = run + 1
    order[mother == NONE] = 0
    parity = np.bincount(mother[mother != NONE], minlength=n)
    last_birth = np.full(n, -NO_DATE, dtype=np.int64)
    has_kids = mother != NONE
    np.maximum.at(last_birth, mother[has_kids], birth[has_kids])
    idx = persons.append(
        n, sex=sex, birth=birth, marital=marital, hh=hidx[hh_dense], mother=link(mother), father=link(father),
        spouse=link(spouse), parity=parity, last_birth=last_birth, entry=start - 1, entry_kind=ENTRY_BASE,
        last_ev=start - 1, reg=int(migrant), birth_order=order, eth=0, origin=0,
    )
    return idx

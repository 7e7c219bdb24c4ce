"""Register cubes (个案汇总立方): every register-derived count of one area cell and one period, in arrays.

A cube holds, for one village (or the records placed directly on a higher area) and one period,
the populations by basis × sex × age at the start and the end, births by sex × order × place ×
mother's age, deaths by sex × age, migrations, marriages and persons served. Cubes add up: the
cube of a township is the sum of the cubes of the cells under it, so an incremental update
recomputes only the cells touched and re-adds — the same function a full recompute uses.

Register operands ``R{code.key=value,…}`` of indicator expressions are slices of a cube
(:func:`resolve`). Pure NumPy: no Django here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping

import numpy as np

from .expressions import Reference

AGES = 101
POP_BASES = ("registered", "resident", "inflow", "outflow")
EVENT_BASES = ("registered", "resident")
ONS = ("start", "end")
EVENT_KINDS = ("marriage", "divorce", "move_in", "move_out", "migrant_arrival", "migrant_departure",
               "residence_change")
SERVICE_TYPES = ("reproductive_health_check", "premarital_check", "prenatal_care", "postnatal_visit",
                 "contraceptive_counselling", "contraceptive_method", "cervical_screening", "breast_screening",
                 "infertility_counselling", "child_care_guidance", "elder_care", "other")
PLACES = ("facility", "home", "other")
UNKNOWN_AGE = AGES  # births whose mother's age is unknown sit in the last column
VERSION = 2  # 2: provisional (not yet registered) births, deaths and events counted apart


def _layout() -> list[tuple[str, tuple[int, ...]]]:
    out: list[tuple[str, tuple[int, ...]]] = []
    for basis in POP_BASES:
        for on in ONS:
            out.append((f"pop.{basis}.{on}", (2, AGES)))
    for basis in EVENT_BASES:
        for on in ONS:
            out.append((f"married.{basis}.{on}", (AGES,)))
        out.append((f"contra.{basis}", (AGES,)))
        out.append((f"births.{basis}", (2, 4, len(PLACES), AGES + 1)))
        out.append((f"births_late.{basis}", (2,)))
        out.append((f"births_timely.{basis}", (2,)))
        out.append((f"deaths.{basis}", (2, AGES)))
        out.append((f"births_provisional.{basis}", (2,)))
        out.append((f"deaths_provisional.{basis}", (2,)))
    out.append(("events", (len(EVENT_KINDS),)))
    out.append(("events_provisional", (len(EVENT_KINDS),)))
    out.append(("served", (len(SERVICE_TYPES),)))
    return out


LAYOUT = _layout()
SIZE = sum(int(np.prod(s)) for _n, s in LAYOUT)

Cube = dict[str, np.ndarray]


def empty() -> Cube:
    return {name: np.zeros(shape, dtype=np.int64) for name, shape in LAYOUT}


def total(cubes: Iterable[Cube]) -> Cube:
    """Sum of cubes (the cube of the union of their cells)."""
    out = empty()
    for c in cubes:
        for name in out:
            out[name] += c[name]
    return out


def encode(cube: Cube) -> bytes:
    flat = np.concatenate([cube[name].ravel() for name, _s in LAYOUT]).astype("<i4")
    return bytes([VERSION]) + zlib.compress(flat.tobytes(), 1)


def decode(blob: bytes) -> Cube:
    if not blob or blob[0] != VERSION:
        raise ValueError("cube of another layout version: recompute it")
    flat = np.frombuffer(zlib.decompress(blob[1:]), dtype="<i4").astype(np.int64)
    out: Cube = {}
    pos = 0
    for name, shape in LAYOUT:
        n = int(np.prod(shape))
        out[name] = flat[pos: pos + n].reshape(shape).copy()
        pos += n
    return out


# --------------------------------------------------------------------------- operands
OPERANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # code: (中文, English, accepted parameters)
    "population": ("时点人口", "population at the start or end of the period", ("basis", "on", "sex", "age")),
    "mean_population": ("平均人口", "mean population = (start + end) ÷ 2", ("basis", "sex", "age")),
    "married_women": ("已婚妇女", "married women at the start or end", ("basis", "on", "age")),
    "mean_married_women": ("平均已婚妇女", "mean married women", ("basis", "age")),
    "contraceptive_users": ("采取避孕措施的已婚妇女", "married women using a method (either spouse), at the end",
                            ("basis", "age")),
    "births": ("出生人数", "births counted in the period", ("basis", "sex", "order", "place", "mother_age")),
    "births_late": ("补报出生", "late reports of earlier births found in the period", ("basis", "sex")),
    "births_timely": ("及时登记出生", "births registered within the legal period (30 days)", ("basis", "sex")),
    "deaths": ("死亡人数", "deaths counted in the period", ("basis", "sex", "age")),
    "births_provisional": ("待核实出生", "births declared, not yet registered: provisional, not in the births",
                           ("basis", "sex")),
    "deaths_provisional": ("待核实死亡", "deaths declared, not yet registered: provisional, not in the deaths",
                           ("basis", "sex")),
    "tfr": ("总和生育率", "total fertility rate: sum of single-year ASFR 15–49, per woman", ("basis",)),
    "persons_served": ("享受服务人数", "persons who received a service", ("type",)),
}
for _kind, _zh in zip(EVENT_KINDS, ("结婚", "离婚", "迁入", "迁出", "流入", "流出", "住址变更"), strict=True):
    OPERANDS[f"{_kind}_count"] = (_zh, f"{_kind.replace('_', ' ')} events counted in the period", ())
    OPERANDS[f"{_kind}_provisional_count"] = (f"待核实{_zh}", f"{_kind.replace('_', ' ')} events declared, "
                                              "not yet registered (provisional)", ())
PROVISIONAL = {"births": "births_provisional", "deaths": "deaths_provisional",
               **{f"{k}_count": f"{k}_provisional_count" for k in EVENT_KINDS}}
"""The provisional counterpart of each official event operand (shown beside it, never added to it)."""


def _age_slice(value: str | None) -> slice:
    if value is None:
        return slice(0, AGES)
    lo, _sep, hi = value.partition("-")
    a = int(lo)
    b = int(hi) if hi else a
    if not (0 <= a <= b <= AGES - 1):
        raise ValueError(f"age {value!r}: expected a–b within 0–100 (100 = 100 and over)")
    return slice(a, b + 1)


def _sex_index(value: str | None) -> slice:
    if value is None:
        return slice(0, 2)
    if value not in ("1", "2"):
        raise ValueError(f"sex {value!r}: expected 1 (male) or 2 (female)")
    s = int(value) - 1
    return slice(s, s + 1)


def _check(code: str, params: Mapping[str, str]) -> None:
    if code not in OPERANDS:
        raise ValueError(f"未知的个案派生值 R{{{code}}} / unknown register value R{{{code}}} "
                         f"(known: {', '.join(sorted(OPERANDS))})")
    extra = set(params) - set(OPERANDS[code][2])
    if extra:
        raise ValueError(f"R{{{code}}} 不接受参数 {sorted(extra)} / R{{{code}}} takes no parameter {sorted(extra)}")


def validate(ref: Reference) -> None:
    """Raise ``ValueError`` when ``ref`` is not a known register operand with valid parameters."""
    resolve(empty(), ref)


def resolve(cube: Cube, ref: Reference) -> float | None:
    """Value of the register operand ``ref`` in ``cube``."""
    value = resolve_many({name: arr[None] for name, arr in cube.items()}, ref)
    return None if np.isnan(value[0]) else float(value[0])


def resolve_many(stack: Cube, ref: Reference) -> np.ndarray:
    """Values of the register operand ``ref`` for a stack of cubes (arrays with the cubes on the
    first axis), as floats; NaN where there is no value (a TFR without women)."""
    params = dict(ref.params)
    _check(ref.code, params)
    code = ref.code
    basis = params.get("basis", "registered")
    if code in ("population", "mean_population", "married_women", "mean_married_women", "contraceptive_users",
                "births", "births_late", "births_timely", "deaths", "tfr", "births_provisional",
                "deaths_provisional"):
        bases = POP_BASES if code in ("population", "mean_population") else EVENT_BASES
        if basis not in bases:
            raise ValueError(f"basis {basis!r}: expected one of {', '.join(bases)}")
    age = _age_slice(params.get("age"))
    sex = _sex_index(params.get("sex"))
    every = slice(None)

    def total(arr: np.ndarray) -> np.ndarray:
        return arr.reshape(arr.shape[0], -1).sum(axis=1).astype(float)

    if code in ("population", "mean_population", "married_women", "mean_married_women"):
        on = "mean" if code.startswith("mean_") else params.get("on", "end")
        if on not in (*ONS, "mean"):
            raise ValueError(f"on {on!r}: expected start, end or mean")
        name = "pop" if code.endswith("population") else "married"
        index = (every, sex, age) if name == "pop" else (every, age)
        if on == "mean":
            return (total(stack[f"{name}.{basis}.start"][index]) + total(stack[f"{name}.{basis}.end"][index])) / 2
        return total(stack[f"{name}.{basis}.{on}"][index])
    if code == "contraceptive_users":
        return total(stack[f"contra.{basis}"][every, age])
    if code == "births":
        b = stack[f"births.{basis}"][every, sex]
        order = params.get("order")
        if order is not None:
            if order not in ("0", "1", "2", "3"):
                raise ValueError(f"order {order!r}: expected 1, 2, 3 (third and higher) or 0 (unknown)")
            b = b[:, :, int(order): int(order) + 1]
        place = params.get("place")
        if place is not None:
            if place not in PLACES:
                raise ValueError(f"place {place!r}: expected one of {', '.join(PLACES)}")
            i = PLACES.index(place)
            b = b[:, :, :, i: i + 1]
        mage = params.get("mother_age")
        if mage is not None:
            b = b[..., _age_slice(mage)]
        return total(b)
    if code in ("births_late", "births_timely", "births_provisional", "deaths_provisional"):
        return total(stack[f"{code}.{basis}"][every, sex])
    if code == "deaths":
        return total(stack[f"deaths.{basis}"][every, sex, age])
    if code == "tfr":
        return tfr_many(stack, basis)
    if code == "persons_served":
        t = params.get("type")
        if t is None:
            return total(stack["served"])
        if t not in SERVICE_TYPES:
            raise ValueError(f"type {t!r}: expected one of {', '.join(SERVICE_TYPES)}")
        return stack["served"][:, SERVICE_TYPES.index(t)].astype(float)
    if code.endswith("_provisional_count"):
        return stack["events_provisional"][:, EVENT_KINDS.index(code.removesuffix("_provisional_count"))].astype(float)
    kind = code.removesuffix("_count")
    return stack["events"][:, EVENT_KINDS.index(kind)].astype(float)


def asfr(cube: Cube, basis: str = "registered") -> np.ndarray:
    """Age-specific fertility rates 15–49 (per woman): births to mothers aged x ÷ mean women aged x."""
    return asfr_many({name: arr[None] for name, arr in cube.items()}, basis)[0]


def asfr_many(stack: Cube, basis: str = "registered") -> np.ndarray:
    """Age-specific fertility rates 15–49 of a stack of cubes: shape (cubes, 35)."""
    births_by_age = stack[f"births.{basis}"].sum(axis=(1, 2, 3))[:, 15:50].astype(float)
    women = (stack[f"pop.{basis}.start"][:, 1, 15:50] + stack[f"pop.{basis}.end"][:, 1, 15:50]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(women > 0, births_by_age / np.where(women > 0, women, 1), 0.0)


def tfr(cube: Cube, basis: str = "registered") -> float | None:
    """Total fertility rate (总和生育率) = Σ single-year ASFR 15–49; None without women of those ages."""
    value = tfr_many({name: arr[None] for name, arr in cube.items()}, basis)[0]
    return None if np.isnan(value) else float(value)


def tfr_many(stack: Cube, basis: str = "registered") -> np.ndarray:
    """TFR of a stack of cubes; NaN where there are no women aged 15–49 at either end."""
    women = stack[f"pop.{basis}.end"][:, 1, 15:50].sum(axis=1) + stack[f"pop.{basis}.start"][:, 1, 15:50].sum(axis=1)
    return np.where(women == 0, np.nan, asfr_many(stack, basis).sum(axis=1))


# --------------------------------------------------------------------------- stacks
def stack_zeros(n: int) -> np.ndarray:
    """``n`` empty cubes as one (n, SIZE) array (see :func:`views`)."""
    return np.zeros((n, SIZE), dtype=np.int64)


def views(flat: np.ndarray) -> Cube:
    """Named views into an (n, SIZE) array of cubes: each name's array with the cubes first."""
    out: Cube = {}
    pos = 0
    for name, shape in LAYOUT:
        size = int(np.prod(shape))
        out[name] = flat[:, pos: pos + size].reshape(flat.shape[0], *shape)
        pos += size
    return out


def row(flat: np.ndarray, i: int) -> Cube:
    """The i-th cube of an (n, SIZE) array, as a plain cube (copies)."""
    return {name: arr[0].copy() for name, arr in views(flat[i: i + 1]).items()}


def encode_row(values: np.ndarray) -> bytes:
    """Encoded form of one cube given as a row of SIZE counts (same bytes as :func:`encode`)."""
    return bytes([VERSION]) + zlib.compress(values.astype("<i4").tobytes(), 1)


def decode_many(blobs: list[bytes]) -> np.ndarray:
    """Stored cubes as one (n, SIZE) array."""
    out = stack_zeros(len(blobs))
    for i, blob in enumerate(blobs):
        if not blob or blob[0] != VERSION:
            raise ValueError("cube of another layout version: recompute it")
        out[i] = np.frombuffer(zlib.decompress(blob[1:]), dtype="<i4")
    return out


def rollup(cells: list[str], flat: np.ndarray, prefixes: list[str]) -> np.ndarray:
    """Cube of every prefix = sum of the cubes of the cells starting with it; ``cells`` sorted and of one
    length, so each prefix is a contiguous run of rows. Returns (len(prefixes), SIZE)."""
    keys = np.array(cells, dtype=f"U{max((len(c) for c in cells), default=1)}")
    out = stack_zeros(len(prefixes))
    for j, p in enumerate(prefixes):
        lo = int(np.searchsorted(keys, p, side="left"))
        hi = int(np.searchsorted(keys, p + "\U0010ffff", side="left"))
        if hi > lo:
            out[j] = flat[lo:hi].sum(axis=0)
    return out

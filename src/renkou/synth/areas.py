"""Area tree of a synthetic county: county → townships → villages (→ village groups).

Codes follow the statistical division code (统计用区划代码): 12 digits = 6 county
(GB/T 2260) + 3 township + 3 village, plus the family-planning system's 3-digit
village-group (村民小组) extension.  Township ranges: 001–099 subdistrict 街道,
100–199 town 镇, 200–399 township 乡, 400–599 special area; village ranges:
001–199 residents' committee 居委会, 200–399 villagers' committee 村委会.
Urban–rural classes: 111 main urban, 112 fringe, 121 town centre, 122 town–village
fringe, 123 special area, 210 township centre, 220 village.

County names and their validity periods come from the table python-stdnum ships
(``stdnum/cn/loc.dat``), read through :func:`stdnum.numdb.get`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from stdnum import numdb

from .params import AreaStructure

LEVEL_COUNTY = "county"
LEVEL_TOWNSHIP = "township"
LEVEL_VILLAGE = "village"
LEVEL_GROUP = "group"


@dataclass(frozen=True)
class AreaNode:
    """One division: code (6, 9→12, 12 or 15 digits), name, level, urban–rural class, parent."""

    code: str
    name: str
    level: str
    urban_rural: str
    parent_code: str


@dataclass(frozen=True)
class LocEntry:
    """A 6-digit address code of stdnum's table with its name and validity years."""

    code: str
    name: str
    start: int | None
    end: int | None

    def valid_in(self, year: int) -> bool:
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


def _parse_county_field(code: str, text: str) -> list[LocEntry]:
    entries = []
    for part in text.split(","):
        start = end = None
        if part.startswith("["):
            span, part = part[1:].split("]", 1)
            lo, hi = span.split("-")
            start = int(lo) if lo else None
            end = int(hi) if hi else None
        entries.append(LocEntry(code, part, start, end))
    return entries


@lru_cache(maxsize=1)
def loc_entries() -> tuple[LocEntry, ...]:
    """All county-level entries of stdnum's ``cn/loc`` table, in code order."""
    db = numdb.get("cn/loc")
    out: list[LocEntry] = []
    for _length, low, _high, _props, children in db.prefixes:
        for _clen, clow, chigh, cprops, _cc in children:
            if "county" not in cprops or clow != chigh:
                continue
            out.extend(_parse_county_field(low + clow, cprops["county"]))
    return tuple(sorted(out, key=lambda e: (e.code, e.start or 0)))


def county_name(code: str, year: int | None = None) -> str:
    """Name of a 6-digit county code from stdnum's table (the one valid in ``year`` if given)."""
    names = [e for e in loc_entries() if e.code == code]
    if not names:
        raise ValueError(f"county code {code} is not in the GB/T 2260 table shipped with python-stdnum")
    if year is not None:
        for e in names:
            if e.valid_in(year):
                return e.name
    return names[-1].name


@lru_cache(maxsize=1)
def _entries_by_code() -> dict[str, tuple[LocEntry, ...]]:
    out: dict[str, list[LocEntry]] = {}
    for e in loc_entries():
        out.setdefault(e.code, []).append(e)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def _entries_by_stem() -> dict[tuple[str, str], tuple[tuple[int, LocEntry], ...]]:
    """(position in the table, entry) by (province, name without its last character)."""
    out: dict[tuple[str, str], list[tuple[int, LocEntry]]] = {}
    for i, e in enumerate(loc_entries()):
        out.setdefault((e.code[:2], e.name[:-1]), []).append((i, e))
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=65536)
def address_code_valid_in(code: str, year: int) -> str:
    """The address code an ID number of a person born in ``year`` in county ``code`` carries.

    GB 11643 numbers carry the code in force when issued; stdnum accepts a number only
    if its code existed in the birth year.  So for a birth before the county got its
    present code we use the earlier code of the same-named county (e.g. 息烽县 522523
    before 1995, 任丘县 132933 before 1986), else the prefecture's, else the province's code.
    """
    by_code = _entries_by_code()
    own = by_code.get(code, ())
    if any(e.valid_in(year) for e in own):
        return code
    stems = {e.name[:-1] for e in own}  # 任丘县 → 任丘市: same place, new suffix
    by_stem = _entries_by_stem()
    same_place = sorted(pe for stem in stems for pe in by_stem.get((code[:2], stem), ()))
    for _i, e in same_place:
        if e.valid_in(year):
            return e.code
    for fallback in (code[:4] + "00", code[:2] + "0000"):
        if any(e.valid_in(year) for e in by_code.get(fallback, ())):
            return fallback
    raise ValueError(f"no address code valid in {year} for county {code}")


@lru_cache(maxsize=64)
def stable_counties(province: str) -> tuple[str, ...]:
    """Codes of real counties (not 市辖区 placeholders) of a province that exist today.

    Persons born before such a code existed get the code valid in their birth year
    (:func:`address_code_valid_in`)."""
    return tuple(e.code for e in loc_entries()
                 if e.code[:2] == province and e.end is None
                 and e.code[4:] != "00" and e.name not in ("市辖区", "县", "省直辖县级行政区划"))


def read_township_list(path: str | Path, county_code: str) -> tuple[tuple[str, str], ...]:
    """Real townships of a county from a ``streets.csv`` (columns code,name,areaCode,…)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [(r["code"], r["name"]) for r in csv.DictReader(fh) if r["areaCode"] == county_code]
    return tuple(sorted(rows))


_SYLLABLES = ("东", "西", "南", "北", "新", "和", "平", "安", "兴", "河", "山", "林", "石", "桥", "泉",
              "阳", "清", "永", "丰", "华", "长", "宁", "龙", "马", "金", "花", "青", "沙", "湖", "塘",
              "坪", "坝", "营", "庄", "岗", "湾", "屯", "口", "堡", "寨", "田", "柳", "杨", "王", "高")


def _place_name(rng: np.random.Generator) -> str:
    a, b = rng.integers(0, len(_SYLLABLES), 2)
    return _SYLLABLES[a] + _SYLLABLES[b]


def _township_codes(s: AreaStructure) -> list[tuple[int, str]]:
    out = [(1 + i, "街道") for i in range(s.subdistricts)]
    out += [(100 + i, "镇") for i in range(s.towns)]
    out += [(200 + i, "乡") for i in range(s.townships)]
    out += [(500 + i, "开发区") for i in range(s.special_areas)]
    return out


def _suffix_kind(name: str, code3: int) -> str:
    if code3 < 100:
        return "街道"
    if code3 < 200:
        return "镇"
    if code3 < 400:
        return "乡"
    return "开发区"


def generate_area_tree(county_code: str, structure: AreaStructure, rng: np.random.Generator,
                       township_names: tuple[tuple[str, str], ...] = ()) -> list[AreaNode]:
    """County, townships, villages (and village groups) with valid statistical codes.

    Residents' committees are spread over subdistricts and towns (all of them to the
    subdistricts and towns, round robin), villagers' committees over towns and
    townships.  With ``township_names`` (real 9-digit codes and names, e.g. from
    :func:`read_township_list`) those townships are used instead of generated ones.
    """
    nodes = [AreaNode(county_code, county_name(county_code), LEVEL_COUNTY, "", "")]
    if township_names:
        towns = [(int(c[6:9]), n) for c, n in township_names]
    else:
        towns = [(c3, _place_name(rng) + kind) for c3, kind in _township_codes(structure)]
    kinds = [_suffix_kind(n, c3) for c3, n in towns]
    urban_idx = [i for i, k in enumerate(kinds) if k in ("街道", "镇", "开发区")] or list(range(len(towns)))
    rural_idx = [i for i, k in enumerate(kinds) if k in ("镇", "乡")] or list(range(len(towns)))
    villages: list[list[tuple[int, str, str]]] = [[] for _ in towns]
    for j in range(structure.residents_committees):
        i = urban_idx[j % len(urban_idx)]
        cls = {"街道": "111", "镇": "121", "开发区": "123"}.get(kinds[i], "210")
        villages[i].append((1 + sum(1 for v in villages[i] if v[0] < 200), _place_name(rng) + "社区", cls))
    for j in range(structure.villages):
        i = rural_idx[j % len(rural_idx)]
        n_vc = sum(1 for v in villages[i] if v[0] >= 200)
        cls = "220" if n_vc else ("122" if kinds[i] == "镇" else "210")
        villages[i].append((200 + n_vc, _place_name(rng) + "村", cls))
    for (c3, tname), vlist in zip(towns, villages, strict=True):
        tcode = f"{county_code}{c3:03d}000"
        nodes.append(AreaNode(tcode, tname, LEVEL_TOWNSHIP, "", county_code))
        for v3, vname, cls in vlist:
            nodes.append(AreaNode(f"{county_code}{c3:03d}{v3:03d}", vname, LEVEL_VILLAGE, cls, tcode))
    if structure.village_groups:
        rural = [n for n in nodes if n.level == LEVEL_VILLAGE and n.code[9:] >= "200"]
        counts = np.full(len(rural), structure.village_groups // len(rural))
        counts[: structure.village_groups % len(rural)] += 1
        for v, k in zip(rural, counts, strict=True):
            nodes.extend(AreaNode(f"{v.code}{g:03d}", f"{v.name}{g}组", LEVEL_GROUP, v.urban_rural, v.code)
                         for g in range(1, k + 1))
    return nodes


def leaf_areas(nodes: list[AreaNode]) -> list[AreaNode]:
    """Areas people live in: village groups where a village has them, else villages."""
    parents = {n.parent_code for n in nodes if n.level == LEVEL_GROUP}
    return [n for n in nodes if (n.level == LEVEL_GROUP) or (n.level == LEVEL_VILLAGE and n.code not in parents)]

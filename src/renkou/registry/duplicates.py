"""Probable duplicates (疑似重复): pinyin name keys with polyphones, and the match rule.

A name's keys are every toneless pinyin reading of it (pypinyin with ``heteronym=True``), so
单 read *shan* or *dan*, 曾 *zeng* or *ceng*, 乐 *le* or *yue* all meet their homophones and their
mis-typed variants. Two records are a probable duplicate when they share a key, were born within
:data:`BIRTH_WINDOW_DAYS` of each other, and have the same mother or the same area.
Exact ID-number duplicates are refused outright by the database, not queued here.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, pinyin

BIRTH_WINDOW_DAYS = 7
MAX_KEYS = 16


@lru_cache(maxsize=50_000)
def char_readings(ch: str) -> tuple[str, ...]:
    """Toneless readings of one character, the most common first (``()`` for non-Chinese)."""
    r = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    if not r or not r[0]:
        return ()
    seen: list[str] = []
    for x in r[0]:
        if x not in seen:
            seen.append(x)
    return tuple(seen)


def pinyin_text(name: str) -> str:
    """The most common reading, toneless, syllables separated by spaces: 张三 → ``zhang san``.

    Names are read character by character (a name is not a phrase of the dictionary); characters
    are cached, so a million names cost a few thousand dictionary look-ups.
    """
    out = []
    for ch in name.strip():
        r = char_readings(ch)
        if r:
            out.append(r[0])
        elif ch.isascii() and ch.isalnum():
            out.append(ch.lower())
    return " ".join(out)


@lru_cache(maxsize=200_000)
def name_keys(name: str) -> frozenset[str]:
    """Every toneless reading of a name (polyphones expanded, capped), spaces removed."""
    readings = [char_readings(ch) for ch in name.strip()]
    readings = [r for r in readings if r]
    if not readings:
        return frozenset()
    return frozenset("".join(combo) for combo in itertools.islice(itertools.product(*readings), MAX_KEYS))


@dataclass(frozen=True)
class Candidate:
    """A person record reduced to what matching needs."""

    pk: int
    name: str
    birth_date: dt.date
    sex: int | None = None
    mother_id: int | None = None
    area: str = ""
    id_number: str | None = None


def match(a: Candidate, b: Candidate) -> tuple[float, list[str]]:
    """Score of two records (0 = not a probable duplicate) and the reasons, for the review page."""
    if a.pk == b.pk:
        return 0.0, []
    gap = abs((a.birth_date - b.birth_date).days)
    if gap > BIRTH_WINDOW_DAYS:
        return 0.0, []
    if a.sex in (1, 2) and b.sex in (1, 2) and a.sex != b.sex:
        return 0.0, []
    similar_id = False
    if a.id_number and b.id_number and a.id_number != b.id_number:
        similar_id = similar_id_numbers(a.id_number, b.id_number)
        if not similar_id:
            return 0.0, []  # two unrelated numbers: two people (namesakes born the same week are not rare)
    shared = name_keys(a.name) & name_keys(b.name)
    if not shared:
        return 0.0, []
    same_mother = a.mother_id is not None and a.mother_id == b.mother_id
    same_area = bool(a.area) and a.area == b.area
    if not (same_mother or same_area or similar_id):
        return 0.0, []
    reasons = ["same_name" if a.name == b.name else "same_pinyin"]
    score = 0.5 if a.name == b.name else 0.4
    reasons.append("same_birth_date" if gap == 0 else f"birth_dates_{gap}_days_apart")
    score += 0.3 if gap == 0 else 0.2
    if same_mother:
        reasons.append("same_mother")
        score += 0.2
    if same_area:
        reasons.append("same_area")
        score += 0.1
    if similar_id:
        reasons.append("similar_id_number")
        score += 0.2
    return round(min(score, 1.0), 2), reasons


def similar_id_numbers(x: str, y: str) -> bool:
    """Two numbers one clerk's slip apart: two adjacent digits swapped, or the same address and
    sequence code with another birth date (a birth date mis-recorded and the number rebuilt)."""
    if len(x) != 18 or len(y) != 18 or x[:6] != y[:6]:
        return False
    i = 6
    while i < 17 and x[i] == y[i]:
        i += 1
    if i >= 16:
        return False
    if x[i] == y[i + 1] and x[i + 1] == y[i] and x[i + 2:17] == y[i + 2:17]:
        return True  # two adjacent digits swapped
    return i < 14 and x[14:17] == y[14:17] and x[:6] == y[:6]  # same address and sequence, other date


def _blocks(r: Candidate) -> list[tuple]:
    """Blocking keys: a pair is compared only when it shares one (then the rule decides)."""
    keys: list[tuple] = []
    if r.mother_id is not None:
        keys.append(("mother", r.mother_id))
    if r.area:
        keys.append(("area", r.area))
    n = r.id_number
    if n and len(n) == 18:
        keys.append(("address+sequence", n[:6] + n[14:17]))
        keys.append(("digits", "".join(sorted(n[:17]))))
    return keys


def _numbered(r: Candidate) -> bool:
    return bool(r.id_number) and len(r.id_number) == 18


def find_pairs(records: list[Candidate]) -> list[tuple[Candidate, Candidate, float, list[str]]]:
    """All probable duplicate pairs among ``records``.

    Blocking on same mother / same area / ID numbers a slip apart, sorted by birth date, so only
    records born within the window of each other in one block are compared; the name keys are
    computed only for those few pairs. Two records that both carry an 18-digit number can match only
    when the numbers are equal or a slip apart, and then they share an ID-number block: the mother and
    area blocks compare only the pairs with a record without one, so a village of thousands of
    numbered people costs no comparison there.
    """
    blocks: dict[tuple, list[Candidate]] = {}
    for r in records:
        for k in _blocks(r):
            blocks.setdefault(k, []).append(r)
    seen: set[tuple[int, int]] = set()
    out = []

    def compare(a: Candidate, b: Candidate) -> None:
        pair = (min(a.pk, b.pk), max(a.pk, b.pk))
        if pair in seen:
            return
        seen.add(pair)
        score, reasons = match(a, b)
        if score > 0:
            out.append((a, b, score, reasons) if a.pk < b.pk else (b, a, score, reasons))

    for key, members in blocks.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda c: c.birth_date)
        days = [c.birth_date.toordinal() for c in members]
        if key[0] in ("mother", "area"):
            for i, a in enumerate(members):
                if _numbered(a):
                    continue
                lo = bisect.bisect_left(days, days[i] - BIRTH_WINDOW_DAYS)
                hi = bisect.bisect_right(days, days[i] + BIRTH_WINDOW_DAYS)
                for j in range(lo, hi):
                    if j != i:
                        compare(a, members[j])
            continue
        n = len(members)
        for i, a in enumerate(members):
            last = days[i] + BIRTH_WINDOW_DAYS
            j = i + 1
            while j < n and days[j] <= last:  # no slice of the block's tail: blocks can be thousands long
                compare(a, members[j])
                j += 1
    return out


REASON_LABELS = {
    "same_name": ("姓名相同", "same name"),
    "same_pinyin": ("姓名拼音相同(含多音字)", "same pinyin (polyphones included)"),
    "same_birth_date": ("出生日期相同", "same birth date"),
    "same_mother": ("母亲相同", "same mother"),
    "same_area": ("区划相同", "same area"),
    "similar_id_number": ("身份证号仅差一处笔误", "ID numbers one slip apart"),
}

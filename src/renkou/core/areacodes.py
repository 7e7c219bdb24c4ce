"""Statistical division codes (统计用区划代码, GB/T 2260 + NBS extension), pure functions.

12 digits: province (2) + prefecture (2) + county (2) + township (3) + village (3); the
family-planning system adds 3 digits for village groups (村民小组) → 15 digits.
"""

from __future__ import annotations

import re

# Significant digits of a code at each level (1 province … 6 village group).
LEVEL_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12, 6: 15}
LEVEL_NAMES = {1: ("省级", "province"), 2: ("地级", "prefecture"), 3: ("县级", "county"),
               4: ("乡级", "township"), 5: ("村级", "village"), 6: ("村民小组", "village group")}

URBAN_RURAL = {
    "111": ("主城区", "main urban area"),
    "112": ("城乡结合区", "urban–rural fringe"),
    "121": ("镇中心区", "town centre"),
    "122": ("镇乡结合区", "town–village fringe"),
    "123": ("特殊区域", "special area"),
    "210": ("乡中心区", "township centre"),
    "220": ("村庄", "village"),
}

_DIGITS = re.compile(r"^\d+$")


def full_code(significant: str) -> str:
    """Pad a 2/4/6/9/12-digit code to the 12-digit statistical code (15 digits stay 15)."""
    s = significant.strip()
    return s if len(s) >= 12 else s.ljust(12, "0")


def level_of(code: str) -> int:
    """Level of a full 12/15-digit code, from its trailing zeros."""
    if len(code) == 15:
        return 6
    for level in (5, 4, 3, 2):
        n = LEVEL_DIGITS[level]
        lo = LEVEL_DIGITS[level - 1]
        if code[lo:n].strip("0"):
            return level
    return 1


def prefix(code: str, level: int) -> str:
    return code[: LEVEL_DIGITS[level]]


def parent_code(code: str, level: int) -> str | None:
    """Code of the parent; a part of zeros (no county under 东莞市) makes the next level up the parent."""
    for up in range(level - 1, 0, -1):
        lo = LEVEL_DIGITS[up - 1] if up > 1 else 0
        if code[lo:LEVEL_DIGITS[up]].strip("0") or up == 1:
            return full_code(code[: LEVEL_DIGITS[up]])
    return None


def ancestor_codes(code: str, level: int) -> list[str]:
    return [full_code(code[: LEVEL_DIGITS[lv]]) for lv in range(1, level)]


def problem(code: str, level: int | None = None) -> str | None:
    """Why ``code`` is not a well-formed division code (bilingual), or None."""
    if not isinstance(code, str) or not _DIGITS.match(code or ""):
        return f"代码 {code!r} 只能由数字组成 / code {code!r} must be digits only"
    if len(code) not in (12, 15):
        return f"代码 {code} 应为12位(村民小组15位)，实为 {len(code)} 位 / code must have 12 (or 15) digits, has {len(code)}"
    actual = level_of(code)
    if level is not None and level != actual:
        return f"代码 {code} 的层级应为 {LEVEL_NAMES[actual][0]}，不是 {LEVEL_NAMES[level][0]} / code is of level {LEVEL_NAMES[actual][1]}, not {LEVEL_NAMES[level][1]}"
    if code[:2] == "00":
        return f"代码 {code} 的省级码不能为00 / province part cannot be 00"
    # Intermediate zero parts are legitimate: townships directly under a prefecture-level city without
    # counties (东莞 441900003000, 中山, 儋州) have county digits 00 and their parent is the prefecture.
    return None


def township_kind(code: str) -> str:
    """Kind of a township-level unit from digits 7–9: 001–099 subdistrict (街道), 100–199 town (镇),
    200–399 township (乡), 400–599 farms and similar (农场等), else other."""
    n = int(code[6:9])
    if 1 <= n <= 99:
        return "subdistrict"
    if 100 <= n <= 199:
        return "town"
    if 200 <= n <= 399:
        return "township"
    if 400 <= n <= 599:
        return "farm"
    return "other"


def village_kind(code: str) -> str:
    """001–199 residents' committee (居委会), 200–399 villagers' committee (村委会)."""
    n = int(code[9:12])
    return "residents" if 1 <= n <= 199 else "villagers" if 200 <= n <= 399 else "other"


TOWNSHIP_KIND_LABELS = {"subdistrict": ("街道", "subdistrict"), "town": ("镇", "town"),
                        "township": ("乡", "township"), "farm": ("农场等", "farm or similar"),
                        "other": ("其他", "other")}

"""Citizen ID numbers (公民身份号码, GB 11643-1999) for synthetic persons.

18 characters: 6-digit address code of the birthplace county (valid in the birth
year), 8-digit birth date, 3-digit sequence (odd for men, even for women) and the
ISO 7064 MOD 11-2 check character, computed by :func:`stdnum.cn.ric.calc_check_digit`.
"""

from __future__ import annotations

import numpy as np
from stdnum.cn import ric

from .areas import address_code_valid_in

EPOCH = np.datetime64("1970-01-01", "D")


def days_to_ymd(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 → int YYYYMMDD."""
    d = EPOCH + days.astype("timedelta64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y * 10000 + m * 100 + dd


def birth_years(days: np.ndarray) -> np.ndarray:
    """Calendar year of a date given in days since 1970-01-01."""
    return (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64) + 1970


def address_codes(county: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """Address code each person's ID carries: the birthplace county's code valid in the birth year."""
    years = birth_years(birth)
    pairs, inverse = np.unique(np.stack([county.astype(np.int64), years]), axis=1, return_inverse=True)
    mapped = np.array([int(address_code_valid_in(f"{c:06d}", int(y))) for c, y in pairs.T], dtype=np.int64)
    return mapped[inverse.reshape(-1)]


def with_check_digit(prefix17: np.ndarray) -> np.ndarray:
    """Append the GB 11643 check character to 17-digit prefixes (int64) → array of str."""
    return np.array([p + ric.calc_check_digit(p + "0") for p in (f"{v:017d}" for v in prefix17.tolist())],
                    dtype=object)


def assign_id_numbers(county: np.ndarray, birth: np.ndarray, sex: np.ndarray,
                      rng: np.random.Generator, taken: np.ndarray | None = None) -> np.ndarray:
    """Unique valid ID numbers for persons born in ``county`` (6-digit ints) on ``birth`` (days).

    Within one (address, birth date, sex) group the sequence numbers are distinct:
    a random start per group, then consecutive odd (male) or even (female) numbers.
    ``taken``: 17-digit prefixes already in use (they are skipped by a re-draw).
    """
    n = len(sex)
    addr = address_codes(county, birth)
    ymd = days_to_ymd(birth)
    key = (addr * 100_000_000 + ymd) * 2 + (sex == 2)
    order = np.lexsort((rng.random(n), key))
    sk = key[order]
    start = np.r_[True, sk[1:] != sk[:-1]]
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    rank = np.arange(n) - first[group]
    if rank.max(initial=0) >= 150:
        raise ValueError("more than 150 persons of one sex born on one day in one county")
    offset = rng.integers(0, 100, size=len(first))[group]
    seq = np.empty(n, dtype=np.int64)
    seq[order] = 2 * (offset + rank) + np.where(sk % 2 == 1, 2, 1)
    prefix = (addr * 100_000_000 + ymd) * 1000 + seq
    if taken is not None and len(taken):
        clash = np.isin(prefix, taken)
        # rare: move clashing ones to the upper half of the sequence range (001–498 is used below)
        prefix[clash] += 500
    return with_check_digit(prefix)


def wrong_check_digit(id_number: str, rng: np.random.Generator) -> str:
    """The same number with a different (wrong) check character, as found in legacy data."""
    right = id_number[-1]
    choices = [c for c in "0123456789X" if c != right]
    return id_number[:-1] + choices[int(rng.integers(0, len(choices)))]


def year_start_days_for_test(year: int) -> int:
    """Days from 1970-01-01 to 1 January of ``year``."""
    return int((np.datetime64(f"{year}-01-01") - EPOCH).astype(int))

"""The national statistical division codes shipped with Renkou (public facts, to township level).

``data/divisions-<year>/`` holds the National Bureau of Statistics' 统计用区划代码 as four CSV files
(provinces, prefectures, counties, townships) with their source and licence note. ``renkou areas
import`` loads them when given no path; the demo and the tests read them from here, never from
outside the installed package.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

YEARS = (2023,)
FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")


def shipped_divisions(year: int = 2023) -> Path:
    """The folder of the shipped division files of ``year``."""
    if year not in YEARS:
        raise ValueError(f"没有 {year} 年的区划代码(已有:{', '.join(map(str, YEARS))}) / "
                         f"no division codes for {year} (shipped: {', '.join(map(str, YEARS))})")
    return Path(str(resources.files("renkou.core") / "data" / f"divisions-{year}"))


def write_subset(target: Path, counties: tuple[str, ...], year: int = 2023) -> Path:
    """Copy into ``target`` the rows of the shipped files that the given 6-digit counties need."""
    provinces = {c[:2] for c in counties}
    cities = {c[:4] for c in counties}
    keep = {
        "provinces.csv": lambda r: r["code"] in provinces,
        "cities.csv": lambda r: r["code"] in cities,
        "areas.csv": lambda r: r["code"] in counties,
        "streets.csv": lambda r: r["areaCode"] in counties,
    }
    source = shipped_divisions(year)
    target.mkdir(parents=True, exist_ok=True)
    for name, pred in keep.items():
        with open(source / name, encoding="utf-8", newline="") as src, \
                open(target / name, "w", encoding="utf-8", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, fieldnames=list(reader.fieldnames or []))
            writer.writeheader()
            writer.writerows(r for r in reader if pred(r))
    return target

"""Memory of an import does not grow with the file: rows are checked and written a chunk at a time,
and what must be known across the file is kept in the scratch database, not in Python objects."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest

from renkou.registry.importer import import_file
from renkou.registry.models import Person

from .conftest import VILLAGE_A, VILLAGE_B, id_for

TODAY = dt.date(2025, 6, 1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明华伟芳国丽强静磊洋军梅兰英杰涛斌超勇艳"


def persons_file(path, n: int):
    lines = ["person_key,id_number,name,sex,birth_date,marital_status,area_code,mother_key"]
    for i in range(n):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=(i * 37) % 30000)
        sex = 1 + i % 2
        name = SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i // 400) % 20]
        mother = f"P{i - 1}" if i % 7 == 0 and i else ""  # links to rows up and down the file
        lines.append(f"P{i},{id_for(born, (i % 400) * 2 + sex % 2 + (0 if sex == 1 else 2))},{name},{sex},{born},10,"
                     f"{VILLAGE_A if i % 2 else VILLAGE_B},{mother}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def peak_of_dry_run(path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        r = import_file("persons", path, mode="valid-rows", dry_run=True, today=TODAY)
        return tracemalloc.get_traced_memory()[1], r.created
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_peak_memory_of_a_dry_run_does_not_grow_with_the_file(tmp_path, seed_areas):
    small = persons_file(tmp_path / "small.csv", 5_000)
    large = persons_file(tmp_path / "large.csv", 20_000)
    peak_small, created_small = peak_of_dry_run(small)
    peak_large, created_large = peak_of_dry_run(large)
    assert (created_small, created_large) == (5_000, 20_000)  # every row checked and written
    assert Person.objects.count() == 0  # and rolled back
    # four times the rows: were rows kept, the peak would be about four times as high
    assert peak_large < 1.5 * peak_small, (peak_small, peak_large)

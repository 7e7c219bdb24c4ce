"""Files in the import format: deterministic bytes, both headers, CLI."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import pytest

from renkou.synth.cli import main
from renkou.synth.generator import generate
from renkou.synth.model import COLUMNS
from renkou.synth.params import preset
from renkou.synth.writers import write_csv, write_result


@pytest.fixture(scope="module")
def tiny():
    return replace(preset("chengguan"), persons=2_000, households_target=740, married_women_target=None,
                   start_year=2004)


def test_same_seed_gives_byte_identical_csv_and_xlsx(tiny, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_result(generate(tiny, 4), a, ("csv", "xlsx"))
    write_result(generate(tiny, 4), b, ("csv", "xlsx"))
    write_result(generate(tiny, 5), c, ("csv",))
    names = sorted(p.name for p in a.iterdir())
    assert "persons.xlsx" in names and "ground_truth.json" in names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "persons.csv").read_bytes() != (c / "persons.csv").read_bytes()


def test_csv_has_documented_columns_in_order_and_chinese_header(tiny, tmp_path):
    r = generate(tiny, 4)
    write_csv(r.persons, "persons", tmp_path / "p.csv", header="zh")
    with open(tmp_path / "p.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [c.zh for c in COLUMNS["persons"]]
    assert len(rows) - 1 == r.rows("persons")
    assert all(len(row) == len(rows[0]) for row in rows)


def test_text_cells_cannot_start_a_formula(tmp_path):
    import numpy as np

    from renkou.synth.model import empty_table

    t = empty_table("activity")
    t = {k: np.r_[v, np.array(["=1+1" if k in ("record_id", "area_code", "period") else 1], dtype=v.dtype)]
         for k, v in t.items()}
    write_csv(t, "activity", tmp_path / "a.csv")
    assert "'=1+1" in (tmp_path / "a.csv").read_text(encoding="utf-8-sig")


def test_cli_writes_files_and_ground_truth(tmp_path):
    out = tmp_path / "out"
    code = main(["--area", "542526", "--persons", "2000", "--years", "2004-2005", "--seed", "9",
                 "--out", str(out), "--format", "csv"])
    assert code == 0
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["county_code"] == "542526" and truth["reference_date"] == "2005-12-31"
    with open(out / "persons.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    present = [r for r in rows if r["status"] == "present" and r["registration"] == "registered"]
    assert len(present) == 2000


def test_cli_rejects_unknown_format(tmp_path, capsys):
    assert main(["--preset", "gaize", "--out", str(tmp_path), "--format", "pdf"]) == 2
    assert "pdf" in capsys.readouterr().err

"""Command line ``renkou demography rates|lifetable|project`` on CSV tables."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from renkou.demography import tables
from renkou.demography.cli import main

AGES = np.arange(101)


def write_age_sex(path: Path, male, female, header: str = "age,male,female", area: str | None = None,
                  encoding: str = "utf-8", append: bool = False) -> Path:
    lines = [] if append else [("area," if area is not None else "") + header]
    for a in AGES:
        label = "100+" if a == 100 else str(a)
        prefix = f"{area}," if area is not None else ""
        lines.append(f"{prefix}{label},{male[a]:.6f},{female[a]:.6f}")
    with path.open("a" if append else "w", encoding=encoding) as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    pop = np.full(101, 1000.0)
    mu = 0.02  # constant hazard: every e(x) is 1/μ = 50
    births = np.zeros(101)
    births[20:30] = 100.0  # 10 ages × 100 births / 1000 women: TFR 1.0
    x = np.arange(15, 50)
    return {
        "pop": write_age_sex(tmp_path / "pop.csv", pop, pop),
        "deaths": write_age_sex(tmp_path / "deaths.csv", pop * mu, pop * mu),
        "mx": write_age_sex(tmp_path / "mx.csv", np.full(101, mu), np.full(101, mu)),
        "births": write_age_sex(tmp_path / "births.csv", births * 0.52, births * 0.48),
        "asfr": _write(tmp_path / "asfr.csv", "age,asfr", [f"{a},{0.1 if 20 <= a < 30 else 0}" for a in x]),
        "parity": _write(tmp_path / "parity.csv", "parity,women", ["0,10", "1,40", "2+,50"]),
    }


def _write(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rates_command_reports_known_tfr_srb_and_ppr(files, capsys):
    code, out, _ = run(capsys, "rates", "--population", str(files["pop"]), "--births", str(files["births"]),
                       "--deaths", str(files["deaths"]), "--parity", str(files["parity"]))
    assert code == 0
    (result,) = json.loads(out)
    assert result["area"] == "all"
    assert result["total_fertility_rate"] == pytest.approx(1.0)
    assert result["sex_ratio_at_birth"] == pytest.approx(52 / 48 * 100)
    assert result["sex_ratio_at_birth_lower"] < result["sex_ratio_at_birth"] < result["sex_ratio_at_birth_upper"]
    assert result["crude_death_rate"] == pytest.approx(20.0)
    assert result["crude_birth_rate"] == pytest.approx(1000 / 202_000 * 1000)
    assert result["mean_age_at_childbearing"] == pytest.approx(25.0)
    assert result["parity_progression_ratios"] == pytest.approx([0.9, 50 / 90])
    assert result["median_age"] == pytest.approx(50.5)


def test_lifetable_command_of_constant_hazard(files, capsys, tmp_path):
    out_file = tmp_path / "lt.csv"
    code, _, _ = run(capsys, "lifetable", "--deaths", str(files["deaths"]), "--population", str(files["pop"]),
                     "--sex", "female", "--out", str(out_file))
    assert code == 0
    with out_file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 101
    assert rows[0]["table"] == "all/female" and rows[-1]["age"] == "100+"
    assert {round(float(r["ex"]), 9) for r in rows} == {50.0}
    assert float(rows[0]["ax"]) == pytest.approx(0.053 + 2.8 * 0.02)  # Coale–Demeny a0, female


def test_abridged_lifetable_json(files, capsys):
    code, out, _ = run(capsys, "lifetable", "--deaths", str(files["deaths"]), "--population", str(files["pop"]),
                       "--abridged", "--open-age", "80", "--sex", "both", "--format", "json")
    assert code == 0
    (table,) = json.loads(out)
    assert table["ages"] == [0, 1, *range(5, 81, 5)]
    assert table["ex"][0] == pytest.approx(50.0)


def test_project_command_csv_conserves_and_has_every_cell(files, capsys):
    code, out, _ = run(capsys, "project", "--population", str(files["pop"]), "--asfr", str(files["asfr"]),
                       "--deaths", str(files["deaths"]), "--years", "3", "--start-year", "2025")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 * 2 * 101
    assert rows[0] == {"year": "2025", "area": "all", "sex": "1", "age": "0", "population": "1000"}
    assert rows[-1]["year"] == "2028" and rows[-1]["sex"] == "2" and rows[-1]["age"] == "100+"


def test_project_json_scenarios_and_balance(files, capsys):
    code, out, _ = run(capsys, "project", "--population", str(files["pop"]), "--asfr", str(files["asfr"]),
                       "--mx", str(files["mx"]), "--years", "5", "--scenario", "low",
                       "--target-tfr", "2.0", "--target-year", "2030", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["tfr"][0] == pytest.approx([0.7, 0.9, 1.1, 1.3, 1.5])  # 1.0 → 2.0 by 2030, minus 0.5
    total, births, deaths, mig = (np.array(doc[k][0]) for k in ("total", "births", "deaths", "net_migration"))
    np.testing.assert_allclose(total[1:], total[:-1] + births - deaths + mig)


def test_replacement_scenario_reports_momentum(files, capsys):
    code, out, _ = run(capsys, "project", "--population", str(files["pop"]), "--asfr", str(files["asfr"]),
                       "--deaths", str(files["deaths"]), "--years", "2", "--scenario", "replacement",
                       "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["momentum"][0] > 0
    assert doc["tfr"][0][0] > 2.0


def test_several_areas_and_gb18030_chinese_headers(tmp_path, capsys):
    path = tmp_path / "pop.csv"
    young = np.linspace(2000, 0, 101)
    old = np.linspace(0, 2000, 101)
    write_age_sex(path, young, young, header="年龄,男,女", area="130982", encoding="gb18030")
    write_age_sex(path, old, old, area="520122", encoding="gb18030", append=True)
    path.write_bytes(path.read_bytes().replace(b"area,", "地区,".encode("gb18030"), 1))
    code, out, err = run(capsys, "rates", "--population", str(path))
    assert code == 0, err
    young_area, old_area = json.loads(out)
    assert young_area["area"] == "130982" and old_area["area"] == "520122"
    assert young_area["median_age"] < 35 < old_area["median_age"]


def test_bad_cell_is_named_by_row_and_field(tmp_path, capsys):
    bad = _write(tmp_path / "pop.csv", "age,male,female", ["0,10,10", "1,ten,10"])
    code, out, err = run(capsys, "rates", "--population", str(bad))
    assert code == 2 and out == ""
    assert "row 3, field male" in err and "'ten'" in err


def test_table_closing_too_early_is_refused_for_projection(tmp_path, files, capsys):
    short = _write(tmp_path / "pop.csv", "age,male,female", [f"{a},10,10" for a in range(85)] + ["85+,5,5"])
    code, _, err = run(capsys, "project", "--population", str(short), "--asfr", str(files["asfr"]),
                       "--deaths", str(files["deaths"]), "--years", "1")
    assert code == 2
    assert "85+" in err


def test_long_layout_with_gb_sex_codes():
    text = "area,age,sex,population\n542526,0,1,10\n542526,0,2,12\n542526,100+,2,1\n"
    table = tables.read_age_sex_table(io.StringIO(text))
    values = table.single_year()
    assert table.areas == ["542526"]
    assert values[0, 0, 0] == 10 and values[0, 1, 0] == 12 and values[0, 1, 100] == 1


def test_csv_output_escapes_formula_like_text():
    out = io.StringIO()
    tables.write_csv([["=cmd()", 1]], ["area", "value"], out)
    assert out.getvalue().splitlines()[1] == "'=cmd(),1"

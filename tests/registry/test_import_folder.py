"""``renkou import DIR``: a synthetic county's folder in dependency order, one report, file by file all or nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from renkou.core.models import Area, AuditEvent
from renkou.indicators.activity import COUNTS, import_activity
from renkou.indicators.models import DataValue
from renkou.registry.models import Event, Household, Person, ServiceRecord
from renkou.synth.cli import _parser as synth_parser
from renkou.synth.cli import params_from_args
from renkou.synth.generator import generate
from renkou.synth.writers import write_result

COUNTY = "542526"


@pytest.fixture(scope="module")
def county():
    """A small clean Gaize (改则县) as `renkou synth --area 542526 --no-imperfections` makes it."""
    args = synth_parser().parse_args(["--area", COUNTY, "--persons", "600", "--years", "2004-2005", "--seed", "3",
                                      "--out", "unused", "--no-imperfections"])
    return generate(params_from_args(args), 3)


@pytest.fixture
def folder(county, tmp_path):
    out = tmp_path / "gaize"
    write_result(county, out)
    return out


def rows_of(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def run(*args) -> str:
    out = io.StringIO()
    call_command("import", *map(str, args), stdout=out)
    return out.getvalue()


def report_line(text: str, name: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(name))
    return line[len(name):].split()


def test_folder_lands_every_file_in_an_empty_database_with_the_levels_above_from_the_national_table(db, folder):
    text = run(folder)
    # province and prefecture come from the shipped 2023 table, with their real names
    assert Area.objects.get(code="540000000000").name == "西藏自治区"
    assert Area.objects.get(code="542500000000").name == "阿里地区"
    # the synthetic townships are the county's real ones, so the tree agrees with the national table
    towns = dict(Area.objects.filter(parent_id="542526000000").values_list("code", "name"))
    assert towns["542526100000"] == "改则镇" and len(towns) == 7
    expected = {kind: len(rows_of(folder / f"{kind}.csv"))
                for kind in ("households", "persons", "events", "services", "activity")}
    assert Household.objects.count() == expected["households"]
    assert Person.objects.count() == expected["persons"]
    assert Event.objects.count() == expected["events"]
    assert ServiceRecord.objects.count() == expected["services"]
    assert DataValue.objects.filter(area__pk__startswith=COUNTY).count() == expected["activity"] * len(COUNTS)
    tree = rows_of(folder / "areas.csv")
    assert Area.objects.filter(code__startswith=COUNTY).count() == len(tree)
    # one report line per file: rows, created, updated, unchanged, rejected, flagged
    for kind, n in expected.items():
        cells = report_line(text, f"{kind}.csv")
        assert cells[:5] == [f"{n:,}", f"{n:,}", "0", "0", "0"], (kind, cells)
    # the county row itself was loaded with the levels above, the tree adds townships and villages
    assert report_line(text, "areas.csv")[:4] == [str(len(tree)), str(len(tree) - 1), "0", "1"]


def test_importing_the_folder_again_changes_nothing(db, folder):
    run(folder)
    counts = (Area.objects.count(), Person.objects.count(), Event.objects.count(), ServiceRecord.objects.count(),
              DataValue.objects.count())
    imports = AuditEvent.objects.filter(action="import").count()
    text = run(folder)
    assert (Area.objects.count(), Person.objects.count(), Event.objects.count(), ServiceRecord.objects.count(),
            DataValue.objects.count()) == counts
    assert AuditEvent.objects.filter(action="import").count() == imports
    assert "national table" not in text  # the levels above are there now
    for kind in ("areas", "households", "persons", "events", "services", "activity"):
        cells = report_line(text, f"{kind}.csv")
        n = cells[0]
        assert cells[1:5] == ["0", "0", n, "0"], (kind, cells)


def test_a_rejected_file_writes_nothing_of_itself_stops_the_folder_and_imports_after_the_fix(db, folder):
    persons = (folder / "persons.csv").read_text(encoding="utf-8-sig").splitlines()
    header = persons[0].split(",")
    bad = persons[5].split(",")
    bad[header.index("sex")] = "7"
    bad_key = bad[header.index("person_key")]
    (folder / "persons.csv").write_text("\n".join([persons[0], *persons[1:5], ",".join(bad), *persons[6:]]) + "\n",
                                        encoding="utf-8-sig")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"persons\.csv .*nothing of it was written"):
        call_command("import", str(folder), stdout=out)
    text = out.getvalue()
    assert Household.objects.count() == len(rows_of(folder / "households.csv"))
    assert Person.objects.count() == 0 and Event.objects.count() == 0 and ServiceRecord.objects.count() == 0
    assert report_line(text, "persons.csv")[4] == "1"  # one row rejected …
    assert "persons.csv 第 6 行 line 6: [sex_code] 性别代码 7" in text  # … named with its line, field and rule
    for kind in ("events", "services", "activity"):
        assert report_line(text, f"{kind}.csv")[0] == "—" and "not imported" in text

    fixed = persons[5].split(",")
    (folder / "persons.csv").write_text("\n".join([persons[0], *persons[1:5], ",".join(fixed), *persons[6:]]) + "\n",
                                        encoding="utf-8-sig")
    text = run(folder)
    households = report_line(text, "households.csv")
    assert households[1] == "0" and households[3] == households[0]  # already imported: unchanged
    assert Person.objects.filter(source_key=bad_key).exists()
    assert Person.objects.count() == len(persons) - 1


def test_a_folder_without_import_files_is_refused_by_name(db, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(CommandError, match="no import files in"):
        run(tmp_path)


def test_activity_rows_become_values_of_the_monthly_form_and_bad_rows_are_named(db, folder):
    run(folder)
    rows = rows_of(folder / "activity.csv")
    first = rows[0]
    stored = {v.element.code: v.value for v in DataValue.objects.filter(area_id=first["area_code"],
                                                                        period=first["period"])}
    assert stored == {col: int(first[col]) for col, _ in COUNTS}

    changed = folder / "activity-changed.csv"
    head = list(first)
    lines = [",".join(head)]
    edited = dict(first, publicity_sessions=str(int(first["publicity_sessions"]) + 3))
    lines.append(",".join(edited[c] for c in head))
    lines.append(",".join(rows[1][c] for c in head))
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_activity(changed)
    assert (result.total, result.created, result.updated, result.unchanged) == (2, 0, 1, 1)
    assert DataValue.objects.get(element__code="publicity_sessions", area_id=first["area_code"],
                                 period=first["period"]).value == int(first["publicity_sessions"]) + 3

    broken = folder / "activity-broken.csv"
    bad_month = dict(rows[2], period="200513")
    village = dict(rows[3], area_code=first["area_code"][:9] + "201")
    negative = dict(rows[4], trainings="-1")
    broken.write_text("\n".join([",".join(head), *(",".join(r[c] for c in head)
                                                   for r in (bad_month, village, negative, rows[5], rows[5]))])
                      + "\n", encoding="utf-8")
    before = DataValue.objects.count()
    result = import_activity(broken)
    assert result.rejected == 4 and not result.written
    assert DataValue.objects.count() == before
    errors = {r.line: " ".join(r.errors) for r in result.rows if r.errors}
    assert "period: '200513'" in errors[2]
    assert "is not a township" in errors[3]
    assert "trainings" in errors[4] and "whole number" in errors[4]
    assert "appears twice in the file (first on line 5)" in errors[6]

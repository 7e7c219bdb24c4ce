"""The README's "From files" walkthrough, run command for command on an empty database.

The commands are read from README.md (the ``sh`` block after ``<!-- workflow-test -->``), so the
README cannot drift from what works. Every number the commands print is checked against the files
they wrote: the rows imported against the rows of each file, the birth rate against the births and
the mean population counted by hand from ``persons.csv`` and ``events.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scratch_db import scratch_database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- workflow-test -->"
LATE_AFTER_DAYS = 365  # a registered event reported later than this counts when found (docs/indicators.md)


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert MARK in text, f"README.md has no {MARK} block"
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARK):], re.S)
    assert block, f"no ```sh block after {MARK}"
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def registered_population(persons: list[dict[str, str]], on: dt.date) -> int:
    """Registered persons born, entered and not yet gone at the end of day ``on``."""
    day = dt.date.fromisoformat
    return sum(1 for p in persons if p["registration"] == "registered" and day(p["birth_date"]) <= on
               and day(p["entry_date"]) <= on and not (p["exit_date"] and day(p["exit_date"]) <= on))


def births_counted_in(events: list[dict[str, str]], persons: list[dict[str, str]], year: int) -> int:
    """Registered births of registered children whose counting date (event date, or registration date if late) is in ``year``."""
    registered = {p["person_key"] for p in persons if p["registration"] == "registered"}
    n = 0
    for e in events:
        if e["kind"] != "birth" or e["person_key"] not in registered:
            continue
        if e["registration_state"] != "registered":
            continue  # declared births are provisional: shown beside the official count, not in it
        counted = dt.date.fromisoformat(e["event_date"])
        if e["registration_state"] == "registered" and e["registration_date"]:
            reported = dt.date.fromisoformat(e["registration_date"])
            if (reported - counted).days > LATE_AFTER_DAYS:
                counted = reported
        n += counted.year == year
    return n


def report_cells(stdout: str, name: str) -> list[str]:
    line = next(ln for ln in stdout.splitlines() if ln.startswith(name))
    return line[len(name):].split()


def test_readme_commands_import_a_synthetic_county_and_count_its_birth_rate(tmp_path):
    commands = readme_commands()
    assert [argv[:2] for argv in commands] == [["renkou", "migrate"], ["renkou", "areas"], ["renkou", "synth"],
                                               ["renkou", "import"], ["renkou", "indicators"]]
    outputs = []
    with scratch_database(tmp_path / "home") as scratch:
        env = {**scratch.env, "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(ROOT), *filter(None, [scratch.env.get("PYTHONPATH")])])}
        for argv in commands:
            done = subprocess.run([sys.executable, "-m", "renkou", *argv[1:]], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            outputs.append(done.stdout)

        _migrate, areas, synth, imported, computed = outputs
        synth_argv = commands[2]
        folder = tmp_path / option(synth_argv, "--out")
        county = option(synth_argv, "--area")
        last = int(option(synth_argv, "--years").split("-")[-1])
        persons = rows_of(folder / "persons.csv")
        events = rows_of(folder / "events.csv")

        # the national table: 31 provinces, 2,975 counties
        assert scratch.scalar("select count(*) from core_area where level = 1") == 31
        assert "县级 counties: 2975" in areas
        # the synthetic county has the size asked for at the end of its last year
        assert registered_population(persons, dt.date(last, 12, 31)) == int(option(synth_argv, "--persons"))
        assert f"persons {len(persons)}" in synth

        # every row of every file was imported, and the database holds exactly those rows
        tables = {"households": "registry_household", "persons": "registry_person", "events": "registry_event",
                  "services": "registry_servicerecord"}
        for kind in ("households", "persons", "events", "services", "activity"):
            n = len(rows_of(folder / f"{kind}.csv"))
            cells = report_cells(imported, f"{kind}.csv")
            assert cells[:5] == [f"{n:,}", f"{n:,}", "0", "0", "0"], (kind, cells)
            if kind in tables:
                assert scratch.scalar(f"select count(*) from {tables[kind]}") == n
        tree = rows_of(folder / "areas.csv")
        assert scratch.scalar(f"select count(*) from core_area where code like '{county}%'") == len(tree)
        # the townships were the national table's already: the tree adds the villages and renames nothing
        assert report_cells(imported, "areas.csv")[2] == "0"
        assert scratch.scalar("select count(*) from core_areachange") == 0

        # the crude birth rate of the last year, recounted from the files
        births = births_counted_in(events, persons, last)
        mean = (registered_population(persons, dt.date(last - 1, 12, 31))
                + registered_population(persons, dt.date(last, 12, 31))) / 2
        row = next(r for r in csv.DictReader(io.StringIO(computed)) if r["code"] == "cbr")
        assert (row["area"], row["period"]) == (f"{county}000000", str(last))
        assert float(row["numerator"]) == births > 0
        assert float(row["denominator"]) == mean
        assert float(row["value"]) == round(births / mean * 1000, 1)

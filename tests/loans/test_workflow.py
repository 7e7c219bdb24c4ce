"""docs/loans.md's command-line walkthrough, run command for command on an empty database."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scratch_db import scratch_database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MARK = "<!-- loans-workflow-test -->"


def doc_commands() -> list[list[str]]:
    text = (ROOT / "docs" / "loans.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARK):], re.S)
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def test_the_documented_commands_build_chengguans_fund_with_the_handbooks_figures(tmp_path):
    commands = doc_commands()
    assert [argv[:3] for argv in commands][-3:] == [["renkou", "loans", "build-chengguan"],
                                                    ["renkou", "loans", "summary"], ["renkou", "loans", "position"]]
    outputs = []
    with scratch_database(tmp_path / "home") as scratch:
        env = {**scratch.env, "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(ROOT), *filter(None, [scratch.env.get("PYTHONPATH")])])}
        for argv in commands:
            done = subprocess.run([sys.executable, "-m", "renkou", *argv[1:]], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            outputs.append(done.stdout)
        assert scratch.scalar("select count(*) from loans_loan") == 28
        assert scratch.scalar("select count(distinct person_id) from loans_loan") == 28
        assert scratch.scalar("select sum(amount_fen) from loans_loan where disbursed_on < '2005-01-01'") == 11_899_900
    summary = json.loads(outputs[-2])
    assert (summary["mothers"], summary["rounds"], summary["lent"], summary["lost"]) == (28, 4, "211999.00", "0.00")
    assert (summary["income_generated"], summary["out_of_poverty_share"]) == ("128389.00", "0.8333")
    assert summary["lent_by_year"]["2005"] == "93000.00"
    position = outputs[-1]
    assert "capital: ¥120,000.00" in position and "lost: ¥0.00" in position
    assert "round 1: lent ¥35,000.00, repaid ¥35,000.00, lost ¥0.00, out ¥0.00" in position

"""docs/bureau.md's walkthrough, run command for command."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "bureau.md"


@pytest.mark.django_db
def test_the_walkthrough_runs_and_prints_the_counted_figures(seed_areas, tmp_path, capsys, monkeypatch):
    from django.core.management import call_command

    text = DOC.read_text(encoding="utf-8")
    (tmp_path / "events.csv").write_text(re.search(r"```csv\n(.*?)```", text, re.S).group(1), encoding="utf-8")
    commands = re.search(r"<!-- bureau-workflow -->\n```sh\n(.*?)```", text, re.S).group(1).strip().splitlines()
    monkeypatch.chdir(tmp_path)
    outputs = []
    for line in commands:
        words = shlex.split(line)
        assert words[0] == "renkou"
        call_command(*words[1:])
        outputs.append(capsys.readouterr().out)
    assert json.loads(outputs[0]) == {"ok": True, "written": True, "created": 2, "unchanged": 0}
    s = json.loads(outputs[1])
    assert (s["sessions"], s["reached"], s["association_reached"]) == (1, 730, 410)

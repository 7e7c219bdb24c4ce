"""``renkou feeds import|link|queue`` from the shell."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .conftest import BIRTH_HEADER, VILLAGE_A, VILLAGE_B, write_csv


def test_import_link_and_queue_from_the_command_line(tmp_path, capsys, officers, sources, families):
    bad = write_csv(tmp_path / "bad.csv", BIRTH_HEADER, [["BN9", "王小明", "男", "22/03/2005", VILLAGE_B, "李秀", "", "", ""]])
    with pytest.raises(CommandError):
        call_command("feeds", "import", "weisheng-birth-notice", str(bad), "--county", "520122",
                     "--report", str(tmp_path / "errors.csv"))
    out = capsys.readouterr().out
    assert "第 2 行 row 2" in out and "22/03/2005" in out
    report = (tmp_path / "errors.csv").read_text(encoding="utf-8-sig")
    assert "BN9" in report and "不符合映射的日期格式" in report
    good = write_csv(tmp_path / "good.csv", BIRTH_HEADER,
                     [["BN9", "王小明", "男", "2005-03-22", VILLAGE_B, "李秀", "", "", ""],
                      ["BN1", "王小明", "男", "2005-03-01", VILLAGE_A, "李秀英", families["mother"].id_number, "", ""]])
    call_command("feeds", "import", "weisheng-birth-notice", str(good), "--county", "520122", "--format", "json")
    got = json.loads(capsys.readouterr().out)
    assert (got["created"], got["rejected"], got["written"]) == (2, 0, True)
    call_command("feeds", "link", "--source", "weisheng-birth-notice", "--county", "520122", "--format", "json")
    counts = json.loads(capsys.readouterr().out)
    assert (counts["records"], counts["mother_id"], counts["queued"]) == (2, 1, 1)
    call_command("feeds", "queue", "--county", "520122", "--format", "json")
    (queued,) = json.loads(capsys.readouterr().out)
    assert queued["record_key"] == "BN9" and queued["candidates"][0]["person"] == families["child"].pk

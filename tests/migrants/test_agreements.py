"""Importing service agreements: all or nothing, each bad row named with its field; twice → once."""

from __future__ import annotations

import datetime as dt

from renkou.migrants.importer import import_agreements
from renkou.migrants.models import Agreement, Party
from tests.migrants.test_services import migrants  # noqa: F401

HEADER = "协议编号,签约方,类型,联系方式,区划代码,起始日期,终止日期,签约方提供,服务机构提供,服务对象身份证号\n"


def test_good_file_then_again(migrants, officers):  # noqa: F811
    body = (HEADER + f"XF-2026-001,红岩村 王房东,房东,138,520122100201,2026-01-01,2026-12-31,"
            f"报告到达;配合上门,免费孕检,{migrants.a.id_number}\n"
            "XF-2026-002,永靖镇 砖厂,用工单位,,520122100000,2026-01-01,2026-12-31,报告新招用人员,免费避孕药具,\n")
    out = import_agreements(officers["township"], filename="a.csv", content=body.encode())
    assert (out["ok"], out["created"]) == (True, 2), out
    a = Agreement.objects.get(number="XF-2026-001")
    assert (a.party.name, a.party.kind, a.party_provides, a.start) == (
        "红岩村 王房东", "landlord", "报告到达\n配合上门", dt.date(2026, 1, 1))
    assert [m.person for m in a.migrants.all()] == [migrants.a]
    again = import_agreements(officers["township"], filename="a.csv", content=body.encode())
    assert Agreement.objects.count() == 2 and Party.objects.count() == 2
    assert again["created"] == 0


def test_bad_rows_named_nothing_written(migrants, officers):  # noqa: F811
    body = (HEADER
            + "OK-1,甲,房东,,520122100201,2026-01-01,2026-12-31,,,\n"
            + "BAD-1,乙,邻居,,520122100201,2026-01-01,2026-12-31,,,\n"
            + "BAD-2,丙,房东,,999999999999,2026-13-01,2026-12-31,,,\n"
            + "BAD-3,丁,employer,,520122101000,2026-06-01,2026-01-01,,,\n"
            + f"BAD-4,戊,landlord,,520122100201,2026-01-01,2026-12-31,,,{migrants.b.id_number}\n"
            + "OK-1,己,房东,,520122100201,2026-01-01,2026-12-31,,,\n")
    out = import_agreements(officers["township"], filename="b.csv", content=body.encode())
    assert out["ok"] is False and out["written"] is False
    errors = {e["row"]: e["message"] for e in out["errors"]}
    assert "kind:" in errors[3]
    assert "area:" in errors[4] and "start:" in errors[4]
    assert "outside your areas" in errors[5] and "end: before start" in errors[5]
    assert "migrants:" in errors[6]
    assert "repeats row 2" in errors[7]
    assert 2 not in errors
    assert not Agreement.objects.exists() and not Party.objects.exists()


def test_cli_import(migrants, officers, tmp_path):  # noqa: F811
    import io

    import pytest
    from django.core.management import CommandError, call_command

    f = tmp_path / "agreements.csv"
    f.write_text(HEADER + "XF-9,红岩村 李房东,房东,,520122100201,2026-01-01,2026-12-31,报告到达,免费孕检,\n",
                 encoding="utf-8")
    out = io.StringIO()
    call_command("migrants", "import-agreements", str(f), "--user", "xiang", stdout=out)
    assert '"created": 1' in out.getvalue() and Agreement.objects.get().number == "XF-9"
    f.write_text(HEADER + "XF-10,某,邻居,,520122100201,2026-01-01,2026-12-31,,,\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("migrants", "import-agreements", str(f), "--user", "xiang", stdout=io.StringIO())
    assert Agreement.objects.count() == 1

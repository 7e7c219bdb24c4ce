"""``renkou benefits cycle`` and ``renkou benefits summary``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from .helpers import AFTER_NOTICE, approve_all


def _run(*args) -> str:
    out = io.StringIO()
    call_command("benefits", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_cycle_command_freezes_the_roster_and_reports_counts_and_totals(officers, register, programs):
    out = json.loads(_run("cycle", "--program", "childcare-subsidy", "--period", "2025", "--area", "520122",
                          "--format", "json"))
    assert (out["units"], out["persons"], out["amount"], out["already_frozen"]) == (3, 3, "7800.00", False)
    again = json.loads(_run("cycle", "--program", "childcare-subsidy", "--period", "2025", "--area", "520122",
                            "--format", "json"))
    assert again["already_frozen"] and again["cycle"] == out["cycle"]


@pytest.mark.django_db
def test_summary_command_gives_committed_paid_and_failed_per_program(officers, register, programs):
    from renkou.benefits import services
    from renkou.benefits.models import Cycle

    _run("cycle", "--program", "xifeng-ncms-premium", "--period", "2007", "--area", "520122")
    cycle = Cycle.objects.get()
    approve_all(officers, cycle)
    batch = services.issue_batch(officers["county"], cycle, idempotency_key="cli", today=AFTER_NOTICE)
    services.send_batch(officers["county"], batch, today=AFTER_NOTICE)
    p1, p2 = batch.payments.order_by("id")
    services.import_return(officers["county"], batch, filename="r.csv", today=AFTER_NOTICE,
                           content=f"流水号,金额,状态\n{p1.reference},10,成功\n{p2.reference},10,失败\n".encode())
    (row,) = json.loads(_run("summary", "--area", "520122", "--period", "2007", "--format", "json"))
    assert {k: row[k] for k in ("program", "households", "persons", "committed", "paid", "failed")} == {
        "program": "xifeng-ncms-premium", "households": 2, "persons": 7, "committed": "20.00",
        "paid": "10.00", "failed": "10.00"}


@pytest.mark.django_db
def test_cycle_command_names_an_unknown_program(officers, programs):
    with pytest.raises(CommandError, match="no such program: nope"):
        _run("cycle", "--program", "nope", "--period", "2025", "--area", "520122")

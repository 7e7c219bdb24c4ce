"""Payments: batches, the bank file out and back, reconciliation row by row, follow-up batches."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from renkou.benefits import bankfile, services
from renkou.benefits.models import Payment, PaymentBatch
from renkou.ledger import services as ledger
from renkou.ledger.models import Transaction

from .conftest import COUNTY
from .helpers import AFTER_NOTICE, accounts_for, approve_all


def _cycle(officers, programs):
    cycle = services.compute_cycle(officers["county"], programs["rural-reward-support"], COUNTY, "2025")
    services.allocate_budget(officers["county"], cycle.program, COUNTY, "5000", today=AFTER_NOTICE)
    approve_all(officers, cycle, budget=None)
    return cycle


def _return_file(rows, header=("流水号", "金额", "状态", "失败原因", "银行流水号"), encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode(encoding)


@pytest.fixture
def sent(officers, register, programs):
    cycle = _cycle(officers, programs)
    accounts_for(cycle.entitlements.all())
    batch = services.issue_batch(officers["county"], cycle, idempotency_key="b-1", today=AFTER_NOTICE)
    services.send_batch(officers["county"], batch, today=AFTER_NOTICE)
    return cycle, PaymentBatch.objects.get(pk=batch.pk)


@pytest.mark.django_db
def test_a_double_submission_returns_the_same_batch_and_pays_nobody_twice(officers, register, programs):
    cycle = _cycle(officers, programs)
    accounts_for(cycle.entitlements.all())
    a = services.issue_batch(officers["county"], cycle, idempotency_key="k-1", today=AFTER_NOTICE)
    b = services.issue_batch(officers["county"], cycle, idempotency_key="k-1", today=AFTER_NOTICE)
    assert a.pk == b.pk and Payment.objects.count() == 2
    with pytest.raises(ValidationError, match="nothing to pay"):  # a new key finds nothing left to pay
        services.issue_batch(officers["county"], cycle, idempotency_key="k-2", today=AFTER_NOTICE)
    acc = services.accounts(cycle.program, cycle.area)
    assert ledger.balance(acc["payable"]) == 192_000 and ledger.balance(acc["commitments"]) == 0


@pytest.mark.django_db
def test_the_bank_file_carries_the_account_copied_when_the_batch_was_issued(officers, sent):
    from renkou.benefits.models import PayeeAccount

    cycle, batch = sent
    PayeeAccount.objects.update(account_number="9999")  # changed after the batch: the batch keeps its copy
    data, _ctype = services.export_batch(officers["county"], batch, "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == bankfile.BATCH_HEADER
    assert sorted(r[5] for r in rows[1:]) == ["960.00", "960.00"]
    assert all(r[4].startswith("6228") for r in rows[1:])
    xlsx, _ = services.export_batch(officers["county"], batch, "xlsx")
    assert xlsx[:2] == b"PK"


@pytest.mark.django_db
def test_a_return_file_with_bad_rows_is_refused_whole_with_every_row_named(officers, sent):
    cycle, batch = sent
    p1, p2 = batch.payments.order_by("id")
    content = _return_file([
        (p1.reference, "960.00", "成功", "", "B001"),
        (p2.reference, "960.00", "失败", "账户已销户", "B002"),
        ("RK-NOPE", "960.00", "成功", "", ""),          # unknown row
        (p1.reference, "960.00", "成功", "", "B001"),   # duplicate in the file
        ("", "1", "成功", "", ""),                      # junk: no reference
        (p1.reference, "abc", "成功", "", ""),           # junk: amount
        (p2.reference, "96.00", "成功", "", ""),          # (also a repeat) amount mismatch
    ])
    ret = services.import_return(officers["county"], batch, filename="return.csv", content=content, today=AFTER_NOTICE)
    outcomes = [(r["row"], r["outcome"]) for r in ret.report]
    assert outcomes == [(2, "paid"), (3, "failed"), (4, "unknown"), (5, "duplicate"), (6, "error"), (7, "error"),
                        (8, "duplicate")]
    assert "reference: must not be empty" in ret.report[4]["message"]
    assert "amount: not an amount 'abc'" in ret.report[5]["message"]
    assert ret.refused and not ret.applied
    assert set(batch.payments.values_list("state", flat=True)) == {"sent"}
    acc = services.accounts(cycle.program, cycle.area)
    assert ledger.balance(acc["paid"], subtree=True) == 0 and ledger.balance(acc["clearing"]) == 192_000
    assert PaymentBatch.objects.get(pk=batch.pk).state == "sent"
    assert ledger.trial_balance() == 0


@pytest.mark.django_db
def test_a_clean_return_file_reconciles_every_row_and_posts_the_ledger(officers, sent):
    cycle, batch = sent
    p1, p2 = batch.payments.order_by("id")
    content = _return_file([(p1.reference, "960.00", "成功", "", "B001"),
                            (p2.reference, "960.00", "失败", "账户已销户", "B002")])
    ret = services.import_return(officers["county"], batch, filename="return.csv", content=content, today=AFTER_NOTICE)
    assert [(r["row"], r["outcome"]) for r in ret.report] == [(2, "paid"), (3, "failed")]
    assert ret.applied and ret.counts == {"paid": 1, "failed": 1}
    p1.refresh_from_db(), p2.refresh_from_db()
    assert (p1.state, p2.state, p2.failure_reason, p1.bank_reference) == ("paid", "failed", "账户已销户", "B001")
    acc = services.accounts(cycle.program, cycle.area)
    assert ledger.balance(acc["paid"], subtree=True) == 96_000
    assert ledger.balance(acc["clearing"]) == 0 and ledger.balance(acc["commitments"]) == 96_000
    assert PaymentBatch.objects.get(pk=batch.pk).state == "reconciled"
    again = services.import_return(officers["county"], batch, filename="return.csv", content=content,
                                   today=AFTER_NOTICE)
    assert not again.applied and again.counts == {"unchanged": 2}
    assert ledger.balance(acc["paid"], subtree=True) == 96_000 and ledger.trial_balance() == 0


@pytest.mark.django_db
def test_an_amount_mismatch_refuses_the_file_and_a_later_file_never_changes_what_was_reconciled(officers, sent):
    cycle, batch = sent
    p1, p2 = batch.payments.order_by("id")
    ret = services.import_return(officers["county"], batch, filename="r1.csv", today=AFTER_NOTICE,
                                 content=_return_file([(p1.reference, "960.00", "成功", "", "B1"),
                                                       (p2.reference, "96.00", "成功", "", "B2")]))
    assert [r["outcome"] for r in ret.report] == ["paid", "mismatch"] and ret.refused
    assert "amount: file ¥96.00, expected ¥960.00" in ret.report[1]["message"]
    assert set(batch.payments.values_list("state", flat=True)) == {"sent"}
    services.import_return(officers["county"], batch, filename="r2.csv", today=AFTER_NOTICE,
                           content=_return_file([(p1.reference, "960.00", "成功", "", "B1")]))
    ret = services.import_return(officers["county"], batch, filename="r3.csv", today=AFTER_NOTICE,
                                 content=_return_file([(p1.reference, "960.00", "失败", "x", ""),
                                                       (p2.reference, "960.00", "成功", "", "B2")]))
    assert [r["outcome"] for r in ret.report] == ["conflict", "paid"] and ret.applied
    p1.refresh_from_db(), p2.refresh_from_db()
    assert (p1.state, p2.state) == ("paid", "paid")
    assert ledger.trial_balance() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe\x00\xd8junk\x81\x00", "not valid UTF-16"),
    (b"\x81\x30\xff\xff\xfe,\x00\x00\xa0\n", "cannot tell the encoding"),
    ("流水号,金额\nRK1,1\n".encode(), "lacks required column(s): status"),
    (b"", "bad.csv is empty"),
    ("流水号,金额,状态\n".encode(), "empty file"),
])
def test_a_bad_file_is_one_report_line_and_changes_nothing(officers, sent, content, message):
    cycle, batch = sent
    ret = services.import_return(officers["county"], batch, filename="bad.csv", content=content, today=AFTER_NOTICE)
    assert len(ret.report) == 1 and message in ret.report[0]["message"], ret.report
    assert ret.refused and not ret.applied
    assert set(batch.payments.values_list("state", flat=True)) == {"sent"}


def test_a_gb18030_return_file_with_english_headers_is_read():
    content = _return_file([("RK1", "10", "paid", "", ""), ("RK2", "10.00", "失败", "户名不符", "")],
                           header=("reference", "amount", "status", "reason", "bank_reference"), encoding="gb18030")
    parsed = bankfile.read_return(content, "r.csv")
    assert [(r.reference, r.amount_fen, r.paid, r.reason) for r in parsed.rows] == [
        ("RK1", 1_000, True, ""), ("RK2", 1_000, False, "户名不符")]


@pytest.mark.django_db
def test_a_failed_payment_is_reissued_in_a_follow_up_batch_and_then_paid(officers, sent):
    cycle, batch = sent
    p1, p2 = batch.payments.order_by("id")
    services.import_return(officers["county"], batch, filename="r.csv", today=AFTER_NOTICE,
                           content=_return_file([(p1.reference, "960", "成功", "", ""),
                                                 (p2.reference, "960", "失败", "卡号错误", "")]))
    follow = services.issue_batch(officers["county"], cycle, idempotency_key="b-2", today=AFTER_NOTICE)
    assert follow.number == 2 and follow.follows_id == batch.pk
    assert list(follow.payments.values_list("entitlement_id", flat=True)) == [p2.entitlement_id]
    services.send_batch(officers["county"], follow, today=AFTER_NOTICE)
    (p3,) = follow.payments.all()
    services.import_return(officers["county"], follow, filename="r2.csv", today=AFTER_NOTICE,
                           content=_return_file([(p3.reference, "960", "成功", "", "")]))
    totals = services.cycle_totals(cycle)
    assert (totals["paid_fen"], totals["failed_fen"], totals["paid_units"]) == (192_000, 0, 2)
    acc = services.accounts(cycle.program, cycle.area)
    assert ledger.balance(acc["paid"], subtree=True) == 192_000
    assert ledger.balance(acc["budget"]) == 500_000 - 192_000


@pytest.mark.django_db
def test_a_crash_while_issuing_leaves_no_half_written_batch(officers, register, programs, monkeypatch):
    cycle = _cycle(officers, programs)
    accounts_for(cycle.entitlements.all())

    def crash(*a, **kw):
        raise SystemExit("killed")

    monkeypatch.setattr(services.ledger, "transfer", crash)
    with pytest.raises(SystemExit):
        services.issue_batch(officers["county"], cycle, idempotency_key="k", today=AFTER_NOTICE)
    assert not PaymentBatch.objects.exists() and not Payment.objects.exists()
    assert not Transaction.objects.filter(kind="issue").exists()


@pytest.mark.django_db
def test_a_family_without_a_bank_account_waits_and_the_fund_is_paid(officers, register, programs):
    cycle = services.compute_cycle(officers["county"], programs["xifeng-ncms-premium"], COUNTY, "2007")
    approve_all(officers, cycle)
    batch = services.issue_batch(officers["county"], cycle, idempotency_key="f", today=AFTER_NOTICE)
    assert {(p.payee_name, p.account_number) for p in batch.payments.all()} == {
        ("息烽县新型农村合作医疗基金", "52012200000000000001")}
    services.send_batch(officers["county"], batch, today=AFTER_NOTICE)
    services.import_return(officers["county"], batch, filename="r.csv", today=AFTER_NOTICE,
                           content=_return_file([(p.reference, "10", "成功", "", "") for p in batch.payments.all()]))
    fund = ledger.account(f"benefits/xifeng-ncms-premium/{COUNTY}/paid/fund-xifeng-ncms")
    assert ledger.balance(fund) == 2_000
    assert not ledger.Account.objects.filter(code__endswith="/paid/families").exists() or ledger.balance(
        ledger.account(f"benefits/xifeng-ncms-premium/{COUNTY}/paid/families")) == 0


@pytest.mark.django_db
def test_the_api_takes_a_return_file(officers, sent, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cycle, batch = sent
    p1, p2 = batch.payments.order_by("id")
    content = _return_file([(p1.reference, "960.00", "成功", "", "B1"), (p2.reference, "960.00", "成功", "", "B2")])
    client.force_login(officers["township"])
    denied = client.post(f"/api/benefits/batches/{batch.pk}/return",
                         {"file": SimpleUploadedFile("r.csv", content, "text/csv")})
    assert denied.status_code == 403 and set(batch.payments.values_list("state", flat=True)) == {"sent"}
    client.force_login(officers["county"])
    ok = client.post(f"/api/benefits/batches/{batch.pk}/return",
                     {"file": SimpleUploadedFile("r.csv", content, "text/csv")}).json()
    assert ok["applied"] and ok["counts"] == {"paid": 2} and [r["row"] for r in ok["report"]] == [2, 3]
    assert set(batch.payments.values_list("state", flat=True)) == {"paid"}


@pytest.mark.django_db
def test_the_command_reconciles_an_xlsx_return_and_exits_1_when_it_refuses_one(officers, sent, tmp_path, capsys):
    import json

    from django.core.management import call_command
    from openpyxl import Workbook

    cycle, batch = sent
    p1, p2 = batch.payments.order_by("id")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_return_file([(p1.reference, "960.00", "成功", "", ""), ("RK-X", "1", "成功", "", "")]))
    with pytest.raises(SystemExit) as stop:
        call_command("benefits", "reconcile", "--batch", str(batch.pk), str(bad), "--format", "json")
    assert stop.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["refused"] and [(r["row"], r["outcome"]) for r in out["report"]] == [(2, "paid"), (3, "unknown")]
    wb = Workbook()
    ws = wb.active
    ws.append(["reference", "amount", "status", "reason"])
    ws.append([p1.reference, 960, "paid", None])
    ws.append([p2.reference, 960.0, "failed", "户名不符"])
    good = tmp_path / "return.xlsx"
    wb.save(good)
    call_command("benefits", "reconcile", "--batch", str(batch.pk), str(good))
    assert "applied" in capsys.readouterr().out
    p2.refresh_from_db()
    assert (p2.state, p2.failure_reason) == ("failed", "户名不符")

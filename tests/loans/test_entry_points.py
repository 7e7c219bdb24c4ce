"""Pages, API and command line: the same services, the same refusals, the same figures."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .conftest import VILLAGE_A, VILLAGE_C, mother, propose, signatures, to_disbursed, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(officers, fund):
    from renkou.loans import services

    loan = propose(fund, mother("卓玛", VILLAGE_A))
    services.review(loan, on=dt.date(2000, 3, 22))
    visit(loan, 1, dt.date(2000, 3, 25))
    return loan


def test_disbursing_before_approval_is_refused_by_page_api_and_command(client, officers, reviewed, fund):
    from renkou.loans import services

    client.force_login(officers["loans"])
    r = client.post(f"/loans/loans/{reviewed.pk}/disburse/", {"on": "2000-04-10", "received_by": "卓玛"}, follow=True)
    assert "不能放款" in r.content.decode()
    r = client.post(f"/api/loans/loans/{reviewed.pk}/disburse", {"on": "2000-04-10", "received_by": "卓玛"},
                    content_type="application/json")
    assert r.status_code == 422 and "cannot disburse" in r.content.decode()
    with pytest.raises(CommandError, match="cannot disburse"):
        call_command("loans", "disburse", "--loan", str(reviewed.pk), "--on", "2000-04-10", "--received-by", "卓玛")
    reviewed.refresh_from_db()
    assert reviewed.state == "reviewed" and services.fund_position(fund)["lent_fen"] == 0


def test_approving_with_one_home_visit_is_refused_by_page_api_and_command(client, officers, reviewed):
    client.force_login(officers["county"])
    r = client.post(f"/loans/loans/{reviewed.pk}/approve/", {"on": "2000-04-01", "decision": "1号"}, follow=True)
    assert "仅有 1 次入户走访" in r.content.decode()
    r = client.post(f"/api/loans/loans/{reviewed.pk}/approve", {"on": "2000-04-01", "decision": "1号"},
                    content_type="application/json")
    assert r.status_code == 422 and "1 home visit" in r.content.decode()
    with pytest.raises(CommandError, match="1 home visit"):
        call_command("loans", "approve", "--loan", str(reviewed.pk), "--on", "2000-04-01", "--decision", "1号")
    reviewed.refresh_from_db()
    assert reviewed.state == "reviewed" and reviewed.approved_on is None


def test_skipping_steps_is_refused_and_the_wrong_role_is_forbidden(client, officers, fund):
    loan = propose(fund, mother("央金", VILLAGE_A))
    client.force_login(officers["loans"])
    r = client.post(f"/api/loans/loans/{loan.pk}/sign", {"on": "2000-04-05", "signatures": signatures(loan)},
                    content_type="application/json")
    assert r.status_code == 422 and "cannot sign" in r.content.decode()
    client.force_login(officers["township"])
    r = client.post(f"/api/loans/loans/{loan.pk}/approve", {"on": "2000-04-01", "decision": "x"},
                    content_type="application/json")
    assert r.status_code == 403
    loan.refresh_from_db()
    assert loan.state == "proposed"


def test_the_flow_through_the_pages(client, officers, fund):
    loan = propose(fund, mother("卓嘎", VILLAGE_A), user=officers["village_a"])
    steps = [("township", "review", {"on": "2000-03-22"}),
             ("loans", "visit", {"on": "2000-03-25", "number": 1, "visitor": "王", "has_plan": 1, "willing_to_work": 1,
                                 "income_below_average": 1, "able_to_repay": 1}),
             ("loans", "visit", {"on": "2000-03-28", "number": 2, "visitor": "王", "has_plan": 1, "willing_to_work": 1,
                                 "income_below_average": 1, "able_to_repay": 1}),
             ("county", "approve", {"on": "2000-04-01", "decision": "组委会〔2000〕1号"}),
             ("loans", "sign", {"on": "2000-04-05", **signatures(loan)}),
             ("loans", "disburse", {"on": "2000-04-10", "received_by": "卓嘎"}),
             ("township", "collect", {"on": "2000-10-10", "amount": "2000", "nonce": "1"})]
    for who, action, data in steps:
        client.force_login(officers[who])
        client.post(f"/loans/loans/{loan.pk}/{action}/", data)
    loan.refresh_from_db()
    assert loan.state == "disbursed" and loan.collections.get().amount_fen == 2_000_00
    client.force_login(officers["loans"])
    page = client.get(f"/loans/loans/{loan.pk}/?as_of=2000-12-31").content.decode()
    assert "卓嘎" in page and "¥2,000.00" in page
    agreement = client.get(f"/loans/loans/{loan.pk}/agreement/").content.decode()
    assert "data-print" in agreement and "村委 赵" in agreement


def test_the_loan_officer_reads_only_the_borrowers_of_its_areas(client, officers, fund):
    from renkou.core.models import AuditEvent

    a = to_disbursed(propose(fund, mother("卓玛", VILLAGE_A)))
    c = to_disbursed(propose(fund, mother("梅朵", VILLAGE_C)))
    client.force_login(officers["loans_other"])  # assigned 温泉镇 only
    assert client.get(f"/loans/loans/{a.pk}/").status_code == 404
    assert "梅朵" in client.get(f"/loans/loans/{c.pk}/").content.decode()
    listed = json.loads(client.get("/api/loans/loans").content)
    assert [row["mother"] for row in listed] == ["梅朵"]
    assert client.get("/registry/").status_code == 403  # no register look-up
    seen = AuditEvent.objects.filter(actor=officers["loans_other"], action="view").values_list("detail", flat=True)
    assert any(d and d.get("persons") == [c.person_id] for d in seen)
    client.force_login(officers["auditor"])
    assert client.get(f"/loans/loans/{c.pk}/").status_code == 404
    assert "梅朵" not in client.get("/loans/?area=520122").content.decode()


def test_dashboard_sheet_and_export_show_the_fund(client, officers, fund):
    import io

    from openpyxl import load_workbook

    loan = to_disbursed(propose(fund, mother("卓玛", VILLAGE_A), terms={"repayment_months": [10]}))
    client.force_login(officers["loans"])
    page = client.get("/loans/?area=520122&as_of=2000-12-31").content.decode()
    assert 'data-figure="lent">¥8,000.00' in page and "<svg" in page
    sheet = client.get(f"/loans/sheet/?village={VILLAGE_A}&date=2000-12-01").content.decode()
    assert "卓玛" in sheet and "¥4,000.00" in sheet and "data-print" in sheet
    wb = load_workbook(io.BytesIO(client.get("/loans/export.xlsx?as_of=2000-12-31").content))
    rows = list(wb.active.values)
    assert rows[1][0] == loan.pk and rows[1][2] == "卓玛" and rows[1][7] == 8000


def test_summary_command_prints_the_figures_as_json_and_text(officers, fund):
    from renkou.loans import services

    loan = to_disbursed(propose(fund, mother("卓玛", VILLAGE_A), terms={"repayment_months": [10]}))
    services.collect(loan, on=dt.date(2000, 10, 1), amount_fen=1_000_00, idempotency_key="k")
    out = StringIO()
    call_command("loans", "summary", "--area", "520122", "--as-of", "2000-12-31", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert {k: data[k] for k in ("mothers", "loans", "rounds", "lent", "outstanding", "repaid", "lost")} == {
        "mothers": 1, "loans": 1, "rounds": 1, "lent": "8000.00", "outstanding": "7000.00", "repaid": "1000.00",
        "lost": "0.00"}
    # ¥4,000 fell due on 2000-10-20, ¥1,000 paid: repayment rate 25 %, the whole ¥7,000 at risk (72 days late)
    assert (data["repayment_rate"], data["par30"], data["arrears_rate"]) == ("0.25", "1.0", "0.4286")
    out = StringIO()
    call_command("loans", "summary", "--area", "520122", "--as-of", "2000-12-31", stdout=out)
    assert "还款率 repayment rate: 25.0 %" in out.getvalue() and "累计放款 lent: ¥8,000.00" in out.getvalue()


def test_the_fund_is_reached_from_the_benefits_page_and_the_loan_officers_task_list(client, officers, fund):
    client.force_login(officers["county"])
    assert 'href="/loans/"' in client.get("/benefits/").content.decode()
    client.force_login(officers["loans"])
    assert 'href="/loans/"' in client.get("/").content.decode()


def test_evaluation_rescheduling_and_write_off_through_the_page(client, officers, fund):
    from renkou.loans import services

    loan = to_disbursed(propose(fund, mother("卓玛", VILLAGE_A), 6_000_00, terms={"repayment_months": [10]}))
    client.force_login(officers["loans"])
    client.post(f"/loans/loans/{loan.pk}/evaluate/", {"kind": "six_months", "on": "2000-10-25", "evaluator": "卓嘎",
                                                     "income": "1,200", "progress": "养了十头猪", "out_of_poverty": "1"})
    (e,) = loan.evaluations.all()
    assert (e.income_generated_fen, e.out_of_poverty, e.evaluator) == (1_200_00, True, "卓嘎")
    client.post(f"/loans/loans/{loan.pk}/reschedule/", {"on": "2000-11-01", "start": "2000-11-01", "months": "24",
                                                       "repayment_months": "10", "reason": "雪灾"})
    loan.refresh_from_db()
    assert [i["due"] for i in loan.schedule] == ["2001-10-01", "2002-10-01"] and loan.reschedulings.count() == 1
    r = client.post(f"/loans/loans/{loan.pk}/write-off/", {"on": "2003-01-10", "reason": ""}, follow=True)
    assert "核销须说明原因" in r.content.decode()
    client.post(f"/loans/loans/{loan.pk}/write-off/", {"on": "2003-01-10", "reason": "户主病故"})
    loan.refresh_from_db()
    assert loan.state == "written_off" and services.fund_position(fund)["lost_fen"] == 6_000_00


def test_a_collection_posted_twice_through_the_api_is_recorded_once(client, officers, fund):
    from renkou.loans import services

    loan = to_disbursed(propose(fund, mother("卓玛", VILLAGE_A)))
    client.force_login(officers["township"])
    body = {"on": "2000-10-20", "amount": "500", "idempotency_key": "xiang-0001"}
    first = client.post(f"/api/loans/loans/{loan.pk}/collections", body, content_type="application/json").json()
    again = client.post(f"/api/loans/loans/{loan.pk}/collections", body, content_type="application/json").json()
    assert first["id"] == again["id"] and services.collected_fen(loan) == 500_00
    r = client.post(f"/api/loans/loans/{loan.pk}/collections", {**body, "amount": "9000", "idempotency_key": "x2"},
                    content_type="application/json")
    assert r.status_code == 422 and "exceeds" in r.content.decode()

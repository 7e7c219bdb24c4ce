"""JSON API of 幸福工程 loans, mounted at /api/loans/: the summary of an area, the loans the user may
read, one loan with its schedule, and the steps of the flow. Every state change goes through the same
services as the pages and the command line."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Router, Schema

from renkou.core.idnumber import mask
from renkou.core.roles import LOAN_VIEW
from renkou.core.scoping import require
from renkou.ledger.money import to_fen

from . import services

router = Router(tags=["loans"])


class StepIn(Schema):
    on: dt.date
    decision: str = ""
    received_by: str = ""
    reason: str = ""
    number: int = 0
    visitor: str = ""
    has_plan: bool = False
    willing_to_work: bool = False
    income_below_average: bool = False
    able_to_repay: bool = False
    signatures: dict[str, str] = {}


class CollectionIn(Schema):
    on: dt.date
    amount: str
    idempotency_key: str
    collector: str = ""


def _loan_json(loan, as_of: dt.date | None = None) -> dict:
    facts = services.loan_facts(loan, as_of or dt.date.today())
    return {"id": loan.pk, "fund": loan.fund.code, "round": loan.round.number, "state": loan.state,
            "mother": loan.person.name, "id_number": mask(loan.person.id_number) if loan.person.id_number else "",
            "village": loan.village_id, "amount": str(services._yuan(loan.amount_fen)),
            "disbursed_on": loan.disbursed_on, "schedule": loan.schedule,
            "outstanding": str(services._yuan(facts.outstanding_fen)) if facts else None,
            "days_late": facts.days_late if facts else None}


@router.get("/summary", url_name="loans_summary")
def summary(request, area: str, as_of: dt.date | None = None):
    require(request.user, LOAN_VIEW)
    data = services.summary(area, as_of, user=request.user)
    import json

    return json.loads(json.dumps(data, default=str))  # exact amounts as text, as on the command line


@router.get("/loans", url_name="loans_list")
def loans(request):
    from renkou.core import audit

    require(request.user, LOAN_VIEW)
    rows = list(services.visible_loans(request.user).select_related("person", "fund", "round")[:500])
    audit.record_persons_shown("loans.loan_list", [r.person_id for r in rows], user=request.user)
    return [_loan_json(r) for r in rows]


@router.get("/loans/{pk}", url_name="loans_loan")
def loan(request, pk: int):
    from renkou.core import audit

    require(request.user, LOAN_VIEW)
    obj = services.get_loan(request.user, pk)
    audit.record_persons_shown("loans.loan", [obj.person_id], obj, user=request.user)
    return _loan_json(obj)


@router.post("/loans/{pk}/collections", url_name="loans_collect")
def collect(request, pk: int, payload: CollectionIn):
    obj = services.get_loan(request.user, pk)
    c = services.collect(obj, on=payload.on, amount_fen=to_fen(payload.amount), collector=payload.collector,
                         idempotency_key=payload.idempotency_key, user=request.user)
    return {"id": c.pk, "loan": obj.pk, "collected_on": c.collected_on, "amount": str(services._yuan(c.amount_fen))}


@router.post("/loans/{pk}/{action}", url_name="loans_step")
def step(request, pk: int, action: str, payload: StepIn):
    obj = services.get_loan(request.user, pk)
    u, on = request.user, payload.on
    if action == "review":
        obj = services.review(obj, on=on, user=u)
    elif action == "visit":
        services.record_visit(obj, number=payload.number, visited_on=on, visitor=payload.visitor,
                              has_plan=payload.has_plan, willing_to_work=payload.willing_to_work,
                              income_below_average=payload.income_below_average, able_to_repay=payload.able_to_repay,
                              user=u)
    elif action == "approve":
        obj = services.approve(obj, on=on, decision=payload.decision, user=u)
    elif action == "sign":
        obj = services.sign(obj, on=on, signatures=payload.signatures, user=u)
    elif action == "disburse":
        obj = services.disburse(obj, on=on, received_by=payload.received_by, user=u)
    elif action == "reject":
        obj = services.reject(obj, on=on, reason=payload.reason, user=u)
    else:
        raise ValidationError({"action": f"未知步骤 / unknown step {action!r}"})
    obj.refresh_from_db()
    return {"id": obj.pk, "state": obj.state}

"""JSON API of benefits, mounted at /api/benefits/: programs, cycles and rosters, list transitions,
objections, batches, summaries. Every state change goes through the same services as the pages."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from renkou.core.roles import BENEFIT_VIEW
from renkou.core.scoping import require, scoped
from renkou.ledger.money import yuan

from . import services
from .models import Cycle, Entitlement, PaymentBatch, Program, RosterList

router = Router(tags=["benefits"])


class CycleIn(Schema):
    program: str
    area: str
    period: str
    census: dt.date | None = None


class ObjectionIn(Schema):
    raised_by: str
    text: str
    entitlement: int | None = None


class BatchIn(Schema):
    idempotency_key: str


def _cycle_json(c: Cycle) -> dict:
    return {"id": c.pk, "program": c.program.code, "area": c.area_id, "period": c.period,
            "census_date": c.census_date.isoformat(), "units": c.units, "persons": c.persons,
            "total": str(yuan(c.total_fen)), "changes": c.changes}


def _cycles(request):
    require(request.user, BENEFIT_VIEW)
    return services.visible_cycles(request.user)


@router.get("/programs")
def programs(request):
    require(request.user, BENEFIT_VIEW)
    return [{"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en, "area": p.area_id, "unit": p.unit,
             "cycle": p.cycle,
             "versions": [{"valid_from": v.valid_from.isoformat(), "valid_to": v.valid_to and v.valid_to.isoformat(),
                           "eligibility": v.eligibility, "amount": v.amount, "tiers": v.tiers, "prorate": v.prorate,
                           "cap_household": v.cap_household, "payee": v.payee,
                           "fund": v.fund.code if v.fund else None} for v in p.versions.all()]}
            for p in Program.objects.prefetch_related("versions__fund")]


@router.get("/cycles")
def cycles(request):
    return [_cycle_json(c) for c in _cycles(request)[:200]]


@router.post("/cycles")
def compute(request, data: CycleIn):
    program = get_object_or_404(Program, code=data.program)
    return _cycle_json(services.compute_cycle(request.user, program, data.area, data.period, census=data.census))


@router.get("/cycles/{pk}")
def cycle(request, pk: int):
    c = get_object_or_404(_cycles(request), pk=pk)
    return {**_cycle_json(c), "totals": {k: (str(yuan(v)) if k.endswith("_fen") else v)
                                         for k, v in services.cycle_totals(c).items()},
            "lists": [{"id": rl.pk, "village": rl.village_id, "state": rl.state,
                       "notice_from": rl.notice_from and rl.notice_from.isoformat(),
                       "notice_until": rl.notice_until and rl.notice_until.isoformat()} for rl in c.lists.all()]}


@router.get("/cycles/{pk}/roster")
def roster(request, pk: int, village: str = "", limit: int = 100, offset: int = 0):
    """Rows of the frozen roster the user may see, each with its explanation."""
    c = get_object_or_404(_cycles(request), pk=pk)
    qs = scoped(request.user, Entitlement.objects.filter(cycle=c))
    if village:
        qs = qs.filter(village_id=village)
    return [{"id": e.pk, "unit": e.unit_key, "name": e.name, "id_masked": e.id_masked, "village": e.village_id,
             "amount": str(yuan(e.amount_fen)), "payee": e.payee_name, "payee_kind": e.payee_kind, "state": e.state,
             "facts": e.facts, "explanation": e.explanation}
            for e in qs.order_by("id")[offset:offset + min(limit, 500)]]


def _list(request, pk: int) -> RosterList:
    require(request.user, BENEFIT_VIEW)
    return get_object_or_404(scoped(request.user, RosterList), pk=pk)


@router.post("/lists/{pk}/{action}")
def transition(request, pk: int, action: str):
    """propose · review · send_back · approve — refused unless the state, role and area allow it."""
    rl = services.transition(request.user, _list(request, pk), action)
    return {"id": rl.pk, "state": rl.state}


@router.post("/lists/{pk}/objections")
def objection(request, pk: int, data: ObjectionIn):
    rl = _list(request, pk)
    ent = rl.entitlements.filter(pk=data.entitlement).first() if data.entitlement else None
    o = services.record_objection(request.user, rl, raised_by=data.raised_by, text=data.text, entitlement=ent)
    return {"id": o.pk, "state": o.state}


@router.post("/cycles/{pk}/batches")
def issue(request, pk: int, data: BatchIn):
    """Issue a payment batch; the same idempotency key returns the same batch."""
    c = get_object_or_404(_cycles(request), pk=pk)
    b = services.issue_batch(request.user, c, idempotency_key=data.idempotency_key)
    return {"id": b.pk, "number": b.number, "count": b.count, "total": str(yuan(b.total_fen)), "state": b.state}


@router.get("/batches/{pk}")
def batch(request, pk: int):
    b = get_object_or_404(PaymentBatch.objects.filter(cycle__in=_cycles(request)), pk=pk)
    return {"id": b.pk, "number": b.number, "state": b.state, "count": b.count, "total": str(yuan(b.total_fen)),
            "payments": [{"reference": p.reference, "amount": str(yuan(p.amount_fen)), "state": p.state,
                          "failure_reason": p.failure_reason} for p in b.payments.all()]}


@router.post("/batches/{pk}/return")
def bank_return(request, pk: int, file: UploadedFile = File(...)):
    """Reconcile the bank's return file (CSV or XLSX), all or nothing; the report names every row."""
    b = get_object_or_404(PaymentBatch.objects.filter(cycle__in=_cycles(request)), pk=pk)
    ret = services.import_return(request.user, b, filename=file.name or "return.csv", content=file.read())
    return {"batch": b.pk, "applied": ret.applied, "refused": ret.refused, "counts": ret.counts,
            "report": ret.report}


@router.get("/summary")
def summary(request, area: str, period: str):
    """Per program: households, persons, amounts committed, paid and failed."""
    if not services.can_view(request.user, area.ljust(12, "0")):
        raise PermissionDenied("area outside your areas")
    return services.summary(request.user, area, period)

"""API of the register (mounted at /api/registry/): search, persons, households, events with the
state machine, check and duplicate queues. Every query is scoped, every action is a service."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from renkou.core import audit
from renkou.core.roles import PERSON_VIEW
from renkou.core.scoping import require, scoped

from . import services
from .models import DuplicateCandidate, Event, Finding, Household, Person
from .views import search_persons

router = Router(tags=["registry"])


class PersonRow(Schema):
    id: int
    name: str
    name_pinyin: str
    id_number_masked: str
    sex: int
    birth_date: dt.date
    status: str
    household: str | None

    @staticmethod
    def from_person(p: Person) -> PersonRow:
        return PersonRow(id=p.pk, name=p.name, name_pinyin=p.name_pinyin, id_number_masked=p.masked_id, sex=p.sex,
                         birth_date=p.birth_date, status=p.status,
                         household=p.household.number if p.household_id else None)


class PersonOut(Schema):
    id: int
    id_number: str | None
    id_state: str
    name: str
    name_pinyin: str
    sex: int
    birth_date: dt.date
    ethnicity: str
    marital_status: str
    registered_area: str | None
    home_code: str
    resident_area: str
    household_id: int | None
    relation_to_head: str
    mother_id: int | None
    father_id: int | None
    status: str
    death_date: dt.date | None
    migrant_status: str
    record_state: str
    events: list[int]


class EventOut(Schema):
    id: int
    kind: str
    event_date: dt.date
    registration_date: dt.date
    area: str
    subject_id: int
    mother_id: int | None
    father_id: int | None
    spouse_id: int | None
    birth_order: int | None
    plurality: int | None
    delivery_place: str
    state: str
    flag_duplicate: bool
    flag_correction: bool
    flag_rejected: bool
    flag_reason: str
    version: int
    is_current: bool
    declared_by: str | None
    verified_by: str | None
    registered_by: str | None

    @staticmethod
    def of(e: Event) -> EventOut:
        name = lambda u: u.get_username() if u else None  # noqa: E731
        return EventOut(id=e.pk, kind=e.kind, event_date=e.event_date, registration_date=e.registration_date,
                        area=e.area_id, subject_id=e.subject_id, mother_id=e.mother_id, father_id=e.father_id,
                        spouse_id=e.spouse_id, birth_order=e.birth_order, plurality=e.plurality,
                        delivery_place=e.delivery_place, state=e.state, flag_duplicate=e.flag_duplicate,
                        flag_correction=e.flag_correction, flag_rejected=e.flag_rejected, flag_reason=e.flag_reason,
                        version=e.version, is_current=e.is_current, declared_by=name(e.declared_by),
                        verified_by=name(e.verified_by), registered_by=name(e.registered_by))


class FindingOut(Schema):
    id: int
    rule: str
    severity: str
    message: str
    message_en: str
    fix: str
    fix_en: str
    status: str
    person_id: int | None
    event_id: int | None

    @staticmethod
    def resolve_message(obj) -> str:
        return obj._texts()[0]

    @staticmethod
    def resolve_message_en(obj) -> str:
        return obj._texts()[1]

    @staticmethod
    def resolve_fix(obj) -> str:
        return obj._texts()[2]

    @staticmethod
    def resolve_fix_en(obj) -> str:
        return obj._texts()[3]


class DuplicateOut(Schema):
    id: int
    person_a_id: int
    person_b_id: int
    score: float
    reasons: list[str]
    status: str


class BirthIn(Schema):
    child_name: str
    child_sex: int
    event_date: dt.date
    registration_date: dt.date
    area: str
    mother_id: int
    father_id: int | None = None
    birth_order: int | None = None
    plurality: int = 1
    delivery_place: str = ""


class StepIn(Schema):
    reason: str = ""


class MergeIn(Schema):
    keep_id: int
    note: str = ""


@router.get("/persons", response=list[PersonRow], summary="查询人员 / search persons (ID, name, pinyin, household)")
@paginate
def list_persons(request, q: str = ""):
    require(request.user, PERSON_VIEW)
    return [PersonRow.from_person(p) for p in search_persons(request.user, q).select_related("household")
            .order_by("name", "pk")[:1000]]


@router.get("/persons/{pk}", response=PersonOut, summary="人员详情(记入审计) / one person (the read is audited)")
def get_person(request, pk: int):
    p = services.view_person(request.user, pk)
    ids = list(scoped(request.user, Event).filter(subject=p).order_by("event_date").values_list("pk", flat=True))
    return PersonOut(id=p.pk, id_number=p.id_number, id_state=p.id_state, name=p.name, name_pinyin=p.name_pinyin,
                     sex=p.sex, birth_date=p.birth_date, ethnicity=p.ethnicity, marital_status=p.marital_status,
                     registered_area=p.registered_area_id, home_code=p.home_code, resident_area=p.resident_area_id,
                     household_id=p.household_id, relation_to_head=p.relation_to_head, mother_id=p.mother_id,
                     father_id=p.father_id, status=p.status, death_date=p.death_date,
                     migrant_status=p.migrant_status, record_state=p.record_state, events=ids)


@router.get("/households/{pk}", response=list[PersonRow], summary="户成员 / members of a household")
def household_members(request, pk: int):
    require(request.user, PERSON_VIEW)
    h = get_object_or_404(scoped(request.user, Household), pk=pk)
    audit.record("view", h)
    return [PersonRow.from_person(p) for p in scoped(request.user, Person).filter(household=h)
            .select_related("household")]


@router.get("/events", response=list[EventOut], summary="事件 / events by state")
@paginate
def list_events(request, state: str = "declared"):
    require(request.user, PERSON_VIEW)
    return [EventOut.of(e) for e in scoped(request.user, Event).filter(state=state, is_current=True)
            .select_related("declared_by", "verified_by", "registered_by").order_by("pk")[:1000]]


@router.get("/events/{pk}", response=EventOut)
def get_event(request, pk: int):
    require(request.user, PERSON_VIEW)
    return EventOut.of(get_object_or_404(scoped(request.user, Event), pk=pk))


@router.post("/births", response={201: EventOut}, summary="出生申报 / declare a birth")
def declare_birth(request, data: BirthIn):
    mother = get_object_or_404(scoped(request.user, Person), pk=data.mother_id)
    father = get_object_or_404(scoped(request.user, Person), pk=data.father_id) if data.father_id else None
    e = services.declare_event(user=request.user, kind="birth", event_date=data.event_date,
                               registration_date=data.registration_date, area=data.area, mother=mother, father=father,
                               birth_order=data.birth_order, plurality=data.plurality,
                               delivery_place=data.delivery_place,
                               child={"name": data.child_name, "sex": data.child_sex})
    return 201, EventOut.of(e)


def _step(request, pk: int, action, **kw):
    e = get_object_or_404(scoped(request.user, Event), pk=pk)
    return EventOut.of(action(user=request.user, event=e, **kw))


@router.post("/events/{pk}/verify", response=EventOut, summary="审核 / verify (declared → verified)")
def verify(request, pk: int, data: StepIn):
    return _step(request, pk, services.verify_event, reason=data.reason)


@router.post("/events/{pk}/register", response=EventOut, summary="登记 / register (verified → registered)")
def register(request, pk: int, data: StepIn):
    return _step(request, pk, services.register_event, reason=data.reason)


@router.post("/events/{pk}/reject", response=EventOut, summary="退回 / reject with a reason")
def reject(request, pk: int, data: StepIn):
    return _step(request, pk, services.reject_event, reason=data.reason)


@router.get("/findings", response=list[FindingOut], summary="逻辑校验待审 / open check findings")
@paginate
def list_findings(request):
    require(request.user, PERSON_VIEW)
    return scoped(request.user, Finding).filter(status=Finding.Status.OPEN).order_by("pk")


@router.get("/duplicates", response=list[DuplicateOut], summary="疑似重复 / probable duplicates")
@paginate
def list_duplicates(request):
    require(request.user, PERSON_VIEW)
    return scoped(request.user, DuplicateCandidate).filter(status=DuplicateCandidate.Status.OPEN).order_by("pk")


@router.post("/duplicates/{pk}/merge", response=DuplicateOut, summary="合并 / merge into the record kept")
def merge(request, pk: int, data: MergeIn):
    cand = get_object_or_404(scoped(request.user, DuplicateCandidate), pk=pk)
    keep = get_object_or_404(scoped(request.user, Person), pk=data.keep_id)
    services.merge_persons(user=request.user, candidate=cand, keep=keep, note=data.note)
    cand.refresh_from_db()
    return cand


@router.post("/duplicates/{pk}/dismiss", response=DuplicateOut, summary="排除 / not a duplicate")
def dismiss(request, pk: int, data: StepIn):
    cand = get_object_or_404(scoped(request.user, DuplicateCandidate), pk=pk)
    return services.dismiss_duplicate(user=request.user, candidate=cand, note=data.reason)

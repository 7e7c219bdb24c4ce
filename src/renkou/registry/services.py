"""Business actions of the register: plain functions, one transaction each.

Views, the API, the command line and tests call these and nothing else writes the register.
Every action checks the user's permission and capture scope on the server; the state machine of
events (declared → verified → registered, flags rejected / correction requested / potential
duplicate) is enforced here, and each step names its actor (and is audited by the core signals
plus an explicit ``transition`` record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from renkou.core import audit, idnumber
from renkou.core.models import Area, IdNumberConfirmation
from renkou.core.roles import (
    DUPLICATE_REVIEW,
    EVENT_REGISTER,
    EVENT_VERIFY,
    PERSON_CAPTURE,
    PERSON_EXPORT,
    PERSON_VIEW,
)
from renkou.core.scoping import CAPTURE, ensure_can_capture, require, scoped

from . import checks, duplicates
from .models import MARRIED_CODES, DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord

State = Event.State


class CheckFailed(ValidationError):
    """Raised when logic checks block an action; ``findings`` lists every one."""

    def __init__(self, findings: list[checks.Finding]):
        self.findings = findings
        super().__init__([f"[{f.rule}] {f.message} — {f.fix}" for f in findings])


# --------------------------------------------------------------------------------------- facts


def confirmed_numbers(numbers: Iterable[str | None]) -> set[str]:
    numbers = [n for n in numbers if n]
    return set(IdNumberConfirmation.objects.filter(number__in=numbers).values_list("number", flat=True))


def person_facts(p: Person | None, *, confirmed: bool | None = None) -> checks.PersonFacts | None:
    if p is None:
        return None
    if confirmed is None:
        confirmed = bool(p.id_number) and IdNumberConfirmation.objects.filter(number=p.id_number).exists()
    return checks.PersonFacts(name=p.name, sex=p.sex, birth_date=p.birth_date, id_number=p.id_number,
                              id_confirmed=confirmed, ethnicity=p.ethnicity, marital_status=p.marital_status,
                              status=p.status, death_date=p.death_date,
                              registered_area=p.registered_area_id or p.home_code,
                              resident_area=p.resident_area_id, migrant_status=p.migrant_status)


def _mother_other_births(mother_id: int | None, child_id: int | None) -> tuple[tuple[dt.date, int], ...]:
    if mother_id is None:
        return ()
    plural = dict(Event.objects.filter(kind=Event.Kind.BIRTH, mother_id=mother_id, is_current=True)
                  .values_list("subject_id", "plurality"))
    kids = Person.objects.filter(mother_id=mother_id).exclude(pk=child_id).exclude(
        record_state=Person.Record.MERGED).values_list("pk", "birth_date")
    return tuple((born, plural.get(pk) or 1) for pk, born in kids)


def event_facts(e: Event, confirmed: set[str] | None = None) -> checks.EventFacts:
    """The facts the event checks read. ``confirmed``: every confirmed ID number, when the caller
    has read them once (a batch check); else each person's number is looked up."""
    def facts(p):
        if p is None or confirmed is None:
            return person_facts(p)
        return person_facts(p, confirmed=bool(p.id_number) and p.id_number in confirmed)

    subject = facts(e.subject)
    if e.state == State.REGISTERED and e.kind == Event.Kind.DEATH and subject is not None:
        # seen as before its own registration, so the event does not contradict itself
        subject = checks.PersonFacts(**{**subject.__dict__, "status": "living", "death_date": None})
    # a correction (not yet saved) is checked without the version it supersedes
    others = tuple(Event.objects.filter(subject_id=e.subject_id, is_current=True)
                   .exclude(pk__in=[pk for pk in (e.pk, e.supersedes_id) if pk])
                   .exclude(flag_rejected=True).values_list("kind", "event_date"))
    cached = e._state.fields_cache.get("area")
    area = cached if cached is not None else Area.objects.filter(pk=e.area_id).first()
    return checks.EventFacts(
        kind=e.kind, event_date=e.event_date, registration_date=e.registration_date, area_code=e.area_id,
        area_known=area is not None, area_valid_from=area and area.valid_from,
        area_valid_to=area and area.valid_to, subject=subject,
        mother=facts(e.mother), father=facts(e.father), spouse=facts(e.spouse),
        birth_order=e.birth_order, plurality=e.plurality, other_area=e.to_code or e.from_code,
        mother_other_births=_mother_other_births(e.mother_id, e.subject_id) if e.kind == Event.Kind.BIRTH else (),
        subject_events=others)


def check_event_record(e: Event, today: dt.date | None = None, confirmed: set[str] | None = None
                       ) -> list[checks.Finding]:
    """Checks of an event. Once registered, the persons' current state already carries its effect
    (the spouses of a registered marriage are married), so the state-before checks are not applied."""
    return checks.check_event(event_facts(e, confirmed), today or timezone.localdate(),
                              historical=e.state == Event.State.REGISTERED)


def check_person_record(p: Person, today: dt.date | None = None) -> list[checks.Finding]:
    return checks.check_person(person_facts(p), today or timezone.localdate())


def _store_findings(found: list[checks.Finding], *, area_id: str, person: Person | None = None,
                    event: Event | None = None, has_findings: bool = True) -> list[Finding]:
    """Replace the open findings of one record by the current ones; passed findings stay passed.
    ``has_findings=False``: the caller knows the record has no finding stored (nothing to replace)."""
    target = {"event": event} if event is not None else {"person": person}
    passed = set()
    if has_findings:
        Finding.objects.filter(status=Finding.Status.OPEN, **target).delete()
        passed = set(Finding.objects.filter(status=Finding.Status.PASSED, **target).values_list("rule", flat=True))
    rows = [Finding.from_check(f, area_id=area_id, **target)
            for f in found if not (f.severity == checks.WARNING and f.rule in passed)]
    for r in rows:
        r.save()
    return rows


# -------------------------------------------------------------------------------------- persons


def normalise_id(number: str | None) -> tuple[str | None, str]:
    """(normalised number or None, state). 15-digit numbers become 18 digits."""
    if not number or not str(number).strip():
        return None, ""
    info = idnumber.inspect(number)
    return info.number, info.state.value


PERSON_FIELDS = ("id_number", "name", "sex", "birth_date", "ethnicity", "marital_status", "education",
                 "registered_area", "resident_area", "household", "relation_to_head", "mother", "father",
                 "migrant_status")


def _refuse_exact_duplicate(number: str | None, exclude_pk: int | None = None) -> None:
    if number and Person.objects.filter(id_number=number).exclude(pk=exclude_pk).exists():
        raise ValidationError({"id_number": f"身份证号 {idnumber.mask(number)} 已登记，不能重复登记 / this ID number "
                                            "is already in the register; a second record is refused"})


def create_person(*, user, provisional: bool = False, **fields) -> Person:
    """Add a person: capture scope, exact-duplicate refusal, logic checks, probable-duplicate flags."""
    require(user, PERSON_CAPTURE)
    with transaction.atomic():
        person = _new_person(user, provisional=provisional, **fields)
    return person


def _by_id(fields: dict, names: Iterable[str]) -> dict:
    """Foreign keys given as primary keys (area codes, person ids) become ``<name>_id``."""
    out = {}
    for k, v in fields.items():
        if k in names and v is not None and not hasattr(v, "_meta"):
            out[f"{k}_id"] = v
        else:
            out[k] = v
    return out


PERSON_FKS = ("registered_area", "resident_area", "household", "mother", "father", "spouse")
EVENT_FKS = ("area", "subject", "mother", "father", "spouse")


def _new_person(user, *, provisional: bool = False, **fields) -> Person:
    unknown = set(fields) - set(PERSON_FIELDS) - {"status", "death_date", "source_key", "home_code", "spouse"}
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    if not fields.get("resident_area"):
        fields["resident_area"] = fields.get("registered_area")
    person = Person(**_by_id(fields, PERSON_FKS))
    for code in {person.registered_area_id, person.resident_area_id} - {None}:
        ensure_can_capture(user, code)
    person.id_number, person.id_state = normalise_id(person.id_number)
    person.name = (person.name or "").strip()
    person.name_pinyin = duplicates.pinyin_text(person.name)
    found = checks.check_person(person_facts(person), timezone.localdate())
    if checks.blocking(found):
        raise CheckFailed(checks.blocking(found))
    _refuse_exact_duplicate(person.id_number)
    if provisional:
        person.record_state = Person.Record.PROVISIONAL
    person.save()
    if checks.warnings(found):
        _store_findings(checks.warnings(found), area_id=person.audit_area(), person=person)
    flag_probable_duplicates(person)
    return person


def flag_probable_duplicates(person: Person) -> list[DuplicateCandidate]:
    """Queue every probable duplicate of ``person`` (same pinyin key, birth ± days, same mother or area)."""
    lo = person.birth_date - dt.timedelta(days=duplicates.BIRTH_WINDOW_DAYS)
    hi = person.birth_date + dt.timedelta(days=duplicates.BIRTH_WINDOW_DAYS)
    near = (Person.objects.filter(birth_date__range=(lo, hi))
            .filter((Q(mother_id=person.mother_id) if person.mother_id else Q(pk__in=[]))
                    | (Q(registered_area_id=person.registered_area_id) if person.registered_area_id else Q(pk__in=[]))
                    | Q(resident_area_id=person.resident_area_id)
                    | (Q(id_number__startswith=person.id_number[:6]) if person.id_number else Q(pk__in=[])))
            .exclude(pk=person.pk).exclude(record_state=Person.Record.MERGED))
    me = _candidate(person)
    out = []
    for other in near:
        score, reasons = duplicates.match(me, _candidate(other))
        if score > 0:
            a, b = sorted((person, other), key=lambda p: p.pk)
            cand, _ = DuplicateCandidate.objects.get_or_create(
                person_a=a, person_b=b, defaults={"area_id": person.audit_area(), "score": score, "reasons": reasons})
            out.append(cand)
    return out


def _candidate(p: Person) -> duplicates.Candidate:
    return duplicates.Candidate(pk=p.pk, name=p.name, birth_date=p.birth_date, sex=p.sex, mother_id=p.mother_id,
                                area=p.registered_area_id or p.resident_area_id, id_number=p.id_number)


def update_person(*, user, person: Person, **changes) -> Person:
    """Change a person's details (the audit log keeps the version before, field by field)."""
    require(user, PERSON_CAPTURE)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        ensure_person_in_scope(user, person)
        for k, v in changes.items():
            if k not in PERSON_FIELDS:
                raise TypeError(f"unknown person field {k}")
            setattr(person, k, v)
        person.id_number, person.id_state = normalise_id(person.id_number)
        person.name_pinyin = duplicates.pinyin_text(person.name)
        for code in {person.registered_area_id, person.resident_area_id} - {None}:
            ensure_can_capture(user, code)
        found = checks.check_person(person_facts(person), timezone.localdate())
        if checks.blocking(found):
            raise CheckFailed(checks.blocking(found))
        _refuse_exact_duplicate(person.id_number, person.pk)
        person.save()
        _store_findings(checks.warnings(found), area_id=person.audit_area(), person=person)
    return person


def confirm_legacy_id(*, user, person: Person, reason: str) -> Person:
    """Confirm a person's legacy ID number whose check character is wrong (core rule: authorised user,
    reason, audited) and close the person's ``id_check_digit`` finding."""
    from renkou.core.services import confirm_id_number

    ensure_person_in_scope(user, person)
    with transaction.atomic():
        confirm_id_number(user=user, number=person.id_number or "", reason=reason)
        for f in Finding.objects.filter(person=person, rule="id_check_digit", status=Finding.Status.OPEN):
            f.status, f.reason, f.decided_by = Finding.Status.FIXED, reason.strip()[:300], user
            f.save()
    return person


def view_person(user, pk: int) -> Person:
    """A full person record for display: scoped, and the read is audited (PIPL)."""
    require(user, PERSON_VIEW)
    person = get_object_or_404(scoped(user, Person).select_related("registered_area", "resident_area",
                                                                     "household", "mother", "father"), pk=pk)
    audit.record("view", person, object_repr=f"{person.name} {person.masked_id}")
    return person


# ------------------------------------------------------------------------------------ households


def create_household(*, user, number: str, area, registration_type: str = Household.RegType.RESIDENT,
                     address: str = "", source_key: str | None = None) -> Household:
    require(user, PERSON_CAPTURE)
    area_id = getattr(area, "pk", area)
    ensure_can_capture(user, area_id)
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": "户号为空 / the household number is empty"})
    with transaction.atomic():
        if Household.objects.filter(number=number).exists():
            raise ValidationError({"number": f"户号 {number} 已存在 / household number {number} already exists"})
        return Household.objects.create(number=number, area_id=area_id, registration_type=registration_type,
                                        address=address, source_key=source_key)


def add_member(*, user, household: Household, person: Person, relation: str) -> Person:
    require(user, PERSON_CAPTURE)
    ensure_can_capture(user, household.area_id)
    ensure_person_in_scope(user, person)
    with transaction.atomic():
        person.household = household
        person.relation_to_head = relation
        person.save()
        if relation == "02":
            household.head = person
            household.save()
    return person


# --------------------------------------------------------------------------------------- events

EVENT_FIELDS = ("kind", "event_date", "registration_date", "area", "subject", "mother", "father", "spouse",
                "from_code", "to_code", "birth_order", "plurality", "delivery_place", "note", "source_key")


def _transition(event: Event, step: str, user, **detail) -> None:
    audit.record("transition", event, user=user, detail={"step": step, "state": event.state, **detail})


NEWCOMER_KINDS = (Event.Kind.MOVE_IN, Event.Kind.MIGRANT_ARRIVAL)


def declare_event(*, user, child: dict | None = None, newcomer: dict | None = None, **fields) -> Event:
    """Declare an event (申报). For a birth, ``child`` holds the new child's details (name, sex, …);
    the child is created as a provisional record that becomes active when the birth is registered.
    For a move in or a migrant arrival of a person not yet in the register, ``newcomer`` holds their
    details (name, sex, birth date, ID number …) in the same way: a provisional record living in the
    event's area, its place of household registration ``from_code``. The person of any other event
    must be in the user's capture areas.

    Errors of the logic checks refuse the declaration; warnings are stored in the check queue and
    must be passed with a reason before verification.
    """
    require(user, PERSON_CAPTURE)
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    area_id = getattr(fields.get("area"), "pk", fields.get("area"))
    ensure_can_capture(user, area_id)
    with transaction.atomic():
        if fields.get("kind") == Event.Kind.BIRTH and child is not None:
            mother, father = fields.get("mother"), fields.get("father")
            child = {"registered_area": area_id, "resident_area": area_id, "birth_date": fields.get("event_date"),
                     "mother": mother, "father": father, **child}
            if mother is not None and mother.household_id and "household" not in child:
                child["household"] = mother.household
            fields["subject"] = _new_person(user, provisional=True, **child)
        elif fields.get("kind") in NEWCOMER_KINDS and newcomer is not None and fields.get("subject") is None:
            newcomer = {"registered_area": None, "home_code": (fields.get("from_code") or "")[:15],
                        "resident_area": area_id, **newcomer}
            fields["subject"] = _new_person(user, provisional=True, **newcomer)
        elif fields.get("subject") is not None:
            subject = fields["subject"]
            if not hasattr(subject, "_meta"):
                subject = fields["subject"] = Person.objects.get(pk=subject)
            ensure_person_in_scope(user, subject)
        if fields.get("subject") is None:
            raise ValidationError({"subject": "请选择事件涉及的人员 / choose the person of the event"})
        event = Event(declared_by=user if getattr(user, "is_authenticated", False) else None,
                      **_by_id(fields, EVENT_FKS))
        found = check_event_record(event)
        if checks.blocking(found):
            raise CheckFailed(checks.blocking(found))
        event.flag_duplicate = DuplicateCandidate.objects.filter(
            Q(person_a=event.subject) | Q(person_b=event.subject), status=DuplicateCandidate.Status.OPEN).exists()
        event.save()
        _store_findings(checks.warnings(found), area_id=area_id, event=event)
        _transition(event, "declare", user)
    return event


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("area", "subject", "mother", "father", "spouse") \
        .get(pk=event.pk)


def _pass_warnings(event: Event, found: list[checks.Finding], user, reason: str) -> None:
    open_warnings = [f for f in found if f.severity == checks.WARNING]
    passed = set(Finding.objects.filter(event=event, status=Finding.Status.PASSED).values_list("rule", flat=True))
    pending = [f for f in open_warnings if f.rule not in passed]
    if pending and len((reason or "").strip()) < 4:
        raise CheckFailed(pending)
    if pending:
        _store_findings(pending, area_id=event.area_id, event=event)
        for f in Finding.objects.filter(event=event, status=Finding.Status.OPEN):
            f.status, f.reason, f.decided_by = Finding.Status.PASSED, reason.strip(), user
            f.save()
        event.warnings_reason = reason.strip()[:300]


def _ready(event: Event, expected: str, user, reason: str) -> None:
    if not event.is_current:
        raise ValidationError("此版本已被更正版本取代 / this version was superseded by a correction")
    if event.flag_rejected:
        raise ValidationError("事件已被退回，需更正后重新申报 / the event was rejected; correct and declare it again")
    if event.flag_duplicate:
        raise ValidationError("存在疑似重复，需先在重复审核中处理 / a probable duplicate must be reviewed first")
    if event.state != expected:
        raise ValidationError(f"状态为 {event.state}，此步骤需要 {expected} / the event is {event.state}; "
                              f"this step needs {expected}")
    found = check_event_record(event)
    if checks.blocking(found):
        _store_findings(found, area_id=event.area_id, event=event)
        raise CheckFailed(checks.blocking(found))
    _pass_warnings(event, found, user, reason)


def verify_event(*, user, event: Event, reason: str = "") -> Event:
    """Township check (审核): declared → verified. Warnings need ``reason``."""
    require(user, EVENT_VERIFY)
    with transaction.atomic():
        event = _locked(event)
        ensure_can_capture(user, event.area_id)
        _ready(event, State.DECLARED, user, reason)
        event.state, event.verified_by, event.verified_at = State.VERIFIED, user, timezone.now()
        event.save()
        _transition(event, "verify", user, reason=reason)
    return event


def register_event(*, user, event: Event, reason: str = "") -> Event:
    """County registration (登记): verified → registered; the person records take the event's effect."""
    require(user, EVENT_REGISTER)
    with transaction.atomic():
        event = _locked(event)
        ensure_can_capture(user, event.area_id)
        _ready(event, State.VERIFIED, user, reason)
        apply_event(event)
        event.state, event.registered_by, event.registered_at = State.REGISTERED, user, timezone.now()
        event.save()
        _transition(event, "register", user, reason=reason)
    return event


def apply_event(event: Event) -> None:
    """Bring the persons of a registered event to their new current state."""
    s = event.subject
    kind = event.kind
    if kind in NEWCOMER_KINDS and s.record_state == Person.Record.PROVISIONAL:
        s.record_state = Person.Record.ACTIVE  # a newcomer entered with the declaration
    if kind == Event.Kind.BIRTH:
        s.record_state = Person.Record.ACTIVE
    elif kind == Event.Kind.DEATH:
        s.status, s.death_date = Person.Status.DEAD, event.event_date
        if event.spouse is not None and event.spouse.marital_status in MARRIED_CODES:
            event.spouse.marital_status = "30"
            event.spouse.save()
    elif kind == Event.Kind.MARRIAGE:
        for p in (s, event.spouse):
            p.marital_status = "21" if p.marital_status == "10" else "22"
            if p is not s:
                p.save()
    elif kind == Event.Kind.DIVORCE:
        s.marital_status = "40"
        event.spouse.marital_status = "40"
        event.spouse.save()
    elif kind == Event.Kind.MOVE_OUT:
        s.status = Person.Status.MOVED_OUT
    elif kind == Event.Kind.MOVE_IN:
        s.status, s.registered_area_id, s.resident_area_id = Person.Status.LIVING, event.area_id, event.area_id
    elif kind == Event.Kind.MIGRANT_ARRIVAL:
        s.migrant_status, s.resident_area_id = Person.Migrant.INFLOW, event.area_id
    elif kind == Event.Kind.MIGRANT_DEPARTURE:
        s.migrant_status, s.status = Person.Migrant.LEFT, Person.Status.MOVED_OUT
    elif kind == Event.Kind.RESIDENCE_CHANGE:
        s.resident_area_id = event.area_id
    s.save()


def reject_event(*, user, event: Event, reason: str) -> Event:
    """Send an event back (退回) with the reason; it leaves the way to registration until corrected."""
    require(user, EVENT_VERIFY)
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": "请说明退回理由 / give the reason of the rejection"})
    with transaction.atomic():
        event = _locked(event)
        ensure_can_capture(user, event.area_id)
        if event.state == State.REGISTERED:
            raise ValidationError("已登记的事件只能更正，不能退回 / a registered event can be corrected, not rejected")
        event.flag_rejected, event.flag_reason = True, reason.strip()[:300]
        event.save()
        _transition(event, "reject", user, reason=reason)
    return event


def request_correction(*, user, event: Event, reason: str) -> Event:
    require(user, PERSON_CAPTURE)
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": "请说明需要更正的内容 / say what must be corrected"})
    with transaction.atomic():
        event = _locked(event)
        ensure_can_capture(user, event.area_id)
        event.flag_correction, event.flag_reason = True, reason.strip()[:300]
        event.save()
        _transition(event, "request_correction", user, reason=reason)
    return event


def correct_event(*, user, event: Event, **changes) -> Event:
    """A correction is a new version (declared) superseding the old one, which is kept unchanged but
    no longer current. The new version goes through verification and registration again."""
    require(user, PERSON_CAPTURE)
    bad = set(changes) - (set(EVENT_FIELDS) - {"kind", "subject", "source_key"})
    if bad:
        raise TypeError(f"fields that cannot be corrected here: {sorted(bad)}")
    with transaction.atomic():
        old = _locked(event)
        ensure_can_capture(user, old.area_id)
        if not old.is_current:
            raise ValidationError("只能更正当前版本 / only the current version can be corrected")
        new = Event(**{f.attname: getattr(old, f.attname) for f in Event._meta.concrete_fields
                       if f.name not in ("id", "supersedes", "source_key")})
        for k, v in changes.items():
            setattr(new, k, v)
        if "area" in changes:
            ensure_can_capture(user, new.area_id)
        new.pk = None
        new.version, new.supersedes = old.version + 1, old
        new.state, new.flag_rejected, new.flag_correction, new.flag_reason = State.DECLARED, False, False, ""
        new.declared_by, new.declared_at = user, timezone.now()
        new.verified_by = new.registered_by = None
        new.verified_at = new.registered_at = None
        new.warnings_reason = ""
        found = check_event_record(new)
        if checks.blocking(found):
            raise CheckFailed(checks.blocking(found))
        old.is_current = False
        old.save()
        new.save()
        _store_findings(checks.warnings(found), area_id=new.area_id, event=new)
        _transition(new, "correct", user, supersedes=old.pk)
    return new


def pass_finding(*, user, finding: Finding, reason: str) -> Finding:
    """Let a warning pass with a reason (errors cannot pass: they must be fixed)."""
    require(user, EVENT_VERIFY)
    if finding.severity != Finding.Severity.WARNING:
        raise ValidationError("错误不能放行，只能更正 / an error cannot pass; it must be fixed")
    if len((reason or "").strip()) < 4:
        raise ValidationError({"reason": "请说明理由(至少4个字) / give a reason (at least 4 characters)"})
    with transaction.atomic():
        finding = scoped(user, Finding, CAPTURE).select_for_update().get(pk=finding.pk)
        finding.status, finding.reason, finding.decided_by = Finding.Status.PASSED, reason.strip()[:300], user
        finding.save()
    return finding


# ------------------------------------------------------------------------------------- services


def record_service(*, user, person: Person, type: str, date: dt.date, provider: str, area=None,
                   outcome: str = "", consent_noted: bool = False, source_key: str | None = None,
                   method: str = "") -> ServiceRecord:
    """Record a voluntary service received. Without the person's consent noted nothing is recorded."""
    require(user, PERSON_CAPTURE)
    area_id = getattr(area, "pk", area) or person.resident_area_id
    ensure_can_capture(user, area_id)
    if not consent_noted:
        raise ValidationError({"consent_noted": "服务须经本人知情同意并记录 / a service is recorded only with the "
                                                "person's informed consent noted"})
    if date > timezone.localdate():
        raise ValidationError({"date": "服务日期在将来 / the service date is in the future"})
    if person.death_date and date > person.death_date:
        raise ValidationError({"date": "服务日期晚于死亡日期 / the service date is after the death"})
    with transaction.atomic():
        return ServiceRecord.objects.create(person=person, type=type, date=date, provider=provider,
                                            area_id=area_id, outcome=outcome, consent_noted=True,
                                            consent_date=timezone.localdate(), method=method or "",
                                            source_key=source_key)


# ----------------------------------------------------------------------------------- batch checks


def batch_check(*, user, area_code: str, today: dt.date | None = None, progress=None) -> dict[str, int]:
    """Run every logic check over the records of an area (批量逻辑校验) and refresh the check queue.
    ``progress``: an optional ``callback(done, total)`` over persons and events."""
    require(user, PERSON_CAPTURE)
    ensure_can_capture(user, area_code)
    area = Area.objects.get(code=area_code)
    today = today or timezone.localdate()
    counts = {"persons": 0, "events": 0, "errors": 0, "warnings": 0}
    with transaction.atomic():
        persons = scoped(user, Person, CAPTURE).filter(in_area(area.prefix)) \
            .exclude(record_state=Person.Record.MERGED)
        # read once: every confirmed ID number, and which records have findings stored (the others
        # have nothing to replace: no query per record)
        confirmed = set(IdNumberConfirmation.objects.values_list("number", flat=True))
        stored = Finding.objects.filter(status__in=(Finding.Status.OPEN, Finding.Status.PASSED))
        with_person = set(stored.filter(person__isnull=False).values_list("person_id", flat=True))
        with_event = set(stored.filter(event__isnull=False).values_list("event_id", flat=True))
        events = scoped(user, Event, CAPTURE).filter(area__pk__startswith=area.prefix, is_current=True) \
            .select_related("area", "subject", "mother", "father", "spouse")
        total = persons.count() + events.count() if progress else 0
        for p in persons.iterator(chunk_size=2000):
            found = checks.check_person(person_facts(p, confirmed=p.id_number in confirmed), today)
            counts["persons"] += 1
            _count(counts, _store_findings(found, area_id=p.audit_area(), person=p,
                                           has_findings=p.pk in with_person))
            if progress and counts["persons"] % 500 == 0:
                progress(counts["persons"], total)
        for e in events.iterator(chunk_size=2000):
            counts["events"] += 1
            _count(counts, _store_findings(check_event_record(e, today, confirmed), area_id=e.area_id, event=e,
                                           has_findings=e.pk in with_event))
            if progress and counts["events"] % 500 == 0:
                progress(counts["persons"] + counts["events"], total)
        if progress:
            progress(counts["persons"] + counts["events"], total)
    return counts


# ------------------------------------------------------------------------------------ check report


def open_findings(user, area_code: str):
    """The open findings of an area (its whole subtree) that the user may see."""
    prefix = Area.objects.get(code=area_code).prefix
    return scoped(user, Finding).filter(status=Finding.Status.OPEN, area__pk__startswith=prefix)


def finding_counts(findings) -> list[dict]:
    """Counts of findings by rule and severity, errors first, then the most frequent rules."""
    from django.db.models import Count

    rows = list(findings.order_by().values("rule", "severity").annotate(n=Count("id")))
    rows.sort(key=lambda r: (r["severity"] != "error", -r["n"], r["rule"]))
    return rows


FINDING_HEADER = ["规则 rule", "严重程度 severity", "区划 area", "记录 record", "姓名 name", "身份证号 ID number (masked)",
                  "问题 finding (zh)", "finding (en)", "更正方法 how to fix (zh)", "how to fix (en)", "发现时间 found"]


def finding_rows(findings):
    """Rows of a findings report (both languages; ID numbers masked)."""
    qs = findings.select_related("person", "event", "event__subject").order_by("severity", "rule", "pk")
    for f in qs.iterator(chunk_size=2000):
        person = f.person or (f.event.subject if f.event else None)
        record = f"event #{f.event_id}" if f.event_id else (f"person #{f.person_id}" if f.person_id else "")
        msg, msg_en, fix, fix_en = f._texts()
        yield [f.rule, f.severity, f.area_id, record, person.name if person else "",
               person.masked_id if person else "", msg, msg_en, fix, fix_en, timezone.localtime(f.created)]


def write_findings_report(*, user, area_code: str, path) -> int:
    """Write the open findings of an area to CSV or XLSX (formula-safe, ID numbers masked); it names
    persons, so it needs the export permission and is audited like an export."""
    from .exporter import write_rows

    require(user, PERSON_EXPORT)
    findings = open_findings(user, area_code)
    counted = []

    def rows():
        for r in finding_rows(findings):
            counted.append(1)
            yield [c.replace(tzinfo=None) if isinstance(c, dt.datetime) else c for c in r]

    write_rows(path, FINDING_HEADER, rows())
    audit.record("export", user=user, object_type="registry.finding", object_repr=str(path).rsplit("/", 1)[-1],
                 area_code=area_code, detail={"rows": len(counted), "filter": {"kind": "findings", "area": area_code},
                                              "masked": True})
    return len(counted)


def _count(counts: dict[str, int], rows: list[Finding]) -> None:
    for r in rows:
        counts["errors" if r.severity == "error" else "warnings"] += 1


# ------------------------------------------------------------------------------------- duplicates


def in_area(prefix: str) -> Q:
    """Persons registered or living under an area code prefix (narrows an already scoped queryset)."""
    return Q(registered_area__pk__startswith=prefix) | Q(resident_area__pk__startswith=prefix)


def scan_duplicates(*, user, area_code: str) -> int:
    """Queue the probable duplicates among the persons of an area; returns the number of new pairs."""
    require(user, PERSON_CAPTURE)
    area = Area.objects.get(code=area_code)
    qs = scoped(user, Person).filter(in_area(area.prefix)) \
        .exclude(record_state=Person.Record.MERGED)
    records = [duplicates.Candidate(pk, name, born, sex, mother, reg or res, idn)
               for pk, name, born, sex, mother, reg, res, idn in
               qs.values_list("pk", "name", "birth_date", "sex", "mother_id", "registered_area_id", "resident_area_id",
                              "id_number")]
    return queue_pairs(duplicates.find_pairs(records))


def queue_pairs(pairs) -> int:
    existing = set(DuplicateCandidate.objects.values_list("person_a_id", "person_b_id"))
    new = [DuplicateCandidate(person_a_id=a.pk, person_b_id=b.pk, area_id=a.area, score=score, reasons=reasons)
           for a, b, score, reasons in pairs if (a.pk, b.pk) not in existing]
    with transaction.atomic():
        for c in new:
            c.save()
        ids = {a.pk for a, b, *_ in pairs} | {b.pk for a, b, *_ in pairs}
        for e in Event.objects.filter(subject_id__in=ids, kind=Event.Kind.BIRTH, flag_duplicate=False) \
                .exclude(state=State.REGISTERED):
            e.flag_duplicate = True
            e.save()
    return len(new)


def merge_persons(*, user, candidate: DuplicateCandidate, keep: Person, note: str = "") -> Person:
    """Merge the other record of the pair into ``keep``: its events, services, children and household
    links move over, blank fields are filled, and the merged record stays (marked, pointing to ``keep``)."""
    require(user, DUPLICATE_REVIEW)
    with transaction.atomic():
        cand = scoped(user, DuplicateCandidate, CAPTURE).select_for_update().get(pk=candidate.pk)
        if cand.status != DuplicateCandidate.Status.OPEN:
            raise ValidationError("此对已处理 / this pair was already decided")
        if keep.pk not in (cand.person_a_id, cand.person_b_id):
            raise ValidationError("保留的记录必须是这一对之一 / the record kept must be one of the pair")
        drop_id = cand.person_b_id if keep.pk == cand.person_a_id else cand.person_a_id
        keep = Person.objects.select_for_update().get(pk=keep.pk)
        drop = Person.objects.select_for_update().get(pk=drop_id)
        for p in (keep, drop):
            ensure_person_in_scope(user, p)
        moved = {}
        for f in ("subject", "mother", "father", "spouse"):
            ids = list(Event.objects.filter(**{f: drop}).values_list("pk", flat=True))
            for e in Event.objects.filter(pk__in=ids):
                setattr(e, f, keep)
                e.save()
            moved[f"events_as_{f}"] = ids
        for s in ServiceRecord.objects.filter(person=drop):
            s.person = keep
            s.save()
        for f in ("mother", "father"):
            for child in Person.objects.filter(**{f: drop}):
                setattr(child, f, keep)
                child.save()
        for h in Household.objects.filter(head=drop):
            h.head = keep
            h.save()
        if not keep.id_number and drop.id_number:
            keep.id_number, keep.id_state = drop.id_number, drop.id_state
            drop.id_number = None  # the number is unique: it moves to the record kept
            drop.save()
        for f in ("education", "household_id", "relation_to_head", "mother_id", "father_id", "death_date"):
            if not getattr(keep, f) and getattr(drop, f):
                setattr(keep, f, getattr(drop, f))
        if drop.record_state == Person.Record.ACTIVE and keep.record_state == Person.Record.PROVISIONAL:
            keep.record_state = Person.Record.ACTIVE
        keep.save()
        drop.record_state, drop.merged_into = Person.Record.MERGED, keep
        drop.save()
        for e in Event.objects.filter(subject=keep, flag_duplicate=True):
            e.flag_duplicate = False
            e.save()
        cand.status, cand.decided_by, cand.decided_at, cand.note = (DuplicateCandidate.Status.MERGED, user,
                                                                    timezone.now(), note[:300])
        cand.save()
        audit.record("merge", keep, user=user, detail={"merged": drop.pk, "kept": keep.pk, "candidate": cand.pk,
                                                       **moved})
    return keep


def dismiss_duplicate(*, user, candidate: DuplicateCandidate, note: str) -> DuplicateCandidate:
    require(user, DUPLICATE_REVIEW)
    if len((note or "").strip()) < 4:
        raise ValidationError({"note": "请说明为何不是重复 / say why these are two people"})
    with transaction.atomic():
        cand = scoped(user, DuplicateCandidate, CAPTURE).select_for_update().get(pk=candidate.pk)
        if cand.status != DuplicateCandidate.Status.OPEN:
            raise ValidationError("此对已处理 / this pair was already decided")
        cand.status, cand.decided_by, cand.decided_at, cand.note = (DuplicateCandidate.Status.DISMISSED, user,
                                                                    timezone.now(), note.strip()[:300])
        cand.save()
        for pid in (cand.person_a_id, cand.person_b_id):
            if not DuplicateCandidate.objects.filter(Q(person_a_id=pid) | Q(person_b_id=pid),
                                                     status=DuplicateCandidate.Status.OPEN).exists():
                for e in Event.objects.filter(subject_id=pid, flag_duplicate=True):
                    e.flag_duplicate = False
                    e.save()
    return cand


def ensure_person_in_scope(user, person: Person, action: str = CAPTURE) -> None:
    if not scoped(user, Person, action).filter(pk=person.pk).exists():
        raise PermissionDenied("该人员不在您的范围内 / this person is outside your areas")


def next_birth_order(mother: Person) -> int:
    """The birth order a new child of ``mother`` most likely has: her children in the register (living or
    not, registered or declared, merged duplicates not counted) plus one. A suggestion for the birth form;
    the officer corrects it when the register misses a child."""
    return Person.objects.filter(mother=mother).exclude(record_state=Person.Record.MERGED).count() + 1


# ------------------------------------------------------------------------------------ work queues
# The queues of the register pages and the counts of the home page's task list are the same
# querysets, so a count on the home page is the length of the list its link opens.

QUEUE_STATES = ("declared", "verified", "returned")


def event_queue(user, state: str = "declared", action: str = "view"):
    """Current events waiting at ``state``: ``declared`` (to verify), ``verified`` (to register) —
    rejected events leave the way until corrected — or ``returned`` (rejected or a correction
    requested, whatever their state). ``action="capture"`` keeps the events of the user's capture areas."""
    if state not in QUEUE_STATES:
        raise ValueError(f"unknown queue {state!r}; expected one of {', '.join(QUEUE_STATES)}")
    qs = scoped(user, Event, action).filter(is_current=True)
    if state == "returned":
        return qs.filter(Q(flag_correction=True) | Q(flag_rejected=True))
    return qs.filter(state=state, flag_rejected=False)


def finding_queue(user, action: str = "view", rule: str = ""):
    """Open findings of the logic checks the user may see (or, ``capture``, may resolve), of one rule if given."""
    qs = scoped(user, Finding, action).filter(status=Finding.Status.OPEN)
    return qs.filter(rule=rule) if rule else qs


def duplicate_queue(user, action: str = "view"):
    """Probable duplicates not yet decided."""
    return scoped(user, DuplicateCandidate, action).filter(status=DuplicateCandidate.Status.OPEN)

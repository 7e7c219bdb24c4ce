"""Migrant records, their state machine, agreements, notifications and the summary (one transaction each)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from renkou.core import areacodes, audit
from renkou.core.roles import PERSON_CAPTURE, PERSON_VIEW
from renkou.core.scoping import ensure_can_capture, require, scoped
from renkou.registry.models import MARRIED_CODES, Event, Person

from . import exchange_hooks, places, states
from .models import Agreement, MigrantRecord, Transition

INFLOW, OUTFLOW = MigrantRecord.Direction.INFLOW, MigrantRecord.Direction.OUTFLOW


def _place(person: Person) -> places.Place:
    return places.registration_place(person.registered_area_id, person.home_code, person.id_number)


# ------------------------------------------------------------------------------------ building


def build_records(county_code: str, *, states_of=None) -> dict[str, int]:
    """Create the migrant records of one county from its register, in bulk (the demo's step and
    ``renkou migrants build``). Inflow: persons resident in the county whose household registration
    lies elsewhere (living, or gone: ``left``); outflow: living persons registered here, resident
    elsewhere. The state is the register's ``migrant_status`` where it fits the direction, else
    unconfirmed; ``states_of(direction, rows)`` may set them otherwise (the demo). Idempotent:
    persons who already have a record of that direction are skipped. Returns the counts created."""
    from renkou.core.pipeline import insert_rows

    prefix = county_code[:6]
    have = set(MigrantRecord.objects.filter(person__isnull=False).filter(
        Q(resident_area__code__startswith=prefix) | Q(registered_area__code__startswith=prefix))
        .values_list("person_id", "direction"))
    active = Person.objects.filter(record_state=Person.Record.ACTIVE)

    def within(column: str) -> Q:  # a range of codes, which the area indexes answer (LIKE scans the table)
        return Q(**{f"{column}__gte": prefix, f"{column}__lte": prefix.ljust(15, "9")})

    inflow = (active.filter(within("resident_area"))
              .exclude(within("registered_area"))
              .filter(Q(status=Person.Status.LIVING) | Q(migrant_status=states.LEFT)))
    outflow = (active.filter(within("registered_area"), status=Person.Status.LIVING)
               .exclude(within("resident_area")))
    created = {INFLOW: 0, OUTFLOW: 0}
    fields = ("id", "registered_area_id", "home_code", "id_number", "resident_area_id", "migrant_status",
              "entry_date", "exit_date")
    now = timezone.now()
    with transaction.atomic():
        for direction, qs in ((INFLOW, inflow), (OUTFLOW, outflow)):
            fitting = states.ALLOWED[direction]
            rows = []
            for pid, reg, home, idn, res, status, entry, exit_ in qs.values_list(*fields).iterator(chunk_size=5000):
                if (pid, direction) in have:
                    continue
                place = places.registration_place(reg, home, idn)
                rows.append({
                    "person_id": pid, "direction": direction,
                    "state": status if status in fitting else states.UNCONFIRMED,
                    "resident_area_id": res if direction == INFLOW else None,
                    "resident_code": "" if direction == INFLOW else (res or ""),
                    "registered_area_id": reg if direction == OUTFLOW else None,
                    "registration_code": place.code, "registration_source": place.source,
                    "arrival_date": entry if direction == INFLOW else None,
                    "departure_date": exit_ if (direction == OUTFLOW or status == states.LEFT) else None,
                    "created": now})
            if states_of is not None:
                states_of(direction, rows)
            insert_rows(MigrantRecord, rows)
            created[direction] = len(rows)
        audit.record("build", object_type="migrants.MigrantRecord", area_code=areacodes.full_code(prefix),
                     detail={"inflow": created[INFLOW], "outflow": created[OUTFLOW]})
    return {"inflow": created[INFLOW], "outflow": created[OUTFLOW]}


# ------------------------------------------------------------------------------------ state machine


def _record_area(record: MigrantRecord) -> str:
    return record.resident_area_id if record.direction == INFLOW else (record.registered_area_id or "")


def transition(*, user, record: MigrantRecord, to: str, reason: str, on: dt.date | None = None) -> MigrantRecord:
    """Move a record to state ``to`` (checked by :mod:`states`), with who/when/why kept."""
    require(user, PERSON_CAPTURE)
    if not reason.strip():
        raise states.Refused("a reason is required")
    area = _record_area(record)
    if area:
        ensure_can_capture(user, area)
    with transaction.atomic():
        record = MigrantRecord.objects.select_for_update().get(pk=record.pk)
        states.check(record.direction, record.state, to)
        before = record.state
        record.state = to
        record.checked_on = on or dt.date.today()
        if to == states.LEFT and record.departure_date is None:
            record.departure_date = on or dt.date.today()
        record.save()
        Transition.objects.create(record=record, from_state=before, to_state=to, reason=reason[:200],
                                  by=user if getattr(user, "is_authenticated", False) else None)
        if record.direction == INFLOW and record.person_id:
            if to == states.INFLOW and before == states.UNCONFIRMED:
                notify(record, "arrival", on=record.arrival_date, user=user)
            elif to == states.LEFT:
                notify(record, "departure", on=record.departure_date, user=user)
    return record


def register_inflow(*, user, record: MigrantRecord, reason: str = "confirmed", **where) -> MigrantRecord:
    """Confirm a new migrant (登记流入): address / landlord or employer may be set at the same time."""
    with transaction.atomic():
        if where:
            MigrantRecord.objects.filter(pk=record.pk).update(**where)
        return transition(user=user, record=record, to=states.INFLOW, reason=reason)


def record_departure(*, user, record: MigrantRecord, on: dt.date, reason: str = "departed") -> MigrantRecord:
    with transaction.atomic():
        MigrantRecord.objects.filter(pk=record.pk).update(departure_date=on)
        return transition(user=user, record=record, to=states.LEFT, reason=reason, on=on)


# ------------------------------------------------------------------------------------ notifications


def notification_payload(person: Person, event: str, *, on: dt.date | None, address: str = "",
                         residence_area: str = "", note: str = "") -> dict:
    return {"event": event, "id_number": person.id_number or "", "name": person.name, "sex": person.sex,
            "birth_date": person.birth_date.isoformat(), "date": (on or dt.date.today()).isoformat(),
            "residence_area": residence_area, "residence_address": address, "note": note}


def notify(record: MigrantRecord, event: str, *, on: dt.date | None, user=None):
    """Tell the registration node (inside the caller's transaction). None: no node serves that area."""
    person = record.person
    payload = notification_payload(person, event, on=on, address=record.address,
                                   residence_area=record.resident_area_id or "")
    message = exchange_hooks.send("notification", area_code=record.registration_code, payload=payload,
                                  person=person, user=user)
    audit.record("notify", record, user=user, detail={"event": event, "routed": message is not None})
    return message


def vital_event_registered(event: Event, *, user=None):
    """A birth, marriage or death of an inflow migrant registered here: tell the registration node."""
    names = {Event.Kind.BIRTH: "birth", Event.Kind.MARRIAGE: "marriage", Event.Kind.DEATH: "death"}
    if event.kind not in names:
        return None
    person = event.mother if event.kind == Event.Kind.BIRTH and event.mother_id else event.subject
    record = MigrantRecord.objects.filter(person=person, direction=INFLOW).exclude(state=states.LEFT).first()
    if record is None:
        return None
    return notify(record, names[event.kind], on=event.event_date, user=user)


def _node_user():
    """The account the node acts as when it applies a message (the first superuser, as the demo)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("id").first()


def handle_notification(message, user=None) -> MigrantRecord | Event | None:
    """Apply a notification at the registration node. An arrival creates or updates the OUTFLOW
    record of the local person (by ID number; a person not found gets an unconfirmed record with
    only the message's fields); a departure updates it; a birth, marriage or death becomes a
    *declared* registry event for the normal workflow. Applying the same message twice changes
    nothing the second time."""
    user = user or _node_user()
    p = message.payload
    kind = p.get("event")
    sender = str(getattr(message, "sender", "") or "")
    on = dt.date.fromisoformat(p["date"]) if p.get("date") else dt.date.today()
    number = (p.get("id_number") or "").upper()
    person = Person.objects.filter(id_number=number).first() if number else None
    with transaction.atomic():
        if kind in ("arrival", "departure"):
            record = (MigrantRecord.objects.filter(person=person, direction=OUTFLOW).first() if person
                      else MigrantRecord.objects.filter(person=None, id_number=number, direction=OUTFLOW).first())
            if record is None:
                place = _place(person) if person else places.registration_place(None, None, number)
                record = MigrantRecord(person=person, direction=OUTFLOW, state=states.UNCONFIRMED,
                                       registered_area_id=person.registered_area_id if person else None,
                                       registration_code=place.code, registration_source=place.source,
                                       id_number="" if person else number, name="" if person else p.get("name", ""))
            record.resident_code = p.get("residence_area") or record.resident_code
            record.address = p.get("residence_address") or record.address
            record.reported_by = sender
            if kind == "arrival":
                record.arrival_date = on
            else:
                record.departure_date = on
            record.save()
            audit.record("notification", record, user=user, detail={"event": kind, "sender": sender})
            return record
        if kind in ("birth", "marriage", "death") and person is not None:
            from renkou.registry.services import declare_event

            kinds = {"birth": Event.Kind.BIRTH, "marriage": Event.Kind.MARRIAGE, "death": Event.Kind.DEATH}
            key = f"n:{kind[0]}:{number}:{on:%Y%m%d}"
            existing = Event.objects.filter(source_key=key).first()
            if existing:
                return existing
            fields = {"kind": kinds[kind], "event_date": on, "area": person.registered_area, "source_key": key,
                      "note": f"notified by {sender}: {p.get('note', '')}"[:200]}
            if kind == "birth":
                fields["mother"] = person
                return declare_event(user=user, child={"name": p.get("note") or "", "sex": 1}, **fields)
            return declare_event(user=user, subject=person, **fields)
    return None


# ------------------------------------------------------------------------------------ agreements


def create_agreement(*, user, number: str, party_name: str, party_kind: str, area_code: str, start: dt.date,
                     end: dt.date, party_contact: str = "", party_provides: str = "", bureau_provides: str = "",
                     migrants=()) -> Agreement:
    """Record one service agreement (签订服务协议) with a landlord or employer of ``area_code``: the
    party is found by name, kind and area or created; ``migrants`` are inflow records the user may
    change. Each refusal names its field (``ValidationError`` keyed by field, "中文 / English")."""
    from django.core.exceptions import ValidationError

    from renkou.core.models import Area
    from renkou.core.roles import MIGRANT_AGREEMENT
    from renkou.core.scoping import CAPTURE, code_in_scope

    from .models import Party

    require(user, MIGRANT_AGREEMENT)
    errors: dict[str, list[str]] = {}
    number = (number or "").strip()
    if not number:
        errors.setdefault("number", []).append("协议编号：必填 / number: required")
    elif Agreement.objects.filter(number=number).exists():
        errors.setdefault("number", []).append(f"协议编号：{number} 已有记录 / number: {number} is already recorded")
    if not (party_name or "").strip():
        errors.setdefault("party_name", []).append("签约方：必填 / party: required")
    if party_kind not in Party.Kind.values:
        errors.setdefault("party_kind", []).append("类型：应为房东或用工单位 / kind: must be landlord or employer")
    area = Area.objects.filter(code=area_code).first() if area_code else None
    if area is None:
        errors.setdefault("area", []).append(f"区划：“{area_code}” 不是已知区划 / area: {area_code!r} is not a known area")
    elif not code_in_scope(user, area.code, CAPTURE):
        errors.setdefault("area", []).append(f"区划：{area.code} 不在您的管辖范围 / area: {area.code} is outside your areas")
    if start and end and end < start:
        errors.setdefault("end", []).append("终止日期：早于起始日期 / until: before the start")
    records = list(migrants)
    for r in records:
        if r.direction != INFLOW or not code_in_scope(user, r.resident_area_id or "", CAPTURE):
            errors.setdefault("migrants", []).append(
                f"服务对象：记录 {r.pk} 不是您辖区的流入人员 / migrants: record {r.pk} is not an inflow migrant of "
                "your areas")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        party, _created = Party.objects.get_or_create(name=party_name.strip(), kind=party_kind, area=area,
                                                      defaults={"contact": party_contact.strip()})
        agreement = Agreement.objects.create(number=number, party=party, area=area, start=start, end=end,
                                             party_provides=party_provides.strip(),
                                             bureau_provides=bureau_provides.strip())
        agreement.migrants.set(records)
    return agreement


# ------------------------------------------------------------------------------------ reads


def view_record(user, pk: int) -> MigrantRecord:
    """One migrant's record for the page: scoped, and the read is audited."""
    require(user, PERSON_VIEW)
    record = get_object_or_404(scoped(user, MigrantRecord).select_related("person", "party"), pk=pk)
    audit.record("view", record, user=user, object_repr=record.person.name if record.person else record.name)
    return record


def summary(area_code: str, period: str | None = None, *, as_of: dt.date | None = None) -> dict:
    """Aggregates of one area: inflow and outflow (records not left), the married women 15–49 among
    the inflow on ``as_of`` (default today), records by direction and state (left included),
    agreements (all, in force on ``as_of``), enquiries of the period (the exchange's counts)."""
    full = areacodes.full_code(area_code)
    prefix = areacodes.prefix(full, areacodes.level_of(full))  # a township's 9 digits, not its code without zeros
    prefix = prefix if len(prefix) >= 6 else area_code[:6]
    as_of = as_of or dt.date.today()
    inflow = MigrantRecord.objects.filter(direction=INFLOW, resident_area__code__startswith=prefix)
    outflow = MigrantRecord.objects.filter(direction=OUTFLOW, registered_area__code__startswith=prefix)
    by_state = {d: dict(qs.values_list("state").annotate(n=Count("id")).order_by("state"))
                for d, qs in ((INFLOW, inflow), (OUTFLOW, outflow))}
    present = inflow.exclude(state=states.LEFT)
    women = present.filter(person__sex=2, person__marital_status__in=sorted(MARRIED_CODES),
                           person__birth_date__gt=_years_before(as_of, 50),
                           person__birth_date__lte=_years_before(as_of, 15)).count()
    agreements = Agreement.objects.filter(area__code__startswith=prefix)
    return {"area": area_code, "period": period or "", "as_of": as_of.isoformat(),
            "inflow": present.count(), "outflow": outflow.exclude(state=states.LEFT).count(),
            "married_women_15_49": women, "by_state": by_state,
            "agreements": agreements.count(),
            "agreements_in_force": agreements.filter(start__lte=as_of, end__gte=as_of).count(),
            "enquiries": exchange_hooks.enquiry_counts(prefix, period)}


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


__all__ = ["PermissionDenied"]

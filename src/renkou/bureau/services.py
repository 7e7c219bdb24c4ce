"""The bureau's own work: every write is one transaction and checks the writer's areas.

Money goes to the one ledger (:mod:`renkou.ledger`): a fund line's allocation is posted from the
county's fund source (equity ``bureau/<area>/<year>/source``) to the line's budget account, spending
from the budget to the line's expense account; the ledger refuses spending beyond the budget.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.models import Area
from renkou.core.scoping import CAPTURE, VIEW, area_prefixes, scoped
from renkou.ledger import services as ledger
from renkou.ledger.models import Account

from .models import (
    AssociationBranch,
    AssociationMember,
    Event,
    EventPhoto,
    Facility,
    FundLine,
    ScreeningCampaign,
    ScreeningRecord,
    StaffPost,
    SupplyMovement,
    VehicleTrip,
    VillageCharter,
)


def _may(user, area_code: str, action: str = CAPTURE) -> None:
    """Refuse a write (or read) outside the user's areas; ``None`` is the system (the demo, commands)."""
    if user is None:
        return
    prefixes = area_prefixes(user, action)
    if prefixes is None:
        return
    if not any(area_code.startswith(p) for p in prefixes):
        raise PermissionDenied(f"{area_code} 不在您的范围 / {area_code} is outside your areas")


# ---- funding ---------------------------------------------------------------------------------------

def fund_line(area: str, year: int, kind: str, name: str, *, user=None) -> FundLine:
    _may(user, area)
    with transaction.atomic():
        line, _ = FundLine.objects.get_or_create(area_id=area, year=year, kind=kind, name=name)
    return line


def _budget(line: FundLine) -> Account:
    return ledger.account(line.account_code("budget"), kind=Account.Kind.ASSET, program="bureau", area_id=line.area_id)


def _spent(line: FundLine) -> Account:
    return ledger.account(line.account_code("spent"), kind=Account.Kind.EXPENSE, program="bureau", area_id=line.area_id)


def allocate(line: FundLine, fen: int, *, on: dt.date, user=None, key: str | None = None):
    """The budget of a line (预算安排): posted from the fund source to the line's budget."""
    _may(user, line.area_id)
    if fen <= 0:
        raise ValidationError("金额必须为正 / amount: must be positive")
    with transaction.atomic():
        source = ledger.account(f"bureau/{line.area_id}/{line.year}/source", kind=Account.Kind.EQUITY,
                                program="bureau", area_id=line.area_id, allow_negative=True)
        return ledger.post([ledger.Line(_budget(line), fen, f"fund-{line.pk}"), ledger.Line(source, -fen, f"fund-{line.pk}")],
                           kind="bureau-budget", description=f"预算 budget {line.name}", date=on, user=user,
                           idempotency_key=key)


def spend(line: FundLine, fen: int, *, on: dt.date, payee: str, user=None, key: str | None = None):
    """Spending against a line (支出); the ledger refuses it beyond what is left of the budget."""
    _may(user, line.area_id)
    if fen <= 0:
        raise ValidationError("金额必须为正 / amount: must be positive")
    with transaction.atomic():
        return ledger.post([ledger.Line(_spent(line), fen, payee[:60]), ledger.Line(_budget(line), -fen, payee[:60])],
                           kind="bureau-spend", description=f"支出 spending {line.name}: {payee}"[:300], date=on,
                           user=user, idempotency_key=key)


def line_figures(line: FundLine) -> dict:
    spent = ledger.balance(_spent(line))
    left = ledger.balance(_budget(line))
    return {"allocated_fen": spent + left, "spent_fen": spent}


# ---- registers -------------------------------------------------------------------------------------

def add_staff(*, area: str, kind: str, name: str, started_on: dt.date, qualified: bool = False,
              qualification: str = "", training: str = "", user=None) -> StaffPost:
    _may(user, area)
    with transaction.atomic():
        post = StaffPost(area_id=area, kind=kind, name=name, started_on=started_on, qualified=qualified,
                         qualification=qualification, training=training)
        post.full_clean()
        post.save()
    return post


def visible_staff(user, *, page: str = "bureau.staff"):
    """Staff posts the user may read (by area); the read is recorded in the audit log."""
    qs = scoped(user, StaffPost, VIEW)
    audit.record("view", None, user=user, object_type="bureau.staffpost", detail={"page": page, "staff": qs.count()})
    return qs


def branch(area: str, name: str, founded_on: dt.date, *, user=None) -> AssociationBranch:
    _may(user, area)
    return AssociationBranch.objects.get_or_create(area_id=area, name=name, defaults={"founded_on": founded_on})[0]


def add_member(br: AssociationBranch, name: str, joined_on: dt.date, *, volunteer: bool = False, user=None):
    _may(user, br.area_id)
    return AssociationMember.objects.create(branch=br, area_id=br.area_id, name=name, joined_on=joined_on,
                                            volunteer=volunteer)


def charter(village: str, *, adopted_on: dt.date | None, self_governing: bool, model_since: dt.date | None = None,
            model_reason: str = "", user=None) -> VillageCharter:
    _may(user, village)
    obj, _ = VillageCharter.objects.update_or_create(village_id=village, defaults={
        "adopted_on": adopted_on, "self_governing": self_governing, "model_since": model_since,
        "model_reason": model_reason})
    return obj


def record_event(*, area: str, kind: str, held_on: dt.date, place: str, reached: int, organiser: str = "bureau",
                 campaign: str = "", audience: str = "", leaflets: int = 0, handbooks: int = 0,
                 source_key: str | None = None, user=None) -> Event:
    _may(user, area)
    with transaction.atomic():
        if source_key and (done := Event.objects.filter(source_key=source_key).first()):
            return done
        ev = Event(area_id=area, kind=kind, held_on=held_on, place=place, reached=reached, organiser=organiser,
                   campaign=campaign, audience=audience, leaflets=leaflets, handbooks=handbooks, source_key=source_key)
        ev.full_clean()
        ev.save()
    return ev


def facility(area: str, kind: str, name: str, *, location: str = "", equipment: str = "", user=None) -> Facility:
    _may(user, area)
    return Facility.objects.get_or_create(area_id=area, kind=kind, name=name,
                                          defaults={"location": location, "equipment": equipment})[0]


def trip(vehicle: Facility, *, area: str, on: dt.date, km: int, purpose: str = "", user=None) -> VehicleTrip:
    _may(user, area)
    if vehicle.kind != Facility.Kind.MOBILE:
        raise ValidationError("车辆：不是流动服务车 / vehicle: not a mobile service vehicle")
    return VehicleTrip.objects.create(vehicle=vehicle, area_id=area, on=on, km=km, purpose=purpose)


def screening_campaign(area: str, name: str, started_on: dt.date, *, user=None) -> ScreeningCampaign:
    _may(user, area)
    return ScreeningCampaign.objects.get_or_create(area_id=area, name=name, defaults={"started_on": started_on})[0]


def screen(camp: ScreeningCampaign, *, area: str, number: str, examined_on: dt.date, consent: bool, outcome: str,
           user=None) -> ScreeningRecord:
    _may(user, area)
    if not consent:
        raise ValidationError("知情同意：未经本人同意不检查 / consent: no examination without the woman's consent")
    return ScreeningRecord.objects.create(campaign=camp, area_id=area, number=number, examined_on=examined_on,
                                          consent=True, outcome=outcome)


def stock(station: Facility, item: str) -> int:
    agg = station.movements.filter(item=item).aggregate(
        r=Sum("quantity", filter=Q(kind=SupplyMovement.Kind.RECEIPT)),
        i=Sum("quantity", filter=Q(kind=SupplyMovement.Kind.ISSUE)))
    return int(agg["r"] or 0) - int(agg["i"] or 0)


def receive(station: Facility, item: str, quantity: int, *, on: dt.date, user=None) -> SupplyMovement:
    _may(user, station.area_id)
    return SupplyMovement.objects.create(station=station, area_id=station.area_id, item=item, quantity=quantity,
                                         on=on, kind=SupplyMovement.Kind.RECEIPT)


def issue(station: Facility, item: str, quantity: int, *, on: dt.date, user=None) -> SupplyMovement:
    """Free supplies issued on request; refused beyond the station's stock."""
    _may(user, station.area_id)
    with transaction.atomic():
        Facility.objects.select_for_update().filter(pk=station.pk).first()
        have = stock(station, item)
        if quantity > have:
            raise ValidationError(f"数量：库存只有 {have} / quantity: only {have} in stock")
        return SupplyMovement.objects.create(station=station, area_id=station.area_id, item=item, quantity=quantity,
                                             on=on, kind=SupplyMovement.Kind.ISSUE)


# ---- figures ---------------------------------------------------------------------------------------

def _in(prefix: str, field: str = "area") -> Q:
    return Q(**{f"{field}__pk__startswith": prefix})


def _registered_on(prefix: str, on: dt.date):
    from renkou.registry.models import Person

    return (Person.objects.filter(registered_area__pk__startswith=prefix).exclude(death_date__lte=on)
            .exclude(exit_date__lte=on).exclude(entry_date__gt=on))


def population(prefix: str, on: dt.date) -> int:
    """Registered persons of the area (its code prefix) alive, entered and not exited on ``on``."""
    return _registered_on(prefix, on).count()


def populations(prefixes: list[str], on: dt.date) -> list[int]:
    """:func:`population` of each prefix, from one statement grouped by registered area (the figures
    of many areas at once, as the indicator engine asks for them)."""
    from renkou.indicators import providers

    rows = (_registered_on(providers.common_prefix(prefixes), on).order_by().values_list("registered_area_id")
            .annotate(n=Count("pk")))
    return [int(n) for n in providers.rollup(rows, prefixes)]


FIGURES = ("allocated_fen", "spent_fen", "per_head_fen", "passed_down_fen", "free_service_fen", "staff",
           "staff_qualified", "villages", "self_governing_villages", "sessions", "reached", "vehicle_trips",
           "vehicle_km", "screened", "found", "treated", "cured")


def figures(prefixes: list[str], year: int) -> list[dict[str, int]]:
    """The bureau's counted figures (:data:`FIGURES`) of each area (its code prefix) for a year.

    Each kind of record is read once, under the areas' common prefix, grouped by area and rolled up
    to every prefix: the indicator engine asks for all its areas at once, and :func:`summary` for
    one area through the same statements."""
    from renkou.indicators import providers

    root = providers.common_prefix(prefixes)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = [dict.fromkeys(FIGURES, 0) for _ in prefixes]

    def add(key: str, pairs) -> None:
        for row, value in zip(out, providers.rollup(pairs, prefixes), strict=True):
            row[key] += int(value)

    lines = [(line, line_figures(line)) for line in FundLine.objects.filter(_in(root), year=year).order_by("pk")]
    add("allocated_fen", [(ln.area_id, f["allocated_fen"]) for ln, f in lines])
    add("spent_fen", [(ln.area_id, f["spent_fen"]) for ln, f in lines])
    add("per_head_fen", [(ln.area_id, f["allocated_fen"]) for ln, f in lines if ln.kind == FundLine.Kind.PER_HEAD])
    add("passed_down_fen", [(ln.area_id, f["allocated_fen"]) for ln, f in lines if ln.kind == FundLine.Kind.TRANSFER])
    add("free_service_fen", [(ln.area_id, f["spent_fen"]) for ln, f in lines
                             if ln.kind == FundLine.Kind.FREE_SERVICE])
    staff = list(StaffPost.objects.filter(_in(root), started_on__lte=end).exclude(ended_on__lt=start).order_by()
                 .values_list("area_id", "qualified").annotate(n=Count("pk")))
    add("staff", [(a, n) for a, _q, n in staff])
    add("staff_qualified", [(a, n) for a, q, n in staff if q])
    add("villages", [(code, 1) for code in Area.objects.filter(pk__startswith=root, level=Area.Level.VILLAGE)
                     .values_list("pk", flat=True)])
    add("self_governing_villages", VillageCharter.objects.filter(_in(root, "village"), self_governing=True)
        .order_by().values_list("village_id").annotate(n=Count("pk")))
    events = list(Event.objects.filter(_in(root), held_on__range=(start, end)).order_by()
                  .values_list("area_id", "kind").annotate(n=Count("pk"), r=Sum("reached")))
    add("sessions", [(a, n) for a, kind, n, _r in events if kind == Event.Kind.PUBLICITY])
    add("reached", [(a, r or 0) for a, _k, _n, r in events])
    trips = list(VehicleTrip.objects.filter(_in(root), on__range=(start, end)).order_by().values_list("area_id")
                 .annotate(n=Count("pk"), km=Sum("km")))
    add("vehicle_trips", [(a, n) for a, n, _km in trips])
    add("vehicle_km", [(a, km or 0) for a, _n, km in trips])
    outcome = ScreeningRecord.Outcome
    screened = list(ScreeningRecord.objects.filter(_in(root), examined_on__range=(start, end)).order_by()
                    .values_list("area_id", "outcome").annotate(n=Count("pk")))
    add("screened", [(a, n) for a, _o, n in screened])
    add("found", [(a, n) for a, o, n in screened if o != outcome.NONE])
    add("treated", [(a, n) for a, o, n in screened if o in (outcome.TREATED, outcome.CURED)])
    add("cured", [(a, n) for a, o, n in screened if o == outcome.CURED])
    return out


def summary(code: str, year: int) -> dict:
    """The bureau's figures for an area (its code prefix) and a year, all counted from the records
    (the counted figures through :func:`figures`, as the indicator engine counts them)."""
    prefix = Area.objects.get(pk=code).prefix if len(code) == 12 else code
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    f = figures([prefix], year)[0]
    pop = population(prefix, end)
    staff = StaffPost.objects.filter(_in(prefix), started_on__lte=end).exclude(ended_on__lt=start)
    events = Event.objects.filter(_in(prefix), held_on__range=(start, end))
    towns = list(Area.objects.filter(pk__startswith=prefix, level=Area.Level.TOWNSHIP).order_by("pk"))
    per_town = {}
    for t in towns:
        tp = t.prefix
        e = events.filter(_in(tp), kind=Event.Kind.PUBLICITY)
        agg = e.aggregate(n=Count("pk"), r=Sum("reached"))
        per_town[t.pk] = {"name": t.name, "sessions": agg["n"], "reached": int(agg["r"] or 0)}
    county_assoc = int(events.filter(organiser=Event.Organiser.ASSOCIATION).aggregate(r=Sum("reached"))["r"] or 0)
    scr = ScreeningRecord.objects.filter(_in(prefix), examined_on__range=(start, end))
    total_alloc, spent, passed = f["allocated_fen"], f["spent_fen"], f["passed_down_fen"]
    return {
        "area": code, "year": year, "population": pop, **f,
        "per_head_budget": (f["per_head_fen"] / 100 / pop) if pop else None,
        "share_passed_down": (passed / total_alloc) if total_alloc else None,
        "spent_share": (spent / total_alloc) if total_alloc else None,
        "staff_migrant_service": staff.filter(kind=StaffPost.Kind.MIGRANT_SERVICE).count(),
        "staff_per_10000": (f["staff"] * 10_000 / pop) if pop else None,
        "association_members": AssociationMember.objects.filter(_in(prefix), joined_on__lte=end).count(),
        "volunteers": AssociationMember.objects.filter(_in(prefix), joined_on__lte=end, volunteer=True).count(),
        "self_governance_coverage": (f["self_governing_villages"] / f["villages"]) if f["villages"] else None,
        "townships": per_town, "association_reached": county_assoc,
        "referred": scr.filter(outcome=ScreeningRecord.Outcome.REFERRED).count(),
    }


# ---- registers kept on pages ------------------------------------------------------------------------

def _fen(yuan: Decimal | None) -> int:
    return int((yuan or Decimal(0)) * 100)


def save_record(user, key: str, instance, data: dict):
    """Create or change one record of a register (:mod:`renkou.bureau.registers`) from a form's cleaned
    data, in one transaction: the writer's capture areas (the record's old and new area), the register's
    own rules, the model's validation; a rule broken raises ``ValidationError`` naming the field and
    nothing is written. A fund line's form may add to its budget and its spending (ledger postings)."""
    from .registers import get

    spec = get(key)
    if instance.pk:
        _may(user, str(getattr(instance, f"{spec.area_field}_id")))
    adding = instance._state.adding
    try:
        return _save_record(user, spec, instance, data)
    except Exception:
        if adding:  # the row was rolled back: the object is new again
            instance.pk = None
            instance._state.adding = True
        raise


def _save_record(user, spec, instance, data: dict):
    from renkou.ledger.money import format_yuan
    from renkou.ledger.services import LedgerError

    with transaction.atomic():
        for name in spec.fields:
            if name in data:
                setattr(instance, name, data[name])
        if isinstance(instance, AssociationMember) and instance.branch_id:
            instance.area_id = instance.branch.area_id
        if isinstance(instance, SupplyMovement) and instance.station_id:
            instance.area_id = instance.station.area_id
        old = None
        if isinstance(instance, SupplyMovement) and instance.pk:
            old = SupplyMovement.objects.filter(pk=instance.pk).values_list("station_id", "item").first()
        _may(user, str(getattr(instance, f"{spec.area_field}_id")))
        _check(instance)
        instance.full_clean()
        instance.save()
        if isinstance(instance, SupplyMovement):
            _check_stock(instance, old)
        if isinstance(instance, FundLine):
            budget, spending = _fen(data.get("add_budget")), _fen(data.get("add_spending"))
            on = data.get("posted_on")
            if (budget or spending) and on is None:
                raise ValidationError({"posted_on": _("needed when an amount is added")})
            if spending and not data.get("payee"):
                raise ValidationError({"payee": _("needed when spending is added")})
            if budget:
                allocate(instance, budget, on=on, user=user)
            if spending:
                try:
                    spend(instance, spending, on=on, payee=data["payee"], user=user)
                except LedgerError:
                    left = line_figures(instance)
                    raise ValidationError({"add_spending": _("more than is left of the budget (%(left)s)") % {
                        "left": format_yuan(left["allocated_fen"] - left["spent_fen"])}}) from None
    return instance


def _check(obj) -> None:
    if isinstance(obj, VehicleTrip) and obj.vehicle_id and obj.vehicle.kind != Facility.Kind.MOBILE:
        raise ValidationError({"vehicle": _("not a mobile service vehicle")})
    if isinstance(obj, ScreeningRecord) and not obj.consent:
        raise ValidationError({"consent": _("no examination without the woman's consent")})
    if isinstance(obj, SupplyMovement) and obj.station_id:
        Facility.objects.select_for_update().filter(pk=obj.station_id).first()


def _check_stock(obj: SupplyMovement, old: tuple | None) -> None:
    """After a movement is written, no stock it touches may be below zero (else the transaction is undone)."""
    for station_id, item in {(obj.station_id, obj.item), *([old] if old else [])}:
        have = stock(Facility.objects.get(pk=station_id), item)
        if have < 0:
            raise ValidationError({"quantity": _("more than the stock of %(item)s (%(have)s)") % {
                "item": item, "have": have + (obj.quantity if obj.kind == SupplyMovement.Kind.ISSUE else 0)}})


MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_KINDS = {"image/jpeg": "jpg", "image/png": "png"}


def photo_kind(head: bytes) -> str | None:
    """The type of an image by its first bytes (never its name): JPEG (SOI marker) or PNG (signature and
    its first chunk IHDR); ``None`` for anything else."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return "image/png"
    return None


def attach_photo(user, event: Event, upload, *, caption: str = "") -> EventPhoto:
    """A JPEG or PNG photo of an event, at most 5 MB, checked by its content; stored under
    ``MEDIA_ROOT/bureau/events/`` with a name of its own."""
    _may(user, event.area_id)
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError({"image": _("the file has %(size)s bytes; a photo may have at most 5 MB") % {
            "size": f"{upload.size:,}"}})
    upload.seek(0)
    kind = photo_kind(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise ValidationError({"image": _("not a JPEG or PNG image (its content was read, not its name)")})
    photo = EventPhoto(event=event, area_id=event.area_id, content_type=kind, size=upload.size, caption=caption[:200])
    photo.image.save(f"{uuid.uuid4().hex}.{PHOTO_KINDS[kind]}", upload, save=False)
    try:
        with transaction.atomic():
            photo.full_clean()
            photo.save()
    except Exception:
        photo.image.delete(save=False)
        raise
    return photo

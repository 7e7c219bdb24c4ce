"""The bureau's registers kept on pages (登记簿): one table of specifications, read by the list pages,
the forms, the XLSX exports, the API and ``renkou bureau list``.

A :class:`Register` names its model, the columns of its list (with the ones summed in the totals
row), the fields of its form, the field that places a row in an area and the field that dates it
(for the year filter). Reading is by area: the registers naming persons (staff, association members)
are read through the one scoping function (``scoping.scoped``) and every read is audited; the others
by the areas the reader is assigned to (``scoping.assigned_prefixes``), as the bureau's figures are.
Writing goes through :func:`renkou.bureau.services.save_record` in the writer's capture areas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from renkou.core import audit
from renkou.core.models import Area
from renkou.core.scoping import CAPTURE, VIEW, area_prefixes, assigned_prefixes, scoped

from . import models as m


@dataclass(frozen=True)
class Column:
    name: str  # a field of the model, or a value computed by ``value``
    label: Any = None  # the field's verbose name when None
    kind: str = "text"  # text, int, yuan (fen), date, bool, choice, fk
    total: bool = False
    value: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Register:
    key: str
    model: type
    label: Any
    columns: tuple[Column, ...]
    fields: tuple[str, ...]
    area_field: str = "area"
    date_field: str | None = None  # a DateField (filtered by its year) or the integer field "year"
    year_q: Callable[[dt.date, dt.date], Q] | None = None  # rows of a year, when not "dated in the year"
    personal: bool = False  # names persons: read through the scoping function, audited
    annotate: Callable[[QuerySet], QuerySet] | None = None
    extra_fields: dict = field(default_factory=dict)  # form fields that are not model fields
    ordering: tuple[str, ...] = ("pk",)
    # FK field → register key of its choices, or (key, filter, action): the rows offered are those the writer
    # may change (``capture``, the default), read (``view``) or that serve them (``SERVING``: the county's
    # vehicle serving a township)
    choices_of: dict = field(default_factory=dict)

    def column_label(self, col: Column) -> str:
        if col.label is not None:
            return str(col.label)
        return str(self.model._meta.get_field(col.name).verbose_name)

    def column_value(self, obj, col: Column):
        """The value of a column as data (for the API, CLI, XLSX): numbers, dates, booleans, words."""
        if col.value is not None:
            return col.value(obj)
        f = self.model._meta.get_field(col.name)
        if f.choices:
            return str(getattr(obj, f"get_{col.name}_display")())
        if f.is_relation:
            target = getattr(obj, col.name)
            return str(target.name if target is not None else "")
        return getattr(obj, col.name)


# ---- computed values ------------------------------------------------------------------------------

def _fund_figures(line) -> dict:
    from . import services

    cached = getattr(line, "_figures", None)
    if cached is None:
        cached = line._figures = services.line_figures(line)
    return cached


def _campaign_counts(qs: QuerySet) -> QuerySet:
    o = m.ScreeningRecord.Outcome
    return qs.annotate(
        n_screened=Count("records"),
        n_found=Count("records", filter=~Q(records__outcome=o.NONE)),
        n_treated=Count("records", filter=Q(records__outcome__in=(o.TREATED, o.CURED))),
        n_cured=Count("records", filter=Q(records__outcome=o.CURED)),
        n_referred=Count("records", filter=Q(records__outcome=o.REFERRED)))


def _yes(value: bool) -> str:
    return str(_("yes") if value else _("no"))


SERVING = "serving"  # rows of the reader's areas and of the areas above them (the county's vehicle)
C = Column
REGISTERS: dict[str, Register] = {r.key: r for r in (
    Register(
        "funds", m.FundLine, _("Budget lines and spending"),
        (C("area", kind="fk"), C("year", kind="int"), C("kind", kind="choice"), C("name"),
         C("allocated", _("budget allocated (yuan)"), "yuan", True, lambda o: _fund_figures(o)["allocated_fen"]),
         C("spent", _("spent (yuan)"), "yuan", True, lambda o: _fund_figures(o)["spent_fen"]),
         C("left", _("left of the budget (yuan)"), "yuan", True,
           lambda o: _fund_figures(o)["allocated_fen"] - _fund_figures(o)["spent_fen"])),
        ("area", "year", "kind", "name"), date_field="year", ordering=("area_id", "year", "kind", "name"),
        extra_fields={
            "add_budget": lambda: forms.DecimalField(label=_("add to the budget (yuan)"), required=False,
                                                     min_value=0, decimal_places=2, max_digits=14),
            "add_spending": lambda: forms.DecimalField(label=_("add spending (yuan)"), required=False,
                                                       min_value=0, decimal_places=2, max_digits=14),
            "payee": lambda: forms.CharField(label=_("paid to"), required=False, max_length=60),
            "posted_on": lambda: forms.DateField(label=_("date of the posting"), required=False),
        }),
    Register(
        "staff", m.StaffPost, _("Staff posts"),
        (C("area", kind="fk"), C("kind", kind="choice"), C("name"), C("qualified", kind="bool", total=True),
         C("qualification"), C("started_on", kind="date"), C("ended_on", kind="date")),
        ("area", "kind", "name", "qualified", "qualification", "training", "performance", "started_on", "ended_on"),
        date_field="started_on", personal=True, ordering=("area_id", "kind", "name"),
        year_q=lambda start, end: Q(started_on__lte=end) & (Q(ended_on__isnull=True) | Q(ended_on__gte=start))),
    Register(
        "branches", m.AssociationBranch, _("Association branches"),
        (C("area", kind="fk"), C("name"), C("founded_on", kind="date"),
         C("members", _("members"), "int", True, lambda o: o.n_members),
         C("volunteers", _("volunteers"), "int", True, lambda o: o.n_volunteers)),
        ("area", "name", "founded_on"), date_field="founded_on", ordering=("area_id", "name"),
        year_q=lambda start, end: Q(founded_on__lte=end),
        annotate=lambda qs: qs.annotate(n_members=Count("members"),
                                        n_volunteers=Count("members", filter=Q(members__volunteer=True)))),
    Register(
        "members", m.AssociationMember, _("Association members and volunteers"),
        (C("area", kind="fk"), C("branch", kind="fk"), C("name"), C("joined_on", kind="date"),
         C("volunteer", kind="bool", total=True)),
        ("branch", "name", "joined_on", "volunteer"), date_field="joined_on", personal=True,
        year_q=lambda start, end: Q(joined_on__lte=end),
        ordering=("area_id", "branch_id", "name"), choices_of={"branch": "branches"}),
    Register(
        "charters", m.VillageCharter, _("Village charters and model villages"),
        (C("village", kind="fk"), C("adopted_on", kind="date"), C("self_governing", kind="bool", total=True),
         C("model", _("model village"), "bool", True, lambda o: o.model_since is not None),
         C("model_since", kind="date"), C("model_reason")),
        ("village", "adopted_on", "self_governing", "model_since", "model_reason"), area_field="village",
        ordering=("village_id",)),
    Register(
        "events", m.Event, _("Publicity, campaigns and training"),
        (C("held_on", kind="date"), C("area", kind="fk"), C("kind", kind="choice"), C("campaign", kind="choice"),
         C("organiser", kind="choice"), C("place"), C("reached", kind="int", total=True),
         C("leaflets", kind="int", total=True), C("handbooks", kind="int", total=True),
         C("photos", _("photos"), "int", True, lambda o: o.n_photos)),
        ("area", "kind", "campaign", "organiser", "held_on", "place", "audience", "reached", "leaflets", "handbooks"),
        date_field="held_on", ordering=("held_on", "pk"), annotate=lambda qs: qs.annotate(n_photos=Count("photos"))),
    Register(
        "facilities", m.Facility, _("Service facilities"),
        (C("area", kind="fk"), C("kind", kind="choice"), C("name"), C("location"), C("equipment")),
        ("area", "kind", "name", "location", "equipment"), ordering=("area_id", "kind", "name")),
    Register(
        "trips", m.VehicleTrip, _("Mobile-vehicle trips"),
        (C("on", kind="date"), C("vehicle", kind="fk"), C("area", kind="fk"), C("km", kind="int", total=True),
         C("purpose")),
        ("vehicle", "area", "on", "km", "purpose"), date_field="on", ordering=("on", "pk"),
        choices_of={"vehicle": ("facilities", {"kind": m.Facility.Kind.MOBILE}, SERVING)}),
    Register(
        "campaigns", m.ScreeningCampaign, _("Screening campaigns"),
        (C("area", kind="fk"), C("name"), C("started_on", kind="date"),
         C("screened", _("women screened"), "int", True, lambda o: o.n_screened),
         C("found", _("conditions found"), "int", True, lambda o: o.n_found),
         C("treated", _("treated"), "int", True, lambda o: o.n_treated),
         C("cured", _("cured"), "int", True, lambda o: o.n_cured),
         C("referred", _("referred"), "int", True, lambda o: o.n_referred)),
        ("area", "name", "started_on"), date_field="started_on", ordering=("started_on", "pk"),
        annotate=_campaign_counts),
    Register(
        "screenings", m.ScreeningRecord, _("Examinations and their outcomes"),
        (C("examined_on", kind="date"), C("campaign", kind="fk"), C("area", kind="fk"), C("number"),
         C("outcome", kind="choice")),
        ("campaign", "area", "number", "examined_on", "consent", "outcome"), date_field="examined_on",
        ordering=("examined_on", "pk"), choices_of={"campaign": ("campaigns", {}, SERVING)}),
    Register(
        "supplies", m.SupplyMovement, _("Free supplies: receipts and issues"),
        (C("on", kind="date"), C("station", kind="fk"), C("item"), C("kind", kind="choice"),
         C("received", _("received"), "int", True,
           lambda o: o.quantity if o.kind == m.SupplyMovement.Kind.RECEIPT else 0),
         C("issued", _("issued"), "int", True, lambda o: o.quantity if o.kind == m.SupplyMovement.Kind.ISSUE else 0)),
        ("station", "item", "kind", "quantity", "on"), date_field="on", ordering=("on", "pk"),
        choices_of={"station": "facilities"}),
)}


def get(key: str) -> Register:
    try:
        return REGISTERS[key]
    except KeyError:
        raise Http404(f"no register {key}") from None


# ---- reading --------------------------------------------------------------------------------------

def _prefix_q(spec: Register, prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{spec.area_field}__pk__startswith": p})
    return q


def readable(user, spec: Register, action: str = VIEW) -> QuerySet:
    """The rows of a register the user may read (``view``) or change (``capture``); ``None`` is the system."""
    qs = spec.model._default_manager.all()
    if user is None:
        return qs
    if action == SERVING:
        prefixes = assigned_prefixes(user, VIEW)
        if prefixes is None:
            return qs
        above = {p[:n].ljust(12, "0") for p in prefixes for n in (2, 4, 6, 9) if len(p) > n}
        return qs.filter(_prefix_q(spec, prefixes) | Q(**{f"{spec.area_field}__pk__in": sorted(above)}))
    if spec.personal or action == CAPTURE:
        # persons (staff, members) by the one scoping function; every write within the capture areas
        return scoped(user, qs, action)
    prefixes = assigned_prefixes(user, VIEW)
    if prefixes is None:
        return qs
    return qs.filter(_prefix_q(spec, prefixes)) if prefixes else qs.none()


def rows(user, spec: Register, *, area: str | None = None, year: int | None = None, audit_page: str = "") -> QuerySet:
    """The rows of an area (its code prefix, or a full code) and year, in the user's scope, ordered."""
    qs = readable(user, spec)
    if area:
        prefix = Area.objects.get(pk=area).prefix if len(area) == 12 else area
        qs = qs.filter(**{f"{spec.area_field}__pk__startswith": prefix})
    if year and spec.year_q:
        qs = qs.filter(spec.year_q(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    elif year and spec.date_field:
        qs = qs.filter(**({"year": year} if spec.date_field == "year" else {f"{spec.date_field}__year": year}))
    related = [c.name for c in spec.columns if c.kind == "fk"]
    qs = qs.select_related(*related).order_by(*spec.ordering)
    if spec.annotate:
        qs = spec.annotate(qs)
    if spec.personal and user is not None:
        audit.record("view", None, user=user, object_type=f"bureau.{spec.model._meta.model_name}",
                     area_code=area or "", detail={"page": audit_page or f"bureau.{spec.key}", "rows": qs.count()})
    return qs


def totals(spec: Register, objs) -> dict[str, int]:
    """Sums of the columns marked ``total`` over the rows (booleans count the true ones)."""
    out = {c.name: 0 for c in spec.columns if c.total}
    cols = [c for c in spec.columns if c.total]
    for obj in objs:
        for c in cols:
            out[c.name] += int(spec.column_value(obj, c) or 0)
    return out


def table(user, spec: Register, *, area: str | None = None, year: int | None = None, audit_page: str = "") -> dict:
    """The register as data: column labels, one dict per row (plus ``id``), the totals row."""
    objs = list(rows(user, spec, area=area, year=year, audit_page=audit_page))
    out_rows = []
    for obj in objs:
        row = {"id": obj.pk}
        for c in spec.columns:
            v = spec.column_value(obj, c)
            row[c.name] = v.isoformat() if isinstance(v, dt.date) else v
        out_rows.append(row)
    return {"register": spec.key, "label": str(spec.label), "area": area, "year": year,
            "columns": [{"name": c.name, "label": spec.column_label(c), "kind": c.kind} for c in spec.columns],
            "rows": out_rows, "totals": totals(spec, objs), "count": len(objs)}


def stock_table(user, *, area: str | None = None) -> list[dict]:
    """Stock per station and item (receipts less issues, all dates) of the stations in the user's scope."""
    qs = readable(user, REGISTERS["supplies"])
    if area:
        prefix = Area.objects.get(pk=area).prefix if len(area) == 12 else area
        qs = qs.filter(area__pk__startswith=prefix)
    kind = m.SupplyMovement.Kind
    agg = (qs.values("station_id", "station__name", "item").order_by("station__name", "item")
           .annotate(r=Sum("quantity", filter=Q(kind=kind.RECEIPT)), i=Sum("quantity", filter=Q(kind=kind.ISSUE))))
    return [{"station": a["station__name"], "item": a["item"], "received": int(a["r"] or 0),
             "issued": int(a["i"] or 0), "stock": int(a["r"] or 0) - int(a["i"] or 0)} for a in agg]


# ---- forms ----------------------------------------------------------------------------------------

def _capture_areas(user) -> QuerySet:
    qs = Area.objects.all()
    if user is None:
        return qs
    prefixes = area_prefixes(user, CAPTURE)
    if prefixes is None:
        return qs
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(code__startswith=p)
    return qs.filter(q) if prefixes else qs.none()


def form_class(spec: Register, user) -> type[forms.ModelForm]:
    """A ModelForm of the register's fields, its choices of areas and linked records within the user's
    capture areas, plus the register's extra fields."""
    attrs = {name: make() for name, make in spec.extra_fields.items()}
    attrs["Meta"] = type("Meta", (), {"model": spec.model, "fields": list(spec.fields),
                                      "widgets": {f: forms.DateInput(attrs={"type": "date"}) for f in spec.fields
                                                  if spec.model._meta.get_field(f).get_internal_type() == "DateField"}})

    def __init__(self, *args, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)
        for name, f in self.fields.items():
            if name in spec.extra_fields:
                f.label = capfirst(f.label)
            elif name in ("area", "village"):
                areas = _capture_areas(user).order_by("code")
                if name == "village":
                    areas = areas.filter(level=Area.Level.VILLAGE)
                f.queryset = areas
            elif name in spec.choices_of:
                target = spec.choices_of[name]
                key, flt, action = (target, {}, CAPTURE) if isinstance(target, str) else target
                f.queryset = readable(user, REGISTERS[key], action).filter(**flt)

    attrs["__init__"] = __init__
    return type(f"{spec.model.__name__}RegisterForm", (forms.ModelForm,), attrs)


def named_errors(form) -> list[str]:
    """Every error of a form as "field: rule", the field named by its label."""
    from django.utils.translation import gettext

    out = []
    for name, errors in form.errors.items():
        label = str(form.fields[name].label) if name in form.fields else ""
        for e in errors:
            out.append(gettext("%(field)s: %(rule)s") % {"field": label, "rule": e} if label else str(e))
    return out

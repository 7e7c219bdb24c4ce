"""Exports of person-level data: scoped, audited, ID numbers masked by default, safe in spreadsheets.

Two layouts: ``people`` (the default) is for reading: column headers in the reader's language, each
coded field with its name beside the code (性别代码 1, 性别 男), areas by name and code, a named sheet.
``machine`` is the import format (docs/formats.md): the importer's column names and codes only, so a
machine export can be imported again.

A cell that starts with ``= + - @`` (or a tab / carriage return) would run as a formula when the
file is opened in Excel or WPS (CSV injection); such cells are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from renkou.core import audit, codes, idnumber
from renkou.core.roles import PERSON_EXPORT
from renkou.core.scoping import require, scoped

from .models import Event, Household, Person, ServiceRecord

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text of a cell that no spreadsheet will evaluate."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


def write_rows(path: Path, header: list[str], rows: Iterable[list], sheet: str = "") -> None:
    """Write CSV (UTF-8 with BOM, which Excel and WPS open correctly) or XLSX (one sheet, named
    ``sheet`` if given), every cell made safe."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=sheet[:31] or None)
        ws.append([safe_cell(h) for h in header])
        for r in rows:
            ws.append([safe_cell(c) for c in r])  # strings only: never a formula cell
        wb.save(path)
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([safe_cell(h) for h in header])
        for r in rows:
            w.writerow([safe_cell(c) for c in r])


def _key(obj) -> str:
    return obj.source_key or str(obj.pk)


def person_rows(qs, unmasked: bool):
    header = ["person_key", "id_number", "name", "sex", "birth_date", "ethnicity", "marital_status", "education",
              "household_key", "relation_to_head", "area_code", "registration", "home_county_code", "status",
              "entry_date", "exit_date", "mother_key", "father_key", "spouse_key", "herder"]
    status = {"living": "present", "dead": "deceased", "moved_out": "moved_out"}

    def rows():
        keys = dict(Person.objects.filter(pk__in=qs.values("mother_id")).values_list("pk", "source_key"))
        keys.update(Person.objects.filter(pk__in=qs.values("father_id")).values_list("pk", "source_key"))
        keys.update(Person.objects.filter(pk__in=qs.values("spouse_id")).values_list("pk", "source_key"))
        for p in qs.select_related("household").iterator(chunk_size=2000):
            yield [_key(p), p.id_number if unmasked else idnumber.mask(p.id_number), p.name, p.sex, p.birth_date,
                   p.ethnicity, p.marital_status, p.education, p.household.source_key or p.household.number
                   if p.household else "", p.relation_to_head, p.resident_area_id,
                   "registered" if p.registered_area_id else "migrant", p.home_code,
                   "departed" if p.migrant_status == "left" else status[p.status], p.entry_date, p.exit_date,
                   keys.get(p.mother_id) or p.mother_id or "", keys.get(p.father_id) or p.father_id or "",
                   keys.get(p.spouse_id) or p.spouse_id or "", int(p.herder)]
    return header, rows()


def household_rows(qs, unmasked: bool):
    header = ["household_key", "area_code", "head_key", "kind", "herder", "established_date", "dissolved_date",
              "address"]

    def rows():
        for h in qs.select_related("head").iterator(chunk_size=2000):
            yield [_key(h), h.area_id, _key(h.head) if h.head else "", h.registration_type, int(h.herder),
                   h.established, h.dissolved, h.address]
    return header, rows()


def event_rows(qs, unmasked: bool):
    header = ["record_id", "kind", "person_key", "event_date", "registration_date", "registration_state",
              "area_code", "mother_key", "father_key", "spouse_key", "birth_order", "plurality", "delivery_place",
              "from_code", "to_code"]

    def rows():
        for e in qs.filter(is_current=True).select_related("subject", "mother", "father", "spouse") \
                .iterator(chunk_size=2000):
            yield [_key(e), e.kind, _key(e.subject), e.event_date, e.registration_date, e.state, e.area_id,
                   _key(e.mother) if e.mother else "", _key(e.father) if e.father else "",
                   _key(e.spouse) if e.spouse else "", e.birth_order or "", e.plurality or "", e.delivery_place,
                   e.from_code, e.to_code]
    return header, rows()


def service_rows(qs, unmasked: bool):
    header = ["record_id", "person_key", "service", "service_date", "area_code", "provider", "method", "consent",
              "consent_date", "outcome"]

    def rows():
        for s in qs.select_related("person").iterator(chunk_size=2000):
            yield [_key(s), _key(s.person), s.type, s.date, s.area_id, s.provider, s.method, "yes", s.consent_date,
                   s.outcome]
    return header, rows()


EXPORTS = {"persons": (Person, person_rows), "households": (Household, household_rows),
           "events": (Event, event_rows), "services": (ServiceRecord, service_rows)}
LAYOUTS = ("people", "machine")

# ------------------------------------------------------------------------------ layout for people
SHEETS = {"persons": pgettext_lazy("sheet", "Persons"), "households": pgettext_lazy("sheet", "Households"),
          "events": pgettext_lazy("sheet", "Events"), "services": pgettext_lazy("sheet", "Services")}


def _date(d) -> str:
    return d.isoformat() if d else ""


def _choice(choices, value) -> str:
    """The display name of ``value`` in a model's choices, '' for an empty value."""
    if value in (None, ""):
        return ""
    return str(dict(choices).get(value, value))


def _area_names(codes_: Iterable[str]) -> dict[str, str]:
    from renkou.core.models import Area

    return dict(Area.objects.filter(code__in=set(c for c in codes_ if c)).values_list("code", "name"))


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def person_rows_for_people(qs, unmasked: bool, lang: str):
    header = [pgettext("column", "Person key"), pgettext("column", "ID number"), pgettext("column", "Name"),
              pgettext("column", "Sex code"), pgettext("column", "Sex"), pgettext("column", "Birth date"),
              pgettext("column", "Ethnicity code"), pgettext("column", "Ethnicity"),
              pgettext("column", "Marital status code"), pgettext("column", "Marital status"),
              pgettext("column", "Education code"), pgettext("column", "Education"),
              pgettext("column", "Household number"), pgettext("column", "Relation to head code"),
              pgettext("column", "Relation to head"), pgettext("column", "Residence code"),
              pgettext("column", "Residence"), pgettext("column", "Registration"),
              pgettext("column", "Place of household registration (county code)"),
              pgettext("column", "Status"), pgettext("column", "Entered the register"),
              pgettext("column", "Left the register"), pgettext("column", "Mother (person key)"),
              pgettext("column", "Father (person key)"), pgettext("column", "Spouse (person key)"),
              pgettext("column", "Herder")]

    def rows():
        keys = dict(Person.objects.filter(pk__in=qs.values("mother_id")).values_list("pk", "source_key"))
        keys.update(Person.objects.filter(pk__in=qs.values("father_id")).values_list("pk", "source_key"))
        keys.update(Person.objects.filter(pk__in=qs.values("spouse_id")).values_list("pk", "source_key"))
        names = _area_names(qs.values_list("resident_area_id", flat=True).distinct())
        education = Person._meta.get_field("education").choices
        relation = Person._meta.get_field("relation_to_head").choices
        status = Person._meta.get_field("status").choices
        for p in qs.select_related("household").iterator(chunk_size=2000):
            yield [_key(p), p.id_number if unmasked else idnumber.mask(p.id_number), p.name, p.sex,
                   codes.label(codes.SEX, p.sex, lang), _date(p.birth_date), p.ethnicity,
                   codes.label(codes.ETHNICITY, p.ethnicity, lang) if p.ethnicity else "", p.marital_status,
                   codes.label(codes.MARITAL, p.marital_status, lang) if p.marital_status else "",
                   p.education, _choice(education, p.education) if p.education else "",
                   (p.household.source_key or p.household.number) if p.household else "", p.relation_to_head,
                   _choice(relation, p.relation_to_head), p.resident_area_id, names.get(p.resident_area_id, ""),
                   _("registered population") if p.registered_area_id else _("migrant"), p.home_code,
                   _("left") if p.migrant_status == "left" else _choice(status, p.status),
                   _date(p.entry_date), _date(p.exit_date),
                   keys.get(p.mother_id) or p.mother_id or "", keys.get(p.father_id) or p.father_id or "",
                   keys.get(p.spouse_id) or p.spouse_id or "", _yes(p.herder)]
    return header, rows()


def household_rows_for_people(qs, unmasked: bool, lang: str):
    header = [pgettext("column", "Household number"), pgettext("column", "Area code"),
              pgettext("column", "Area"), pgettext("column", "Head of household (person key)"),
              pgettext("column", "Head of household"), pgettext("column", "Registration type"),
              pgettext("column", "Herder household"), pgettext("column", "Established"),
              pgettext("column", "Dissolved"), pgettext("column", "Address")]
    kinds = Household._meta.get_field("registration_type").choices

    def rows():
        names = _area_names(qs.values_list("area_id", flat=True).distinct())
        for h in qs.select_related("head").iterator(chunk_size=2000):
            yield [_key(h), h.area_id, names.get(h.area_id, ""), _key(h.head) if h.head else "",
                   h.head.name if h.head else "", _choice(kinds, h.registration_type), _yes(h.herder),
                   _date(h.established), _date(h.dissolved), h.address]
    return header, rows()


def event_rows_for_people(qs, unmasked: bool, lang: str):
    header = [pgettext("column", "Record number"), pgettext("column", "Event"),
              pgettext("column", "Person (person key)"), pgettext("column", "Person"),
              pgettext("column", "Event date"), pgettext("column", "Registration date"),
              pgettext("column", "State"), pgettext("column", "Area code"), pgettext("column", "Area"),
              pgettext("column", "Mother (person key)"), pgettext("column", "Father (person key)"),
              pgettext("column", "Spouse (person key)"), pgettext("column", "Birth order"),
              pgettext("column", "Plurality"), pgettext("column", "Place of delivery"),
              pgettext("column", "From (area code)"), pgettext("column", "To (area code)")]
    kinds = Event._meta.get_field("kind").choices
    states = Event._meta.get_field("state").choices
    places = Event._meta.get_field("delivery_place").choices

    def rows():
        current = qs.filter(is_current=True)
        names = _area_names(current.values_list("area_id", flat=True).distinct())
        for e in current.select_related("subject", "mother", "father", "spouse").iterator(chunk_size=2000):
            yield [_key(e), _choice(kinds, e.kind), _key(e.subject), e.subject.name, _date(e.event_date),
                   _date(e.registration_date), _choice(states, e.state), e.area_id, names.get(e.area_id, ""),
                   _key(e.mother) if e.mother else "", _key(e.father) if e.father else "",
                   _key(e.spouse) if e.spouse else "", e.birth_order or "", e.plurality or "",
                   _choice(places, e.delivery_place), e.from_code, e.to_code]
    return header, rows()


def service_rows_for_people(qs, unmasked: bool, lang: str):
    header = [pgettext("column", "Record number"), pgettext("column", "Person (person key)"),
              pgettext("column", "Person"), pgettext("column", "Service"),
              pgettext("column", "Service date"), pgettext("column", "Area code"),
              pgettext("column", "Area"), pgettext("column", "Provider"), pgettext("column", "Method"),
              pgettext("column", "Informed consent"), pgettext("column", "Consent date"),
              pgettext("column", "Outcome")]
    types = ServiceRecord._meta.get_field("type").choices

    def rows():
        names = _area_names(qs.values_list("area_id", flat=True).distinct())
        for s in qs.select_related("person").iterator(chunk_size=2000):
            yield [_key(s), _key(s.person), s.person.name, _choice(types, s.type), _date(s.date), s.area_id,
                   names.get(s.area_id, ""), s.provider, s.method, _("yes"), _date(s.consent_date), s.outcome]
    return header, rows()


FOR_PEOPLE = {"persons": person_rows_for_people, "households": household_rows_for_people,
              "events": event_rows_for_people, "services": service_rows_for_people}


def export(*, user, kind: str, path: str | Path, area_code: str | None = None, unmasked: bool = False,
           layout: str = "people", lang: str | None = None) -> int:
    """Export the rows of ``kind`` the user may see (under ``area_code`` if given); returns the row count.

    ID numbers are masked unless ``unmasked`` (which needs the export permission as well and is noted
    in the audit record). The export is audited with its filter and row count. ``layout`` ``people``
    writes headers and code names in ``lang`` (``zh-hans`` or ``en``; the active language if not
    given), ``machine`` the import format.
    """
    require(user, PERSON_EXPORT)
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: one of {', '.join(LAYOUTS)}")
    model, build = EXPORTS[kind]
    qs = scoped(user, model)
    if area_code:
        from django.db.models import Q

        from renkou.core.models import Area

        prefix = Area.objects.get(code=area_code).prefix
        q = Q(pk__in=[])
        for f in model.scope_fields:
            q |= Q(**{f"{f}__pk__startswith": prefix})
        qs = qs.filter(q)
    if model is Person:
        qs = qs.exclude(record_state=Person.Record.MERGED)
    lang = lang or translation.get_language() or "zh-hans"
    counted = []

    def counting(rows):
        for r in rows:
            counted.append(1)
            yield r

    with translation.override(lang):
        if layout == "machine":
            header, rows = build(qs.order_by("pk"), unmasked)
            sheet = kind
        else:
            header, rows = FOR_PEOPLE[kind](qs.order_by("pk"), unmasked, lang)
            sheet = str(SHEETS[kind])
        write_rows(Path(path), header, counting(rows), sheet=sheet)
    audit.record("export", user=user, object_type=f"registry.{kind}", object_repr=Path(path).name,
                 area_code=area_code or "",
                 detail={"rows": len(counted), "filter": {"kind": kind, "area": area_code or ""},
                         "masked": not unmasked, "layout": layout, "at": timezone.now().isoformat()})
    return len(counted)

"""Exports of person-level data: scoped, audited, ID numbers masked by default, safe in spreadsheets.

A cell that starts with ``= + - @`` (or a tab / carriage return) would run as a formula when the
file is opened in Excel or WPS (CSV injection); such cells are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from django.utils import timezone

from renkou.core import audit, idnumber
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


def write_rows(path: Path, header: list[str], rows: Iterable[list]) -> None:
    """Write CSV (UTF-8 with BOM, which Excel and WPS open correctly) or XLSX, every cell made safe."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
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


def export(*, user, kind: str, path: str | Path, area_code: str | None = None, unmasked: bool = False) -> int:
    """Export the rows of ``kind`` the user may see (under ``area_code`` if given); returns the row count.

    ID numbers are masked unless ``unmasked`` (which needs the export permission as well and is noted
    in the audit record). The export is audited with its filter and row count.
    """
    require(user, PERSON_EXPORT)
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
    header, rows = build(qs.order_by("pk"), unmasked)
    counted = []

    def counting():
        for r in rows:
            counted.append(1)
            yield r

    write_rows(Path(path), header, counting())
    audit.record("export", user=user, object_type=f"registry.{kind}", object_repr=Path(path).name,
                 area_code=area_code or "",
                 detail={"rows": len(counted), "filter": {"kind": kind, "area": area_code or ""},
                         "masked": not unmasked, "at": timezone.now().isoformat()})
    return len(counted)

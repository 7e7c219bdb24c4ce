"""Exchange of aggregate values (数据交换): ADX (XML) and DHIS2 JSON data value sets.

**ADX** (IHE QRPH Aggregate Data Exchange, namespace ``urn:ihe:qrph:adx:2015``; the schema the
export is checked against ships as ``data/adx.xsd``):

* root ``<adx exported="…">`` — ``exported`` is the ``xs:dateTime`` of the export;
* one ``<group>`` per area × period × data set, with ``orgUnit`` (the 12-digit area code),
  ``period`` (ISO 8601 start / duration: ``2005-01-01/P1Y``, ``2005-07-01/P1M``, the statistical
  year ``2004-10-01/P1Y``) and ``dataSet`` — always: the form the element belongs to, or
  :data:`CATALOG_DATASET` for elements on no form;
* one ``<dataValue dataElement="…" value="…">`` per number, with **one attribute per category**
  of the element's disaggregation (``marital_status="married"``, ``sex="1" age_group="15-19"``).

**JSON** follows DHIS2's ``dataValueSets``: ``{"dataValues": [{"dataElement", "period",
"orgUnit", "categoryOptionCombo", "value", …}]}`` with DHIS2 period identifiers (``2005``,
``2005S1``, ``2005Q3``, ``200507``, ``20050715``; the statistical year 1 October – 30 September
is DHIS2's October financial year, ``2005SY`` → ``2004Oct``). :func:`parse_dhis2_period` reads them back.

Codes are Renkou's own (element codes, 12-digit area codes, option codes).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import quoteattr

from django.utils import timezone

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period

from .models import DataSet, DataValue

ADX_NS = "urn:ihe:qrph:adx:2015"
ADX_SCHEMA = Path(__file__).resolve().parent / "data" / "adx.xsd"
CATALOG_DATASET = "renkou_catalog"
"""Data set code of elements that are on no form (register-derived and catalog-only values)."""
OPTION_SEPARATOR = "|"
"""A disaggregation of an element with several categories holds one option of each, in order."""
FALLBACK_CATEGORY = "category"
"""Attribute name for the option of an element whose category has not been named."""


def _adx_period(p: Period) -> str:
    """ADX period: start date / ISO 8601 duration (P1M, P3M, P6M, P1Y; the statistical year is P1Y from October)."""
    duration = {"month": "P1M", "quarter": "P3M", "half": "P6M", "year": "P1Y", "stat_year": "P1Y",
                "day": "P1D"}.get(p.kind, f"P{p.days}D")
    return f"{p.start.isoformat()}/{duration}"


def dhis2_period(p: Period) -> str:
    """DHIS2 period identifier of ``p``: the statistical year is the October financial year ``2004Oct``."""
    if p.kind == "stat_year":
        return f"{p.start.year:04d}Oct"
    if p.kind == "range":
        raise ValueError(f"期间 {p.code} 在 DHIS2 中没有对应 / period {p.code} has no DHIS2 identifier")
    return p.code  # 2005, 2005S1, 2005Q3, 200507, 20050715 are DHIS2's own forms


_DHIS2_OCT = re.compile(r"^(\d{4})Oct$")


def parse_dhis2_period(code: str) -> Period:
    """The period of a DHIS2 identifier (``2005``, ``2005S1``, ``2005Q3``, ``200507``, ``20050715``, ``2004Oct``)."""
    m = _DHIS2_OCT.match(code.strip())
    if m:
        return Period.stat_year(int(m.group(1)) + 1)
    if code.strip().upper().endswith("SY"):
        raise ValueError(f"{code!r} 不是 DHIS2 期间 / {code!r} is not a DHIS2 period")
    return Period.parse(code)


def values(area_code: str, period_code: str, dataset: str | None = None) -> list[DataValue]:
    """Stored data values of the area's subtree in periods inside ``period_code`` (optionally one form)."""
    area = Area.objects.get(code=areacodes.full_code(area_code))
    period = Period.parse(period_code)
    qs = DataValue.objects.filter(area__pk__startswith=area.prefix).select_related("element")
    if dataset:
        qs = qs.filter(element__datasets__code=dataset)
    codes = [c for c in qs.values_list("period", flat=True).distinct() if _inside(period, c)]
    return list(qs.filter(period__in=codes).order_by("period", "area_id", "element__code", "disaggregation"))


def _inside(period: Period, code: str) -> bool:
    try:
        return period.contains(Period.parse(code))
    except ValueError:
        return False


def _number(v) -> str:
    return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")


def options(element, disaggregation: str) -> dict[str, str]:
    """The disaggregation of a value as {category: option} (one ADX attribute each)."""
    if not disaggregation:
        return {}
    parts = disaggregation.split(OPTION_SEPARATOR)
    categories = list(element.categories or [])
    if len(categories) != len(parts):
        if len(parts) == 1 and not categories:
            return {FALLBACK_CATEGORY: disaggregation}
        raise ValueError(f"数据元 {element.code} 的分类 {disaggregation!r} 与类别 {categories} 不符 / "
                         f"element {element.code}: disaggregation {disaggregation!r} does not match its "
                         f"categories {categories}")
    return dict(zip(categories, parts, strict=True))


def _datasets_of(rows: list[DataValue], dataset: str) -> dict[int, str]:
    """The data set code each element is exported under: the named one, else its first form by code."""
    if dataset:
        return {v.element_id: dataset for v in rows}
    forms: dict[int, str] = {}
    through = DataSet.elements.through.objects.filter(dataelement_id__in={v.element_id for v in rows})
    for element_id, code in through.order_by("dataset__code").values_list("dataelement_id", "dataset__code"):
        forms.setdefault(element_id, code)
    return {v.element_id: forms.get(v.element_id, CATALOG_DATASET) for v in rows}


def to_adx(rows: list[DataValue], dataset: str = "", *, exported: dt.datetime | None = None) -> str:
    """The values as an ADX document (see the module text)."""
    stamp = (exported or timezone.now()).astimezone(dt.UTC).replace(microsecond=0).isoformat()
    forms = _datasets_of(rows, dataset)
    groups: dict[tuple[str, str, str], list[DataValue]] = defaultdict(list)
    for v in rows:
        groups[(v.area_id, v.period, forms[v.element_id])].append(v)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<adx xmlns="{ADX_NS}" exported={quoteattr(stamp)}>']
    for (area, period, form), vs in groups.items():
        out.append(f"  <group orgUnit={quoteattr(area)} period={quoteattr(_adx_period(Period.parse(period)))} "
                   f"dataSet={quoteattr(form)}>")
        for v in vs:
            attrs = "".join(f" {cat}={quoteattr(opt)}" for cat, opt in options(v.element, v.disaggregation).items())
            out.append(f"    <dataValue dataElement={quoteattr(v.element.code)}{attrs} "
                       f"value={quoteattr(_number(v.value))}/>")
        out.append("  </group>")
    out.append("</adx>")
    return "\n".join(out) + "\n"


def to_json(rows: list[DataValue], dataset: str = "") -> str:
    """The values as a DHIS2 data value set (periods as DHIS2 identifiers)."""
    body = {"dataSet": dataset or None, "dataValues": [
        {"dataElement": v.element.code, "period": dhis2_period(Period.parse(v.period)), "orgUnit": v.area_id,
         "categoryOptionCombo": v.disaggregation or "default", "attributeOptionCombo": "default",
         "value": _number(v.value), "comment": v.comment or None, "followup": v.outlier} for v in rows]}
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def export(area_code: str, period_code: str, *, fmt: str = "adx", dataset: str | None = None) -> str:
    if dataset and not DataSet.objects.filter(code=dataset).exists():
        raise ValueError(f"没有报表 {dataset} / no data set {dataset}")
    rows = values(area_code, period_code, dataset)
    return to_adx(rows, dataset or "") if fmt == "adx" else to_json(rows, dataset or "")

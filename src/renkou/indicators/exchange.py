"""Exchange of aggregate values (数据交换): DHIS2-compatible ADX (XML) and JSON data value sets.

ADX (ISO/IEC 19845, ``urn:ihe:qrph:adx:2015``): one ``<group>`` per area × period × form, one
``<dataValue>`` per element, with the disaggregation as an attribute. The JSON data value set
follows DHIS2's ``dataValueSets`` shape (``dataElement``, ``period``, ``orgUnit``,
``categoryOptionCombo``, ``value``). Codes are Renkou's own (element codes, 12-digit area codes).
"""

from __future__ import annotations

import json
from collections import defaultdict
from xml.sax.saxutils import quoteattr

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period

from .models import DataSet, DataValue

ADX_NS = "urn:ihe:qrph:adx:2015"


def _adx_period(p: Period) -> str:
    """ADX period: start date / ISO 8601 duration (P1M, P3M, P6M, P1Y; the statistical year is P1Y from Oct)."""
    duration = {"month": "P1M", "quarter": "P3M", "half": "P6M", "year": "P1Y", "stat_year": "P1Y",
                "day": "P1D"}.get(p.kind, f"P{p.days}D")
    return f"{p.start.isoformat()}/{duration}"


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


def to_adx(rows: list[DataValue], dataset: str = "") -> str:
    groups: dict[tuple[str, str], list[DataValue]] = defaultdict(list)
    for v in rows:
        groups[(v.area_id, v.period)].append(v)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<adx xmlns="{ADX_NS}" exported="renkou">']
    for (area, period), vs in groups.items():
        ds = f" dataSet={quoteattr(dataset)}" if dataset else ""
        out.append(f"  <group orgUnit={quoteattr(area)} period={quoteattr(_adx_period(Period.parse(period)))}{ds}>")
        for v in vs:
            dis = f" disaggregation={quoteattr(v.disaggregation)}" if v.disaggregation else ""
            out.append(f"    <dataValue dataElement={quoteattr(v.element.code)}{dis} value={quoteattr(_number(v.value))}/>")
        out.append("  </group>")
    out.append("</adx>")
    return "\n".join(out) + "\n"


def to_json(rows: list[DataValue], dataset: str = "") -> str:
    body = {"dataSet": dataset or None, "dataValues": [
        {"dataElement": v.element.code, "period": v.period, "orgUnit": v.area_id,
         "categoryOptionCombo": v.disaggregation or "default", "value": _number(v.value),
         "comment": v.comment or None, "followup": v.outlier} for v in rows]}
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def export(area_code: str, period_code: str, *, fmt: str = "adx", dataset: str | None = None) -> str:
    if dataset and not DataSet.objects.filter(code=dataset).exists():
        raise ValueError(f"没有报表 {dataset} / no data set {dataset}")
    rows = values(area_code, period_code, dataset)
    return to_adx(rows, dataset or "") if fmt == "adx" else to_json(rows, dataset or "")

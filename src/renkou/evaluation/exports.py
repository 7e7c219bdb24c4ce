"""Exports of assessment results: the ranking table as XLSX with a native bar chart (排名表).

Cells that would start with ``= + - @`` are prefixed with an apostrophe so no spreadsheet reads
them as formulas (CSV/Excel injection).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from .models import Run, UnitResult

FORMULA_START = ("=", "+", "-", "@")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet could take for a formula gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def ranking_xlsx_for(user, run: Run, lang: str = "zh") -> bytes:
    """The ranking workbook for ``user``: every unit's details, so only for those who read the run
    whole (the assessment managers and readers of its area); the export is audited."""
    from django.core.exceptions import PermissionDenied

    from renkou.core import audit

    from . import services

    if services.scheme_access(user, run.scheme) not in (services.MANAGE, services.READ):
        raise PermissionDenied("无权导出此排名表 / not permitted to export this ranking")
    data = ranking_xlsx(run, lang)
    audit.record("export", run, user=user, detail={"format": "xlsx"})
    return data


def ranking_xlsx(run: Run, lang: str = "zh") -> bytes:
    """Workbook: sheet 1 the ranking with every item's points and a bar chart of totals; sheet 2 the
    explanations of every item of every unit."""
    zh = lang.startswith("zh")
    parsed = run.parsed_scheme()
    items = list(parsed.items)
    wb = Workbook()
    ws = wb.active
    ws.title = "排名 ranking"
    ws.append([safe_cell(f"{run.scheme.name_zh if zh else run.scheme.name_en} · {run.period_code} · v{run.version}"
                         f" · {run.status}" + (f" · SHA-256 {run.content_hash}" if run.content_hash else ""))])
    header = (["名次", "代码", "单位", "同类组", "组内名次", "总分", "等次", "一票否决", "预警"] if zh else
              ["rank", "code", "unit", "peer group", "rank in group", "total", "grade", "veto", "warnings"])
    ws.append(header + [f"{i.code} {i.name_zh if zh else i.name_en}" for i in items])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    lines = UnitResult.objects.filter(run=run).order_by("rank", "unit_id", "department_id").prefetch_related("items")
    n = 0
    for u in lines:
        points = {i.item_code: i.points for i in u.items.all()}
        ws.append([u.rank, u.unit_key, safe_cell(u.name_in("zh" if zh else "en")), u.peer_group, u.group_rank, float(u.total),
                   safe_cell(u.grade_zh if zh else u.grade_en), "是" if (u.vetoed and zh) else (
                       "yes" if u.vetoed else ""),
                   safe_cell("、".join(w["zh" if zh else "en"] for w in u.warnings))]
                  + [None if points.get(i.code) is None else float(points[i.code]) for i in items])
        n += 1
    if n:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "总分" if zh else "Total points"
        chart.add_data(Reference(ws, min_col=6, min_row=2, max_row=2 + n), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=3, min_row=3, max_row=2 + n))
        chart.height, chart.width = max(7, 0.5 * n), 16
        ws.add_chart(chart, f"{ws.cell(row=1, column=len(header) + len(items) + 2).column_letter}3")
    detail = wb.create_sheet("计分说明 explanations")
    detail.append(["代码", "单位", "项目", "数值", "目标", "得分", "说明"] if zh else
                  ["code", "unit", "item", "value", "target", "points", "explanation"])
    for u in lines:
        for i in u.items.all():
            detail.append([u.unit_key, safe_cell(u.name_in("zh" if zh else "en")), i.item_code,
                           None if i.value is None else float(i.value), None if i.target is None else float(i.target),
                           None if i.points is None else float(i.points),
                           safe_cell(i.explanation_zh if zh else i.explanation_en)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

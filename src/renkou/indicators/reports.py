"""Statistical report tables (统计报表) of a county by township, as rows and as XLSX.

A report is a list of columns (indicators) and one row per township plus the county total, read
from the stored indicator values. The XLSX keeps the layout a statistician expects: title, unit and
period lines, a two-line header (Chinese over English), a total row, numbers as numbers, and a
native Excel bar chart of the first rate column. Text cells that start with = + - @ are prefixed
with an apostrophe so a spreadsheet never runs them as formulas.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from renkou.core.models import Area
from renkou.core.periods import Period

from .models import Indicator, IndicatorValue

REPORTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "annual": ("人口和计划生育统计年报", "annual population statistics report",
               ("population_end", "mean_population", "births_count", "births_provisional_count", "cbr",
                "deaths_count", "deaths_provisional_count", "cdr",
                "natural_increase", "srb", "first_birth_share", "second_birth_share", "third_plus_birth_share",
                "hospital_delivery_rate", "move_in_count", "move_out_count", "migrant_arrivals_count",
                "inflow_population_end", "married_women_15_49_end", "contraceptive_prevalence",
                "persons_served_register", "late_birth_share")),
    "semiannual": ("人口和计划生育统计半年报", "semi-annual population statistics report",
                   ("population_end", "births_count", "births_provisional_count", "cbr", "deaths_count",
                    "natural_increase", "srb",
                    "first_birth_share", "second_birth_share", "third_plus_birth_share", "move_in_count",
                    "move_out_count", "married_women_15_49_end", "contraceptive_prevalence")),
}


@dataclass
class Report:
    title_zh: str
    title_en: str
    area: Area
    period: Period
    columns: list[Indicator]
    rows: list[tuple[Area, list[float | None]]]  # townships, then the county total last


def build(kind: str, area: Area, period_code: str) -> Report:
    """The report table of ``area`` (a county) by its children for the period, from stored values."""
    if kind not in REPORTS:
        raise ValueError(f"未知报表 {kind!r} / unknown report {kind!r} (known: {', '.join(REPORTS)})")
    period = Period.parse(period_code)
    zh, en, codes = REPORTS[kind]
    by_code = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    columns = [by_code[c] for c in codes if c in by_code]
    areas = list(Area.objects.filter(parent=area).order_by("code")) + [area]
    got: dict[tuple[str, str], float | None] = {}
    for a, c, v in IndicatorValue.objects.filter(area__in=areas, period=period.code, indicator__in=columns) \
            .values_list("area_id", "indicator__code", "value"):
        got[(a, c)] = None if v is None else float(v)
    rows = [(a, [got.get((a.code, c.code)) for c in columns]) for a in areas]
    rows = [r for r in rows if r[0] is area or any(v is not None for v in r[1])]
    return Report(zh, en, area, period, columns, rows)


def safe_text(value: str) -> str:
    """A cell text that a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = report.period.code
    n = len(report.columns) + 2
    thin = Side(style="thin", color="999999")
    ws.cell(1, 1, safe_text(f"{report.area.name}{report.title_zh}"))
    ws.cell(2, 1, safe_text(f"{report.title_en} — {report.area.code}"))
    ws.cell(3, 1, safe_text(f"统计期间 / period: {report.period.label('zh')} ({report.period.code})"))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    head = 5
    ws.cell(head, 1, "区划代码")
    ws.cell(head + 1, 1, "code")
    ws.cell(head, 2, "单位")
    ws.cell(head + 1, 2, "area")
    for j, ind in enumerate(report.columns, start=3):
        ws.cell(head, j, safe_text(ind.name_zh + (f"({ind.unit})" if ind.unit else "")))
        ws.cell(head + 1, j, safe_text(ind.name_en))
        ws.column_dimensions[get_column_letter(j)].width = 12
    for r in (head, head + 1):
        for j in range(1, n + 1):
            c = ws.cell(r, j)
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
            c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    ws.column_dimensions["A"].width = 15
    ws.column_dimensions["B"].width = 16
    for i, (area, values) in enumerate(report.rows, start=head + 2):
        total = area is report.area
        ws.cell(i, 1, area.code)
        ws.cell(i, 2, safe_text("合计 total" if total else area.name))
        for j, (ind, v) in enumerate(zip(report.columns, values, strict=True), start=3):
            c = ws.cell(i, j, v)
            c.number_format = "0" if ind.decimals == 0 else "0." + "0" * ind.decimals
            if total:
                c.font = Font(bold=True)
        if total:
            ws.cell(i, 2).font = Font(bold=True)
    ws.freeze_panes = ws.cell(head + 2, 3)
    rate = next((j for j, ind in enumerate(report.columns, start=3) if ind.indicator_type == "per_thousand"), None)
    last = head + 1 + len(report.rows) - 1  # leave the total out of the chart
    if rate is not None and last > head + 1:
        chart = BarChart()
        chart.title = safe_text(report.columns[rate - 3].name_zh)
        chart.add_data(Reference(ws, min_col=rate, min_row=head, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=head + 2, max_row=last))
        chart.height, chart.width = 8, 18
        ws.add_chart(chart, ws.cell(last + 3, 2).coordinate)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

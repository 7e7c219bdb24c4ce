"""Charts: one Vega-Lite definition per figure, rendered to SVG on the server.

Why server-side SVG (see docs/architecture.md): the same definition gives the page, the printout
and the PDF the same picture, old office browsers need no script, and the strict content security
policy (no eval) holds. Text stays text, so Chinese labels use the reader's fonts. XLSX exports use
Excel's own charts (openpyxl) so statisticians can restyle them.

Builders return plain dicts (the chart definition); :func:`render_svg` turns one into markup.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from collections.abc import Sequence
from functools import lru_cache

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#b3261e", "#1f5fa8", "#e08a00", "#2e7d32", "#6a1b9a", "#00838f", "#5d4037", "#9e9d24"]
_lock = threading.Lock()


def _base(title: str, width: int | str = "container", height: int = 280) -> dict:
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "anchor": "start", "fontSize": 14},
        "width": 640 if width == "container" else width,
        "height": height,
        "config": {"aria": False, "font": FONT, "axis": {"labelFontSize": 11, "titleFontSize": 12},
                   "legend": {"labelFontSize": 11}, "range": {"category": PALETTE}, "view": {"stroke": None}},
    }


def bar(rows: Sequence[dict], *, x: str, y: str, title: str, x_title: str = "", y_title: str = "",
        color: str | None = None, sort: str | None = "-y", horizontal: bool = False, rule: float | None = None,
        rule_label: str = "") -> dict:
    """Bars of ``y`` by category ``x`` (optionally coloured by ``color``), with an optional reference line."""
    spec = _base(title)
    enc_cat = {"field": x, "type": "nominal", "title": x_title, "sort": sort}
    enc_val = {"field": y, "type": "quantitative", "title": y_title}
    encoding = {"y": enc_cat, "x": enc_val} if horizontal else {"x": enc_cat, "y": enc_val}
    if horizontal:
        enc_cat["sort"] = "-x" if sort == "-y" else sort
        spec["height"] = max(160, 22 * len(rows))
    if color:
        encoding["color"] = {"field": color, "type": "nominal", "title": ""}
        encoding["xOffset" if not horizontal else "yOffset"] = {"field": color}
    encoding["tooltip"] = [{"field": x}, {"field": y}]
    layers = [{"mark": {"type": "bar", "color": PALETTE[0]} if not color else "bar", "encoding": encoding}]
    if rule is not None:
        axis = "x" if horizontal else "y"
        layers.append({"mark": {"type": "rule", "strokeDash": [4, 3], "color": "#333"},
                       "encoding": {axis: {"datum": rule}}})
        if rule_label:
            layers.append({"mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "color": "#333"},
                           "encoding": {axis: {"datum": rule}, "text": {"value": rule_label}}})
    spec.update({"data": {"values": list(rows)}, "layer": layers})
    return spec


def line(rows: Sequence[dict], *, x: str, y: str, title: str, series: str | None = None, x_title: str = "",
         y_title: str = "", x_type: str = "ordinal") -> dict:
    spec = _base(title)
    encoding = {"x": {"field": x, "type": x_type, "title": x_title},
                "y": {"field": y, "type": "quantitative", "title": y_title, "scale": {"zero": False}},
                "tooltip": [{"field": x}, {"field": y}]}
    if series:
        encoding["color"] = {"field": series, "type": "nominal", "title": ""}
    spec.update({"data": {"values": list(rows)}, "mark": {"type": "line", "point": True}, "encoding": encoding})
    return spec


def pyramid(ages: Sequence[str], male: Sequence[float], female: Sequence[float], *, title: str,
            male_label: str = "男 male", female_label: str = "女 female", unit: str = "") -> dict:
    """Age–sex pyramid: men to the left, women to the right, the youngest at the bottom."""
    rows = []
    for i, age in enumerate(ages):
        rows.append({"age": str(age), "sex": male_label, "value": -float(male[i]), "abs": float(male[i]), "i": i})
        rows.append({"age": str(age), "sex": female_label, "value": float(female[i]), "abs": float(female[i]),
                     "i": i})
    spec = _base(title, height=max(240, 7 * len(ages)))
    single_years = all(str(a).isdigit() for a in ages) and len(ages) > 30
    # Single years: label every fifth age; age groups ("0–4"): label each group.
    label_expr = "toNumber(datum.value) % 5 == 0 ? datum.value : ''" if single_years else "datum.value"
    spec.update({
        "data": {"values": rows},
        "mark": {"type": "bar", "height": {"band": 0.9}},
        "encoding": {
            "y": {"field": "age", "type": "ordinal", "sort": {"field": "i", "order": "descending"}, "title": "",
                  "axis": {"labelExpr": label_expr}},
            "x": {"field": "value", "type": "quantitative", "title": unit,
                  "axis": {"labelExpr": "abs(datum.value)"}},
            "color": {"field": "sex", "type": "nominal", "title": "",
                      # men blue on the left, women red on the right, whatever the labels' alphabetical order
                      "scale": {"domain": [male_label, female_label], "range": [PALETTE[1], PALETTE[0]]}},
            "tooltip": [{"field": "age"}, {"field": "sex"}, {"field": "abs", "title": unit or "n"}],
        },
    })
    return spec


@lru_cache(maxsize=512)
def _svg_of(key: str, spec_json: str) -> str:
    import vl_convert

    with _lock:  # the converter's runtime is shared; one conversion at a time
        return vl_convert.vegalite_to_svg(json.loads(spec_json))


def render_svg(spec: dict) -> str:
    """SVG markup of a chart definition (cached by content)."""
    spec_json = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    key = hashlib.sha256(spec_json.encode()).hexdigest()
    svg = _svg_of(key, spec_json)
    # Vega's own screen-reader texts are English whatever the page's language: drop them and name the
    # figure by its title, which is in the reader's language.
    svg = _ARIA.sub("", svg)
    title = spec.get("title")
    title = title.get("text", "") if isinstance(title, dict) else title or ""
    label = f' aria-label="{html.escape(str(title), quote=True)}"' if title else ""
    # Scale with the page: keep the viewBox, drop the fixed width so CSS decides.
    return svg.replace('class="marks"', f'class="marks" role="img"{label} style="max-width:100%;height:auto"', 1)


_ARIA = re.compile(r' aria-(?:label|roledescription)="[^"]*"')

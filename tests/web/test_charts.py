"""Chart definitions: pyramid sides, colours by sex, labels; rendering to SVG."""

from __future__ import annotations

from renkou.web import charts


def test_pyramid_puts_men_left_and_keeps_sex_colours_fixed():
    spec = charts.pyramid(["0–4", "5–9"], [10, 20], [11, 19], title="t", male_label="男", female_label="女")
    rows = spec["data"]["values"]
    assert [r["value"] for r in rows if r["sex"] == "男"] == [-10.0, -20.0]
    assert [r["value"] for r in rows if r["sex"] == "女"] == [11.0, 19.0]
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["男", "女"] and scale["range"][0] == charts.PALETTE[1]
    assert spec["encoding"]["y"]["axis"]["labelExpr"] == "datum.value"  # every group labelled


def test_single_year_pyramid_labels_every_fifth_age():
    ages = [str(a) for a in range(101)]
    spec = charts.pyramid(ages, [1] * 101, [1] * 101, title="t")
    assert "% 5" in spec["encoding"]["y"]["axis"]["labelExpr"]


def test_bar_chart_renders_svg_with_the_category_labels():
    spec = charts.bar([{"town": "永靖镇", "v": 3}, {"town": "温泉镇", "v": 5}], x="town", y="v", title="出生数",
                      rule=4, rule_label="县均")
    svg = charts.render_svg(spec)
    assert svg.startswith("<svg") and "永靖镇" in svg and "温泉镇" in svg and "出生数" in svg
    assert charts.render_svg(spec) == svg  # deterministic, cached by content

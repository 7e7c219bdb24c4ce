"""The catalog's definitions in words: every indicator reads as a statistician writes it, in both languages."""

from __future__ import annotations

from pathlib import Path

import yaml

from renkou.indicators import wording

NAMES = {("element", "villages_with_charter"): ("已实行村(居)民自治的村(居)数", "villages with a charter"),
         ("element", "villages_total"): ("村(居)委会总数", "villages and committees"),
         ("constant", "reference_cbr"): ("参考出生率(‰)", "reference crude birth rate (per mille)")}


def test_crude_birth_rate_with_the_mean_population_explained():
    assert wording.formula("出生率", "R{births}", "R{mean_population}", "per_thousand", "zh-hans", NAMES) == \
        "出生率 = 出生人数 ÷ 平均人口 × 1000‰"
    assert wording.definitions("R{births}", "R{mean_population}", "zh-hans")[1] == \
        "平均人口 = (期初人口 + 期末人口) ÷ 2"
    assert wording.formula("crude birth rate", "R{births}", "R{mean_population}", "per_thousand", "en", NAMES) == \
        "crude birth rate = births ÷ mean population × 1,000 (per mille)"


def test_operands_with_parameters_name_sex_age_order_and_place():
    assert wording.formula("一般生育率", "R{births}", "R{mean_population.sex=2,age=15-49}", "per_thousand", "zh",
                           NAMES) == "一般生育率 = 出生人数 ÷ 平均人口（15–49岁，女） × 1000‰"
    assert wording.formula("多孩率", "R{births.order=3}", "R{births}", "percent", "zh", NAMES) == \
        "多孩率 = 出生人数（三孩及以上） ÷ 出生人数 × 100%"
    assert wording.formula("old-age dependency ratio", "R{population.age=65-100}", "R{population.age=15-64}",
                           "percent", "en", NAMES) == \
        "old-age dependency ratio = population (aged 65 and over) ÷ population (aged 15–64) × 100 %"
    assert wording.formula("住院分娩率", "R{births.place=facility}", "R{births}", "percent", "zh", NAMES) == \
        "住院分娩率 = 出生人数（在医疗卫生机构分娩） ÷ 出生人数 × 100%"


def test_sums_keep_their_brackets_and_constants_and_elements_have_their_names():
    assert wording.formula("自然增长率", "R{births} - R{deaths}", "R{mean_population}", "per_thousand", "zh",
                           NAMES) == "自然增长率 = (出生人数 − 死亡人数) ÷ 平均人口 × 1000‰"
    assert wording.formula("出生登记完整率", "R{births_timely}", "C{reference_cbr} * R{mean_population} / 1000",
                           "percent", "zh", NAMES) == \
        "出生登记完整率 = 及时登记出生人数 ÷ (参考出生率(‰) × 平均人口 ÷ 1000) × 100%"
    assert wording.formula("coverage", "#{villages_with_charter}", "#{villages_total}", "percent", "en", NAMES) == \
        "coverage = villages with a charter ÷ villages and committees × 100 %"
    # a count is its numerator alone: no "÷ 1", no factor
    assert wording.formula("期末流入人口", "R{population.basis=inflow}", "1", "ratio", "zh", NAMES) == \
        "期末流入人口 = 人口（流入）"


def test_every_catalog_indicator_reads_without_the_expression_language():
    catalog = yaml.safe_load((Path(wording.__file__).parent / "data" / "catalog.yaml").read_text(encoding="utf-8"))
    names = {("element", e["code"]): (e["name_zh"], e["name_en"]) for e in catalog["elements"]}
    names |= {("constant", c["code"]): (c["name_zh"], c["name_en"]) for c in catalog["constants"]}
    for ind in catalog["indicators"]:
        for lang, name in (("zh-hans", ind["name_zh"]), ("en", ind["name_en"])):
            text = wording.formula(name, ind["numerator"], ind["denominator"], ind["type"], lang, names)
            assert text.startswith(f"{name} = ")
            assert not any(mark in text for mark in ("R{", "#{", "C{", "=1", "=2", "_")), (ind["code"], text)
        assert wording.group_name(ind["group"], "zh") != ind["group"]  # every group has a Chinese name

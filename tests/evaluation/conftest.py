"""Fixtures of assessment: a small hand-computable scheme over Xifeng's real townships, an evaluator."""

from __future__ import annotations

import pytest

XIFENG = "520122"
TOWNSHIPS = ["520122001000", "520122100000", "520122101000", "520122102000", "520122103000", "520122104000",
             "520122105000", "520122106000", "520122107000", "520122108000", "520122200000"]

SMALL_SCHEME = """
code: test-xifeng-2005
name_zh: 测试方案
name_en: test scheme
year: 2005
period: "2005"
level: township
total_points: 20
units: {parent: "520122", level: township}
themes:
  - code: A
    name_zh: 工作
    name_en: work
    items:
      - {code: A1, name_zh: 服务质量, name_en: service quality, points: 10,
         source: {inspection: quality}, rule: {type: band, lo: 80}}
  - code: B
    name_zh: 报表
    name_en: reports
    items:
      - {code: A2, name_zh: 报表, name_en: reports, points: 10, target: 100,
         source: {inspection: reports}, rule: {type: deduction_per_unit, per_unit: 0.5}}
  - code: C
    name_zh: 核查
    name_en: checks
    items:
      - {code: V1, name_zh: 弄虚作假, name_en: falsification, points: 0,
         source: {inspection: falsified}, rule: {type: veto}}
peer_groups:
  - {code: towns, name_zh: 镇, name_en: towns, classes: [subdistrict, town]}
  - {code: townships, name_zh: 乡, name_en: townships, classes: [township]}
grades:
  - {code: special, name_zh: 特等, name_en: special, min_points: 18}
  - {code: first, name_zh: 一等, name_en: first, min_points: 15}
  - {code: fail, name_zh: 不合格, name_en: not passed}
warnings:
  - {code: notice, name_zh: 通报批评, name_en: notice, last_places: 1, scope: group}
  - {code: yellow_card, name_zh: 黄牌警告, name_en: yellow card, below_points: 12}
  - {code: admonition, name_zh: 诫勉谈话, name_en: admonition, on_veto: true}
"""


@pytest.fixture
def evaluator(seed_areas, make_user):
    return make_user("kaohe", "evaluator", view=[seed_areas["520122000000"]])


@pytest.fixture
def small_scheme(evaluator):
    from renkou.evaluation import services

    return services.import_scheme(user=evaluator, text=SMALL_SCHEME)


def enter_scores(scheme, user, overrides=None):
    """Every unit 90 / 100 / 0 on the three sheets, except the ``overrides`` {(unit, sheet): value}."""
    from renkou.evaluation import services

    overrides = overrides or {}
    for unit in TOWNSHIPS:
        for sheet, default in (("quality", 90), ("reports", 100), ("falsified", 0)):
            value = overrides.get((unit, sheet), default)
            if value is not None:
                services.set_inspection_score(user=user, scheme=scheme, unit=unit, sheet=sheet, value=value)


@pytest.fixture
def scored_run(small_scheme, evaluator):
    """A draft run: 101 short of its report target by 4, 100 below the quality band, 102 vetoed."""
    from renkou.evaluation import services

    enter_scores(small_scheme, evaluator, {("520122101000", "reports"): 96, ("520122100000", "quality"): 70,
                                           ("520122102000", "falsified"): 1, ("520122103000", "reports"): 95})
    services.set_target(user=evaluator, scheme=small_scheme, unit="520122103", item_code="A2", value=90)
    return services.compute_run(user=evaluator, scheme=small_scheme)

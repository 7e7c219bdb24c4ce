"""The assessment step of `renkou demo` on the small demo (Gaize, 改则县): the county is assessed under
a scheme named for it, with targets set from its own previous year, and the run grades its
townships across the range instead of failing them all against another county's targets."""

from __future__ import annotations

from collections import Counter

import pytest


@pytest.mark.slow
@pytest.mark.django_db
def test_small_demo_assesses_gaize_under_its_own_scheme_with_a_spread_of_grades(monkeypatch):
    import renkou.indicators.demo as indicators_demo
    from renkou import demo
    from renkou.evaluation.models import Run, UnitResult

    monkeypatch.setattr(demo, "COUNTIES", [("gaize", "542526", True)])
    monkeypatch.setattr(indicators_demo, "DEMO_PERIODS", {"542526": ("2005",)})
    demo.build(small=True, seed=2005, progress=lambda label: (lambda done, total: None))

    run = Run.objects.select_related("scheme").order_by("id").first()
    assert run.scheme.name_zh == "改则县2005年度乡（镇）人口和计划生育目标管理责任制考核方案"
    assert run.scheme.name_en.startswith("Gaize County 2005 assessment")
    assert "息烽" not in run.scheme.name_zh

    grades = Counter(UnitResult.objects.filter(run=run).values_list("grade_code", flat=True))
    units = sum(grades.values())
    assert units == 7
    # several grades: the vetoed township (the demo's falsification case) and at least two classes
    assert len(grades) >= 3 and len(set(grades) - {"veto"}) >= 2, grades
    assert grades["fail"] < units / 2, grades

    # the birth-rate band was set from Gaize's own previous statistical year, not Xifeng's 7–13‰
    import yaml

    items = {i["code"]: i for t in yaml.safe_load(run.scheme.source_text)["themes"] for i in t["items"]}
    assert items["A1"]["rule"]["type"] == "band" and items["A1"]["rule"]["lo"] > 13
    assert items["A3"]["rule"] == {"type": "band", "lo": 103, "hi": 107}  # the national normal range stays

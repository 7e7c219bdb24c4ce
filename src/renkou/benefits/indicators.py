"""Benefit indicators an assessment can score (利益导向指标): coverage and payment punctuality.

:func:`indicator_value` has the signature and the return shape of
:func:`renkou.evaluation.sources.indicator_value` — ``(value or None, explanation)`` — so an
assessment item can read these two values from this source:

- ``benefit_coverage``: units paid ÷ eligible units on the frozen rosters of the county's cycles of
  the period (覆盖率), in percent;
- ``benefit_punctuality``: payments paid within ``services.PAY_WITHIN_DAYS`` days after the end of
  their period ÷ payments paid (发放及时率), in percent.

Both are summed over every program's cycles of the area's county whose period starts with the
period code (``2005`` covers ``2005`` and ``200501``…``200512``); ``None`` when there is nothing to count.
"""

from __future__ import annotations

from decimal import Decimal

from renkou.core import areacodes

CODES = {"benefit_coverage": ("利益导向覆盖率", "coverage of eligible families"),
         "benefit_punctuality": ("利益导向资金发放及时率", "payment punctuality")}


def indicator_value(code: str, area_code: str, period_code: str) -> tuple[Decimal | None, dict]:
    from . import services
    from .models import Cycle

    area = areacodes.full_code(area_code)
    base = {"source": "benefits", "indicator": code, "area": area, "period": period_code}
    if code not in CODES:
        return None, {**base, "missing": "not a benefits indicator (非利益导向指标)"}
    measure = services.coverage if code == "benefit_coverage" else services.punctuality
    num = den = 0
    cycles = []
    for c in Cycle.objects.filter(area__pk__startswith=area[:6], period__startswith=period_code):
        _v, how = measure(c)
        num, den = num + how["numerator"], den + how["denominator"]
        cycles.append(c.pk)
    base.update({"name_zh": CODES[code][0], "name_en": CODES[code][1], "unit": "%", "numerator": num,
                 "denominator": den, "cycles": cycles})
    if not den:
        return None, {**base, "missing": "nothing to count (无可计数的名册或发放)"}
    return (Decimal(100 * num) / den).quantize(Decimal("0.1")), base

"""Where the values of assessment items come from (考核数据来源).

:func:`indicator_value` is the one door to indicator values: every item sourced from an indicator
goes through it. The values are those of the indicators engine (:mod:`renkou.indicators`, 指标计算)
— the stored :class:`~renkou.indicators.models.IndicatorValue` of a catalog indicator, area and
period — so an assessment scores exactly the figure the bureau publishes, with its provenance
(numerator, denominator, operand values and their hash, definition version) and the engine's
value page, which drills down to the records behind each operand.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from renkou.core import areacodes

Explanation = dict[str, Any]


def _stored(indicator, area_code: str, period_code: str):
    from renkou.indicators.models import IndicatorValue

    return IndicatorValue.objects.filter(indicator=indicator, area_id=area_code, period=period_code).first()


def _compute(area_code: str, period_code: str) -> None:
    """Have the engine compute the area (down to its own level only) for the period."""
    from renkou.core.models import Area
    from renkou.indicators import services

    level = Area.objects.filter(code=area_code).values_list("level", flat=True).first()
    if level is not None:
        services.compute(area_code, period_code, level=level)


def _number(x: float | None) -> int | float | None:
    """Operand values read as whole numbers when they are (2 births, not 2.0)."""
    return int(x) if x is not None and float(x).is_integer() else x


def indicator_value(code: str, area_code: str, period_code: str) -> tuple[Decimal | None, Explanation]:
    """Value of catalog indicator ``code`` for the area and period, and where it comes from.

    Reads the stored value; when none is stored, the engine computes the area for the period once
    (:func:`renkou.indicators.services.compute`) and the value is read again. Returns
    ``(None, explanation)`` when there is no value (an indicator not in the catalog, a missing
    operand, a zero denominator): the scheme then marks the item missing, never 0.
    """
    from renkou.indicators.models import Indicator

    area = areacodes.full_code(area_code)
    base: Explanation = {"source": "indicator", "indicator": code, "area": area, "period": period_code}
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return None, {**base, "missing": "not an indicator of the catalog (指标目录中没有此指标)"}
    stored = _stored(indicator, area, period_code)
    if stored is None:
        _compute(area, period_code)
        stored = _stored(indicator, area, period_code)
    base.update({"name_zh": indicator.name_zh, "name_en": indicator.name_en, "unit": indicator.unit})
    if stored is None:
        return None, {**base, "missing": "no value computed for this area and period (未计算)"}
    explanation = {**base, "numerator": _number(stored.numerator), "denominator": _number(stored.denominator),
                   "inputs": {k: _number(v) for k, v in stored.inputs.items()}, "inputs_hash": stored.inputs_hash,
                   "definition_version": stored.definition_version, "indicator_value": stored.pk,
                   "url": reverse("indicators:value", args=[stored.pk])}
    if stored.value is None or not stored.denominator:
        return None, {**explanation, "missing": "no value: an operand is missing or the denominator is 0 "
                                                "(数据缺失或分母为 0)"}
    return stored.value.quantize(Decimal(1).scaleb(-indicator.decimals)), explanation

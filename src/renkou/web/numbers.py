"""Numbers as people write them (pure, no Django): the one formatting used by every page.

Counts are whole numbers with thousands separators (18,689 — in Chinese as in English: the
statistical tables of both languages group digits by three with a comma); rates and ratios keep
the decimals their indicator defines (9.20‰); nothing missing is shown as ``—``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MISSING = "—"

# The unit written after a value of each indicator type (see renkou.indicators.models.Indicator.unit).
UNITS = {"per_thousand": "‰", "percent": "%", "per_hundred": "", "ratio": "", "per_100000": "/10万"}


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _unparsed(value) -> str:
    """What is shown for a value that is not a finite number: ``—`` for nothing (also NaN, a value the
    computation could not give), the text itself otherwise."""
    if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return str(value)


def count(value) -> str:
    """A count: ``18689.0`` → ``18,689``; ``None`` → ``—``; text that is not a number is returned as is."""
    d = _decimal(value)
    if d is None:
        return _unparsed(value)
    return f"{int(d.to_integral_value(rounding=ROUND_HALF_UP)):,}"


def number(value, places: int = 2) -> str:
    """A number with exactly ``places`` decimals and thousands separators: ``1234.5, 2`` → ``1,234.50``."""
    d = _decimal(value)
    if d is None:
        return _unparsed(value)
    places = max(0, int(places))
    return f"{d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


def amount(value, max_places: int = 4) -> str:
    """A stored quantity of unknown kind: whole → a count (``3118.0`` → ``3,118``), else up to
    ``max_places`` decimals without trailing zeros (``2.5000`` → ``2.5``)."""
    d = _decimal(value)
    if d is None:
        return _unparsed(value)
    if d == d.to_integral_value():
        return count(d)
    text = number(d, max_places)
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value, places: int = 1) -> str:
    """A proportion 0–1 as a percentage: ``0.0923`` → ``9.2%``."""
    d = _decimal(value)
    if d is None:
        return MISSING
    return f"{number(d * 100, places)}%"


def indicator_value(value, decimals: int, indicator_type: str = "", *, unit: bool = True) -> str:
    """An indicator's value with its own decimals and unit: ``9.2, 2, per_thousand`` → ``9.20‰``;
    a count (no unit, no decimals) with separators: ``18689, 0, count`` → ``18,689``."""
    text = number(value, decimals)
    if text == MISSING or not unit:
        return text
    return text + UNITS.get(indicator_type, "")

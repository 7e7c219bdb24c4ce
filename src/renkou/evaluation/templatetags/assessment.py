"""Template helpers of the assessment pages: the reader's language half of bilingual fields."""

from __future__ import annotations

import math

from django import template
from django.utils.translation import get_language

register = template.Library()


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


@register.filter
def bi(obj, field: str = "name"):
    """``obj.<field>_zh`` or ``obj.<field>_en`` (dicts too) for the active language."""
    suffix = "zh" if _zh() else "en"
    if isinstance(obj, dict):
        return obj.get(f"{field}_{suffix}") or obj.get(suffix) or ""
    return getattr(obj, f"{field}_{suffix}", "")


@register.filter
def num(value, places: int = 2):
    """A number with ``places`` decimals, ``—`` for none."""
    if value is None or value == "" or math.isnan(float(value)):
        return "—"
    return f"{float(value):.{int(places)}f}"


@register.filter
def pct(value, places: int = 1):
    """A proportion 0–1 as a percentage."""
    if value is None:
        return "—"
    return f"{100 * float(value):.{int(places)}f}%"


@register.filter
def lookup(mapping, key):
    return (mapping or {}).get(key)

"""Template helpers of the indicator pages: names, groups, periods and types in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from renkou.core.periods import Period
from renkou.indicators import wording

register = template.Library()


def _lang() -> str:
    return get_language() or "zh-hans"


@register.filter
def loc(obj, field: str = "name") -> str:
    """``obj.name_zh`` or ``obj.name_en`` for the page's language (``{{ indicator|loc }}``)."""
    suffix = "zh" if _lang().startswith("zh") else "en"
    return getattr(obj, f"{field}_{suffix}", "") or getattr(obj, f"{field}_zh", "")


@register.filter
def period_label(code) -> str:
    """``2005Q3`` → 2005年第3季度 / 2005 Q3; the code itself if it is not a period."""
    try:
        return Period.parse(str(code)).label("zh" if _lang().startswith("zh") else "en")
    except ValueError:
        return str(code)


@register.filter
def group_label(group: str) -> str:
    return wording.group_name(group, _lang())


@register.filter
def type_label(indicator_type: str) -> str:
    return wording.type_name(indicator_type, _lang())


@register.filter
def dis_label(code: str) -> str:
    return wording.disaggregation_name(code or "", _lang())

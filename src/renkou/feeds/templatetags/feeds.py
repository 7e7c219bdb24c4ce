"""Template helpers of the feeds pages: a source's name and a comparison level in the page's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

register = template.Library()


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


@register.filter
def bi(obj):
    """The Chinese or English name of a source."""
    return getattr(obj, "name_zh" if _zh() else "name_en", str(obj))


@register.filter
def pair(value):
    """A (Chinese, English) pair in the page's language."""
    return value[0] if _zh() else value[1]


@register.filter
def level(row):
    return row["level_zh"] if _zh() else row["level_en"]


@register.filter
def row_source(row):
    """The Chinese or English name of a completeness row's source."""
    return row["source_zh"] if _zh() else row["source_en"]


@register.filter
def masked(number):
    """An ID number masked for display (first 6 and last 4 characters)."""
    from renkou.core.idnumber import mask

    return mask(number)


@register.filter
def half(text):
    """The page's language half of a "Chinese / English" text (a text without one: as it is)."""
    if " / " not in (text or ""):
        return text
    zh, en = text.split(" / ", 1)
    return zh if _zh() else en

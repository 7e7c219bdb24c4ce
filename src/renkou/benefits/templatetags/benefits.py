"""Template filters of benefits: fen as yuan, a program's name in the page's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from renkou.ledger.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen):
    """``2170000`` → ``¥21,700.00``."""
    return "" if fen is None else format_yuan(int(fen))


@register.filter
def bi(obj):
    """The Chinese or English name of a program or fund, by the page's language."""
    zh = (get_language() or "zh-hans").startswith("zh")
    return getattr(obj, "name_zh" if zh else "name_en", str(obj))


@register.filter
def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"

"""Template filters of loans: yuan given as Decimal, a party of the agreement in the page's language."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def yuan_d(value):
    """``Decimal("211999.00")`` → ``¥211,999.00``."""
    return "" if value is None else f"¥{value:,.2f}"


@register.filter
def party(labels):
    """A party's (Chinese, English) label in the page's language."""
    from renkou.core.languages import pair

    return pair(labels[0], labels[1])


@register.filter
def yesno_lang(value):
    """``True`` → 是 / yes, in the page's language."""
    from django.utils.translation import gettext

    return gettext("yes") if value else gettext("no")

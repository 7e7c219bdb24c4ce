"""Template helpers: ``{% chart spec %}`` renders a chart definition to inline SVG."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from renkou.web.charts import render_svg

register = template.Library()


@register.simple_tag
def chart(spec):
    if not spec:
        return ""
    # The SVG comes from our own chart definitions; labels are XML-escaped by the renderer.
    return mark_safe(f'<figure class="chart">{render_svg(spec)}</figure>')  # noqa: S308


def _lang() -> str:
    from django.utils.translation import get_language

    return get_language() or "zh-hans"


@register.filter
def ethnicity(code):
    """GB 3304 ethnicity name of a code: ``{{ person.ethnicity|ethnicity }}`` → 藏族 / Tibetan."""
    from renkou.core.codes import ETHNICITY, label

    return label(ETHNICITY, code, _lang())


@register.filter
def masked(number):
    """Identity number masked for lists: 110105********002X."""
    from renkou.core.idnumber import mask

    return mask(number)


@register.simple_tag
def term(chinese: str):
    """The Chinese term users know, beside an English label: shown only when the page is not in Chinese
    (in Chinese the translated label already is the term)."""
    from django.utils.html import format_html

    if _lang().startswith("zh"):
        return ""
    return format_html(' <small class="term" lang="zh-Hans">{}</small>', chinese)

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

"""Numbers as people write them: the one filter set of every template, in Chinese and in English."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from renkou.web import numbers


def render(source: str, **ctx) -> str:
    return Template("{% load renkou %}" + source).render(Context(ctx))


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_counts_have_thousands_separators_in_both_languages(lang):
    with translation.override(lang):
        assert render("{{ n|count }}", n=18689) == "18,689"
        assert render("{{ n|count }}", n=3118.0) == "3,118"  # a float count is still a count
        assert render("{{ n|count }}", n=Decimal("251900.0000")) == "251,900"
        assert render("{{ n|count }}", n=None) == "—"
        assert render("{{ n|count }}", n=7) == "7"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_rate_keeps_the_decimals_of_its_indicator_and_its_unit(lang):
    cbr = SimpleNamespace(decimals=2, indicator_type="per_thousand")
    population = SimpleNamespace(decimals=0, indicator_type="ratio")
    srb = SimpleNamespace(decimals=1, indicator_type="per_hundred")
    with translation.override(lang):
        assert render("{{ v|ivalue:i }}", v=Decimal("9.2"), i=cbr) == "9.20‰"
        assert render("{{ v|inum:i }}", v=Decimal("9.2"), i=cbr) == "9.20"  # the table header names the unit
        assert render("{{ v|ivalue:i }}", v=Decimal("18689.000000"), i=population) == "18,689"
        assert render("{{ v|ivalue:i }}", v=107.25, i=srb) == "107.3"  # half up, as people round
        assert render("{{ v|ivalue:i }}", v=None, i=cbr) == "—"


def test_amounts_show_whole_numbers_as_counts_and_keep_real_fractions():
    assert numbers.amount(3118.0) == "3,118"
    assert numbers.amount(Decimal("2.5000")) == "2.5"
    assert numbers.amount(252546.5) == "252,546.5"
    assert numbers.amount("") == "—"


def test_numbers_and_percentages():
    assert render("{{ v|num:2 }}", v=1234.5) == "1,234.50"
    assert render("{{ v|num:0 }}", v=1234.5) == "1,235"
    assert render("{{ v|pct }}", v=0.0923) == "9.2%"
    assert render("{{ v|pct:2 }}", v=None) == "—"
    assert numbers.number("not a number") == "not a number"


def test_the_assessment_pages_use_the_same_number_filters():
    out = Template("{% load assessment %}{{ v|num:2 }} {{ p|pct }}").render(Context({"v": 12345.678, "p": 0.5}))
    assert out == "12,345.68 50.0%"


def test_paired_gives_each_value_its_column():
    out = render("{% for c, v in vals|paired:cols %}{{ c }}={{ v }};{% endfor %}", vals=[1, 2], cols=["a", "b"])
    assert out == "a=1;b=2;"

"""The area picker of the entry forms: every area once, in order, names escaped, the chosen one selected."""

from __future__ import annotations

import re

from django import forms

from renkou.registry.forms import AreaSelect


class _Form(forms.Form):
    area = forms.ChoiceField(widget=AreaSelect)


def test_area_picker_lists_each_area_once_with_the_chosen_one_selected():
    form = _Form(initial={"area": "520122100201"})
    form.fields["area"].choices = [("520122100200", "河东村 (520122100200)"), ("520122100201", "<b>和坪</b> & 村"),
                                   ("520122100202", "林坪社区")]
    html = str(form["area"])
    assert html.startswith('<select id="id_area" name="area">') and html.endswith("</select>")
    assert re.findall(r'<option value="(\d+)"', html) == ["520122100200", "520122100201", "520122100202"]
    assert re.findall(r'<option value="(\d+)" selected>', html) == ["520122100201"]
    assert "&lt;b&gt;和坪&lt;/b&gt; &amp; 村" in html and "<b>" not in html


def test_area_picker_keeps_the_posted_area_of_a_refused_form():
    form = _Form(data={"area": "999"})
    form.fields["area"].choices = [("520122100200", "河东村"), ("520122100201", "和坪村")]
    assert not form.is_valid()
    assert "selected" not in str(form["area"])
    form = _Form(data={"area": "520122100200"})
    form.fields["area"].choices = [("520122100200", "河东村"), ("520122100201", "和坪村")]
    assert re.findall(r'<option value="(\d+)" selected>', str(form["area"])) == ["520122100200"]

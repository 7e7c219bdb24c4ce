"""Forms of the assessment pages. The checks that matter live in the services; forms only read input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SchemeImportForm(forms.Form):
    file = forms.FileField(label=_("Scheme file (YAML or JSON)"), required=False)
    text = forms.CharField(label=_("or paste the scheme"), widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
                           required=False)
    replace = forms.BooleanField(label=_("Replace the scheme of the same code"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a file or paste the scheme."))
        return data

    def content(self) -> tuple[str, str]:
        f = self.cleaned_data.get("file")
        if f:
            return f.read().decode("utf-8-sig"), "json" if f.name.lower().endswith(".json") else "yaml"
        text = self.cleaned_data["text"]
        return text, "json" if text.lstrip().startswith("{") else "yaml"


class TargetImportForm(forms.Form):
    file = forms.FileField(label=_("Targets (CSV or XLSX: unit_code, item_code, target)"))


class SampleForm(forms.Form):
    households_per_unit = forms.IntegerField(label=_("Households per unit"), min_value=1, max_value=10000, initial=40)
    seed = forms.IntegerField(label=_("Random seed"), min_value=0, initial=2005)
    period = forms.CharField(label=_("Period checked"), max_length=12, required=False)


class AppealForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    item_code = forms.ChoiceField(label=_("Item"))
    reason = forms.CharField(label=_("Grounds of the appeal"), widget=forms.Textarea(attrs={"rows": 3}))
    claimed_value = forms.DecimalField(label=_("Value claimed"), required=False)

    def __init__(self, *args, units=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = list(units)
        self.fields["item_code"].choices = list(items)


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                    choices=[("1", _("accept")), ("0", _("reject"))])
    corrected_value = forms.DecimalField(label=_("Corrected value"), required=False)
    decision = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

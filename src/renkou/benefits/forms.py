"""Forms of benefits: a program version (parameters a county officer edits), a cycle, an objection."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Fund, ProgramVersion


class JSONField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "cols": 80, "class": "code"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


class VersionForm(forms.Form):
    valid_from = forms.DateField(label=_("Valid from"))
    valid_to = forms.DateField(label=_("Valid to"), required=False)
    eligibility = JSONField(label=_("Eligibility rule"), widget=forms.Textarea(attrs={
        "rows": 6, "cols": 80, "class": "code", "data-rule-editor": "rule-editor-data"}))
    amount = forms.CharField(label=_("Amount per unit and cycle (yuan)"), max_length=20, initial="0")
    tiers = JSONField(label=_("Amount tiers (JSON, first match)"), required=False)
    prorate_months = forms.BooleanField(label=_("Pro rata by the months entitled in the period"), required=False)
    prorate_age_below = forms.IntegerField(label=_("Entitled until the month before this birthday (years)"),
                                           required=False, min_value=1, max_value=120)
    cap_household = forms.CharField(label=_("Cap per household (yuan)"), max_length=20, required=False)
    payee = forms.ChoiceField(label=_("Payee"), choices=ProgramVersion.Payee.choices)
    fund = forms.ModelChoiceField(label=_("Fund"), queryset=Fund.objects.all(), required=False, to_field_name="code")
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def data_for_service(self) -> dict:
        d = dict(self.cleaned_data)
        d["fund"] = d["fund"].code if d.get("fund") else None
        prorate = {}
        if d.pop("prorate_months", False):
            prorate["by"] = "month"
        age = d.pop("prorate_age_below", None)
        if age is not None:
            prorate["age_below"] = age
        d["prorate"] = prorate or None
        return d

    @staticmethod
    def initial_from(version) -> dict:
        prorate = version.prorate or {}
        return {"eligibility": version.eligibility, "amount": version.amount, "tiers": version.tiers or None,
                "prorate_months": prorate.get("by") == "month", "prorate_age_below": prorate.get("age_below"),
                "cap_household": version.cap_household, "payee": version.payee,
                "fund": version.fund.code if version.fund else None}


class CycleForm(forms.Form):
    program = forms.CharField(label=_("Program code"), max_length=40)
    area = forms.CharField(label=_("County code"), max_length=12)
    period = forms.CharField(label=_("Period (2005, 202503)"), max_length=10)
    census = forms.DateField(label=_("Census date (default: end of the period)"), required=False)


class ObjectionForm(forms.Form):
    raised_by = forms.CharField(label=_("Raised by"), max_length=60)
    text = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 3}))
    entitlement = forms.IntegerField(label=_("Row (optional)"), required=False)


class ReturnFileForm(forms.Form):
    file = forms.FileField(label=_("Bank return file (CSV or XLSX)"))


class BudgetForm(forms.Form):
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

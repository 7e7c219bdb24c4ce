"""Forms of the officer's pages: a new enquiry about a local person, the answers to a case (match
result, check result, feedback), a directory file. Each field is checked here; the payload is built
and checked again by the message schema when it is sent."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.registry.models import Marital

from . import messages

AREA = RegexValidator(r"^\d{6,12}$", _("an area code of 6 to 12 digits"))
YES_NO = [("yes", pgettext_lazy("exchange", "yes")), ("no", pgettext_lazy("exchange", "no"))]

ASK_LABELS = {
    "registered": pgettext_lazy("exchange", "household registration there"),
    "marital_status": pgettext_lazy("exchange", "marital status"),
    "children": pgettext_lazy("exchange", "number of children"),
    "household": pgettext_lazy("exchange", "household"),
}
OUTCOME_LABELS = {
    "served": pgettext_lazy("exchange", "served"),
    "not_found": pgettext_lazy("exchange", "person not found"),
    "moved_on": pgettext_lazy("exchange", "moved on"),
    "other": pgettext_lazy("exchange", "other outcome"),
}


class EnquiryForm(forms.Form):
    area_code = forms.CharField(label=pgettext_lazy("exchange", "Registration area code"), validators=[AREA],
                                max_length=12)
    asks = forms.MultipleChoiceField(label=pgettext_lazy("exchange", "Facts asked"),
                                     choices=[(a, ASK_LABELS[a]) for a in messages.ASKS],
                                     widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=pgettext_lazy("exchange", "Reason"), max_length=200)
    urgent = forms.BooleanField(label=pgettext_lazy("exchange", "Urgent (due in 15 days)"), required=False)


class MatchForm(forms.Form):
    found = forms.ChoiceField(label=pgettext_lazy("exchange", "Registered here"), choices=YES_NO)
    registered_area = forms.CharField(label=pgettext_lazy("exchange", "Registration area code"), required=False,
                                      validators=[AREA], max_length=12)

    def clean(self):
        data = super().clean()
        if data.get("found") == "yes" and not data.get("registered_area"):
            self.add_error("registered_area", _("give the area where the person is registered"))
        return data

    def payload(self) -> dict:
        found = self.cleaned_data["found"] == "yes"
        return {"found": found, "registered_area": self.cleaned_data["registered_area"] if found else ""}


class CheckForm(forms.Form):
    """The facts the enquiry asked, and only those."""

    checked_on = forms.DateField(label=pgettext_lazy("exchange", "Checked on"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=pgettext_lazy("exchange", "Note"), max_length=200, required=False)

    def __init__(self, *args, asks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.asks = [a for a in messages.ASKS if a in asks]
        fields = {
            "registered": forms.ChoiceField(label=ASK_LABELS["registered"], choices=YES_NO),
            "marital_status": forms.ChoiceField(label=ASK_LABELS["marital_status"], choices=Marital.choices),
            "children": forms.IntegerField(label=ASK_LABELS["children"], min_value=0, max_value=30),
            "household": forms.CharField(label=ASK_LABELS["household"], max_length=100),
        }
        for name in reversed(self.asks):
            self.fields = {name: fields[name], **self.fields}

    def payload(self) -> dict:
        d = self.cleaned_data
        facts = {}
        for name in self.asks:
            facts[name] = (d[name] == "yes") if name == "registered" else d[name]
        return {"facts": facts, "checked_on": d["checked_on"].isoformat(), "note": d.get("note") or ""}


class FeedbackForm(forms.Form):
    outcome = forms.ChoiceField(label=pgettext_lazy("exchange", "Outcome"),
                                choices=[(o, OUTCOME_LABELS[o]) for o in messages.OUTCOMES])
    note = forms.CharField(label=pgettext_lazy("exchange", "Note"), max_length=200, required=False)

    def payload(self) -> dict:
        return {"outcome": self.cleaned_data["outcome"], "note": self.cleaned_data.get("note") or ""}


class DirectoryForm(forms.Form):
    file = forms.FileField(label=pgettext_lazy("exchange", "Directory file (YAML or CSV)"))


REPLY_FORMS = {"match": MatchForm, "check": CheckForm, "feedback": FeedbackForm}

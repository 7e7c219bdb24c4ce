"""Forms of the migrant pages: a change of state, a service agreement."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import states
from .models import Party, State


class TransitionForm(forms.Form):
    """A change of a record's state; which change is allowed is the state machine's (services) to say."""

    to = forms.ChoiceField(label=_("New state"), choices=[(s, State(s).label) for s in states.STATES])
    reason = forms.CharField(label=_("Reason"), max_length=200)
    on = forms.DateField(label=_("Date"), required=False, help_text=_("date of departure, for example 2005-12-31"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class AgreementForm(forms.Form):
    number = forms.CharField(label=_("Agreement number"), max_length=40)
    party_name = forms.CharField(label=_("Landlord or employer"), max_length=100)
    party_kind = forms.ChoiceField(label=_("Kind"), choices=Party.Kind.choices)
    party_contact = forms.CharField(label=_("Contact"), max_length=100, required=False)
    area = forms.CharField(label=_("Area code"), max_length=12)
    start = forms.DateField(label=_("From"), help_text=_("for example 2005-01-01"))
    end = forms.DateField(label=_("Until"), help_text=_("for example 2005-01-01"))
    party_provides = forms.CharField(label=_("The landlord or employer provides"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One item a line"))
    bureau_provides = forms.CharField(label=_("The bureau provides"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One item a line"))
    migrants = forms.CharField(label=_("Migrants covered (ID numbers)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("ID numbers of inflow migrants of your areas, one a line"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end lies before the start."))
        return data

    def id_numbers(self) -> list[str]:
        text = (self.cleaned_data.get("migrants") or "").replace(";", "\n").replace("；", "\n").replace(",", "\n")
        return [x.strip().upper() for x in text.splitlines() if x.strip()]

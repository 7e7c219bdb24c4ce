"""Forms of the register's pages: thin, the checks themselves are in services and checks."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Event, Person, Sex


class SearchForm(forms.Form):
    q = forms.CharField(label=_("ID number, name, pinyin or household number"), required=False, max_length=60)


class BirthForm(forms.Form):
    """Declaration of a birth (出生申报) by a village officer."""

    name = forms.CharField(label=_("child's name"), max_length=60)
    sex = forms.TypedChoiceField(label=_("sex"), choices=[(Sex.MALE, Sex.MALE.label), (Sex.FEMALE, Sex.FEMALE.label)],
                                 coerce=int)
    event_date = forms.DateField(label=_("date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    registration_date = forms.DateField(label=_("registration date"), widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.ChoiceField(label=_("area at the birth"))
    mother = forms.ModelChoiceField(label=_("mother"), queryset=Person.objects.none())
    father = forms.ModelChoiceField(label=_("father"), queryset=Person.objects.none(), required=False)
    birth_order = forms.IntegerField(label=_("birth order"), min_value=1, max_value=20)
    plurality = forms.IntegerField(label=_("plurality"), min_value=1, max_value=8, initial=1)
    delivery_place = forms.ChoiceField(label=_("place of delivery"), choices=Event.Delivery.choices, required=False)

    def __init__(self, *args, persons=None, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(a.code, f"{a.name} ({a.code})") for a in areas]
        if persons is not None:
            self.fields["mother"].queryset = persons.filter(sex=2)
            self.fields["father"].queryset = persons.filter(sex=1)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"size": 60}))
